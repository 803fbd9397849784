#include "ipvs_daemon.h"

#include <linux/ip_vs.h>
#include <sys/socket.h>

#include <array>

#include "ipvs_policy.h"

namespace codec {

namespace {

const std::array<nl::Policy, IPVS_DAEMON_ATTR_MAX + 1> kDaemonPolicy = [] {
  std::array<nl::Policy, IPVS_DAEMON_ATTR_MAX + 1> p{};
  p[IPVS_DAEMON_ATTR_STATE] = {nl::AttrKind::U32};
  p[IPVS_DAEMON_ATTR_MCAST_IFN] = {nl::AttrKind::String};
  p[IPVS_DAEMON_ATTR_SYNC_ID] = {nl::AttrKind::U32};
  p[IPVS_DAEMON_ATTR_SYNC_MAXLEN] = {nl::AttrKind::U16};
  p[IPVS_DAEMON_ATTR_MCAST_GROUP] = {nl::AttrKind::Binary, 4, 4};
  p[IPVS_DAEMON_ATTR_MCAST_GROUP6] = {nl::AttrKind::Binary, 16, 16};
  p[IPVS_DAEMON_ATTR_MCAST_PORT] = {nl::AttrKind::U16};
  p[IPVS_DAEMON_ATTR_MCAST_TTL] = {nl::AttrKind::U8};
  return p;
}();

}  // namespace

nl::Request ipvs_daemon_new(uint16_t family, const IpvsDaemon& d) {
  nl::Message m = ipvs_message(family, IPVS_CMD_NEW_DAEMON);
  size_t nest = m.begin_nest(IPVS_CMD_ATTR_DAEMON);
  m.put_u32(IPVS_DAEMON_ATTR_STATE, d.state);
  m.put_strz(IPVS_DAEMON_ATTR_MCAST_IFN, d.ifname);
  m.put_u32(IPVS_DAEMON_ATTR_SYNC_ID, d.syncid);
  if (d.maxlen != 0) m.put_u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.maxlen);
  if (d.port != 0) m.put_u16(IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
  if (d.ttl != 0) m.put_u8(IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
  if (d.group_af == AF_INET) m.put(IPVS_DAEMON_ATTR_MCAST_GROUP, d.group.data(), 4);
  if (d.group_af == AF_INET6) m.put(IPVS_DAEMON_ATTR_MCAST_GROUP6, d.group.data(), 16);
  m.end_nest(nest);
  return nl::Request(std::move(m));
}

nl::Request ipvs_daemon_del(uint16_t family, uint32_t state) {
  nl::Message m = ipvs_message(family, IPVS_CMD_DEL_DAEMON);
  size_t nest = m.begin_nest(IPVS_CMD_ATTR_DAEMON);
  m.put_u32(IPVS_DAEMON_ATTR_STATE, state);
  m.put_strz(IPVS_DAEMON_ATTR_MCAST_IFN, "");
  m.put_u32(IPVS_DAEMON_ATTR_SYNC_ID, 0);
  m.end_nest(nest);
  return nl::Request(std::move(m));
}

nl::Request ipvs_daemon_dump(uint16_t family) {
  return nl::Request(ipvs_message(family, IPVS_CMD_GET_DAEMON), true);
}

bool ipvs_daemon_decode(const uint8_t* msg, size_t len, IpvsDaemon& out, std::string* why) {
  nl::AttrTable top;
  if (!ipvs_parse_top(msg, len, top, why)) return false;
  const nl::Attr* nest = top.get(IPVS_CMD_ATTR_DAEMON);
  if (nest == nullptr) {
    if (why) *why = "IPVS message without IPVS_CMD_ATTR_DAEMON";
    return false;
  }
  nl::AttrTable tb;
  if (!tb.parse(*nest, kDaemonPolicy.data(), IPVS_DAEMON_ATTR_MAX, why)) return false;
  out = IpvsDaemon{};
  if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_STATE)) out.state = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_MCAST_IFN)) out.ifname = a->str();
  if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_SYNC_ID)) out.syncid = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_SYNC_MAXLEN)) out.maxlen = a->u16();
  if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_MCAST_PORT)) out.port = a->u16();
  if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_MCAST_TTL)) out.ttl = a->u8();
  if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_MCAST_GROUP6)) {
    out.group_af = AF_INET6;
    ipvs_copy_addr(*a, out.group);
  } else if (const nl::Attr* a = tb.get(IPVS_DAEMON_ATTR_MCAST_GROUP)) {
    out.group_af = AF_INET;
    ipvs_copy_addr(*a, out.group);
  }
  return true;
}

}  // namespace codec
