// The rtnl (and genl) requests we build, byte for byte: against what
// iproute2 6.1.0 sends for the same command (captured with strace, see
// fixtures_rtnl.h), and against bytes derived by hand from the uapi structs
// where ip has no equivalent.
//
// Our messages carry seq 0 and no NLM_F_REQUEST/NLM_F_ACK (or NLM_F_DUMP)
// until exchange() adds them; the tests add the same flags and zero ip's
// seq before comparing. ip's nlmsg_pid is 0 too.
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <algorithm>

#include "../codec/rtnl_addr.h"
#include "../codec/rtnl_link.h"
#include "../nl/genl.h"
#include "check.h"
#include "fixtures_rtnl.h"
#include "wire.h"

using wire::Bytes;

namespace {

// ip's request with nlmsg_seq zeroed.
template <size_t N>
Bytes golden(const uint8_t (&a)[N]) {
  Bytes b = wire::of(a);
  wire::set32(b, 8, 0);
  return b;
}

// Our request as exchange() would send it (seq left at 0).
Bytes sent(nl::Request r) {
  r.msg.add_flags(r.dump ? (NLM_F_REQUEST | NLM_F_DUMP) : (NLM_F_REQUEST | NLM_F_ACK));
  return r.msg.bytes();
}

Bytes head(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + std::min(n, b.size())); }

using AttrList = std::vector<std::pair<uint16_t, Bytes>>;

// The attributes as a set: type without flag bits, payload; sorted.
AttrList as_set(AttrList list) {
  for (auto& a : list) a.first &= NLA_TYPE_MASK;
  std::sort(list.begin(), list.end());
  return list;
}

constexpr size_t kIfi = 16 + sizeof(ifinfomsg);   // 32: attributes of a link message start here
constexpr size_t kIfa = 16 + sizeof(ifaddrmsg);   // 24: ... of an address message

codec::Address v4(uint32_t index, uint8_t prefixlen, std::vector<uint8_t> local) {
  codec::Address a;
  a.index = index;
  a.family = AF_INET;
  a.prefixlen = prefixlen;
  a.local = std::move(local);
  return a;
}

}  // namespace

// ---- addresses -----------------------------------------------------------

TEST(encode_addr_new_matches_ip) {
  // ip addr add 10.0.0.1/24 dev ve0: identical, IFA_LOCAL then IFA_ADDRESS.
  Bytes want = golden(fixtures::kIpAddrAdd);
  uint32_t index = wire::get32(want, 20);
  CHECK_EQ(sent(codec::addr_new(v4(index, 24, {10, 0, 0, 1}), false)), want);
}

TEST(encode_addr_replace_matches_ip) {
  // ip addr replace 10.0.0.1/24 dev ve0: NLM_F_REPLACE|NLM_F_CREATE instead of EXCL.
  Bytes want = golden(fixtures::kIpAddrReplace);
  CHECK_EQ(sent(codec::addr_new(v4(wire::get32(want, 20), 24, {10, 0, 0, 1}), true)), want);
}

TEST(encode_addr_lifetimes_match_ip) {
  // ip addr add 10.1.2.4/32 dev lo valid_lft 100 preferred_lft 50: IFA_CACHEINFO
  // {ifa_prefered 50, ifa_valid 100, cstamp 0, tstamp 0} after the addresses.
  Bytes want = golden(fixtures::kIpAddrAddLifetimes);
  codec::Address a = v4(wire::get32(want, 20), 32, {10, 1, 2, 4});
  a.valid_lft = 100;
  a.preferred_lft = 50;
  CHECK_EQ(sent(codec::addr_new(a, false)), want);
}

TEST(encode_addr_v6_nodad_matches_ip) {
  // ip -6 addr add 2001:db8::1/64 dev ve0 nodad: IFA_F_NODAD fits in ifa_flags.
  Bytes want = golden(fixtures::kIpAddrAdd6Nodad);
  codec::Address a;
  a.index = wire::get32(want, 20);
  a.family = AF_INET6;
  a.prefixlen = 64;
  a.flags = IFA_F_NODAD;
  a.local = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  CHECK_EQ(sent(codec::addr_new(a, false)), want);
}

