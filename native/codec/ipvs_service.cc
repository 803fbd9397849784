#include "ipvs_service.h"

#include <linux/genetlink.h>
#include <sys/socket.h>
#include <linux/ip_vs.h>

#include "../nl/genl.h"
#include "ipvs_policy.h"

namespace codec {

nl::Message ipvs_message(uint16_t family, uint8_t cmd) {
  return nl::genl_message(family, cmd, IPVS_GENL_VERSION);
}

uint32_t ipvs_default_netmask(uint16_t af) { return af == AF_INET6 ? 128u : 0xffffffffu; }

void ipvs_put_service(nl::Message& m, const IpvsService& s, ServiceForm form, uint32_t netmask) {
  size_t nest = m.begin_nest(IPVS_CMD_ATTR_SERVICE);
  m.put_u16(IPVS_SVC_ATTR_AF, s.af);
  if (s.fwmark != 0) {
    m.put_u32(IPVS_SVC_ATTR_FWMARK, s.fwmark);
  } else {
    m.put_u16(IPVS_SVC_ATTR_PROTOCOL, s.protocol);
    m.put(IPVS_SVC_ATTR_ADDR, s.addr.data(), s.addr.size());
    m.put_be16(IPVS_SVC_ATTR_PORT, s.port);
  }
  if (form == ServiceForm::Full) {
    m.put_strz(IPVS_SVC_ATTR_SCHED_NAME, s.scheduler);
    if (!s.pe_name.empty()) m.put_strz(IPVS_SVC_ATTR_PE_NAME, s.pe_name);
    ip_vs_flags flags{s.flags, 0xffffffffu};
    m.put(IPVS_SVC_ATTR_FLAGS, &flags, sizeof flags);
    m.put_u32(IPVS_SVC_ATTR_TIMEOUT, s.timeout);
    m.put_u32(IPVS_SVC_ATTR_NETMASK, s.netmask);
  } else if (form == ServiceForm::Ref) {
    m.put_strz(IPVS_SVC_ATTR_SCHED_NAME, "");
    ip_vs_flags flags{0, 0xffffffffu};
    m.put(IPVS_SVC_ATTR_FLAGS, &flags, sizeof flags);
    m.put_u32(IPVS_SVC_ATTR_TIMEOUT, 0);
    m.put_u32(IPVS_SVC_ATTR_NETMASK, netmask);
  }
  m.end_nest(nest);
}

static nl::Request service_request(uint16_t family, uint8_t cmd, const IpvsService& s,
                                   ServiceForm form, uint32_t netmask = 0) {
  nl::Message m = ipvs_message(family, cmd);
  ipvs_put_service(m, s, form, netmask);
  return nl::Request(std::move(m));
}

nl::Request ipvs_service_new(uint16_t family, const IpvsService& s) {
  return service_request(family, IPVS_CMD_NEW_SERVICE, s, ServiceForm::Full);
}
nl::Request ipvs_service_set(uint16_t family, const IpvsService& s) {
  return service_request(family, IPVS_CMD_SET_SERVICE, s, ServiceForm::Full);
}
nl::Request ipvs_service_del(uint16_t family, const IpvsService& key) {
  return service_request(family, IPVS_CMD_DEL_SERVICE, key, ServiceForm::Ref,
                         ipvs_default_netmask(key.af));
}
nl::Request ipvs_service_get(uint16_t family, const IpvsService& key) {
  return service_request(family, IPVS_CMD_GET_SERVICE, key, ServiceForm::Ref, 0);
}
nl::Request ipvs_service_dump(uint16_t family) {
  return nl::Request(ipvs_message(family, IPVS_CMD_GET_SERVICE), true);
}

bool ipvs_service_decode(const uint8_t* msg, size_t len, IpvsService& out, std::string* why) {
  nl::AttrTable top;
  if (!ipvs_parse_top(msg, len, top, why)) return false;
  const nl::Attr* nest = top.get(IPVS_CMD_ATTR_SERVICE);
  if (nest == nullptr) {
    if (why) *why = "IPVS message without IPVS_CMD_ATTR_SERVICE";
    return false;
  }
  nl::AttrTable tb;
  if (!tb.parse(*nest, kIpvsServicePolicy.data(), IPVS_SVC_ATTR_MAX, why)) return false;
  out = IpvsService{};
  const nl::Attr* af = tb.get(IPVS_SVC_ATTR_AF);
  if (af == nullptr) {
    if (why) *why = "service without IPVS_SVC_ATTR_AF";
    return false;
  }
  out.af = af->u16();
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_FWMARK)) out.fwmark = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_PROTOCOL)) out.protocol = a->u16();
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_ADDR)) ipvs_copy_addr(*a, out.addr);
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_PORT)) out.port = a->be16();
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_SCHED_NAME)) out.scheduler = a->str();
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_PE_NAME)) out.pe_name = a->str();
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_FLAGS)) out.flags = a->u32();  // ip_vs_flags.flags
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_TIMEOUT)) out.timeout = a->u32();
  if (const nl::Attr* a = tb.get(IPVS_SVC_ATTR_NETMASK)) out.netmask = a->u32();
  return ipvs_stats_pick(tb.get(IPVS_SVC_ATTR_STATS), tb.get(IPVS_SVC_ATTR_STATS64), out.stats, why);
}

}  // namespace codec
