// IPVS results as the binding's wire-shaped JS objects (addresses as text,
// 64-bit counters as BigInt).
#pragma once

#include <napi.h>

#include "ipvs_ops.h"

namespace napi {

Napi::Object ipvs_result_object(Napi::Env env, IpvsOp::Kind kind, const IpvsResult& r);

}  // namespace napi
