# How bufpool's libraries are built and installed.
#
# bp_add_library(<component> SOURCES <files...>
#                [LINK <libs...>] [HEADERS <public headers...>]
#                [FIND_DEPENDENCIES <cmake packages...>] [PC_REQUIRES <pkg-config names...>]
#                [PC_REQUIRES_PRIVATE <pkg-config names...>] [PC_LIBS_PRIVATE <flags...>]
#                DESCRIPTION <text>)
# PC_REQUIRES: what a user's compile needs too (the backend's header includes its SDK's);
# PC_REQUIRES_PRIVATE / PC_LIBS_PRIVATE: what only linking the static library needs.
#
# The core is component "bufpool" (target bufpool); a backend "vulkan" is target bufpool_vulkan.
# It compiles the sources once (position-independent, hidden visibility) and links them twice:
#   <target>         static library  lib<target>.a. Tests, examples and the tool link this
#                    one: it keeps the internal bpi_ symbols that tests call.
#   <target>_shared  shared library  lib<target>.so.<SOVERSION>, exporting only bp_* names
#                    (cmake/bufpool.map).
# A backend library links the core: its static library the
# static core, its shared library the shared core.
#
# Installed, it becomes the CMake targets bufpool::<short>_static, bufpool::<short>_shared and
# bufpool::<short> (shared, or static when BUFPOOL_STATIC is set), and the pkg-config file
# bufpool.pc (core) or bufpool-<short>.pc (backend). A backend is a find_package component:
#   find_package(bufpool CONFIG REQUIRED COMPONENTS vulkan)  ->  bufpool::vulkan
include(GNUInstallDirs)

# 0.x releases may break the ABI in every minor version, so the SONAME carries the minor too.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(BP_SOVERSION "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
  set(BP_VERSION_COMPATIBILITY SameMinorVersion)
else()
  set(BP_SOVERSION "${PROJECT_VERSION_MAJOR}")
  set(BP_VERSION_COMPATIBILITY SameMajorVersion)
endif()

