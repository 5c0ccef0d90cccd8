# 5G-LENA's `nr` library as the imported target ns3::nr, built once and kept in a cache outside
# the repository (compiling it takes 10-30 minutes on 2 cores):
#   ${LAYERSPLIT_CACHE:-${XDG_CACHE_HOME:-~/.cache}/layersplit}/nr/<key>/{lib,include}
# key = hash of the source (tarball hash, folder contents or git commit), compiler, ns-3 version,
# flags and this recipe. A missing entry is built by cmake/nr-lib in a work folder beside it and
# renamed into place when complete, under a file lock, so concurrent or interrupted builds never
# leave a half entry. Needs NS3_PREFIX and ns3_VERSION (cmake/Ns3Wheel.cmake). Sets NR_DIR and
# NR_LIBRARY (the .so, which the package installs beside its programs).
set(LAYERSPLIT_NR_SOURCE "" CACHE STRING "5G-LENA nr sources: a tarball or folder (empty: upstream git)")
set(LAYERSPLIT_NR_GIT_REPOSITORY "https://gitlab.com/cttc-lena/nr.git" CACHE STRING "5G-LENA git repository")
set(LAYERSPLIT_NR_GIT_COMMIT "a8aa3bfdac4cb5800d4cd13c79b96fa4ad8efb82" CACHE STRING "5G-LENA commit (NR-v4.0, for ns-3.44)")
set(LAYERSPLIT_NR_JOBS 2 CACHE STRING "parallel jobs for the one-time nr build")
set(_nr_recipe 2)  # bump when cmake/nr-lib changes what it builds (2: libns3.44-nr.so)
set(_nr_flags "-O2")  # -O3 costs build time and gains nothing measurable in a simulator this size

find_package(Eigen3 3.3 QUIET CONFIG)  # Debian libeigen3-dev: enables nr's MIMO (rank > 1) code
set(_nr_eigen OFF)
if(Eigen3_FOUND)
  set(_nr_eigen ON)
endif()

# ---- what the library is built from ----
if(LAYERSPLIT_NR_SOURCE)
  get_filename_component(_nr_src "${LAYERSPLIT_NR_SOURCE}" ABSOLUTE BASE_DIR "${CMAKE_SOURCE_DIR}")
  if(IS_DIRECTORY "${_nr_src}")
    file(GLOB_RECURSE _nr_files RELATIVE "${_nr_src}" "${_nr_src}/CMakeLists.txt" "${_nr_src}/model/*"
         "${_nr_src}/helper/*" "${_nr_src}/utils/*")
    list(SORT _nr_files)
    set(_nr_id "")
    foreach(_f IN LISTS _nr_files)
      file(SHA256 "${_nr_src}/${_f}" _h)
      string(APPEND _nr_id "${_f}:${_h};")
    endforeach()
    set(_nr_src_sha "")
  elseif(EXISTS "${_nr_src}")
    file(SHA256 "${_nr_src}" _nr_src_sha)
    set(_nr_id "${_nr_src_sha}")
  else()
    message(FATAL_ERROR "LAYERSPLIT_NR_SOURCE='${LAYERSPLIT_NR_SOURCE}' does not exist")
  endif()
else()
  set(_nr_src "")
  set(_nr_src_sha "")
  set(_nr_id "${LAYERSPLIT_NR_GIT_COMMIT}")
endif()

string(SHA256 _nr_key "${_nr_id}|${CMAKE_CXX_COMPILER_ID}-${CMAKE_CXX_COMPILER_VERSION}|ns3-${ns3_VERSION}|${_nr_flags} ${CMAKE_CXX_FLAGS}|eigen=${_nr_eigen}|recipe=${_nr_recipe}")
string(SUBSTRING "${_nr_key}" 0 16 _nr_key)
if(DEFINED ENV{LAYERSPLIT_CACHE})
  set(_nr_root "$ENV{LAYERSPLIT_CACHE}/nr")