TEST(encode_addr_v6_wide_flags_vs_ip) {
  // ip -6 addr add 2001:db8::2/64 dev ve0 nodad noprefixroute: flags 0x202 do
  // not fit in ifa_flags. ip then leaves ifa_flags 0 and sends IFA_FLAGS
  // between IFA_LOCAL and IFA_ADDRESS; we put the low byte in ifa_flags as
  // well and IFA_FLAGS last. The kernel takes IFA_FLAGS over ifa_flags when
  // present, so both mean the same; compare all but ifa_flags, attributes as
  // a set.
  Bytes want = golden(fixtures::kIpAddrAdd6Flags);
  codec::Address a;
  a.index = wire::get32(want, 20);
  a.family = AF_INET6;
  a.prefixlen = 64;
  a.flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE;
  a.local = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  Bytes got = sent(codec::addr_new(a, false));
  CHECK_EQ(got.size(), want.size());
  CHECK_EQ(head(got, 18), head(want, 18));
  CHECK_EQ(got[18], IFA_F_NODAD);  // ifaddrmsg.ifa_flags
  CHECK_EQ(want[18], 0);
  CHECK_EQ(Bytes(got.begin() + 19, got.begin() + kIfa), Bytes(want.begin() + 19, want.begin() + kIfa));
  CHECK(as_set(wire::attrs(got, kIfa)) == as_set(wire::attrs(want, kIfa)));
  CHECK_EQ(wire::find(wire::attrs(got, kIfa), IFA_FLAGS), wire::le32(0x202));
}

TEST(encode_addr_label_vs_ip) {
  // ip addr add 10.0.0.2/32 dev ve0 label ve0:x: ip puts IFA_LABEL between
  // IFA_LOCAL and IFA_ADDRESS, we put it after. Same header, same attributes.
  Bytes want = golden(fixtures::kIpAddrAddLabel);
  codec::Address a = v4(wire::get32(want, 20), 32, {10, 0, 0, 2});
  a.label = "ve0:x";
  Bytes got = sent(codec::addr_new(a, false));
  CHECK_EQ(got.size(), want.size());
  CHECK_EQ(head(got, kIfa), head(want, kIfa));
  CHECK(as_set(wire::attrs(got, kIfa)) == as_set(wire::attrs(want, kIfa)));
  CHECK_EQ(wire::find(wire::attrs(got, kIfa), IFA_LABEL), wire::str("ve0:x"));
}

TEST(encode_addr_peer_scope_matches_ip) {
  // ip addr add 10.0.0.5 peer 10.0.0.6/32 dev ve0 scope link: local and peer
  // differ, scope RT_SCOPE_LINK (253).
  Bytes want = golden(fixtures::kIpAddrAddPeer);
  codec::Address a = v4(wire::get32(want, 20), 32, {10, 0, 0, 5});
  a.address = {10, 0, 0, 6};
  a.scope = RT_SCOPE_LINK;
  CHECK_EQ(sent(codec::addr_new(a, false)), want);
}

TEST(encode_addr_del_matches_ip) {
  // ip addr del 10.0.0.1/24 dev ve0
  Bytes want = golden(fixtures::kIpAddrDel);
  CHECK_EQ(sent(codec::addr_del(v4(wire::get32(want, 20), 24, {10, 0, 0, 1}))), want);
}

TEST(encode_addr_dump_matches_ip) {
  // ip -4 addr show: RTM_GETADDR, NLM_F_REQUEST|NLM_F_DUMP, ifaddrmsg{AF_INET}.
  CHECK_EQ(sent(codec::addr_dump(AF_INET)), golden(fixtures::kIpAddrShow4));
  // Both families: the same with family 0.
  Bytes all = sent(codec::addr_dump(0));
  Bytes want = golden(fixtures::kIpAddrShow4);
  want[16] = AF_UNSPEC;
  CHECK_EQ(all, want);
}

TEST(encode_addr_hand_derived) {
  // No ip equivalent: only an IFA_ADDRESS given (local defaults to it), a
  // label, and only valid_lft changed. From <linux/if_addr.h>:
  //   nlmsghdr  len=72 type=RTM_NEWADDR(20) flags=CREATE|EXCL(0x600)
  //   ifaddrmsg family=2 prefixlen=8 flags=0 scope=254(host) index=1
  //   IFA_LOCAL(2)  127.0.0.9          IFA_ADDRESS(1) 127.0.0.9
  //   IFA_LABEL(3)  "lo:a\0" (len 9, 3 bytes padding)
  //   IFA_CACHEINFO(6) {prefered 0xffffffff, valid 30, cstamp 0, tstamp 0}
  codec::Address a;
  a.index = 1;
  a.family = AF_INET;
  a.prefixlen = 8;
  a.scope = RT_SCOPE_HOST;
  a.address = {127, 0, 0, 9};
  a.label = "lo:a";
  a.valid_lft = 30;
  const Bytes want = {
      72, 0, 0, 0, 20, 0, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,  //
      2, 8, 0, 254, 1, 0, 0, 0,                                //
      8, 0, 2, 0, 127, 0, 0, 9,                                //
      8, 0, 1, 0, 127, 0, 0, 9,                                //
      9, 0, 3, 0, 'l', 'o', ':', 'a', 0, 0, 0, 0,              //
      20, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  };
  CHECK_EQ(codec::addr_new(a, false).msg.bytes(), want);
  CHECK(!codec::addr_new(a, false).dump);
  CHECK(codec::addr_dump(AF_INET6).dump);
}

