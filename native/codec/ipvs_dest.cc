#include "ipvs_dest.h"

#include <linux/ip_vs.h>
#include <sys/socket.h>

#include <array>

#include "ipvs_policy.h"

namespace codec {

namespace {

const std::array<nl::Policy, IPVS_DEST_ATTR_MAX + 1> kDestPolicy = [] {
  std::array<nl::Policy, IPVS_DEST_ATTR_MAX + 1> p{};
  p[IPVS_DEST_ATTR_ADDR] = {nl::AttrKind::Binary, 4, 16};
  p[IPVS_DEST_ATTR_PORT] = {nl::AttrKind::U16};
  p[IPVS_DEST_ATTR_FWD_METHOD] = {nl::AttrKind::U32};
  p[IPVS_DEST_ATTR_WEIGHT] = {nl::AttrKind::U32};
  p[IPVS_DEST_ATTR_U_THRESH] = {nl::AttrKind::U32};
  p[IPVS_DEST_ATTR_L_THRESH] = {nl::AttrKind::U32};
  p[IPVS_DEST_ATTR_ACTIVE_CONNS] = {nl::AttrKind::U32};
  p[IPVS_DEST_ATTR_INACT_CONNS] = {nl::AttrKind::U32};
  p[IPVS_DEST_ATTR_PERSIST_CONNS] = {nl::AttrKind::U32};
  p[IPVS_DEST_ATTR_STATS] = {nl::AttrKind::Nested};
  p[IPVS_DEST_ATTR_ADDR_FAMILY] = {nl::AttrKind::U16};
  p[IPVS_DEST_ATTR_STATS64] = {nl::AttrKind::Nested};
  p[IPVS_DEST_ATTR_TUN_TYPE] = {nl::AttrKind::U8};
  p[IPVS_DEST_ATTR_TUN_PORT] = {nl::AttrKind::U16};
  p[IPVS_DEST_ATTR_TUN_FLAGS] = {nl::AttrKind::U16};
  return p;
}();

// The destination nest, in libipvs's attribute order. The address family is
// always sent: without it the kernel assumes the service's family, which
// breaks IPv4 tunnel destinations behind an IPv6 service.
void put_dest(nl::Message& m, const IpvsDest& d) {
  size_t nest = m.begin_nest(IPVS_CMD_ATTR_DEST);
  m.put_u16(IPVS_DEST_ATTR_ADDR_FAMILY, d.af);
  m.put(IPVS_DEST_ATTR_ADDR, d.addr.data(), d.addr.size());
  m.put_be16(IPVS_DEST_ATTR_PORT, d.port);
  m.put_u32(IPVS_DEST_ATTR_FWD_METHOD, d.fwd_method);
  m.put_u32(IPVS_DEST_ATTR_WEIGHT, d.weight);
  m.put_u8(IPVS_DEST_ATTR_TUN_TYPE, d.tun_type);
  m.put_be16(IPVS_DEST_ATTR_TUN_PORT, d.tun_port);
  m.put_u16(IPVS_DEST_ATTR_TUN_FLAGS, d.tun_flags);
  m.put_u32(IPVS_DEST_ATTR_U_THRESH, d.u_thresh);
  m.put_u32(IPVS_DEST_ATTR_L_THRESH, d.l_thresh);
  m.end_nest(nest);
}

nl::Request dest_request(uint16_t family, uint8_t cmd, const IpvsService& svc, const IpvsDest& d) {
  nl::Message m = ipvs_message(family, cmd);
  ipvs_put_service(m, svc, ServiceForm::Ref, ipvs_default_netmask(svc.af));
  put_dest(m, d);
  return nl::Request(std::move(m));
}

}  // namespace

nl::Request ipvs_dest_new(uint16_t family, const IpvsService& svc, const IpvsDest& d) {
  return dest_request(family, IPVS_CMD_NEW_DEST, svc, d);
}

nl::Request ipvs_dest_set(uint16_t family, const IpvsService& svc, const IpvsDest& d) {
  return dest_request(family, IPVS_CMD_SET_DEST, svc, d);
}

nl::Request ipvs_dest_del(uint16_t family, const IpvsService& svc, const IpvsDest& key) {
  IpvsDest d;
  d.af = key.af;
  d.addr = key.addr;
  d.port = key.port;
  d.fwd_method = IP_VS_CONN_F_DROUTE;
  d.weight = 1;
  return dest_request(family, IPVS_CMD_DEL_DEST, svc, d);
}

nl::Request ipvs_dest_dump(uint16_t family, const IpvsService& svc) {
  nl::Message m = ipvs_message(family, IPVS_CMD_GET_DEST);
  ipvs_put_service(m, svc, ServiceForm::Key);
  return nl::Request(std::move(m), true);
}

bool ipvs_dest_decode(const uint8_t* msg, size_t len, IpvsDest& out, std::string* why) {
  nl::AttrTable top;
  if (!ipvs_parse_top(msg, len, top, why)) return false;
  const nl::Attr* nest = top.get(IPVS_CMD_ATTR_DEST);
  if (nest == nullptr) {
    if (why) *why = "IPVS message without IPVS_CMD_ATTR_DEST";
    return false;
  }
  nl::AttrTable tb;
  if (!tb.parse(*nest, kDestPolicy.data(), IPVS_DEST_ATTR_MAX, why)) return false;
  out = IpvsDest{};
  const nl::Attr* addr = tb.get(IPVS_DEST_ATTR_ADDR);
  if (addr == nullptr) {
    if (why) *why = "destination without IPVS_DEST_ATTR_ADDR";
    return false;
  }
  ipvs_copy_addr(*addr, out.addr);
  // Kernels before 4.2 have no ADDR_FAMILY: guess from the address length.
  const nl::Attr* af = tb.get(IPVS_DEST_ATTR_ADDR_FAMILY);
  out.af = af != nullptr ? af->u16() : (addr->len() == 4 ? AF_INET : AF_INET6);
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_PORT)) out.port = a->be16();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_FWD_METHOD)) out.fwd_method = a->u32() & IP_VS_CONN_F_FWD_MASK;
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_WEIGHT)) out.weight = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_U_THRESH)) out.u_thresh = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_L_THRESH)) out.l_thresh = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_TUN_TYPE)) out.tun_type = a->u8();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_TUN_PORT)) out.tun_port = a->be16();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_TUN_FLAGS)) out.tun_flags = a->u16();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_ACTIVE_CONNS)) out.active_conns = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_INACT_CONNS)) out.inact_conns = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_DEST_ATTR_PERSIST_CONNS)) out.persist_conns = a->u32();
  return ipvs_stats_pick(tb.get(IPVS_DEST_ATTR_STATS), tb.get(IPVS_DEST_ATTR_STATS64), out.stats, why);
}

}  // namespace codec
