// IPVS results rendered as one JSON text (the shape of src/ipvs/wire.ts
// IpvsResultWire; null for a success without data). Built on the worker
// thread; JS parses it once, which is much cheaper than creating every
// object and property through N-API.
#pragma once

#include <string>
#include <vector>

#include "ipvs_ops.h"

namespace napi {

std::string ipvs_results_json(const std::vector<IpvsOp>& ops, const std::vector<IpvsResult>& results);

}  // namespace napi
