#include "conntrack.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>

#include "../nl/attr.h"
#include "../nl/nfnl.h"

namespace codec {

namespace {

// CTA_FILTER_{ORIG,REPLY}_FLAGS bits: kernel-internal (nf_internals.h), not
// in the uapi headers, but part of the ABI since Linux 5.8.
constexpr uint32_t kFilterIpSrc = 1u << 0;
constexpr uint32_t kFilterIpDst = 1u << 1;
constexpr uint32_t kFilterProtoNum = 1u << 3;
constexpr uint32_t kFilterSrcPort = 1u << 4;
constexpr uint32_t kFilterDstPort = 1u << 5;

bool is_icmp(uint8_t proto) { return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6; }

void put_addrs(nl::Message& m, const std::vector<uint8_t>& src, const std::vector<uint8_t>& dst) {
  size_t ip = m.begin_nest(CTA_TUPLE_IP);
  if (!src.empty()) m.put(src.size() == 16 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, src.data(), src.size());
  if (!dst.empty()) m.put(dst.size() == 16 ? CTA_IP_V6_DST : CTA_IP_V4_DST, dst.data(), dst.size());
  m.end_nest(ip);
}

// An exact tuple, as the kernel needs it to look an entry up.
void put_tuple(nl::Message& m, uint16_t type, const CtTuple& t) {
  size_t nest = m.begin_nest(type);
  put_addrs(m, t.src, t.dst);
  size_t proto = m.begin_nest(CTA_TUPLE_PROTO);
  m.put_u8(CTA_PROTO_NUM, t.proto);
  if (t.has_ports) {
    m.put_be16(CTA_PROTO_SRC_PORT, t.src_port);
    m.put_be16(CTA_PROTO_DST_PORT, t.dst_port);
  }
  if (t.has_icmp) {
    bool v6 = t.proto == IPPROTO_ICMPV6;
    m.put_be16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, t.icmp_id);
    m.put_u8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, t.icmp_type);
    m.put_u8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, t.icmp_code);
  }
  m.end_nest(proto);
  m.end_nest(nest);
}

// A partial tuple for CTA_FILTER; returns the CTA_FILTER_* flags it sets.
uint32_t put_tuple_match(nl::Message& m, uint16_t type, const CtTupleMatch& t) {
  uint32_t flags = 0;
  size_t nest = m.begin_nest(type);
  if (!t.src.empty() || !t.dst.empty()) {
    put_addrs(m, t.src, t.dst);
    if (!t.src.empty()) flags |= kFilterIpSrc;
    if (!t.dst.empty()) flags |= kFilterIpDst;
  }
  if (t.proto >= 0) {
    size_t proto = m.begin_nest(CTA_TUPLE_PROTO);
    m.put_u8(CTA_PROTO_NUM, static_cast<uint8_t>(t.proto));
    flags |= kFilterProtoNum;
    if (!is_icmp(static_cast<uint8_t>(t.proto))) {
      if (t.src_port >= 0) {
        m.put_be16(CTA_PROTO_SRC_PORT, static_cast<uint16_t>(t.src_port));
        flags |= kFilterSrcPort;
      }
      if (t.dst_port >= 0) {
        m.put_be16(CTA_PROTO_DST_PORT, static_cast<uint16_t>(t.dst_port));
        flags |= kFilterDstPort;
      }
    }
    m.end_nest(proto);
  }
  m.end_nest(nest);
  return flags;
}

template <size_t N>
using Policies = std::array<nl::Policy, N>;

const Policies<CTA_MAX + 1> kCtPolicy = [] {
  Policies<CTA_MAX + 1> p{};
  p[CTA_TUPLE_ORIG] = {nl::AttrKind::Nested};
  p[CTA_TUPLE_REPLY] = {nl::AttrKind::Nested};
  p[CTA_STATUS] = {nl::AttrKind::U32};
  p[CTA_PROTOINFO] = {nl::AttrKind::Nested};
  p[CTA_TIMEOUT] = {nl::AttrKind::U32};
  p[CTA_MARK] = {nl::AttrKind::U32};
  p[CTA_COUNTERS_ORIG] = {nl::AttrKind::Nested};
  p[CTA_COUNTERS_REPLY] = {nl::AttrKind::Nested};
  p[CTA_USE] = {nl::AttrKind::U32};
  p[CTA_ID] = {nl::AttrKind::U32};
  p[CTA_ZONE] = {nl::AttrKind::U16};
  return p;
}();

const Policies<CTA_TUPLE_MAX + 1> kTuplePolicy = [] {
  Policies<CTA_TUPLE_MAX + 1> p{};
  p[CTA_TUPLE_IP] = {nl::AttrKind::Nested};
  p[CTA_TUPLE_PROTO] = {nl::AttrKind::Nested};
  p[CTA_TUPLE_ZONE] = {nl::AttrKind::U16};
  return p;
}();

