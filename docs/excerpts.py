#!/usr/bin/env python3
"""Code excerpts in the guides are copies of marked regions of examples/, checked so that
the docs cannot drift from code that compiles and runs in `make test`.

In a guide (docs/*.md), an excerpt is a fenced C block right after a line
    <!-- excerpt: examples/FILE.c NAME -->
and in the source the region lies between two lines holding the marker [docs:NAME]
(as a comment: /* [docs:NAME] */). The excerpt is the region with its common indentation
removed.

    excerpts.py --check  DOCS_DIR SOURCE_ROOT   exit 1 and show a diff for each stale excerpt
    excerpts.py --update DOCS_DIR SOURCE_ROOT   rewrite the excerpts from the sources
"""
import difflib
import glob
import os
import re
import sys
import textwrap

HEAD = re.compile(r"^<!-- excerpt: (\S+) (\S+) -->$")


def region(root, path, name):
    marker = "[docs:%s]" % name
    try:
        lines = open(os.path.join(root, path)).read().split("\n")
    except OSError as e:
        raise SystemExit("%s: %s" % (path, e.strerror))
    at = [i for i, line in enumerate(lines) if marker in line]
    if len(at) != 2:
        return None, "%s: marker %s found %d times (want 2: start and end)" % (path, marker, len(at))
    body = "\n".join(lines[at[0] + 1:at[1]])
    return textwrap.dedent(body).strip("\n").split("\n"), None


def process(doc, root, update):
    lines = open(doc).read().split("\n")
    out, problems, count, i = [], [], 0, 0
    while i < len(lines):
        out.append(lines[i])
        m = HEAD.match(lines[i])
        if not m:
            i += 1
            continue
        count += 1
        if i + 1 >= len(lines) or lines[i + 1] != "```c":
            problems.append("%s:%d: an excerpt line must be followed by a ```c block" % (doc, i + 1))
            i += 1
            continue
        end = i + 2
        while end < len(lines) and lines[end] != "```":
            end += 1
        have = lines[i + 2:end]
        want, err = region(root, m.group(1), m.group(2))
        if err:
            problems.append("%s:%d: %s" % (doc, i + 1, err))
            want = have
        elif have != want and not update:
            diff = difflib.unified_diff(have, want, "%s (guide)" % doc, "%s [docs:%s]" % m.groups(), lineterm="")
            problems.append("%s:%d: excerpt differs from its source:\n%s" % (doc, i + 1, "\n".join(diff)))
        out += ["```c"] + want + ["```"]
        i = end + 1
    if update:
        open(doc, "w").write("\n".join(out))
    return count, problems


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("--check", "--update"):
        raise SystemExit(__doc__)
    update, docs, root = sys.argv[1] == "--update", sys.argv[2], sys.argv[3]
    total, problems = 0, []
    for doc in sorted(glob.glob(os.path.join(docs, "*.md"))):
        n, p = process(doc, root, update)
        total += n
        problems += p
    for p in problems:
        print(p)
    if problems:
        print("%d problem(s); after changing an example, run: python3 docs/excerpts.py --update docs ." % len(problems))
        return 1
    print("ok: %d excerpts %s their sources" % (total, "copied from" if update else "match"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