// ---- links ---------------------------------------------------------------

TEST(encode_link_set_matches_ip) {
  // ip link set dev ve0 up mtu 1400: ip resolves the name to its index first.
  Bytes want = golden(fixtures::kIpLinkSetUpMtu);
  codec::LinkRef ref{wire::get32(want, 20), ""};
  codec::LinkChange up;
  up.up = true;
  up.mtu = 1400;
  CHECK_EQ(sent(codec::link_set(ref, up)), want);
  // ip link set dev ve0 down: ifi_change IFF_UP, ifi_flags 0.
  Bytes want_down = golden(fixtures::kIpLinkSetDown);
  codec::LinkChange down;
  down.up = false;
  CHECK_EQ(sent(codec::link_set({wire::get32(want_down, 20), ""}, down)), want_down);
}

TEST(encode_link_set_by_name_hand_derived) {
  // By name, nothing but the mtu: ifinfomsg all zero (ifi_change 0 leaves
  // the flags alone), IFLA_IFNAME "eth1\0" (len 9), IFLA_MTU 9000.
  codec::LinkChange c;
  c.mtu = 9000;
  const Bytes want = {
      52, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    //
      9, 0, 3, 0, 'e', 't', 'h', '1', 0, 0, 0, 0,        //
      8, 0, 4, 0, 0x28, 0x23, 0, 0,
  };
  CHECK_EQ(codec::link_set({0, "eth1"}, c).msg.bytes(), want);
}

TEST(encode_link_del_matches_ip) {
  // ip link del ve0: by index, no attributes.
  Bytes want = golden(fixtures::kIpLinkDel);
  CHECK_EQ(sent(codec::link_del({wire::get32(want, 20), ""})), want);
  // By name: the same header with index 0 and IFLA_IFNAME.
  Bytes by_name = sent(codec::link_del({0, "ve0"}));
  Bytes want_name = wire::cat({head(want, 20), wire::le32(0), Bytes(want.begin() + 24, want.end()),
                               wire::attr(IFLA_IFNAME, wire::str("ve0"))});
  wire::set32(want_name, 0, static_cast<uint32_t>(want_name.size()));
  CHECK_EQ(by_name, want_name);
}

TEST(encode_link_get_vs_ip) {
  // ip link show dev ve0: ip asks with ifi_family AF_PACKET, adds
  // IFLA_EXT_MASK(RTEXT_FILTER_VF) and sets only NLM_F_REQUEST; we send
  // AF_UNSPEC, no mask, and exchange() adds NLM_F_ACK to every non-dump
  // request (the link comes first, then the ACK). Same type, same IFLA_IFNAME.
  Bytes want = golden(fixtures::kIpLinkShowDev);
  Bytes got = sent(codec::link_get({0, "ve0"}));
  CHECK_EQ(wire::get16(got, 4), wire::get16(want, 4));  // RTM_GETLINK
  CHECK_EQ(wire::get16(want, 6), NLM_F_REQUEST);
  CHECK_EQ(wire::get16(got, 6), NLM_F_REQUEST | NLM_F_ACK);
  CHECK_EQ(want[16], AF_PACKET);
  CHECK_EQ(got[16], AF_UNSPEC);
  CHECK_EQ(Bytes(got.begin() + 17, got.begin() + kIfi), Bytes(want.begin() + 17, want.begin() + kIfi));
  bool found = false;
  CHECK_EQ(wire::find(wire::attrs(got, kIfi), IFLA_IFNAME), wire::find(wire::attrs(want, kIfi), IFLA_IFNAME, &found));
  CHECK(found);
  CHECK_EQ(wire::attrs(got, kIfi).size(), 1u);
}

TEST(encode_link_dump_vs_ip) {
  // ip link show: RTM_GETLINK, NLM_F_REQUEST|NLM_F_DUMP; ip uses ifi_family
  // AF_PACKET and IFLA_EXT_MASK(RTEXT_FILTER_VF), we AF_UNSPEC and nothing.
  Bytes want = golden(fixtures::kIpLinkShow);
  Bytes got = sent(codec::link_dump());
  CHECK_EQ(got.size(), kIfi);
  CHECK_EQ(wire::get16(got, 4), wire::get16(want, 4));
  CHECK_EQ(wire::get16(got, 6), wire::get16(want, 6));
  CHECK_EQ(Bytes(got.begin() + 16, got.end()), Bytes(16, 0));
  CHECK_EQ(wire::find(wire::attrs(want, kIfi), IFLA_EXT_MASK), wire::le32(RTEXT_FILTER_VF));
}

