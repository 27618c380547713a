# How a protocol folder builds, and how every libFuzzer target builds.
#
# redeye_add_protocol(<name>
#   SOURCES <file>...      the folder's sources: parser, metrics, handler and descriptor
#   [DEPENDS <target>...]  libraries beyond the shared layers (config, discovery, metrics,
#                          protocols/common), which every protocol links
#   [UNIT_TESTS <file>...] in tests/unit/protocols/<name>/: one GoogleTest binary,
#                          <name>_unit_tests, registered with ctest
#   [BENCHES <file>...]    in tests/unit/protocols/<name>/: one executable per file (named
#                          after it), built but not run by ctest
#   [FUZZ <file>...]       in tests/fuzz/: one libFuzzer target per file (clang only), each
#                          with a 20 s ctest smoke run from ...
#   [CORPUS <dir>...])     ... its seed corpus, tests/fuzz/corpus/<dir> (same order as FUZZ)
#
# Builds the static library redeye_<name> and adds it to the global property
# REDEYE_PROTOCOL_TARGETS, which redeye_core links: a new folder needs no other CMake line.
# Tests and fuzz targets are only built with REDEYE_BUILD_TESTS (GTest found at the top).
include_guard(GLOBAL)

# redeye_fuzz_target(<name> SOURCE <file.cpp> CORPUS <dir> [LIBRARIES <lib>...]
#                    [EXTRA_SOURCES <file>...])
# Builds <name> with the libraries' sources compiled again into it, so that they carry
# coverage and sanitizer instrumentation (the libraries themselves are built without it), and
# links what those libraries link. Registers the ctest <name>_smoke: 20 s of fuzzing from a
# scratch copy of the seed corpus, failing on any crash, sanitizer report, timeout or leak.
function(redeye_fuzz_target name)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    return()  # -fsanitize=fuzzer is a clang feature; the top level says so once
  endif()
  cmake_parse_arguments(FUZZ "" "SOURCE;CORPUS" "LIBRARIES;EXTRA_SOURCES" ${ARGN})
  set(flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
            -fno-omit-frame-pointer)
  add_executable(${name} ${FUZZ_SOURCE} ${FUZZ_EXTRA_SOURCES})
  foreach(lib ${FUZZ_LIBRARIES})
    get_target_property(lib_sources ${lib} SOURCES)
    get_target_property(lib_dir ${lib} SOURCE_DIR)
    foreach(src ${lib_sources})
      if(NOT IS_ABSOLUTE ${src})
        set(src ${lib_dir}/${src})
      endif()
      target_sources(${name} PRIVATE ${src})
    endforeach()
    target_include_directories(${name}
      PRIVATE $<TARGET_PROPERTY:${lib},INTERFACE_INCLUDE_DIRECTORIES>)
    get_target_property(lib_links ${lib} LINK_LIBRARIES)
    if(lib_links)
      target_link_libraries(${name} PRIVATE ${lib_links})
    endif()
  endforeach()
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_compile_options(${name} PRIVATE ${flags})
  target_link_options(${name} PRIVATE ${flags})
  add_test(NAME ${name}_smoke
    COMMAND ${CMAKE_COMMAND}
      -DFUZZER=$<TARGET_FILE:${name}>
      -DSEED_DIR=${FUZZ_CORPUS}
      -DWORK_DIR=${CMAKE_BINARY_DIR}/fuzz/${name}_smoke
      -DSECONDS=20
      -P ${PROJECT_SOURCE_DIR}/tests/fuzz/run_fuzz_smoke.cmake)
  set_tests_properties(${name}_smoke PROPERTIES TIMEOUT 120 LABELS fuzz)
endfunction()

function(redeye_add_protocol name)
  cmake_parse_arguments(P "" "" "SOURCES;DEPENDS;UNIT_TESTS;BENCHES;FUZZ;CORPUS" ${ARGN})
  set(lib redeye_${name})
  # Absolute paths: the fuzz targets compile the same files again, instrumented.
  list(TRANSFORM P_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  add_library(${lib} STATIC ${P_SOURCES})
  # Sources include "protocols/<name>/..." and the shared layers' "metrics/...": the include
  # root is <repo>/userspace; the kernel ABI headers are <repo>/include.
  target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR}/userspace
                                           ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${lib} PUBLIC redeye_protocol_common redeye_metrics ${P_DEPENDS})
  target_compile_features(${lib} PUBLIC cxx_std_20)
  set_property(GLOBAL APPEND PROPERTY REDEYE_PROTOCOL_TARGETS ${lib})

  if(NOT REDEYE_BUILD_TESTS)
    return()
  endif()
  set(test_dir ${PROJECT_SOURCE_DIR}/tests/unit/protocols/${name})
  if(P_UNIT_TESTS)
    list(TRANSFORM P_UNIT_TESTS PREPEND ${test_dir}/)
    add_executable(${name}_unit_tests ${P_UNIT_TESTS})
    target_include_directories(${name}_unit_tests PRIVATE ${test_dir}
                                                          ${PROJECT_SOURCE_DIR}/tests/unit)
    target_compile_definitions(${name}_unit_tests PRIVATE
      REDEYE_PROC_FIXTURES="${PROJECT_SOURCE_DIR}/tests/fixtures/proc")
    target_link_libraries(${name}_unit_tests PRIVATE ${lib} GTest::gtest_main)
    gtest_discover_tests(${name}_unit_tests)
  endif()
  foreach(bench ${P_BENCHES})
    cmake_path(GET bench STEM bench_name)
    add_executable(${bench_name} ${test_dir}/${bench})
    target_include_directories(${bench_name} PRIVATE ${test_dir} ${PROJECT_SOURCE_DIR}/tests/unit)
    target_link_libraries(${bench_name} PRIVATE ${lib})
  endforeach()
  list(LENGTH P_FUZZ fuzz_count)
  list(LENGTH P_CORPUS corpus_count)
  if(NOT fuzz_count EQUAL corpus_count)
    message(FATAL_ERROR "redeye_add_protocol(${name}): FUZZ has ${fuzz_count} files, CORPUS "
                        "${corpus_count} directories; give each fuzz target its corpus")
  endif()
  foreach(fuzz corpus IN ZIP_LISTS P_FUZZ P_CORPUS)
    cmake_path(GET fuzz STEM fuzz_name)
    redeye_fuzz_target(${fuzz_name}
      SOURCE ${PROJECT_SOURCE_DIR}/tests/fuzz/${fuzz}
      LIBRARIES ${lib} redeye_protocol_common
      CORPUS ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${corpus})
    if(TARGET ${fuzz_name})
      target_include_directories(${fuzz_name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz)
    endif()
  endforeach()
endfunction()
