// The ctnetlink codec: request bytes built by hand from the uapi layout,
// and entries decoded from hand-built dump messages.
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "../codec/conntrack.h"
#include "check.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes be16(uint16_t v) { return {uint8_t(v >> 8), uint8_t(v)}; }
Bytes be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }
Bytes be64(uint64_t v) {
  Bytes b;
  for (int i = 7; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
  return b;
}
Bytes le32(uint32_t v) { return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}; }

// One attribute: len(2, host order) type(2) payload, padded to 4.
Bytes attr(uint16_t type, const Bytes& payload) {
  uint16_t len = uint16_t(4 + payload.size());
  Bytes b{uint8_t(len), uint8_t(len >> 8), uint8_t(type), uint8_t(type >> 8)};
  b.insert(b.end(), payload.begin(), payload.end());
  while (b.size() % 4 != 0) b.push_back(0);
  return b;
}
Bytes nest(uint16_t type, std::initializer_list<Bytes> children) {
  Bytes payload;
  for (const Bytes& c : children) payload.insert(payload.end(), c.begin(), c.end());
  return attr(uint16_t(type | NLA_F_NESTED), payload);
}

// nlmsghdr (seq 0, pid 0) + nfgenmsg{family, v0, res_id 0} + attributes.
Bytes nfmsg(uint8_t cmd, uint16_t flags, uint8_t family, std::initializer_list<Bytes> attrs) {
  Bytes body{family, NFNETLINK_V0, 0, 0};
  for (const Bytes& a : attrs) body.insert(body.end(), a.begin(), a.end());
  uint32_t len = uint32_t(16 + body.size());
  uint16_t type = uint16_t((NFNL_SUBSYS_CTNETLINK << 8) | cmd);
  Bytes out = le32(len);
  out.insert(out.end(), {uint8_t(type), uint8_t(type >> 8), uint8_t(flags), uint8_t(flags >> 8)});
  Bytes zeros(8, 0);
  out.insert(out.end(), zeros.begin(), zeros.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

const Bytes kClient{10, 0, 1, 2};
const Bytes kVip{10, 96, 0, 10};
const Bytes kBackend{10, 244, 1, 5};

Bytes v4_tuple(uint16_t type, const Bytes& src, const Bytes& dst, uint16_t sport, uint16_t dport) {
  return nest(type, {nest(CTA_TUPLE_IP, {attr(CTA_IP_V4_SRC, src), attr(CTA_IP_V4_DST, dst)}),
                     nest(CTA_TUPLE_PROTO, {attr(CTA_PROTO_NUM, {IPPROTO_UDP}),
                                            attr(CTA_PROTO_SRC_PORT, be16(sport)),
                                            attr(CTA_PROTO_DST_PORT, be16(dport))})});
}

}  // namespace

TEST(conntrack_dump_unfiltered) {
  // conntrack -L
  nl::Request r = codec::ct_dump(codec::CtDumpFilter{});
  CHECK(r.dump);
  CHECK_EQ(r.msg.bytes(), nfmsg(IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, {}));
}

TEST(conntrack_dump_mark_zone) {
  // conntrack -L -f ipv4 --mark 0x42/0xff --zone 7: no tuple match, so no CTA_FILTER
  codec::CtDumpFilter f;
  f.family = AF_INET;
  f.has_mark = true;
  f.mark = 0x42;
  f.mark_mask = 0xff;
  f.has_zone = true;
  f.zone = 7;
  CHECK_EQ(codec::ct_dump(f).msg.bytes(),
           nfmsg(IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_INET,
                 {attr(CTA_MARK, be32(0x42)), attr(CTA_MARK_MASK, be32(0xff)), attr(CTA_ZONE, be16(7))}));
}

TEST(conntrack_dump_tuple_filter) {
  // conntrack -L -p udp --orig-dst 10.96.0.10 --reply-port-src 5353
  codec::CtDumpFilter f;
  f.family = AF_INET;
  f.orig.dst = kVip;
  f.orig.proto = IPPROTO_UDP;
  f.reply.proto = IPPROTO_UDP;
  f.reply.src_port = 5353;
  Bytes want = nfmsg(
      IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_INET,
      {nest(CTA_TUPLE_ORIG, {nest(CTA_TUPLE_IP, {attr(CTA_IP_V4_DST, kVip)}),
                             nest(CTA_TUPLE_PROTO, {attr(CTA_PROTO_NUM, {IPPROTO_UDP})})}),
       nest(CTA_TUPLE_REPLY, {nest(CTA_TUPLE_PROTO, {attr(CTA_PROTO_NUM, {IPPROTO_UDP}),
                                                     attr(CTA_PROTO_SRC_PORT, be16(5353))})}),
       // orig: IP_DST(1<<1) | PROTO_NUM(1<<3); reply: PROTO_NUM | SRC_PORT(1<<4); host order
       nest(CTA_FILTER, {attr(CTA_FILTER_ORIG_FLAGS, le32(0x0a)), attr(CTA_FILTER_REPLY_FLAGS, le32(0x18))})});
  CHECK_EQ(codec::ct_dump(f).msg.bytes(), want);
}

TEST(conntrack_dump_tuple_filter_needs_family) {
  // Without a family the kernel cannot parse addresses: tuple matches are left out.
  codec::CtDumpFilter f;
  f.orig.proto = IPPROTO_TCP;
  CHECK_EQ(codec::ct_dump(f).msg.bytes(), nfmsg(IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, {}));
}

TEST(conntrack_delete_udp_with_id_and_zone) {
  // conntrack -D -p udp -s 10.0.1.2 -d 10.96.0.10 --sport 40000 --dport 53 --zone 3 (and the entry id)
  codec::CtTuple t;
  t.src = kClient;
  t.dst = kVip;
  t.proto = IPPROTO_UDP;
  t.has_ports = true;
  t.src_port = 40000;
  t.dst_port = 53;
  nl::Request r = codec::ct_delete(AF_INET, t, 3, 0xdeadbeef);
  CHECK(!r.dump);
  CHECK_EQ(r.msg.bytes(), nfmsg(IPCTNL_MSG_CT_DELETE, 0, AF_INET,
                                {v4_tuple(CTA_TUPLE_ORIG, kClient, kVip, 40000, 53),
                                 attr(CTA_ZONE, be16(3)), attr(CTA_ID, be32(0xdeadbeef))}));
  // zone 0 and no id: just the tuple
  CHECK_EQ(codec::ct_delete(AF_INET, t, 0, std::nullopt).msg.bytes(),
           nfmsg(IPCTNL_MSG_CT_DELETE, 0, AF_INET, {v4_tuple(CTA_TUPLE_ORIG, kClient, kVip, 40000, 53)}));
}

TEST(conntrack_delete_icmpv6) {
  Bytes a(16, 0), b(16, 0);
  a[0] = b[0] = 0xfd;
  a[15] = 1;
  b[15] = 2;
  codec::CtTuple t;
  t.src = a;
  t.dst = b;
  t.proto = IPPROTO_ICMPV6;
  t.has_icmp = true;
  t.icmp_id = 9;
  t.icmp_type = 128;
  t.icmp_code = 0;
  Bytes want = nfmsg(IPCTNL_MSG_CT_DELETE, 0, AF_INET6,
                     {nest(CTA_TUPLE_ORIG, {nest(CTA_TUPLE_IP, {attr(CTA_IP_V6_SRC, a), attr(CTA_IP_V6_DST, b)}),
                                            nest(CTA_TUPLE_PROTO, {attr(CTA_PROTO_NUM, {IPPROTO_ICMPV6}),
                                                                   attr(CTA_PROTO_ICMPV6_ID, be16(9)),
                                                                   attr(CTA_PROTO_ICMPV6_TYPE, {128}),
                                                                   attr(CTA_PROTO_ICMPV6_CODE, {0})})})});
  CHECK_EQ(codec::ct_delete(AF_INET6, t, 0, std::nullopt).msg.bytes(), want);
}

TEST(conntrack_decode_dnat_entry) {
  // What a dump returns for client -> VIP:53 DNAT'd to backend:5353, with
  // accounting, a TCP-style protoinfo, and attributes we do not know.
  Bytes msg = nfmsg(
      IPCTNL_MSG_CT_NEW, NLM_F_MULTI, AF_INET,
      {v4_tuple(CTA_TUPLE_ORIG, kClient, kVip, 40000, 53), v4_tuple(CTA_TUPLE_REPLY, kBackend, kClient, 5353, 40000),
       attr(CTA_STATUS, be32(0x1aa)), attr(CTA_TIMEOUT, be32(29)), attr(CTA_MARK, be32(0x80000042)),
       nest(CTA_COUNTERS_ORIG, {attr(CTA_COUNTERS_PACKETS, be64(3)), attr(CTA_COUNTERS_BYTES, be64(0x100000000ull))}),
       nest(CTA_COUNTERS_REPLY, {attr(CTA_COUNTERS_PACKETS, be64(2)), attr(CTA_COUNTERS_BYTES, be64(64))}),
       nest(CTA_PROTOINFO, {nest(CTA_PROTOINFO_TCP, {attr(CTA_PROTOINFO_TCP_STATE, {3}),
                                                     attr(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, {7})})}),
       attr(CTA_USE, be32(1)), attr(CTA_ID, be32(0xfeedf00d)), attr(CTA_ZONE, be16(4)),
       nest(CTA_TIMESTAMP, {attr(CTA_TIMESTAMP_START, be64(1))}), attr(200, {1, 2, 3})});
  codec::CtEntry e;
  std::string why;
  REQUIRE(codec::ct_decode(msg.data(), msg.size(), e, &why));
  CHECK_EQ(e.family, AF_INET);
  CHECK_EQ(e.orig.src, kClient);
  CHECK_EQ(e.orig.dst, kVip);
  CHECK_EQ(e.orig.proto, IPPROTO_UDP);
  CHECK(e.orig.has_ports && !e.orig.has_icmp);
  CHECK_EQ(e.orig.src_port, 40000);
  CHECK_EQ(e.orig.dst_port, 53);
  CHECK_EQ(e.reply.src, kBackend);
  CHECK_EQ(e.reply.dst, kClient);
  CHECK_EQ(e.reply.src_port, 5353);
  CHECK_EQ(e.reply.dst_port, 40000);
  CHECK_EQ(e.status, 0x1aau);
  CHECK_EQ(e.timeout, 29u);
  CHECK_EQ(e.mark, 0x80000042u);
  CHECK_EQ(e.use, 1u);
  CHECK_EQ(e.id, 0xfeedf00du);
  CHECK_EQ(e.zone, 4);
  CHECK_EQ(e.tcp_state, 3);
  CHECK_EQ(e.sctp_state, -1);
  CHECK(e.has_counters);
  CHECK_EQ(e.counters_orig.packets, 3u);
  CHECK_EQ(e.counters_orig.bytes, 0x100000000ull);
  CHECK_EQ(e.counters_reply.packets, 2u);
  CHECK_EQ(e.counters_reply.bytes, 64u);
}

TEST(conntrack_decode_icmp_without_optional_parts) {
  Bytes msg = nfmsg(IPCTNL_MSG_CT_NEW, NLM_F_MULTI, AF_INET,
                    {nest(CTA_TUPLE_ORIG, {nest(CTA_TUPLE_IP, {attr(CTA_IP_V4_SRC, kClient), attr(CTA_IP_V4_DST, kVip)}),
                                           nest(CTA_TUPLE_PROTO, {attr(CTA_PROTO_NUM, {IPPROTO_ICMP}),
                                                                  attr(CTA_PROTO_ICMP_ID, be16(77)),
                                                                  attr(CTA_PROTO_ICMP_TYPE, {8}),
                                                                  attr(CTA_PROTO_ICMP_CODE, {0})})})});
  codec::CtEntry e;
  e.mark = 99;  // decode starts from a clean entry
  REQUIRE(codec::ct_decode(msg.data(), msg.size(), e, nullptr));
  CHECK(e.orig.has_icmp && !e.orig.has_ports);
  CHECK_EQ(e.orig.icmp_id, 77);
  CHECK_EQ(e.orig.icmp_type, 8);
  CHECK_EQ(e.mark, 0u);
  CHECK_EQ(e.tcp_state, -1);
  CHECK(!e.has_counters);
  CHECK(e.reply.src.empty());
}

TEST(conntrack_decode_rejects_malformed) {
  codec::CtEntry e;
  std::string why;
  Bytes short_msg = nfmsg(IPCTNL_MSG_CT_NEW, 0, AF_INET, {});
  CHECK(!codec::ct_decode(short_msg.data(), 18, e, &why));
  // a 3-byte IPv4 address
  Bytes bad = nfmsg(IPCTNL_MSG_CT_NEW, 0, AF_INET,
                    {nest(CTA_TUPLE_ORIG, {nest(CTA_TUPLE_IP, {attr(CTA_IP_V4_SRC, {10, 0, 1})})})});
  CHECK(!codec::ct_decode(bad.data(), bad.size(), e, &why));
  CHECK(!why.empty());
  // a 2-byte status
  bad = nfmsg(IPCTNL_MSG_CT_NEW, 0, AF_INET, {attr(CTA_STATUS, {0, 1})});
  CHECK(!codec::ct_decode(bad.data(), bad.size(), e, &why));
  // an attribute running past the end
  bad = nfmsg(IPCTNL_MSG_CT_NEW, 0, AF_INET, {attr(CTA_MARK, be32(1))});
  bad[20] = 40;
  CHECK(!codec::ct_decode(bad.data(), bad.size(), e, &why));
  // another nfnetlink subsystem
  Bytes other = nfmsg(IPCTNL_MSG_CT_NEW, 0, AF_INET, {});
  other[5] = NFNL_SUBSYS_NFTABLES;
  CHECK(!codec::ct_decode(other.data(), other.size(), e, &why));
}
