// Decoders on replies captured from a real kernel (fixtures_rtnl.h), on
// our own requests, and on every truncation of those (ASan checks that no
// decoder reads past the end).
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "../codec/rtnl_addr.h"
#include "../codec/rtnl_link.h"
#include "../nl/genl.h"
#include "check.h"
#include "fixtures_rtnl.h"
#include "wire.h"

using wire::Bytes;

namespace {

std::vector<codec::Link> decode_links(const Bytes& dgram) {
  std::vector<codec::Link> out;
  for (const Bytes& m : wire::split(dgram)) {
    codec::Link l;
    std::string why;
    if (!codec::link_decode(m.data(), m.size(), l, &why)) check::fail(__FILE__, __LINE__, "link_decode: " + why);
    out.push_back(l);
  }
  return out;
}

std::vector<codec::Address> decode_addrs(const Bytes& dgram) {
  std::vector<codec::Address> out;
  for (const Bytes& m : wire::split(dgram)) {
    codec::Address a;
    std::string why;
    if (!codec::addr_decode(m.data(), m.size(), a, &why)) check::fail(__FILE__, __LINE__, "addr_decode: " + why);
    out.push_back(a);
  }
  return out;
}

}  // namespace

TEST(decode_link_dump_from_kernel) {
  // `ip -d link show` in a netns with lo (up) and ve0 (mtu 1400, up, MAC
  // 02:00:00:00:00:01, peer ve1 = ifindex 2 in another netns).
  std::vector<codec::Link> links = decode_links(wire::of(fixtures::kLinkDumpDatagram));
  REQUIRE_EQ(links.size(), 2u);
  const codec::Link& lo = links[0];
  CHECK_EQ(lo.index, 1u);
  CHECK_EQ(lo.name, "lo");
  CHECK_EQ(lo.kind, "");
  CHECK_EQ(lo.type, ARPHRD_LOOPBACK);
  CHECK_EQ(lo.flags, IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP);
  CHECK_EQ(lo.mtu, 65536u);
  CHECK_EQ(lo.address, Bytes(6, 0));
  CHECK_EQ(lo.operstate, IF_OPER_UNKNOWN);
  CHECK_EQ(lo.master, 0u);
  CHECK_EQ(lo.parent, 0u);
  CHECK_EQ(lo.link_netnsid, -1);

  const codec::Link& ve = links[1];
  CHECK_EQ(ve.index, 2u);
  CHECK_EQ(ve.name, "ve0");
  CHECK_EQ(ve.kind, "veth");
  CHECK_EQ(ve.type, ARPHRD_ETHER);
  CHECK_EQ(ve.flags, IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP);
  CHECK_EQ(ve.mtu, 1400u);
  CHECK_EQ(ve.address, (Bytes{2, 0, 0, 0, 0, 1}));
  CHECK_EQ(ve.operstate, IF_OPER_UP);
  CHECK_EQ(ve.master, 0u);
  CHECK_EQ(ve.parent, 2u);       // ve1's index in its own netns ("ve0@if2")
  CHECK_EQ(ve.link_netnsid, 0);  // "link-netns fy": the first nsid fx gave out
}

