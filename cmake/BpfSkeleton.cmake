# redeye_add_bpf_skeleton(<target> <skeleton name> <file.bpf.c>...)
# Compiles each CO-RE BPF source with clang, links them into one object with `bpftool gen
# object` (maps and settings shared through __weak definitions in bpf/maps.h), and generates
# <skeleton name>.skel.h. Produces an INTERFACE library <target> whose include directory holds
# the skeleton. Needs no /sys/kernel/btf/vmlinux: kernel types come from
# bpf/include/kernel_types.h.
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

# The target architecture, for the syscall register layout (bpf/syscall_regs.h).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(redeye_add_bpf_skeleton target name)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/skel)
  file(GLOB_RECURSE bpf_headers CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*.h ${PROJECT_SOURCE_DIR}/include/redeye/*.h)
  set(objects)
  foreach(source ${ARGN})
    get_filename_component(stem ${source} NAME_WE)
    set(obj ${out_dir}/${stem}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND ${BPF_CLANG} -g -O2 -target bpf -Wall -Werror -D__TARGET_ARCH_${BPF_TARGET_ARCH}
              -I${CMAKE_CURRENT_SOURCE_DIR}/include -I${CMAKE_CURRENT_SOURCE_DIR}
              -I${PROJECT_SOURCE_DIR}/include -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${obj}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${source} ${bpf_headers}
      COMMENT "BPF ${source}"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  set(linked ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${linked}
    COMMAND ${BPFTOOL} gen object ${linked} ${objects}
    DEPENDS ${objects}
    COMMENT "BPF link ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${linked} name ${name} > ${skel}
    DEPENDS ${linked}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${skel})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${out_dir})
endfunction()
