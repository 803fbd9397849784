#include "rtnl_link.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <array>

#include "../nl/attr.h"

namespace codec {

namespace {

nl::Message link_message(uint16_t type, uint16_t flags, uint32_t index) {
  nl::Message m(type, flags);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = static_cast<int>(index);
  m.put_header(ifi);
  return m;
}

nl::Message link_message(uint16_t type, uint16_t flags, const LinkRef& ref) {
  nl::Message m = link_message(type, flags, ref.index);
  if (ref.index == 0) m.put_strz(IFLA_IFNAME, ref.name);
  return m;
}

const std::array<nl::Policy, IFLA_MAX + 1> kLinkPolicy = [] {
  std::array<nl::Policy, IFLA_MAX + 1> p{};
  p[IFLA_IFNAME] = {nl::AttrKind::String};
  p[IFLA_MTU] = {nl::AttrKind::U32};
  p[IFLA_ADDRESS] = {nl::AttrKind::Binary, 0, 32};
  p[IFLA_OPERSTATE] = {nl::AttrKind::U8};
  p[IFLA_MASTER] = {nl::AttrKind::U32};
  p[IFLA_LINK] = {nl::AttrKind::U32};
  p[IFLA_LINK_NETNSID] = {nl::AttrKind::U32};
  p[IFLA_LINKINFO] = {nl::AttrKind::Nested};
  return p;
}();

const std::array<nl::Policy, IFLA_INFO_MAX + 1> kInfoPolicy = [] {
  std::array<nl::Policy, IFLA_INFO_MAX + 1> p{};
  p[IFLA_INFO_KIND] = {nl::AttrKind::String};
  return p;
}();

}  // namespace

nl::Request link_get(const LinkRef& ref) { return nl::Request(link_message(RTM_GETLINK, 0, ref)); }

nl::Request link_dump() { return nl::Request(link_message(RTM_GETLINK, 0, 0u), true); }

nl::Request link_new(const NewLink& link) {
  nl::Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (link.up) {
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
  }
  m.put_header(ifi);
  m.put_strz(IFLA_IFNAME, link.name);
  if (link.mtu != 0) m.put_u32(IFLA_MTU, link.mtu);
  size_t info = m.begin_nest(IFLA_LINKINFO);
  m.put_strz(IFLA_INFO_KIND, link.kind);
  if (link.kind == "veth") {
    size_t data = m.begin_nest(IFLA_INFO_DATA);
    size_t peer = m.begin_nest(VETH_INFO_PEER);
    ifinfomsg peer_ifi{};
    peer_ifi.ifi_family = AF_UNSPEC;
    m.put_header(peer_ifi);
    if (!link.peer_name.empty()) m.put_strz(IFLA_IFNAME, link.peer_name);
    if (link.mtu != 0) m.put_u32(IFLA_MTU, link.mtu);
    if (link.peer_netns_fd >= 0) m.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(link.peer_netns_fd));
    m.end_nest(peer);
    m.end_nest(data);
  }
  m.end_nest(info);
  return nl::Request(std::move(m));
}

nl::Request link_del(const LinkRef& ref) { return nl::Request(link_message(RTM_DELLINK, 0, ref)); }

nl::Request link_set(const LinkRef& ref, const LinkChange& change) {
  nl::Message m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = static_cast<int>(ref.index);
  if (change.up.has_value()) {
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = *change.up ? IFF_UP : 0;
  }
  m.put_header(ifi);
  if (ref.index == 0) m.put_strz(IFLA_IFNAME, ref.name);
  if (change.mtu != 0) m.put_u32(IFLA_MTU, change.mtu);
  return nl::Request(std::move(m));
}

bool link_decode(const uint8_t* msg, size_t len, Link& out, std::string* why) {
  constexpr size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg));
  if (len < head) {
    if (why) *why = "link message too short";
    return false;
  }
  ifinfomsg ifi;
  std::memcpy(&ifi, msg + NLMSG_HDRLEN, sizeof ifi);
  nl::AttrTable tb;
  if (!tb.parse(msg + head, len - head, kLinkPolicy.data(), IFLA_MAX, why)) return false;
  out = Link{};
  out.index = static_cast<uint32_t>(ifi.ifi_index);
  out.type = ifi.ifi_type;
  out.flags = ifi.ifi_flags;
  if (const nl::Attr* a = tb.get(IFLA_IFNAME)) out.name = a->str();
  if (const nl::Attr* a = tb.get(IFLA_MTU)) out.mtu = a->u32();
  if (const nl::Attr* a = tb.get(IFLA_ADDRESS)) out.address = a->bytes();
  if (const nl::Attr* a = tb.get(IFLA_OPERSTATE)) out.operstate = a->u8();
  if (const nl::Attr* a = tb.get(IFLA_MASTER)) out.master = a->u32();
  if (const nl::Attr* a = tb.get(IFLA_LINK)) out.parent = a->u32();
  if (const nl::Attr* a = tb.get(IFLA_LINK_NETNSID)) out.link_netnsid = static_cast<int32_t>(a->u32());
  if (const nl::Attr* info = tb.get(IFLA_LINKINFO)) {
    nl::AttrTable it;
    if (!it.parse(*info, kInfoPolicy.data(), IFLA_INFO_MAX, why)) return false;
    if (const nl::Attr* k = it.get(IFLA_INFO_KIND)) out.kind = k->str();
  }
  return true;
}

}  // namespace codec