TEST(decode_addr_dump_from_kernel) {
  std::vector<codec::Address> a = decode_addrs(wire::of(fixtures::kAddrDumpDatagram));
  REQUIRE_EQ(a.size(), 7u);
  // 127.0.0.1/8 scope host lo
  CHECK_EQ(a[0].family, AF_INET);
  CHECK_EQ(a[0].index, 1u);
  CHECK_EQ(a[0].prefixlen, 8);
  CHECK_EQ(a[0].scope, RT_SCOPE_HOST);
  CHECK_EQ(a[0].local, (Bytes{127, 0, 0, 1}));
  CHECK_EQ(a[0].address, (Bytes{127, 0, 0, 1}));
  CHECK_EQ(a[0].label, "lo");
  CHECK_EQ(a[0].flags, IFA_F_PERMANENT);
  CHECK_EQ(a[0].valid_lft, 0xffffffffu);
  CHECK_EQ(a[0].preferred_lft, 0xffffffffu);
  // 10.1.2.4/32 dev lo valid_lft 100 preferred_lft 50, captured 57 s later:
  // deprecated, preferred 0, valid 43.
  CHECK_EQ(a[1].local, (Bytes{10, 1, 2, 4}));
  CHECK_EQ(a[1].prefixlen, 32);
  CHECK_EQ(a[1].flags, IFA_F_DEPRECATED);
  CHECK_EQ(a[1].valid_lft, 43u);
  CHECK_EQ(a[1].preferred_lft, 0u);
  // 10.0.0.1/24 on ve0, then 10.9.9.9/32 labelled ve0:x
  CHECK_EQ(a[2].index, 2u);
  CHECK_EQ(a[2].local, (Bytes{10, 0, 0, 1}));
  CHECK_EQ(a[2].prefixlen, 24);
  CHECK_EQ(a[2].scope, RT_SCOPE_UNIVERSE);
  CHECK_EQ(a[2].label, "ve0");
  CHECK_EQ(a[3].local, (Bytes{10, 9, 9, 9}));
  CHECK_EQ(a[3].label, "ve0:x");
  // ::1/128 lo: IPv6 has IFA_ADDRESS only, no IFA_LOCAL, no label.
  CHECK_EQ(a[4].family, AF_INET6);
  CHECK_EQ(a[4].index, 1u);
  CHECK_EQ(a[4].prefixlen, 128);
  CHECK_EQ(a[4].address, (Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  CHECK(a[4].local.empty());
  CHECK_EQ(a[4].label, "");
  // 2001:db8::1/64 nodad
  CHECK_EQ(a[5].address, (Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  CHECK_EQ(a[5].flags, IFA_F_PERMANENT | IFA_F_NODAD);
  // fe80::ff:fe00:1/64 scope link, from the MAC
  CHECK_EQ(a[6].scope, RT_SCOPE_LINK);
  CHECK_EQ(a[6].address, (Bytes{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 1}));
}

TEST(decode_genl_family_from_kernel) {
  // `genl ctrl get name nlctrl`
  Bytes m = wire::of(fixtures::kNlctrlFamily);
  nl::GenlFamily f;
  std::string why;
  REQUIRE(nl::decode_genl_family(m.data(), m.size(), f, &why));
  CHECK_EQ(f.name, "nlctrl");
  CHECK_EQ(f.id, GENL_ID_CTRL);
  CHECK_EQ(f.version, 2u);
  CHECK_EQ(f.hdrsize, 0u);
  CHECK_EQ(f.maxattr, 0u);
  REQUIRE_EQ(f.groups.size(), 1u);
  CHECK_EQ(f.groups[0].name, "notify");
  CHECK_EQ(f.groups[0].id, 0x10u);
}

TEST(decode_genl_family_rejects) {
  nl::GenlFamily f;
  std::string why;
  Bytes m = wire::of(fixtures::kNlctrlFamily);
  CHECK(!nl::decode_genl_family(m.data(), 19, f, &why));
  CHECK_EQ(why, "generic netlink reply too short");
  // Without CTRL_ATTR_FAMILY_ID.
  Bytes no_id = wire::msg(GENL_ID_CTRL, 0, 1, 1,
                          wire::cat({Bytes{CTRL_CMD_NEWFAMILY, 2, 0, 0}, wire::attr(CTRL_ATTR_FAMILY_NAME, wire::str("x"))}));
  CHECK(!nl::decode_genl_family(no_id.data(), no_id.size(), f, &why));
  CHECK_EQ(why, "family reply without CTRL_ATTR_FAMILY_ID");
  // A family id of the wrong width.
  Bytes wide = wire::msg(GENL_ID_CTRL, 0, 1, 1,
                         wire::cat({Bytes{CTRL_CMD_NEWFAMILY, 2, 0, 0}, wire::attr(CTRL_ATTR_FAMILY_ID, wire::le32(20))}));
  CHECK(!nl::decode_genl_family(wide.data(), wide.size(), f, &why));
  // A broken multicast group list.
  Bytes groups = wire::msg(
      GENL_ID_CTRL, 0, 1, 1,
      wire::cat({Bytes{CTRL_CMD_NEWFAMILY, 2, 0, 0}, wire::attr(CTRL_ATTR_FAMILY_ID, wire::le16(20)),
                 wire::attr(CTRL_ATTR_MCAST_GROUPS, wire::cat({wire::le16(99), wire::le16(1), Bytes(4, 0)}))}));
  why.clear();
  CHECK(!nl::decode_genl_family(groups.data(), groups.size(), f, &why));
  CHECK_EQ(why, "malformed multicast group list");
  // A group whose id has the wrong width.
  Bytes group_id = wire::msg(
      GENL_ID_CTRL, 0, 1, 1,
      wire::cat({Bytes{CTRL_CMD_NEWFAMILY, 2, 0, 0}, wire::attr(CTRL_ATTR_FAMILY_ID, wire::le16(20)),
                 wire::attr(CTRL_ATTR_MCAST_GROUPS | NLA_F_NESTED,
                            wire::attr(1 | NLA_F_NESTED, wire::attr(CTRL_ATTR_MCAST_GRP_ID, wire::le16(3))))}));
  CHECK(!nl::decode_genl_family(group_id.data(), group_id.size(), f, &why));
}

TEST(decode_link_roundtrip_own_request) {
  // Our RTM_NEWLINK request has the shape of a reply: decode it back.
  codec::NewLink l;
  l.name = "ve7";
  l.kind = "veth";
  l.mtu = 9000;
  l.up = true;
  l.peer_name = "ve8";
  nl::Request r = codec::link_new(l);
  codec::Link out;
  std::string why;
  REQUIRE(codec::link_decode(r.msg.bytes().data(), r.msg.size(), out, &why));
  CHECK_EQ(out.name, "ve7");
  CHECK_EQ(out.kind, "veth");
  CHECK_EQ(out.mtu, 9000u);
  CHECK_EQ(out.flags, IFF_UP);
  CHECK_EQ(out.index, 0u);
}

TEST(decode_addr_roundtrip_own_request) {
  codec::Address a;
  a.index = 3;
  a.family = AF_INET6;
  a.prefixlen = 64;
  a.scope = RT_SCOPE_UNIVERSE;
  a.flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE;
  a.local = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  a.label = "x";
  a.valid_lft = 600;
  a.preferred_lft = 300;
  nl::Request r = codec::addr_new(a, false);
  codec::Address out;
  std::string why;
  REQUIRE(codec::addr_decode(r.msg.bytes().data(), r.msg.size(), out, &why));
  CHECK_EQ(out.index, 3u);
  CHECK_EQ(out.family, AF_INET6);
  CHECK_EQ(out.prefixlen, 64);
  CHECK_EQ(out.flags, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);  // from IFA_FLAGS
  CHECK_EQ(out.local, a.local);
  CHECK_EQ(out.address, a.local);
  CHECK_EQ(out.label, "x");
  CHECK_EQ(out.valid_lft, 600u);
  CHECK_EQ(out.preferred_lft, 300u);
}

TEST(decode_rejects_bad_attributes) {
  std::string why;
  codec::Link l;
  // IFLA_MTU of two bytes.
  Bytes bad_mtu = wire::msg(RTM_NEWLINK, 0, 0, 0, wire::cat({Bytes(16, 0), wire::attr(IFLA_MTU, wire::le16(1500))}));
  CHECK(!codec::link_decode(bad_mtu.data(), bad_mtu.size(), l, &why));
  CHECK(why.find("attribute 4") != std::string::npos);
  // IFLA_LINKINFO whose inside is broken.
  Bytes bad_info = wire::msg(RTM_NEWLINK, 0, 0, 0,
                             wire::cat({Bytes(16, 0), wire::attr(IFLA_LINKINFO, wire::cat({wire::le16(50), wire::le16(1)}))}));
  CHECK(!codec::link_decode(bad_info.data(), bad_info.size(), l, &why));
  // An IFLA_ADDRESS longer than any link-layer address we accept.
  Bytes long_addr = wire::msg(RTM_NEWLINK, 0, 0, 0, wire::cat({Bytes(16, 0), wire::attr(IFLA_ADDRESS, Bytes(33, 1))}));
  CHECK(!codec::link_decode(long_addr.data(), long_addr.size(), l, &why));
  // Too short for ifinfomsg.
  CHECK(!codec::link_decode(bad_mtu.data(), 31, l, &why));
  CHECK_EQ(why, "link message too short");

  codec::Address a;
  // IFA_LOCAL of 3 bytes; IFA_CACHEINFO too short.
  Bytes bad_local = wire::msg(RTM_NEWADDR, 0, 0, 0, wire::cat({Bytes(8, 0), wire::attr(IFA_LOCAL, {1, 2, 3})}));
  CHECK(!codec::addr_decode(bad_local.data(), bad_local.size(), a, &why));
  Bytes bad_ci = wire::msg(RTM_NEWADDR, 0, 0, 0, wire::cat({Bytes(8, 0), wire::attr(IFA_CACHEINFO, Bytes(12, 0))}));
  CHECK(!codec::addr_decode(bad_ci.data(), bad_ci.size(), a, &why));
  CHECK(!codec::addr_decode(bad_local.data(), 23, a, &why));
  CHECK_EQ(why, "address message too short");
}

TEST(decode_every_truncation_is_safe) {
  // Each captured message, cut at every length, in an exact-size buffer:
  // decoders may accept or refuse, but must not read past the end.
  std::vector<Bytes> all;
  for (const Bytes& m : wire::split(wire::of(fixtures::kLinkDumpDatagram))) all.push_back(m);
  for (const Bytes& m : wire::split(wire::of(fixtures::kAddrDumpDatagram))) all.push_back(m);
  all.push_back(wire::of(fixtures::kNlctrlFamily));
  size_t accepted = 0;
  for (const Bytes& m : all) {
    for (size_t n = 0; n <= m.size(); ++n) {
      Bytes cut(m.begin(), m.begin() + n);
      codec::Link l;
      codec::Address a;
      nl::GenlFamily f;
      std::string why;
      accepted += codec::link_decode(cut.data(), cut.size(), l, &why);
      accepted += codec::addr_decode(cut.data(), cut.size(), a, &why);
      accepted += nl::decode_genl_family(cut.data(), cut.size(), f, &why);
    }
  }
  CHECK(accepted > 0);
}
