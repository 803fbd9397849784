#include "ipvs_info.h"

#include <linux/ip_vs.h>

#include <array>

#include "ipvs_policy.h"

namespace codec {

namespace {

const std::array<nl::Policy, IPVS_INFO_ATTR_MAX + 1> kInfoPolicy = [] {
  std::array<nl::Policy, IPVS_INFO_ATTR_MAX + 1> p{};
  p[IPVS_INFO_ATTR_VERSION] = {nl::AttrKind::U32};
  p[IPVS_INFO_ATTR_CONN_TAB_SIZE] = {nl::AttrKind::U32};
  return p;
}();

}  // namespace

nl::Request ipvs_info_get(uint16_t family) { return nl::Request(ipvs_message(family, IPVS_CMD_GET_INFO)); }

nl::Request ipvs_timeouts_get(uint16_t family) {
  return nl::Request(ipvs_message(family, IPVS_CMD_GET_CONFIG));
}

nl::Request ipvs_timeouts_set(uint16_t family, const IpvsTimeouts& t) {
  nl::Message m = ipvs_message(family, IPVS_CMD_SET_CONFIG);
  m.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
  m.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin);
  m.put_u32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
  return nl::Request(std::move(m));
}

nl::Request ipvs_zero(uint16_t family, const IpvsService* svc) {
  nl::Message m = ipvs_message(family, IPVS_CMD_ZERO);
  if (svc != nullptr) ipvs_put_service(m, *svc, ServiceForm::Ref, ipvs_default_netmask(svc->af));
  return nl::Request(std::move(m));
}

nl::Request ipvs_flush(uint16_t family) { return nl::Request(ipvs_message(family, IPVS_CMD_FLUSH)); }

bool ipvs_info_decode(const uint8_t* msg, size_t len, IpvsInfo& out, std::string* why) {
  constexpr size_t head = NLMSG_HDRLEN + GENL_HDRLEN;
  if (len < head) {
    if (why) *why = "IPVS message too short";
    return false;
  }
  nl::AttrTable tb;
  if (!tb.parse(msg + head, len - head, kInfoPolicy.data(), IPVS_INFO_ATTR_MAX, why)) return false;
  out = IpvsInfo{};
  if (const nl::Attr* a = tb.get(IPVS_INFO_ATTR_VERSION)) out.version = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_INFO_ATTR_CONN_TAB_SIZE)) out.conn_tab_size = a->u32();
  return true;
}

bool ipvs_timeouts_decode(const uint8_t* msg, size_t len, IpvsTimeouts& out, std::string* why) {
  nl::AttrTable top;
  if (!ipvs_parse_top(msg, len, top, why)) return false;
  out = IpvsTimeouts{};
  if (const nl::Attr* a = top.get(IPVS_CMD_ATTR_TIMEOUT_TCP)) out.tcp = a->u32();
  if (const nl::Attr* a = top.get(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN)) out.tcp_fin = a->u32();
  if (const nl::Attr* a = top.get(IPVS_CMD_ATTR_TIMEOUT_UDP)) out.udp = a->u32();
  return true;
}

}  // namespace codec
