// IPVS codec against ipvsadm: every command we encode is compared byte for
// byte with what ipvsadm 1.31 sent for the same command (captured under
// strace in the VM, see scripts/ipvs/capture.sh), and the kernel's captured
// replies are decoded.
//
// Normalised before comparing, because they differ per process and boot:
// nlmsg_seq and nlmsg_pid (zeroed in both), and the IPVS family id (we
// encode with the id recorded in the capture). libnl also sets NLM_F_ACK on
// dump requests, which the kernel ignores for dumps; it is masked out there.
#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../codec/ipvs_daemon.h"
#include "../codec/ipvs_dest.h"
#include "../codec/ipvs_info.h"
#include "../codec/ipvs_service.h"
#include "check.h"
#include "fixtures_ipvs.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes unhex(const char* h) {
  Bytes out;
  for (size_t i = 0; h[i] != '\0' && h[i + 1] != '\0'; i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(h + i, 2), nullptr, 16)));
  return out;
}

const fixtures::IpvsCapture& capture(const std::string& name) {
  for (const auto& c : fixtures::ipvs_captures())
    if (name == c.name) return c;
  throw std::runtime_error("no capture " + name);
}

// Zeroes seq and pid; masks NLM_F_ACK on dumps.
Bytes normalise(Bytes b) {
  for (size_t i = 8; i < 16 && i < b.size(); ++i) b[i] = 0;
  uint16_t flags = static_cast<uint16_t>(b[6] | (b[7] << 8));
  if (flags & NLM_F_DUMP) flags &= static_cast<uint16_t>(~NLM_F_ACK);
  b[6] = static_cast<uint8_t>(flags);
  b[7] = static_cast<uint8_t>(flags >> 8);
  return b;
}

// The bytes exchange() would send for a request: REQUEST|ACK, or REQUEST|DUMP.
Bytes wire(nl::Request r) {
  r.msg.add_flags(NLM_F_REQUEST | (r.dump ? NLM_F_DUMP : NLM_F_ACK));
  return normalise(r.msg.bytes());
}

codec::IpvsAddr v4(const char* s) {
  codec::IpvsAddr a{};
  inet_pton(AF_INET, s, a.data());
  return a;
}
codec::IpvsAddr v6(const char* s) {
  codec::IpvsAddr a{};
  inet_pton(AF_INET6, s, a.data());
  return a;
}

codec::IpvsService svc(uint16_t proto, const char* addr, uint16_t port, const char* sched = "") {
  codec::IpvsService s;
  bool six = std::string(addr).find(':') != std::string::npos;
  s.af = six ? AF_INET6 : AF_INET;
  s.protocol = proto;
  s.addr = six ? v6(addr) : v4(addr);
  s.port = port;
  s.scheduler = sched;
  s.netmask = codec::ipvs_default_netmask(s.af);
  return s;
}
codec::IpvsService fwm(uint16_t af, uint32_t mark, const char* sched = "") {
  codec::IpvsService s;
  s.af = af;
  s.fwmark = mark;
  s.scheduler = sched;
  s.netmask = codec::ipvs_default_netmask(af);
  return s;
}
codec::IpvsDest dest(const char* addr, uint16_t port, uint32_t fwd, uint32_t weight = 1) {
  codec::IpvsDest d;
  bool six = std::string(addr).find(':') != std::string::npos;
  d.af = six ? AF_INET6 : AF_INET;
  d.addr = six ? v6(addr) : v4(addr);
  d.port = port;
  d.fwd_method = fwd;
  d.weight = weight;
  return d;
}