namespace {

// What ip and we both must say in a RTM_NEWLINK create: header (but for
// nlmsg_len, checked by the callers) and ifinfomsg identical; the same top-level attributes except IFLA_LINKINFO, where ip
// sends IFLA_LINKINFO/IFLA_INFO_DATA/VETH_INFO_PEER without NLA_F_NESTED
// and IFLA_INFO_KIND without a trailing NUL (addattr_l(..., strlen(kind))),
// and we set NLA_F_NESTED and send the NUL. The kernel accepts both.
void compare_newlink(const Bytes& got, const Bytes& want, const std::string& kind) {
  CHECK_EQ(Bytes(got.begin() + 4, got.begin() + kIfi), Bytes(want.begin() + 4, want.begin() + kIfi));
  AttrList g = wire::attrs(got, kIfi), w = wire::attrs(want, kIfi);
  AttrList g_rest, w_rest;
  for (auto& a : g)
    if ((a.first & NLA_TYPE_MASK) != IFLA_LINKINFO) g_rest.push_back(a);
  for (auto& a : w)
    if ((a.first & NLA_TYPE_MASK) != IFLA_LINKINFO) w_rest.push_back(a);
  CHECK(as_set(g_rest) == as_set(w_rest));
  for (auto& a : g)
    if ((a.first & NLA_TYPE_MASK) == IFLA_LINKINFO) CHECK_EQ(a.first, IFLA_LINKINFO | NLA_F_NESTED);
  for (auto& a : w)
    if ((a.first & NLA_TYPE_MASK) == IFLA_LINKINFO) CHECK_EQ(a.first, IFLA_LINKINFO);
  Bytes gi = wire::find(g, IFLA_LINKINFO), wi = wire::find(w, IFLA_LINKINFO);
  Bytes gk = wire::find(wire::attrs(gi, 0), IFLA_INFO_KIND), wk = wire::find(wire::attrs(wi, 0), IFLA_INFO_KIND);
  CHECK_EQ(gk, wire::str(kind));
  CHECK_EQ(wk, wire::str(kind, false));
}

}  // namespace

TEST(encode_link_new_dummy_vs_ip) {
  // ip link add d0 type dummy
  codec::NewLink l;
  l.name = "d0";
  l.kind = "dummy";
  Bytes want = golden(fixtures::kIpLinkAddDummy);
  Bytes got = sent(codec::link_new(l));
  // ip: 56 bytes, kind "dummy" (len 9, padded to 12); ours "dummy\0" (len 10, padded to 12).
  CHECK_EQ(got.size(), want.size());
  compare_newlink(got, want, "dummy");
}

TEST(encode_link_new_dummy_hand_derived) {
  // ip link add d0 type dummy, as we send it, from <linux/if_link.h>:
  const Bytes want = {
      56, 0, 0, 0, 16, 0, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,  // RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,          // ifinfomsg
      7, 0, 3, 0, 'd', '0', 0, 0,                              // IFLA_IFNAME "d0\0"
      16, 0, 18, 0x80,                                         // IFLA_LINKINFO | NLA_F_NESTED
      10, 0, 1, 0, 'd', 'u', 'm', 'm', 'y', 0, 0, 0,           //   IFLA_INFO_KIND "dummy\0"
  };
  codec::NewLink l;
  l.name = "d0";
  l.kind = "dummy";
  CHECK_EQ(sent(codec::link_new(l)), want);
  // The only bytes that differ from ip's: NLA_F_NESTED and the kind's NUL/length.
  Bytes ip = golden(fixtures::kIpLinkAddDummy);
  std::vector<size_t> differ;
  for (size_t i = 0; i < want.size() && i < ip.size(); ++i)
    if (want[i] != ip[i]) differ.push_back(i);
  CHECK_EQ(differ, (std::vector<size_t>{43, 44}));
}

TEST(encode_link_new_dummy_mtu_up_vs_ip) {
  // ip link add d0 mtu 1400 up type dummy: ifi_flags = ifi_change = IFF_UP;
  // ip sends IFLA_MTU before IFLA_IFNAME, we after.
  codec::NewLink l;
  l.name = "d0";
  l.kind = "dummy";
  l.mtu = 1400;
  l.up = true;
  Bytes want = golden(fixtures::kIpLinkAddDummyMtuUp);
  Bytes got = sent(codec::link_new(l));
  CHECK_EQ(got.size(), want.size());
  compare_newlink(got, want, "dummy");
  CHECK_EQ(wire::get32(got, 24), IFF_UP);
  CHECK_EQ(wire::get32(got, 28), IFF_UP);
}

