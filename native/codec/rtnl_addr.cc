#include "rtnl_addr.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <array>

#include "../nl/attr.h"

namespace codec {

namespace {

nl::Message addr_message(uint16_t type, uint16_t flags, const Address& addr) {
  nl::Message m(type, flags);
  ifaddrmsg ifa{};
  ifa.ifa_family = addr.family;
  ifa.ifa_prefixlen = addr.prefixlen;
  ifa.ifa_flags = static_cast<uint8_t>(addr.flags & 0xff);
  ifa.ifa_scope = addr.scope;
  ifa.ifa_index = addr.index;
  m.put_header(ifa);
  // Like ip(8): the local address is also the "address" unless a peer is set.
  const std::vector<uint8_t>& local = addr.local.empty() ? addr.address : addr.local;
  const std::vector<uint8_t>& peer = addr.address.empty() ? addr.local : addr.address;
  m.put(IFA_LOCAL, local.data(), local.size());
  m.put(IFA_ADDRESS, peer.data(), peer.size());
  return m;
}

const std::array<nl::Policy, IFA_MAX + 1> kAddrPolicy = [] {
  std::array<nl::Policy, IFA_MAX + 1> p{};
  p[IFA_ADDRESS] = {nl::AttrKind::Binary, 4, 16};
  p[IFA_LOCAL] = {nl::AttrKind::Binary, 4, 16};
  p[IFA_LABEL] = {nl::AttrKind::String};
  p[IFA_FLAGS] = {nl::AttrKind::U32};
  p[IFA_CACHEINFO] = {nl::AttrKind::Binary, sizeof(ifa_cacheinfo), 0};
  return p;
}();

}  // namespace

nl::Request addr_dump(uint8_t family) {
  nl::Message m(RTM_GETADDR, 0);
  ifaddrmsg ifa{};
  ifa.ifa_family = family;
  m.put_header(ifa);
  return nl::Request(std::move(m), true);
}

nl::Request addr_new(const Address& addr, bool replace) {
  nl::Message m = addr_message(RTM_NEWADDR, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL), addr);
  if (!addr.label.empty()) m.put_strz(IFA_LABEL, addr.label);
  if (addr.flags > 0xff) m.put_u32(IFA_FLAGS, addr.flags);
  if (addr.valid_lft != 0xffffffff || addr.preferred_lft != 0xffffffff) {
    ifa_cacheinfo ci{};
    ci.ifa_valid = addr.valid_lft;
    ci.ifa_prefered = addr.preferred_lft;
    m.put(IFA_CACHEINFO, &ci, sizeof ci);
  }
  return nl::Request(std::move(m));
}

nl::Request addr_del(const Address& addr) { return nl::Request(addr_message(RTM_DELADDR, 0, addr)); }

bool addr_decode(const uint8_t* msg, size_t len, Address& out, std::string* why) {
  constexpr size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifaddrmsg));
  if (len < head) {
    if (why) *why = "address message too short";
    return false;
  }
  ifaddrmsg ifa;
  std::memcpy(&ifa, msg + NLMSG_HDRLEN, sizeof ifa);
  nl::AttrTable tb;
  if (!tb.parse(msg + head, len - head, kAddrPolicy.data(), IFA_MAX, why)) return false;
  out = Address{};
  out.index = ifa.ifa_index;
  out.family = ifa.ifa_family;
  out.prefixlen = ifa.ifa_prefixlen;
  out.scope = ifa.ifa_scope;
  out.flags = ifa.ifa_flags;
  if (const nl::Attr* a = tb.get(IFA_FLAGS)) out.flags = a->u32();
  if (const nl::Attr* a = tb.get(IFA_ADDRESS)) out.address = a->bytes();
  if (const nl::Attr* a = tb.get(IFA_LOCAL)) out.local = a->bytes();
  if (const nl::Attr* a = tb.get(IFA_LABEL)) out.label = a->str();
  if (const nl::Attr* a = tb.get(IFA_CACHEINFO)) {
    ifa_cacheinfo ci;
    std::memcpy(&ci, a->data(), sizeof ci);
    out.valid_lft = ci.ifa_valid;
    out.preferred_lft = ci.ifa_prefered;
  }
  return true;
}

}  // namespace codec