const Policies<CTA_IP_MAX + 1> kIpPolicy = [] {
  Policies<CTA_IP_MAX + 1> p{};
  p[CTA_IP_V4_SRC] = {nl::AttrKind::Binary, 4, 4};
  p[CTA_IP_V4_DST] = {nl::AttrKind::Binary, 4, 4};
  p[CTA_IP_V6_SRC] = {nl::AttrKind::Binary, 16, 16};
  p[CTA_IP_V6_DST] = {nl::AttrKind::Binary, 16, 16};
  return p;
}();

const Policies<CTA_PROTO_MAX + 1> kProtoPolicy = [] {
  Policies<CTA_PROTO_MAX + 1> p{};
  p[CTA_PROTO_NUM] = {nl::AttrKind::U8};
  p[CTA_PROTO_SRC_PORT] = {nl::AttrKind::U16};
  p[CTA_PROTO_DST_PORT] = {nl::AttrKind::U16};
  p[CTA_PROTO_ICMP_ID] = {nl::AttrKind::U16};
  p[CTA_PROTO_ICMP_TYPE] = {nl::AttrKind::U8};
  p[CTA_PROTO_ICMP_CODE] = {nl::AttrKind::U8};
  p[CTA_PROTO_ICMPV6_ID] = {nl::AttrKind::U16};
  p[CTA_PROTO_ICMPV6_TYPE] = {nl::AttrKind::U8};
  p[CTA_PROTO_ICMPV6_CODE] = {nl::AttrKind::U8};
  return p;
}();

const Policies<CTA_PROTOINFO_MAX + 1> kProtoinfoPolicy = [] {
  Policies<CTA_PROTOINFO_MAX + 1> p{};
  p[CTA_PROTOINFO_TCP] = {nl::AttrKind::Nested};
  p[CTA_PROTOINFO_SCTP] = {nl::AttrKind::Nested};
  return p;
}();

// Both CTA_PROTOINFO_TCP_STATE and CTA_PROTOINFO_SCTP_STATE are type 1, a u8.
const Policies<2> kStatePolicy = [] {
  Policies<2> p{};
  p[1] = {nl::AttrKind::U8};
  return p;
}();

const Policies<CTA_COUNTERS_MAX + 1> kCountersPolicy = [] {
  Policies<CTA_COUNTERS_MAX + 1> p{};
  p[CTA_COUNTERS_PACKETS] = {nl::AttrKind::U64};
  p[CTA_COUNTERS_BYTES] = {nl::AttrKind::U64};
  p[CTA_COUNTERS32_PACKETS] = {nl::AttrKind::U32};
  p[CTA_COUNTERS32_BYTES] = {nl::AttrKind::U32};
  return p;
}();

bool decode_tuple(const nl::Attr& nest, CtTuple& t, std::string* why) {
  nl::AttrTable tb;
  if (!tb.parse(nest, kTuplePolicy.data(), CTA_TUPLE_MAX, why)) return false;
  if (const nl::Attr* ip = tb.get(CTA_TUPLE_IP)) {
    nl::AttrTable a;
    if (!a.parse(*ip, kIpPolicy.data(), CTA_IP_MAX, why)) return false;
    if (const nl::Attr* x = a.get(CTA_IP_V4_SRC)) t.src = x->bytes();
    if (const nl::Attr* x = a.get(CTA_IP_V4_DST)) t.dst = x->bytes();
    if (const nl::Attr* x = a.get(CTA_IP_V6_SRC)) t.src = x->bytes();
    if (const nl::Attr* x = a.get(CTA_IP_V6_DST)) t.dst = x->bytes();
  }
  if (const nl::Attr* proto = tb.get(CTA_TUPLE_PROTO)) {
    nl::AttrTable p;
    if (!p.parse(*proto, kProtoPolicy.data(), CTA_PROTO_MAX, why)) return false;
    if (const nl::Attr* x = p.get(CTA_PROTO_NUM)) t.proto = x->u8();
    const nl::Attr* sport = p.get(CTA_PROTO_SRC_PORT);
    const nl::Attr* dport = p.get(CTA_PROTO_DST_PORT);
    if (sport != nullptr || dport != nullptr) {
      t.has_ports = true;
      if (sport != nullptr) t.src_port = sport->be16();
      if (dport != nullptr) t.dst_port = dport->be16();
    }
    bool v6 = t.proto == IPPROTO_ICMPV6;
    const nl::Attr* id = p.get(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID);
    const nl::Attr* type = p.get(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE);
    const nl::Attr* code = p.get(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE);
    if (id != nullptr || type != nullptr || code != nullptr) {
      t.has_icmp = true;
      if (id != nullptr) t.icmp_id = id->be16();
      if (type != nullptr) t.icmp_type = type->u8();
      if (code != nullptr) t.icmp_code = code->u8();
    }
  }
  return true;
}

bool decode_counters(const nl::Attr& nest, CtCounters& c, std::string* why) {
  nl::AttrTable tb;
  if (!tb.parse(nest, kCountersPolicy.data(), CTA_COUNTERS_MAX, why)) return false;
  if (const nl::Attr* x = tb.get(CTA_COUNTERS_PACKETS)) c.packets = x->be64();
  else if (const nl::Attr* y = tb.get(CTA_COUNTERS32_PACKETS)) c.packets = y->be32();
  if (const nl::Attr* x = tb.get(CTA_COUNTERS_BYTES)) c.bytes = x->be64();
  else if (const nl::Attr* y = tb.get(CTA_COUNTERS32_BYTES)) c.bytes = y->be32();
  return true;
}