// Our encoding of each captured ipvsadm command (after its GET_INFO), by case name.
std::map<std::string, std::function<std::vector<nl::Request>(uint16_t)>> ours() {
  using R = std::vector<nl::Request>;
  std::map<std::string, std::function<R(uint16_t)>> m;
  auto one = [](nl::Request r) { R v; v.push_back(std::move(r)); return v; };
  m["add_service_tcp_rr"] = [=](uint16_t f) { return one(codec::ipvs_service_new(f, svc(IPPROTO_TCP, "10.0.0.1", 80, "rr"))); };
  m["add_service_duplicate"] = m["add_service_tcp_rr"];
  m["add_service_tcp_persistent"] = [=](uint16_t f) {
    auto s = svc(IPPROTO_TCP, "10.0.0.2", 443, "wlc");
    s.flags = IP_VS_SVC_F_PERSISTENT;
    s.timeout = 50;
    s.netmask = htonl(0xffffff00);
    return one(codec::ipvs_service_new(f, s));
  };
  m["add_service_udp6_sh_flags"] = [=](uint16_t f) {
    auto s = svc(IPPROTO_UDP, "fd00::1", 53, "sh");
    s.flags = IP_VS_SVC_F_SCHED_SH_FALLBACK | IP_VS_SVC_F_SCHED_SH_PORT;
    return one(codec::ipvs_service_new(f, s));
  };
  m["add_service_sctp_mh"] = [=](uint16_t f) {
    auto s = svc(IPPROTO_SCTP, "10.0.0.3", 5000, "mh");
    s.flags = IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2;  // mh-fallback, mh-port
    return one(codec::ipvs_service_new(f, s));
  };
  m["add_service_udp_onepacket"] = [=](uint16_t f) {
    auto s = svc(IPPROTO_UDP, "10.0.0.5", 53, "dh");
    s.flags = IP_VS_SVC_F_ONEPACKET;
    return one(codec::ipvs_service_new(f, s));
  };
  m["add_service_unknown_scheduler"] = [=](uint16_t f) { return one(codec::ipvs_service_new(f, svc(IPPROTO_TCP, "10.0.0.6", 80, "nosuch"))); };
  m["add_service_fwmark"] = [=](uint16_t f) { return one(codec::ipvs_service_new(f, fwm(AF_INET, 42, "lc"))); };
  m["add_service_fwmark6_persistent"] = [=](uint16_t f) {
    auto s = fwm(AF_INET6, 43, "sed");
    s.flags = IP_VS_SVC_F_PERSISTENT;
    s.timeout = 30;
    s.netmask = 64;
    return one(codec::ipvs_service_new(f, s));
  };
  m["add_service_pe_sip"] = [=](uint16_t f) {
    auto s = svc(IPPROTO_UDP, "10.0.0.4", 5060, "rr");
    s.flags = IP_VS_SVC_F_PERSISTENT;
    s.timeout = 60;
    s.pe_name = "sip";
    return one(codec::ipvs_service_new(f, s));
  };
  m["edit_service"] = [=](uint16_t f) { return one(codec::ipvs_service_set(f, svc(IPPROTO_TCP, "10.0.0.1", 80, "wrr"))); };
  const auto web = svc(IPPROTO_TCP, "10.0.0.1", 80);
  m["add_dest_masq_thresholds"] = [=](uint16_t f) {
    auto d = dest("192.168.1.1", 8080, IP_VS_CONN_F_MASQ, 3);
    d.u_thresh = 100;
    d.l_thresh = 10;
    return one(codec::ipvs_dest_new(f, web, d));
  };
  m["add_dest_route_weight0"] = [=](uint16_t f) { return one(codec::ipvs_dest_new(f, web, dest("192.168.1.2", 80, IP_VS_CONN_F_DROUTE, 0))); };
  m["add_dest_tunnel_gue"] = [=](uint16_t f) {
    auto d = dest("192.168.1.3", 80, IP_VS_CONN_F_TUNNEL);
    d.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_GUE;
    d.tun_port = 6080;
    return one(codec::ipvs_dest_new(f, web, d));
  };
  m["add_dest_tunnel_gre_csum"] = [=](uint16_t f) {
    auto d = dest("192.168.1.4", 80, IP_VS_CONN_F_TUNNEL);
    d.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_GRE;
    d.tun_flags = IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
    return one(codec::ipvs_dest_new(f, web, d));
  };
  m["add_dest_tunnel_ipip"] = [=](uint16_t f) {
    return one(codec::ipvs_dest_new(f, svc(IPPROTO_TCP, "10.0.0.2", 443), dest("192.168.1.5", 443, IP_VS_CONN_F_TUNNEL, 2)));
  };
  m["add_dest6_masq"] = [=](uint16_t f) {
    return one(codec::ipvs_dest_new(f, svc(IPPROTO_UDP, "fd00::1", 53), dest("fd00::10", 5353, IP_VS_CONN_F_MASQ)));
  };
  m["add_dest4_on_service6_tunnel"] = [=](uint16_t f) {
    return one(codec::ipvs_dest_new(f, svc(IPPROTO_UDP, "fd00::1", 53), dest("192.168.1.9", 53, IP_VS_CONN_F_TUNNEL)));
  };
  m["add_dest_fwmark"] = [=](uint16_t f) { return one(codec::ipvs_dest_new(f, fwm(AF_INET, 42), dest("192.168.1.6", 0, IP_VS_CONN_F_DROUTE))); };
  m["edit_dest"] = [=](uint16_t f) {
    auto d = dest("192.168.1.1", 8080, IP_VS_CONN_F_MASQ, 5);
    d.u_thresh = 200;
    d.l_thresh = 20;
    return one(codec::ipvs_dest_set(f, web, d));
  };
  m["del_dest"] = [=](uint16_t f) { return one(codec::ipvs_dest_del(f, web, dest("192.168.1.2", 80, 0, 0))); };
  m["del_service"] = [=](uint16_t f) { return one(codec::ipvs_service_del(f, web)); };
  m["zero_one"] = [=](uint16_t f) { return one(codec::ipvs_zero(f, &web)); };
  m["zero_all"] = [=](uint16_t f) { return one(codec::ipvs_zero(f, nullptr)); };
  m["flush"] = [=](uint16_t f) { return one(codec::ipvs_flush(f)); };
  m["timeouts_set"] = [=](uint16_t f) { return one(codec::ipvs_timeouts_set(f, {900, 120, 300})); };
  m["timeouts_get"] = [=](uint16_t f) { return one(codec::ipvs_timeouts_get(f)); };
  m["info_version"] = [=](uint16_t) { return R{}; };
  m["daemon_start_master"] = [=](uint16_t f) {
    codec::IpvsDaemon d;
    d.state = IP_VS_STATE_MASTER;
    d.ifname = "cap0";
    d.syncid = 5;
    return one(codec::ipvs_daemon_new(f, d));
  };
  m["daemon_start_backup"] = [=](uint16_t f) {
    codec::IpvsDaemon d;
    d.state = IP_VS_STATE_BACKUP;
    d.ifname = "cap0";
    d.syncid = 7;
    d.maxlen = 1400;
    d.group_af = AF_INET;
    d.group = v4("224.0.0.82");
    d.port = 8849;
    d.ttl = 2;
    return one(codec::ipvs_daemon_new(f, d));
  };
  m["daemon_stop_master"] = [=](uint16_t f) { return one(codec::ipvs_daemon_del(f, IP_VS_STATE_MASTER)); };
  m["daemon_stop_backup"] = [=](uint16_t f) { return one(codec::ipvs_daemon_del(f, IP_VS_STATE_BACKUP)); };
  m["daemon_list"] = [=](uint16_t f) { return one(codec::ipvs_daemon_dump(f)); };
  m["get_service"] = [=](uint16_t f) {
    auto key = svc(IPPROTO_TCP, "10.0.0.2", 443);
    R v;
    v.push_back(codec::ipvs_service_get(f, key));
    v.push_back(codec::ipvs_dest_dump(f, key));
    return v;
  };
  return m;
}

