// IPVS statistics: the IPVS_*_ATTR_STATS / _STATS64 nests of services and
// destinations, decoded into one struct of 64-bit counters.
#pragma once

#include <cstdint>
#include <string>

#include "../nl/attr.h"

namespace codec {

struct IpvsStats {
  uint64_t conns = 0;     // connections scheduled
  uint64_t inpkts = 0;    // packets in
  uint64_t outpkts = 0;   // packets out
  uint64_t inbytes = 0;   // bytes in
  uint64_t outbytes = 0;  // bytes out
  uint64_t cps = 0;       // rates, per second (estimator, folded every 2 s)
  uint64_t inpps = 0;
  uint64_t outpps = 0;
  uint64_t inbps = 0;
  uint64_t outbps = 0;
  bool wide = false;      // from the 64-bit nest (STATS64)
};

// Decodes one stats nest. Counters may be 4 or 8 bytes wide: the 32-bit nest
// carries u32 counters and u64 byte counts, STATS64 carries u64 throughout.
bool ipvs_stats_decode(const nl::Attr& nest, bool wide, IpvsStats& out, std::string* why);

// Picks STATS64 when present, else the 32-bit STATS nest; neither is fine
// (the stats stay zero).
bool ipvs_stats_pick(const nl::Attr* stats, const nl::Attr* stats64, IpvsStats& out,
                     std::string* why);

}  // namespace codec
