# Finds the ns-3 that the PyPI wheel `ns3` installed next to the building Python, and repairs
# its exported targets: they still name include and library paths of the machine that built the
# wheel (/usr/include/glib-2.0, /usr/lib64/libgsl.so, ...), which do not exist here. The wheel's
# libraries find their bundled dependencies through their own $ORIGIN RPATH.
# NS3_PREFIX may be given (layersplitConfig.cmake does, from its own location); else ask Python.
if(NOT NS3_PREFIX)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c "import importlib.util as u; s = u.find_spec('ns3'); print(s.submodule_search_locations[0] if s else '')"
    OUTPUT_VARIABLE NS3_PREFIX OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
if(NOT NS3_PREFIX OR NOT EXISTS "${NS3_PREFIX}/lib64/cmake/ns3")
  message(FATAL_ERROR "ns-3 not found (NS3_PREFIX='${NS3_PREFIX}'): install it first with\n"
                      "  python -m pip install --no-deps ns3==3.44.post0")
endif()
find_package(ns3 3.44 EXACT REQUIRED CONFIG HINTS "${NS3_PREFIX}/lib64/cmake/ns3" NO_DEFAULT_PATH)

foreach(_lib IN ITEMS antenna applications bridge buildings config-store core energy internet lte mobility
                      network point-to-point propagation spectrum stats traffic-control virtual-net-device
                      fd-net-device flow-monitor internet-apps csma wifi mesh)
  if(TARGET ns3::${_lib})
    set_target_properties(ns3::${_lib} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${NS3_PREFIX}/include")
    get_target_property(_links ns3::${_lib} INTERFACE_LINK_LIBRARIES)
    if(_links)
      list(FILTER _links EXCLUDE REGEX "^/usr/")
      list(FILTER _links EXCLUDE REGEX "^/lib")
      list(FILTER _links EXCLUDE REGEX "^[^:]*\\.so$")
      set_target_properties(ns3::${_lib} PROPERTIES INTERFACE_LINK_LIBRARIES "${_links}")
    endif()
  endif()
endforeach()
set(NS3_LIB_DIR "${NS3_PREFIX}/lib64")