// ipvsadm leaves stale bytes after an IPv4 destination address when the
// service was IPv6 (its address union is reused); the kernel reads 4 bytes.
// Zero bytes 4..15 of every IPVS_DEST_ATTR_ADDR of family AF_INET.
void zero_v4_dest_tail(Bytes& b) {
  const uint8_t marker[] = {0x06, 0x00, 0x0b, 0x00, AF_INET, 0x00, 0x00, 0x00, 0x14, 0x00, 0x01, 0x00};
  for (size_t i = 0; i + sizeof marker + 16 <= b.size(); ++i) {
    if (std::equal(marker, marker + sizeof marker, b.begin() + static_cast<long>(i))) {
      for (size_t k = 4; k < 16; ++k) b[i + sizeof marker + k] = 0;
    }
  }
}

}  // namespace

TEST(ipvs_every_captured_command_is_covered) {
  auto m = ours();
  for (const auto& c : fixtures::ipvs_captures()) {
    std::string n = c.name;
    bool listing = n == "list" || n == "list_stats" || n == "list_exact_rate" || n == "save";
    if (!listing && m.find(n) == m.end()) check::fail(__FILE__, __LINE__, "no encoding test for capture " + n);
  }
}

TEST(ipvs_get_info_matches_ipvsadm) {
  for (const auto& c : fixtures::ipvs_captures()) {
    REQUIRE(!c.sent.empty());
    CHECK_EQ(wire(codec::ipvs_info_get(static_cast<uint16_t>(c.family))), normalise(unhex(c.sent[0])));
  }
}

