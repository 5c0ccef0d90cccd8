# find_package(layersplit): the co-simulation libraries (CosimHelper for LTE, NrCosimHelper for
# NR, and their common half) of an installed layersplit, with the ns-3 targets of the ns3 wheel it was built against.
# Installed at <site-packages>/cosim/lib/cmake/layersplit/; `layersplit config --cmake-dir` prints it.
get_filename_component(_layersplit_root "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)  # .../cosim
get_filename_component(NS3_PREFIX "${_layersplit_root}/../ns3" ABSOLUTE)
if(CMAKE_CXX_STANDARD LESS 20 OR NOT CMAKE_CXX_STANDARD)
  set(CMAKE_CXX_STANDARD 20)  # ns-3.44's headers need it
  set(CMAKE_CXX_STANDARD_REQUIRED ON)
endif()
include("${CMAKE_CURRENT_LIST_DIR}/Ns3Wheel.cmake")

if(NOT TARGET layersplit::lte)
  add_library(layersplit::lte SHARED IMPORTED)
  set_target_properties(layersplit::lte PROPERTIES
    IMPORTED_LOCATION "${_layersplit_root}/lib/liblayersplit_lte.so"
    INTERFACE_INCLUDE_DIRECTORIES "${_layersplit_root}/include;${_layersplit_root}/include/layersplit"
    INTERFACE_LINK_LIBRARIES "ns3::lte;ns3::internet;ns3::applications;ns3::point-to-point;ns3::mobility;ns3::buildings"
    INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()
# The NR library (5G-LENA's nr and NrCosimHelper), when the package was built with it.
if(EXISTS "${_layersplit_root}/lib/liblayersplit_nr.so" AND NOT TARGET layersplit::nr)
  file(GLOB _layersplit_nr_lib "${_layersplit_root}/lib/libns3*-nr.so")
  add_library(ns3::nr SHARED IMPORTED)
  set_target_properties(ns3::nr PROPERTIES IMPORTED_LOCATION "${_layersplit_nr_lib}"
    INTERFACE_INCLUDE_DIRECTORIES "${_layersplit_root}/include"
    INTERFACE_LINK_LIBRARIES "ns3::internet-apps;ns3::flow-monitor;ns3::spectrum;ns3::buildings;ns3::virtual-net-device;ns3::point-to-point;ns3::applications;ns3::csma;ns3::config-store")
  add_library(layersplit::nr SHARED IMPORTED)
  set_target_properties(layersplit::nr PROPERTIES
    IMPORTED_LOCATION "${_layersplit_root}/lib/liblayersplit_nr.so"
    INTERFACE_INCLUDE_DIRECTORIES "${_layersplit_root}/include;${_layersplit_root}/include/layersplit"
    INTERFACE_LINK_LIBRARIES "ns3::nr;ns3::internet;ns3::mobility"
    INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()
set(layersplit_FOUND TRUE)