TEST(encode_link_new_veth_vs_ip) {
  // ip link add ve0 type veth peer name ve1: IFLA_INFO_DATA holds
  // VETH_INFO_PEER = ifinfomsg + the peer's attributes. Past the nesting
  // flags, the peer's bytes are identical.
  codec::NewLink l;
  l.name = "ve0";
  l.kind = "veth";
  l.peer_name = "ve1";
  Bytes want = golden(fixtures::kIpLinkAddVeth);
  Bytes got = sent(codec::link_new(l));
  // ip's kind "veth" is 8 bytes, ours "veth\0" 9, padded to 12: 4 bytes more.
  CHECK_EQ(got.size(), want.size() + 4);
  compare_newlink(got, want, "veth");
  auto peer_of = [](const Bytes& m) {
    Bytes info = wire::find(wire::attrs(m, kIfi), IFLA_LINKINFO);
    Bytes data = wire::find(wire::attrs(info, 0), IFLA_INFO_DATA);
    return std::make_pair(wire::attrs(data, 0), data);
  };
  auto [gp, gdata] = peer_of(got);
  auto [wp, wdata] = peer_of(want);
  REQUIRE_EQ(gp.size(), 1u);
  REQUIRE_EQ(wp.size(), 1u);
  CHECK_EQ(gp[0].first, VETH_INFO_PEER | NLA_F_NESTED);
  CHECK_EQ(wp[0].first, VETH_INFO_PEER);
  CHECK_EQ(gp[0].second, wp[0].second);  // ifinfomsg{} + IFLA_IFNAME "ve1\0"
  CHECK_EQ(gp[0].second, wire::cat({Bytes(16, 0), wire::attr(IFLA_IFNAME, wire::str("ve1"))}));
}

TEST(encode_link_new_veth_hand_derived) {
  // No ip equivalent in the captures: mtu, up, and the peer moved to another
  // netns by fd. From <linux/if_link.h> and <linux/veth.h>:
  codec::NewLink l;
  l.name = "va";
  l.kind = "veth";
  l.mtu = 1500;
  l.up = true;
  l.peer_name = "vb";
  l.peer_netns_fd = 5;
  const Bytes want = {
      112, 0, 0, 0, 16, 0, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,  // len, RTM_NEWLINK, CREATE|EXCL
      0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,          // ifinfomsg: flags=change=IFF_UP
      7, 0, 3, 0, 'v', 'a', 0, 0,                              // IFLA_IFNAME "va\0"
      8, 0, 4, 0, 0xdc, 0x05, 0, 0,                            // IFLA_MTU 1500
      64, 0, 18, 0x80,                                         // IFLA_LINKINFO (nested)
      9, 0, 1, 0, 'v', 'e', 't', 'h', 0, 0, 0, 0,              //   IFLA_INFO_KIND "veth\0"
      48, 0, 2, 0x80,                                          //   IFLA_INFO_DATA (nested)
      44, 0, 1, 0x80,                                          //     VETH_INFO_PEER (nested)
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,          //       ifinfomsg{}
      7, 0, 3, 0, 'v', 'b', 0, 0,                              //       IFLA_IFNAME "vb\0"
      8, 0, 4, 0, 0xdc, 0x05, 0, 0,                            //       IFLA_MTU 1500
      8, 0, 28, 0, 5, 0, 0, 0,                                 //       IFLA_NET_NS_FD 5
  };
  CHECK_EQ(codec::link_new(l).msg.bytes(), want);
}

// ---- generic netlink -----------------------------------------------------

TEST(encode_genl_getfamily_vs_genl) {
  // genl ctrl get name nlctrl: GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
  // CTRL_ATTR_FAMILY_NAME "nlctrl\0". genl(8) sends genlmsghdr.version 0,
  // we send 1; the controller ignores it. Everything else is identical.
  Bytes want = golden(fixtures::kGenlCtrlGetNlctrl);
  nl::Request r = nl::genl_getfamily_request("nlctrl");
  CHECK(!r.dump);
  Bytes got = sent(std::move(r));
  REQUIRE_EQ(got.size(), want.size());
  CHECK_EQ(got[16], CTRL_CMD_GETFAMILY);
  CHECK_EQ(got[17], 1);
  CHECK_EQ(want[17], 0);
  got[17] = 0;
  CHECK_EQ(got, want);
}