set(BP_VERSION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/bufpool.map)
set(BP_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bufpool)
set(BP_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

function(bp_add_library short)
  cmake_parse_arguments(A "" "DESCRIPTION"
    "SOURCES;LINK;HEADERS;FIND_DEPENDENCIES;PC_REQUIRES;PC_REQUIRES_PRIVATE;PC_LIBS_PRIVATE" ${ARGN})
  if(short STREQUAL "bufpool")
    set(target bufpool)
  else()
    set(target bufpool_${short})
  endif()

  add_library(${target}_objects OBJECT ${A_SOURCES})
  set_target_properties(${target}_objects PROPERTIES
    POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
  target_compile_definitions(${target}_objects PRIVATE BP_BUILDING_LIBRARY)
  target_compile_options(${target}_objects PRIVATE ${BP_WARN})
  # GCC's straight-line vectoriser packs the hot paths' adjacent counters into SSE registers,
  # two more instructions each time (bp_release: 6 where 4 did); the loop vectoriser stays.
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target}_objects PRIVATE -fno-tree-slp-vectorize)
  endif()
  target_include_directories(${target}_objects
    PUBLIC ${PROJECT_SOURCE_DIR}/include PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target}_objects PUBLIC ${A_LINK})

  add_library(${target} STATIC $<TARGET_OBJECTS:${target}_objects>)
  add_library(${target}_shared SHARED $<TARGET_OBJECTS:${target}_objects>)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${short}_static)
  set_target_properties(${target}_shared PROPERTIES
    EXPORT_NAME ${short}_shared OUTPUT_NAME ${target}
    VERSION ${PROJECT_VERSION} SOVERSION ${BP_SOVERSION}
    LINK_DEPENDS ${BP_VERSION_SCRIPT}
    INSTALL_RPATH_USE_LINK_PATH ON)  # e.g. libcudart outside the system's library path
  target_link_options(${target}_shared PRIVATE
    "LINKER:--version-script=${BP_VERSION_SCRIPT}" "LINKER:--no-undefined")
  foreach(lib ${target} ${target}_shared)
    target_include_directories(${lib} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_link_libraries(${lib} PUBLIC ${A_LINK})
  endforeach()
  if(NOT short STREQUAL "bufpool")
    target_link_libraries(${target} PUBLIC bufpool)
    target_link_libraries(${target}_shared PUBLIC bufpool_shared)
  endif()

  install(TARGETS ${target} ${target}_shared EXPORT ${target}_targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT ${target}_targets NAMESPACE bufpool:: DESTINATION ${BP_PACKAGE_DIR}
    FILE ${target}-targets.cmake)
  install(FILES ${A_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  set_property(GLOBAL PROPERTY BP_HEADERS_${short} ${A_HEADERS})

  if(NOT short STREQUAL "bufpool")
    # The package config loads <target>-component.cmake for each component asked for; a
    # missing dependency makes the component not found (not the whole package).
    set(deps "")
    foreach(d ${A_FIND_DEPENDENCIES})
      string(APPEND deps "find_package(${d} QUIET)\nif(NOT ${d}_FOUND)\n  return()\nendif()\n")
    endforeach()
    file(WRITE ${PROJECT_BINARY_DIR}/package/${target}-component.cmake
      "# bufpool component '${short}' (generated).\n${deps}"
      "include(\"\${CMAKE_CURRENT_LIST_DIR}/${target}-targets.cmake\")\n")
    install(FILES ${PROJECT_BINARY_DIR}/package/${target}-component.cmake DESTINATION ${BP_PACKAGE_DIR})
  endif()
  set_property(GLOBAL APPEND PROPERTY BP_COMPONENTS ${short})

  if(short STREQUAL "bufpool")
    set(pc bufpool)
  else()
    set(pc bufpool-${short})
    list(PREPEND A_PC_REQUIRES bufpool)
  endif()
  bp_write_pkgconfig(${pc} ${target} "${A_DESCRIPTION}" "${A_PC_REQUIRES}"
    "${A_PC_REQUIRES_PRIVATE}" "${A_PC_LIBS_PRIVATE}")
endfunction()

# <name>.pc for library <lib>; relocatable (paths relative to the .pc file's directory).
function(bp_write_pkgconfig name lib description requires requires_private libs_private)
  set(BP_PC_NAME ${name})
  set(BP_PC_LIB ${lib})
  set(BP_PC_DESCRIPTION "${description}")
  string(REPLACE ";" " " BP_PC_REQUIRES "${requires}")
  string(REPLACE ";" " " BP_PC_REQUIRES_PRIVATE "${requires_private}")
  string(REPLACE ";" " " BP_PC_LIBS_PRIVATE "${libs_private}")
  # From <prefix>/<pkgconfig dir> back up to <prefix>: one ".." per path component.
  string(REGEX REPLACE "[^/]+" ".." BP_PC_TO_PREFIX "${BP_PKGCONFIG_DIR}")
  foreach(kind LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
      set(BP_PC_${kind} "${CMAKE_INSTALL_${kind}}")
    else()
      set(BP_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
    endif()
  endforeach()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/bufpool.pc.in
    ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc DESTINATION ${BP_PKGCONFIG_DIR})
endfunction()

# The package files: bufpool-config.cmake (with the components built) and its version file.
# Call once, after every bp_add_library.
function(bp_install_package)
  include(CMakePackageConfigHelpers)
  get_property(BP_COMPONENTS GLOBAL PROPERTY BP_COMPONENTS)
  list(REMOVE_ITEM BP_COMPONENTS bufpool)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bufpool-config.cmake.in
    ${PROJECT_BINARY_DIR}/package/bufpool-config.cmake INSTALL_DESTINATION ${BP_PACKAGE_DIR})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/bufpool-config-version.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY ${BP_VERSION_COMPATIBILITY})
  install(FILES ${PROJECT_BINARY_DIR}/package/bufpool-config.cmake
    ${PROJECT_BINARY_DIR}/package/bufpool-config-version.cmake DESTINATION ${BP_PACKAGE_DIR})
endfunction()
