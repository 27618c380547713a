# redeye_add_bpf_skeleton(<target> <file.bpf.c>)
# Compiles a CO-RE BPF object with clang and generates <name>.skel.h with bpftool. Produces an
# INTERFACE library <target> whose include directory holds the skeleton. Needs no
# /sys/kernel/btf/vmlinux: kernel types come from bpf/include/kernel_types.h.
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

function(redeye_add_bpf_skeleton target source)
  get_filename_component(name ${source} NAME_WE)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${source})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/skel)
  set(obj ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  file(GLOB bpf_headers CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*.h ${CMAKE_CURRENT_SOURCE_DIR}/include/*.h
       ${PROJECT_SOURCE_DIR}/include/redeye/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -Wall -Werror
            -I${CMAKE_CURRENT_SOURCE_DIR}/include -I${CMAKE_CURRENT_SOURCE_DIR}
            -I${PROJECT_SOURCE_DIR}/include -c ${src} -o ${obj}
    DEPENDS ${src} ${bpf_headers}
    COMMENT "BPF ${source}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${skel})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${out_dir})
endfunction()
