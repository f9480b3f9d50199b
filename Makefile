# bufpool: the two commands (make run, make test) and the rest, over CMake + Ninja.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps configure build run test bench install docs clean fuzz check-sanitizers check-builds soak

all: build

deps:
	@bash scripts/install-deps.sh build

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: seed 000's instances scenario on the host backend, human summary.
run: build
	@$(BUILD)/bufpool scenario instances

test:
	@bash scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The benchmark suite against glibc, mimalloc and jemalloc; writes bench/RESULTS.md. Its own
# Release tree (-O3), so that the figures do not depend on how $(BUILD) was last configured.
BENCH_BUILD ?= build-bench
bench:
	@bash scripts/install-deps.sh bench
	@cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBP_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BENCH_BUILD) -j $(JOBS)
	@cmake --build $(BENCH_BUILD) -j $(JOBS) --target bufpool_bench bufpool_bench_shared
	@bash bench/run.sh $(BENCH_BUILD)

# Headers, libbufpool.a, libbufpool.so.*, the tool, the CMake package and pkg-config files.
# make install PREFIX=/opt/bufpool DESTDIR=/tmp/stage
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# The API reference (Doxygen, zero warnings) and the guides: $(BUILD)/docs/html/index.html
docs:
	@bash scripts/install-deps.sh docs
	@$(MAKE) --no-print-directory configure
	@cmake --build $(BUILD) --target docs

# Reliability (README "Reliability"): the API fuzzer for 10 million runs (RUNS=...), the suite
# under ASan+UBSan, TSan and Valgrind, and a million frames of every workload.
RUNS ?= 10000000
fuzz:
	@bash scripts/fuzz.sh $(RUNS)

check-sanitizers:
	@bash scripts/check-sanitizers.sh

# gcc with no optional backend (what `make run` builds with only the build packages) and clang.
check-builds:
	@bash scripts/check-builds.sh

soak: build
	@BUILD=$(BUILD) bash scripts/soak.sh

clean:
	rm -rf $(BUILD)
