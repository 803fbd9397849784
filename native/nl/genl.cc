#include "genl.h"

#include <linux/genetlink.h>

#include <array>

#include "attr.h"

namespace nl {

Message genl_message(uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags) {
  Message m(family, flags);
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = version;
  m.put_header(g);
  return m;
}

Request genl_getfamily_request(const std::string& name) {
  Message m = genl_message(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
  m.put_strz(CTRL_ATTR_FAMILY_NAME, name);
  return Request(std::move(m));
}

namespace {

const std::array<Policy, CTRL_ATTR_MAX + 1> kFamilyPolicy = [] {
  std::array<Policy, CTRL_ATTR_MAX + 1> p{};
  p[CTRL_ATTR_FAMILY_ID] = {AttrKind::U16};
  p[CTRL_ATTR_FAMILY_NAME] = {AttrKind::String};
  p[CTRL_ATTR_VERSION] = {AttrKind::U32};
  p[CTRL_ATTR_HDRSIZE] = {AttrKind::U32};
  p[CTRL_ATTR_MAXATTR] = {AttrKind::U32};
  p[CTRL_ATTR_MCAST_GROUPS] = {AttrKind::Nested};
  return p;
}();

const std::array<Policy, CTRL_ATTR_MCAST_GRP_MAX + 1> kGroupPolicy = [] {
  std::array<Policy, CTRL_ATTR_MCAST_GRP_MAX + 1> p{};
  p[CTRL_ATTR_MCAST_GRP_NAME] = {AttrKind::String};
  p[CTRL_ATTR_MCAST_GRP_ID] = {AttrKind::U32};
  return p;
}();

}  // namespace

bool decode_genl_family(const uint8_t* msg, size_t len, GenlFamily& out, std::string* why) {
  constexpr size_t head = NLMSG_HDRLEN + GENL_HDRLEN;
  if (len < head) {
    if (why) *why = "generic netlink reply too short";
    return false;
  }
  AttrTable tb;
  if (!tb.parse(msg + head, len - head, kFamilyPolicy.data(), CTRL_ATTR_MAX, why)) return false;
  const Attr* id = tb.get(CTRL_ATTR_FAMILY_ID);
  if (id == nullptr) {
    if (why) *why = "family reply without CTRL_ATTR_FAMILY_ID";
    return false;
  }
  out = GenlFamily{};
  out.id = id->u16();
  if (const Attr* a = tb.get(CTRL_ATTR_FAMILY_NAME)) out.name = a->str();
  if (const Attr* a = tb.get(CTRL_ATTR_VERSION)) out.version = a->u32();
  if (const Attr* a = tb.get(CTRL_ATTR_HDRSIZE)) out.hdrsize = a->u32();
  if (const Attr* a = tb.get(CTRL_ATTR_MAXATTR)) out.maxattr = a->u32();
  if (const Attr* groups = tb.get(CTRL_ATTR_MCAST_GROUPS)) {
    bool ok = true;
    bool well_formed = for_each_attr(groups->data(), groups->len(), [&](const Attr& entry) {
      AttrTable g;
      if (!ok || !g.parse(entry, kGroupPolicy.data(), CTRL_ATTR_MCAST_GRP_MAX, why)) {
        ok = false;
        return;
      }
      GenlGroup group;
      if (const Attr* a = g.get(CTRL_ATTR_MCAST_GRP_NAME)) group.name = a->str();
      if (const Attr* a = g.get(CTRL_ATTR_MCAST_GRP_ID)) group.id = a->u32();
      out.groups.push_back(std::move(group));
    });
    if (!well_formed && why) *why = "malformed multicast group list";
    if (!ok || !well_formed) return false;
  }
  return true;
}

Error GenlResolver::resolve(Socket& sock, const std::string& name, GenlFamily& out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(name);
    if (it != cache_.end()) {
      out = it->second;
      return {};
    }
  }
  std::vector<Request> reqs;
  reqs.push_back(genl_getfamily_request(name));
  std::vector<Reply> replies = exchange(sock, reqs);
  Reply& r = replies[0];
  if (!r.error.ok()) return r.error;
  std::string why;
  if (r.messages.empty() ||
      !decode_genl_family(r.messages[0].data(), r.messages[0].size(), out, &why))
    return Error{EBADMSG, "", -1, why.empty() ? "no family in reply" : why};
  std::lock_guard<std::mutex> lock(mu_);
  cache_[name] = out;
  return {};
}

}  // namespace nl
