// Attribute policies shared by the IPVS codecs (what the kernel sends, per
// net/netfilter/ipvs/ip_vs_ctl.c), and small helpers for their messages.
#pragma once

#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>

#include <array>
#include <cstring>
#include <string>

#include "../nl/attr.h"

namespace codec {

inline const std::array<nl::Policy, IPVS_CMD_ATTR_MAX + 1> kIpvsCmdPolicy = [] {
  std::array<nl::Policy, IPVS_CMD_ATTR_MAX + 1> p{};
  p[IPVS_CMD_ATTR_SERVICE] = {nl::AttrKind::Nested};
  p[IPVS_CMD_ATTR_DEST] = {nl::AttrKind::Nested};
  p[IPVS_CMD_ATTR_DAEMON] = {nl::AttrKind::Nested};
  p[IPVS_CMD_ATTR_TIMEOUT_TCP] = {nl::AttrKind::U32};
  p[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] = {nl::AttrKind::U32};
  p[IPVS_CMD_ATTR_TIMEOUT_UDP] = {nl::AttrKind::U32};
  return p;
}();

inline const std::array<nl::Policy, IPVS_SVC_ATTR_MAX + 1> kIpvsServicePolicy = [] {
  std::array<nl::Policy, IPVS_SVC_ATTR_MAX + 1> p{};
  p[IPVS_SVC_ATTR_AF] = {nl::AttrKind::U16};
  p[IPVS_SVC_ATTR_PROTOCOL] = {nl::AttrKind::U16};
  p[IPVS_SVC_ATTR_ADDR] = {nl::AttrKind::Binary, 4, 16};
  p[IPVS_SVC_ATTR_PORT] = {nl::AttrKind::U16};
  p[IPVS_SVC_ATTR_FWMARK] = {nl::AttrKind::U32};
  p[IPVS_SVC_ATTR_SCHED_NAME] = {nl::AttrKind::String};
  p[IPVS_SVC_ATTR_FLAGS] = {nl::AttrKind::Binary, sizeof(ip_vs_flags), sizeof(ip_vs_flags)};
  p[IPVS_SVC_ATTR_TIMEOUT] = {nl::AttrKind::U32};
  p[IPVS_SVC_ATTR_NETMASK] = {nl::AttrKind::U32};
  p[IPVS_SVC_ATTR_STATS] = {nl::AttrKind::Nested};
  p[IPVS_SVC_ATTR_PE_NAME] = {nl::AttrKind::String};
  p[IPVS_SVC_ATTR_STATS64] = {nl::AttrKind::Nested};
  return p;
}();

// Parses the attributes after nlmsghdr + genlmsghdr into `top`.
inline bool ipvs_parse_top(const uint8_t* msg, size_t len, nl::AttrTable& top, std::string* why) {
  constexpr size_t head = NLMSG_HDRLEN + GENL_HDRLEN;
  if (len < head) {
    if (why) *why = "IPVS message too short";
    return false;
  }
  return top.parse(msg + head, len - head, kIpvsCmdPolicy.data(), IPVS_CMD_ATTR_MAX, why);
}

// Copies an address attribute (4 or 16 bytes) into a zeroed 16-byte union.
inline void ipvs_copy_addr(const nl::Attr& a, std::array<uint8_t, 16>& out) {
  out.fill(0);
  std::memcpy(out.data(), a.data(), a.len() < 16 ? a.len() : 16);
}

}  // namespace codec