int decode_state(const nl::Attr& nest, std::string* why, bool* ok) {
  nl::AttrTable tb;
  if (!tb.parse(nest, kStatePolicy.data(), 1, why)) {
    *ok = false;
    return -1;
  }
  const nl::Attr* s = tb.get(1);
  return s != nullptr ? s->u8() : -1;
}

bool decode_protoinfo(const nl::Attr& nest, CtEntry& out, std::string* why) {
  nl::AttrTable tb;
  if (!tb.parse(nest, kProtoinfoPolicy.data(), CTA_PROTOINFO_MAX, why)) return false;
  bool ok = true;
  if (const nl::Attr* tcp = tb.get(CTA_PROTOINFO_TCP)) out.tcp_state = decode_state(*tcp, why, &ok);
  if (const nl::Attr* sctp = tb.get(CTA_PROTOINFO_SCTP)) out.sctp_state = decode_state(*sctp, why, &ok);
  return ok;
}

}  // namespace

nl::Request ct_dump(const CtDumpFilter& f) {
  nl::Message m = nl::nfnl_message(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, f.family, NLM_F_DUMP);
  if (f.has_mark) {
    m.put_be32(CTA_MARK, f.mark);
    m.put_be32(CTA_MARK_MASK, f.mark_mask);
  }
  if (f.has_zone) m.put_be16(CTA_ZONE, f.zone);
  // Tuple matches need a concrete family: the kernel parses addresses by it.
  bool tuples = f.family != AF_UNSPEC && (!f.orig.empty() || !f.reply.empty());
  if (tuples) {
    uint32_t orig_flags = f.orig.empty() ? 0 : put_tuple_match(m, CTA_TUPLE_ORIG, f.orig);
    uint32_t reply_flags = f.reply.empty() ? 0 : put_tuple_match(m, CTA_TUPLE_REPLY, f.reply);
    size_t filter = m.begin_nest(CTA_FILTER);
    m.put_u32(CTA_FILTER_ORIG_FLAGS, orig_flags);
    m.put_u32(CTA_FILTER_REPLY_FLAGS, reply_flags);
    m.end_nest(filter);
  }
  return nl::Request(std::move(m), true);
}

nl::Request ct_delete(uint8_t family, const CtTuple& orig, uint16_t zone, std::optional<uint32_t> id) {
  nl::Message m = nl::nfnl_message(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE, family, 0);
  put_tuple(m, CTA_TUPLE_ORIG, orig);
  if (zone != 0) m.put_be16(CTA_ZONE, zone);
  if (id) m.put_be32(CTA_ID, *id);
  return nl::Request(std::move(m));
}

bool ct_decode(const uint8_t* msg, size_t len, CtEntry& out, std::string* why) {
  constexpr size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  if (len < head) {
    if (why) *why = "conntrack message too short";
    return false;
  }
  nlmsghdr h;
  std::memcpy(&h, msg, sizeof h);
  if (nl::nfnl_subsys(h.nlmsg_type) != NFNL_SUBSYS_CTNETLINK) {
    if (why) *why = "not a ctnetlink message";
    return false;
  }
  nfgenmsg g;
  std::memcpy(&g, msg + NLMSG_HDRLEN, sizeof g);
  nl::AttrTable tb;
  if (!tb.parse(msg + head, len - head, kCtPolicy.data(), CTA_MAX, why)) return false;
  out = CtEntry{};
  out.family = g.nfgen_family;
  if (const nl::Attr* a = tb.get(CTA_TUPLE_ORIG); a && !decode_tuple(*a, out.orig, why)) return false;
  if (const nl::Attr* a = tb.get(CTA_TUPLE_REPLY); a && !decode_tuple(*a, out.reply, why)) return false;
  if (const nl::Attr* a = tb.get(CTA_STATUS)) out.status = a->be32();
  if (const nl::Attr* a = tb.get(CTA_TIMEOUT)) out.timeout = a->be32();
  if (const nl::Attr* a = tb.get(CTA_MARK)) out.mark = a->be32();
  if (const nl::Attr* a = tb.get(CTA_ID)) out.id = a->be32();
  if (const nl::Attr* a = tb.get(CTA_USE)) out.use = a->be32();
  if (const nl::Attr* a = tb.get(CTA_ZONE)) out.zone = a->be16();
  if (const nl::Attr* a = tb.get(CTA_PROTOINFO); a && !decode_protoinfo(*a, out, why)) return false;
  const nl::Attr* co = tb.get(CTA_COUNTERS_ORIG);
  const nl::Attr* cr = tb.get(CTA_COUNTERS_REPLY);
  if (co != nullptr || cr != nullptr) {
    out.has_counters = true;
    if (co != nullptr && !decode_counters(*co, out.counters_orig, why)) return false;
    if (cr != nullptr && !decode_counters(*cr, out.counters_reply, why)) return false;
  }
  return true;
}

}  // namespace codec
