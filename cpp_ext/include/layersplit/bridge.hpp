// layersplit bridge: include this from an ns-3 program (SimEndpoint) or a launcher (PyEndpoint).
// Header-only; needs only POSIX shared memory and Linux futexes.
#pragma once

#include "layersplit/records.hpp"
#include "layersplit/py_endpoint.hpp"
#include "layersplit/segment.hpp"
#include "layersplit/sim_endpoint.hpp"