TEST(ipvs_commands_match_ipvsadm_byte_for_byte) {
  for (const auto& [name, build] : ours()) {
    const auto& c = capture(name);
    std::vector<nl::Request> reqs = build(static_cast<uint16_t>(c.family));
    if (reqs.size() + 1 != c.sent.size()) {
      check::fail(__FILE__, __LINE__, name + ": ipvsadm sent " + std::to_string(c.sent.size() - 1) +
                                          " messages after GET_INFO, we build " + std::to_string(reqs.size()));
      continue;
    }
    for (size_t i = 0; i < reqs.size(); ++i) {
      Bytes theirs = normalise(unhex(c.sent[i + 1]));
      if (name == "add_dest4_on_service6_tunnel") zero_v4_dest_tail(theirs);
      Bytes mine = wire(std::move(reqs[i]));
      std::string why;
      if (!check::equal(mine, theirs, why)) check::fail(__FILE__, __LINE__, name + ": " + why);
    }
  }
}

TEST(ipvs_list_requests_match_ipvsadm) {
  // ipvsadm -Ln: GET_INFO, the service dump, then one dest dump per service (key only).
  const auto& c = capture("list");
  uint16_t f = static_cast<uint16_t>(c.family);
  REQUIRE(c.sent.size() >= 3);
  CHECK_EQ(wire(codec::ipvs_service_dump(f)), normalise(unhex(c.sent[1])));
  CHECK_EQ(wire(codec::ipvs_dest_dump(f, svc(IPPROTO_TCP, "10.0.0.1", 80))), normalise(unhex(c.sent[2])));
  CHECK_EQ(wire(codec::ipvs_dest_dump(f, fwm(AF_INET6, 43))), normalise(unhex(c.sent.back())));
}

namespace {

struct Decoded {
  std::vector<codec::IpvsService> services;
  std::vector<codec::IpvsDest> dests;
  std::vector<codec::IpvsDaemon> daemons;
  std::vector<codec::IpvsTimeouts> timeouts;
  std::vector<codec::IpvsInfo> infos;
  std::vector<int> errors;  // negative errno of NLMSG_ERROR replies other than ACKs
};

// Splits every received datagram of a capture into messages and decodes the IPVS ones.
Decoded decode_all(const fixtures::IpvsCapture& c) {
  Decoded out;
  for (const char* h : c.received) {
    Bytes d = unhex(h);
    size_t off = 0;
    while (off + sizeof(nlmsghdr) <= d.size()) {
      nlmsghdr hdr;
      std::memcpy(&hdr, d.data() + off, sizeof hdr);
      if (hdr.nlmsg_len < sizeof hdr || off + hdr.nlmsg_len > d.size()) {
        check::fail(__FILE__, __LINE__, std::string(c.name) + ": malformed datagram");
        break;
      }
      const uint8_t* msg = d.data() + off;
      std::string why;
      if (hdr.nlmsg_type == NLMSG_ERROR) {
        int32_t err;
        std::memcpy(&err, msg + NLMSG_HDRLEN, 4);
        if (err != 0) out.errors.push_back(err);
      } else if (hdr.nlmsg_type == c.family) {
        uint8_t cmd = msg[NLMSG_HDRLEN];
        bool ok = true;
        if (cmd == IPVS_CMD_NEW_SERVICE) {
          out.services.emplace_back();
          ok = codec::ipvs_service_decode(msg, hdr.nlmsg_len, out.services.back(), &why);
        } else if (cmd == IPVS_CMD_NEW_DEST) {
          out.dests.emplace_back();
          ok = codec::ipvs_dest_decode(msg, hdr.nlmsg_len, out.dests.back(), &why);
        } else if (cmd == IPVS_CMD_NEW_DAEMON) {
          out.daemons.emplace_back();
          ok = codec::ipvs_daemon_decode(msg, hdr.nlmsg_len, out.daemons.back(), &why);
        } else if (cmd == IPVS_CMD_SET_CONFIG) {
          out.timeouts.emplace_back();
          ok = codec::ipvs_timeouts_decode(msg, hdr.nlmsg_len, out.timeouts.back(), &why);
        } else if (cmd == IPVS_CMD_SET_INFO) {
          out.infos.emplace_back();
          ok = codec::ipvs_info_decode(msg, hdr.nlmsg_len, out.infos.back(), &why);
        }
        if (!ok) check::fail(__FILE__, __LINE__, std::string(c.name) + ": " + why);
      }
      off += NLMSG_ALIGN(hdr.nlmsg_len);
    }
  }
  return out;
}

}  // namespace

