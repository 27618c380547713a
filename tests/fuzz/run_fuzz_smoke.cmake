# Runs a libFuzzer binary for SECONDS on a scratch copy of SEED_DIR (so the seed corpus in the
# source tree is never modified). Usage:
#   cmake -DFUZZER=<binary> -DSEED_DIR=<dir> -DWORK_DIR=<dir> -DSECONDS=<n> -P run_fuzz_smoke.cmake
foreach(var FUZZER SEED_DIR WORK_DIR SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzz_smoke.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")
file(GLOB seeds "${SEED_DIR}/*")
file(COPY ${seeds} DESTINATION "${WORK_DIR}/corpus")

execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -max_len=8192
          -artifact_prefix=${WORK_DIR}/artifacts/ "${WORK_DIR}/corpus"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB artifacts "${WORK_DIR}/artifacts/*")
  message(FATAL_ERROR "fuzzer failed (exit ${result}); artifacts: ${artifacts}")
endif()