elseif(DEFINED ENV{XDG_CACHE_HOME})
  set(_nr_root "$ENV{XDG_CACHE_HOME}/layersplit/nr")
else()
  set(_nr_root "$ENV{HOME}/.cache/layersplit/nr")
endif()
set(NR_DIR "${_nr_root}/${_nr_key}")
set(NR_LIBRARY "${NR_DIR}/lib/libns${ns3_VERSION}-nr.so")  # ns-3's naming: libns3.44-core.so

function(_nr_build)
  set(_work "${_nr_root}/work-${_nr_key}")  # kept until success: a rerun resumes the build
  set(_log "${_work}/build.log")
  file(MAKE_DIRECTORY "${_work}")
  message(STATUS "nr: building 5G-LENA once into ${NR_DIR} (10-30 min on 2 cores; log: ${_log})")
  string(TIMESTAMP _t0 "%s")
  foreach(_step IN ITEMS configure build install)
    if(_step STREQUAL "configure")
      set(_cmd "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/nr-lib" -B "${_work}/build"
          -G "${CMAKE_GENERATOR}" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=${_nr_flags}"
          "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}" "-DCMAKE_CXX_FLAGS=${CMAKE_CXX_FLAGS}"
          "-DNS3_PREFIX=${NS3_PREFIX}" "-DNR_SOURCE=${_nr_src}" "-DNR_SOURCE_SHA256=${_nr_src_sha}"
          "-DNR_GIT_REPOSITORY=${LAYERSPLIT_NR_GIT_REPOSITORY}" "-DNR_GIT_COMMIT=${LAYERSPLIT_NR_GIT_COMMIT}"
          "-DNR_WITH_EIGEN=${_nr_eigen}" "-DFETCHCONTENT_BASE_DIR=${_work}/deps")
    elseif(_step STREQUAL "build")
      set(_cmd "${CMAKE_COMMAND}" --build "${_work}/build" --parallel ${LAYERSPLIT_NR_JOBS})
    else()
      file(REMOVE_RECURSE "${_work}/stage")
      set(_cmd "${CMAKE_COMMAND}" --install "${_work}/build" --prefix "${_work}/stage")
    endif()
    execute_process(COMMAND ${_cmd} OUTPUT_FILE "${_log}.${_step}" ERROR_FILE "${_log}.${_step}" RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "nr: ${_step} failed (${_rc}); see ${_log}.${_step}")
    endif()
  endforeach()
  string(TIMESTAMP _t1 "%s")
  math(EXPR _s "${_t1} - ${_t0}")
  file(WRITE "${_work}/stage/BUILD-INFO" "key=${_nr_key}\nsource=${_nr_id}\nseconds=${_s}\n")
  file(RENAME "${_work}/stage" "${NR_DIR}")
  file(REMOVE_RECURSE "${_work}")
  message(STATUS "nr: built in ${_s} s")
endfunction()

if(NOT EXISTS "${NR_LIBRARY}")
  file(MAKE_DIRECTORY "${_nr_root}")
  file(LOCK "${_nr_root}/${_nr_key}.lock" GUARD PROCESS TIMEOUT 7200)
  if(NOT EXISTS "${NR_LIBRARY}")  # another build may have finished while this one waited
    _nr_build()
  endif()
  file(LOCK "${_nr_root}/${_nr_key}.lock" RELEASE)
endif()
message(STATUS "nr: ${NR_DIR}")

add_library(ns3::nr SHARED IMPORTED)
set_target_properties(ns3::nr PROPERTIES IMPORTED_LOCATION "${NR_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${NR_DIR}/include"
  INTERFACE_LINK_LIBRARIES "ns3::internet-apps;ns3::flow-monitor;ns3::spectrum;ns3::buildings;ns3::virtual-net-device;ns3::point-to-point;ns3::applications;ns3::csma;ns3::config-store")
