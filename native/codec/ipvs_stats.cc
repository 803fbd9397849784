#include "ipvs_stats.h"

#include <linux/ip_vs.h>

#include <array>

namespace codec {

namespace {

const std::array<nl::Policy, IPVS_STATS_ATTR_MAX + 1> kStatsPolicy = [] {
  std::array<nl::Policy, IPVS_STATS_ATTR_MAX + 1> p{};
  for (uint16_t t = IPVS_STATS_ATTR_CONNS; t <= IPVS_STATS_ATTR_OUTBPS; ++t)
    p[t] = {nl::AttrKind::Binary, 4, 8};
  return p;
}();

uint64_t counter(const nl::AttrTable& tb, uint16_t type) {
  const nl::Attr* a = tb.get(type);
  if (a == nullptr) return 0;
  return a->len() >= 8 ? a->u64() : a->u32();
}

}  // namespace

bool ipvs_stats_decode(const nl::Attr& nest, bool wide, IpvsStats& out, std::string* why) {
  nl::AttrTable tb;
  if (!tb.parse(nest, kStatsPolicy.data(), IPVS_STATS_ATTR_MAX, why)) return false;
  for (uint16_t t = IPVS_STATS_ATTR_CONNS; t <= IPVS_STATS_ATTR_OUTBPS; ++t) {
    const nl::Attr* a = tb.get(t);
    if (a != nullptr && a->len() != 4 && a->len() != 8) {
      if (why) *why = "stats counter " + std::to_string(t) + " is neither 4 nor 8 bytes";
      return false;
    }
  }
  out.conns = counter(tb, IPVS_STATS_ATTR_CONNS);
  out.inpkts = counter(tb, IPVS_STATS_ATTR_INPKTS);
  out.outpkts = counter(tb, IPVS_STATS_ATTR_OUTPKTS);
  out.inbytes = counter(tb, IPVS_STATS_ATTR_INBYTES);
  out.outbytes = counter(tb, IPVS_STATS_ATTR_OUTBYTES);
  out.cps = counter(tb, IPVS_STATS_ATTR_CPS);
  out.inpps = counter(tb, IPVS_STATS_ATTR_INPPS);
  out.outpps = counter(tb, IPVS_STATS_ATTR_OUTPPS);
  out.inbps = counter(tb, IPVS_STATS_ATTR_INBPS);
  out.outbps = counter(tb, IPVS_STATS_ATTR_OUTBPS);
  out.wide = wide;
  return true;
}

bool ipvs_stats_pick(const nl::Attr* stats, const nl::Attr* stats64, IpvsStats& out,
                     std::string* why) {
  out = IpvsStats{};
  if (stats64 != nullptr) return ipvs_stats_decode(*stats64, true, out, why);
  if (stats != nullptr) return ipvs_stats_decode(*stats, false, out, why);
  return true;
}

}  // namespace codec