TEST(ipvs_decodes_info_reply) {
  Decoded d = decode_all(capture("info_version"));
  REQUIRE_EQ(d.infos.size(), 1u);
  CHECK_EQ(d.infos[0].version, 0x010201u);  // "IP Virtual Server version 1.2.1 (size=4096)"
  CHECK_EQ(d.infos[0].conn_tab_size, 4096u);
}

TEST(ipvs_decodes_list_dump) {
  Decoded d = decode_all(capture("list"));
  // ipvsadm -Ln printed, in this order (hash order): see test/fixtures/ipvs/list.txt
  REQUIRE(d.services.size() >= 6);
  const codec::IpvsService* web = nullptr;
  const codec::IpvsService* fw6 = nullptr;
  const codec::IpvsService* sip = nullptr;
  for (const auto& s : d.services) {
    if (s.af == AF_INET && s.protocol == IPPROTO_TCP && s.addr == v4("10.0.0.1") && s.port == 80) web = &s;
    if (s.fwmark == 43) fw6 = &s;
    if (s.pe_name == "sip") sip = &s;
  }
  REQUIRE(web != nullptr);
  CHECK_EQ(web->scheduler, std::string("wrr"));
  CHECK(web->stats.wide);
  // The capture script sent three SYNs to it; the 2 s estimator had folded in
  // at least one by then.
  CHECK(web->stats.conns >= 1u);
  CHECK(web->stats.inpkts >= web->stats.conns);
  CHECK(web->stats.inbytes > 0u);
  REQUIRE(fw6 != nullptr);
  CHECK_EQ(fw6->af, AF_INET6);
  CHECK_EQ(fw6->scheduler, std::string("sed"));
  CHECK_EQ(fw6->flags & IP_VS_SVC_F_PERSISTENT, static_cast<uint32_t>(IP_VS_SVC_F_PERSISTENT));
  CHECK_EQ(fw6->timeout, 30u);
  CHECK_EQ(fw6->netmask, 64u);
  REQUIRE(sip != nullptr);
  CHECK_EQ(sip->timeout, 60u);
  CHECK_EQ(sip->port, 5060);

  bool gue = false, gre = false, mixed = false, six = false;
  for (const auto& x : d.dests) {
    if (x.addr == v4("192.168.1.3")) {
      gue = x.fwd_method == IP_VS_CONN_F_TUNNEL && x.tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE && x.tun_port == 6080;
    }
    if (x.addr == v4("192.168.1.4")) gre = x.tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GRE && x.tun_flags == IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
    if (x.addr == v4("192.168.1.9")) mixed = x.af == AF_INET && x.port == 53;
    if (x.addr == v6("fd00::10")) six = x.af == AF_INET6 && x.port == 5353 && x.fwd_method == IP_VS_CONN_F_MASQ;
    if (x.addr == v4("192.168.1.1")) {
      CHECK_EQ(x.weight, 5u);
      CHECK_EQ(x.u_thresh, 200u);
      CHECK_EQ(x.l_thresh, 20u);
      CHECK_EQ(x.port, 8080);
    }
  }
  CHECK(gue);
  CHECK(gre);
  CHECK(mixed);
  CHECK(six);
}

