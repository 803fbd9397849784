// IPVS results for JS. Services and real servers, which a list returns by
// the hundred thousand, go out as rows of numbers in typed arrays plus one
// NUL-joined string of their texts (addresses, scheduler names), so JS builds
// each public object once with no parsing in between. Everything else (errors,
// daemons, timeouts, info) and the row ranges of each op's result go out as
// one small JSON text. Layout: src/ipvs/table.ts, which must stay in step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../codec/ipvs_dest.h"
#include "../codec/ipvs_service.h"

namespace napi {

struct IpvsOp;
struct IpvsResult;

// Service row: af, protocol, port, fwmark, flags, timeout, netmask, address
// (text index, kNoText for a fwmark service), scheduler, pe (text indices),
// first dest row, dest count (listAll only), stats row.
constexpr size_t kServiceStride = 13;
// Dest row: af, address (text index), port, fwd method, weight, upper and
// lower threshold, tunnel type, port and flags, active, inactive and
// persistent connections, stats row.
constexpr size_t kDestStride = 14;
// Stats row: the ten counters and rates of IpvsStats, then 1 if from STATS64.
constexpr size_t kStatsStride = 11;
constexpr uint32_t kNoText = 0xffffffff;

struct IpvsOutput {
  // Per op: null for a success without data, else an object with "error",
  // "services": [first row, count], "dests": [first row, count], "daemons",
  // "timeouts" or "info".
  std::string json;
  std::vector<uint32_t> services;
  std::vector<uint32_t> dests;
  std::vector<uint64_t> stats;
  std::string texts;  // NUL-separated; index i is the i-th piece
};

IpvsOutput ipvs_render(const std::vector<IpvsOp>& ops, const std::vector<IpvsResult>& results);

// Rows for services[from, to) with their destinations (a listAll chunk
// handed to JS while the rest is still being dumped); json stays empty.
IpvsOutput ipvs_render_services(const std::vector<codec::IpvsService>& services,
                                const std::vector<std::vector<codec::IpvsDest>>& dests, size_t from, size_t to);

}  // namespace napi
