// ctnetlink (NFNL_SUBSYS_CTNETLINK): conntrack entries as plain structs <->
// messages. Dumps (optionally filtered by the kernel), deletes by exact
// tuple, and the decoder for what a dump returns. No N-API here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../nl/exchange.h"

namespace codec {

// One direction of a connection, as the kernel keys it.
struct CtTuple {
  std::vector<uint8_t> src;  // 4 or 16 bytes
  std::vector<uint8_t> dst;
  uint8_t proto = 0;         // IPPROTO_*
  bool has_ports = false;    // CTA_PROTO_{SRC,DST}_PORT present (tcp, udp, sctp, ...)
  uint16_t src_port = 0;     // host byte order
  uint16_t dst_port = 0;
  bool has_icmp = false;     // CTA_PROTO_ICMP{,V6}_{ID,TYPE,CODE} present
  uint16_t icmp_id = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
};

struct CtCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct CtEntry {
  uint8_t family = 0;  // AF_INET / AF_INET6 (nfgenmsg)
  CtTuple orig;
  CtTuple reply;
  uint32_t status = 0;   // IPS_* bits
  uint32_t timeout = 0;  // seconds left
  uint32_t mark = 0;
  uint32_t id = 0;
  uint32_t use = 0;
  uint16_t zone = 0;
  int tcp_state = -1;   // TCP_CONNTRACK_*, -1 when absent
  int sctp_state = -1;  // SCTP_CONNTRACK_*, -1 when absent
  bool has_counters = false;  // only with net.netfilter.nf_conntrack_acct=1
  CtCounters counters_orig;
  CtCounters counters_reply;
};

// A partial tuple for kernel-side dump filtering (CTA_FILTER, Linux >= 5.8;
// older kernels ignore it, so callers must still match what comes back).
// Beware: the kernel's IPv6 address match is inverted (Linux 6.18 still), so
// callers should only give addresses for AF_INET.
struct CtTupleMatch {
  std::vector<uint8_t> src;  // empty = any
  std::vector<uint8_t> dst;
  int proto = -1;            // -1 = any
  int src_port = -1;         // only used with proto
  int dst_port = -1;
  bool empty() const { return src.empty() && dst.empty() && proto < 0; }
};

struct CtDumpFilter {
  uint8_t family = 0;  // AF_UNSPEC = all
  bool has_mark = false;
  uint32_t mark = 0;
  uint32_t mark_mask = 0xffffffff;
  bool has_zone = false;
  uint16_t zone = 0;
  CtTupleMatch orig;   // tuple matches need family AF_INET or AF_INET6
  CtTupleMatch reply;
};

// conntrack -L [-f ipv4|ipv6] [--mark M/MASK] [--zone Z] [-p P --orig-src A ...]
nl::Request ct_dump(const CtDumpFilter& filter);
// conntrack -D -s SRC -d DST -p P --sport S --dport D [--zone Z]; with an id,
// the kernel refuses (ENOENT) if the tuple now belongs to a newer entry.
nl::Request ct_delete(uint8_t family, const CtTuple& orig, uint16_t zone,
                      std::optional<uint32_t> id);

// Decodes one IPCTNL_MSG_CT_NEW message of a dump. Unknown attributes are skipped.
bool ct_decode(const uint8_t* msg, size_t len, CtEntry& out, std::string* why);

}  // namespace codec