TEST(ipvs_decodes_timeouts_daemons_and_errors) {
  Decoded t = decode_all(capture("timeouts_get"));
  REQUIRE_EQ(t.timeouts.size(), 1u);
  CHECK_EQ(t.timeouts[0].tcp, 900u);
  CHECK_EQ(t.timeouts[0].tcp_fin, 120u);
  CHECK_EQ(t.timeouts[0].udp, 300u);

  Decoded d = decode_all(capture("daemon_list"));
  REQUIRE_EQ(d.daemons.size(), 2u);
  const auto& master = d.daemons[0].state == IP_VS_STATE_MASTER ? d.daemons[0] : d.daemons[1];
  const auto& backup = d.daemons[0].state == IP_VS_STATE_MASTER ? d.daemons[1] : d.daemons[0];
  CHECK_EQ(master.ifname, std::string("cap0"));
  CHECK_EQ(master.syncid, 5u);
  CHECK_EQ(master.port, 8848);        // kernel defaults
  CHECK_EQ(master.ttl, 1);
  CHECK_EQ(master.group_af, AF_INET);
  CHECK(master.group == v4("224.0.0.81"));
  CHECK_EQ(backup.syncid, 7u);
  CHECK_EQ(backup.maxlen, 1400);
  CHECK_EQ(backup.port, 8849);
  CHECK_EQ(backup.ttl, 2);
  CHECK(backup.group == v4("224.0.0.82"));

  CHECK_EQ(decode_all(capture("add_service_duplicate")).errors, std::vector<int>{-EEXIST});
  CHECK_EQ(decode_all(capture("add_service_unknown_scheduler")).errors, std::vector<int>{-ENOENT});
}

TEST(ipvs_decoders_reject_truncated_input) {
  const auto& c = capture("get_service");
  for (const char* h : c.received) {
    Bytes d = unhex(h);
    for (size_t cut = 0; cut < d.size(); cut += 3) {
      codec::IpvsService s;
      codec::IpvsDest x;
      std::string why;
      Bytes part(d.begin(), d.begin() + static_cast<long>(cut));
      // Must not crash or read out of bounds (ASan); a result either way is fine.
      (void)codec::ipvs_service_decode(part.data(), part.size(), s, &why);
      (void)codec::ipvs_dest_decode(part.data(), part.size(), x, &why);
    }
  }
}

TEST(ipvs_stats_fall_back_to_the_32_bit_nest) {
  // A kernel without IPVS_SVC_ATTR_STATS64 (before 4.1): u32 counters, u64 byte counts.
  nl::Message m = codec::ipvs_message(0x20, IPVS_CMD_NEW_SERVICE);
  size_t svc_nest = m.begin_nest(IPVS_CMD_ATTR_SERVICE);
  m.put_u16(IPVS_SVC_ATTR_AF, AF_INET);
  m.put_u32(IPVS_SVC_ATTR_FWMARK, 9);
  size_t stats = m.begin_nest(IPVS_SVC_ATTR_STATS);
  m.put_u32(IPVS_STATS_ATTR_CONNS, 7);
  m.put_u64(IPVS_STATS_ATTR_INBYTES, uint64_t{1} << 40);
  m.put_u32(IPVS_STATS_ATTR_OUTBPS, 0xffffffffu);
  m.end_nest(stats);
  m.end_nest(svc_nest);
  codec::IpvsService s;
  std::string why;
  REQUIRE(codec::ipvs_service_decode(m.bytes().data(), m.size(), s, &why));
  CHECK_EQ(s.fwmark, 9u);
  CHECK(!s.stats.wide);
  CHECK_EQ(s.stats.conns, 7u);
  CHECK_EQ(s.stats.inbytes, uint64_t{1} << 40);
  CHECK_EQ(s.stats.outbps, 0xffffffffu);
  // and a 64-bit nest wins over the 32-bit one when both are there
  codec::IpvsStats both;
  nl::Message n(0, 0);
  size_t wide = n.begin_nest(IPVS_SVC_ATTR_STATS64);
  n.put_u64(IPVS_STATS_ATTR_CONNS, uint64_t{1} << 33);
  n.end_nest(wide);
  nl::Attr a64(IPVS_SVC_ATTR_STATS64, n.bytes().data() + NLMSG_HDRLEN + 4, static_cast<uint16_t>(n.size() - NLMSG_HDRLEN - 4));
  nl::Attr a32(IPVS_SVC_ATTR_STATS, n.bytes().data(), 0);
  REQUIRE(codec::ipvs_stats_pick(&a32, &a64, both, &why));
  CHECK(both.wide);
  CHECK_EQ(both.conns, uint64_t{1} << 33);
}
