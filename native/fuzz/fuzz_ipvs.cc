// libFuzzer target for the IPVS decoders: services, destinations, stats
// (inside both), daemons, info and timeouts, on the whole input and on every
// netlink message in it; a decoded service is encoded again.
//
// Build (as scripts/fuzz.sh builds fuzz_netlink.cc):
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined native/fuzz/fuzz_ipvs.cc \
//     native/nl/*.cc native/codec/*.cc -o fuzz_ipvs
// With -DDATAPLANE_FUZZ_WRITE_SEEDS (no libFuzzer) it writes a seed corpus:
// every kernel reply captured from ipvsadm (native/test/fixtures_ipvs.h).
#include <linux/netlink.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../codec/ipvs_daemon.h"
#include "../codec/ipvs_dest.h"
#include "../codec/ipvs_info.h"
#include "../codec/ipvs_service.h"

#ifndef DATAPLANE_FUZZ_WRITE_SEEDS

namespace {

volatile uint64_t sink;

void expect_true(bool ok) {
  if (!ok) __builtin_trap();
}

void touch(const codec::IpvsStats& s) {
  sink = sink + s.conns + s.inpkts + s.outpkts + s.inbytes + s.outbytes + s.cps + s.inpps + s.outpps + s.inbps + s.outbps;
}

void decode_all(const uint8_t* data, size_t size) {
  std::string why;
  codec::IpvsService s;
  if (codec::ipvs_service_decode(data, size, s, &why)) {
    touch(s.stats);
    sink = sink + s.scheduler.size() + s.pe_name.size() + s.addr[15] + s.port + s.fwmark + s.netmask;
    // A decoded service must encode again (as a key, a ref and in full) without trouble.
    for (auto form : {codec::ServiceForm::Key, codec::ServiceForm::Ref})
      if (s.scheduler.size() < 1000 && s.pe_name.size() < 1000) {
        nl::Message m = codec::ipvs_message(0x20, 1);
        codec::ipvs_put_service(m, s, form, 0);
        expect_true(m.size() >= 24);
      }
  }
  codec::IpvsDest d;
  if (codec::ipvs_dest_decode(data, size, d, &why)) {
    touch(d.stats);
    expect_true(d.fwd_method <= 7);
    sink = sink + d.addr[0] + d.port + d.weight + d.active_conns + d.tun_port;
  }
  codec::IpvsDaemon m;
  if (codec::ipvs_daemon_decode(data, size, m, &why)) sink = sink + m.ifname.size() + m.syncid + m.group[15];
  codec::IpvsInfo i;
  if (codec::ipvs_info_decode(data, size, i, &why)) sink = sink + i.version + i.conn_tab_size;
  codec::IpvsTimeouts t;
  if (codec::ipvs_timeouts_decode(data, size, t, &why)) sink = sink + t.tcp + t.tcp_fin + t.udp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  decode_all(data, size);
  size_t off = 0;
  while (size - off >= sizeof(nlmsghdr)) {
    uint32_t len;
    std::memcpy(&len, data + off, 4);
    if (len < sizeof(nlmsghdr) || len > size - off) break;
    std::vector<uint8_t> one(data + off, data + off + len);  // exact size: overreads are caught
    decode_all(one.data(), one.size());
    off += std::min<size_t>((len + 3u) & ~3u, size - off);
  }
  return 0;
}

#else  // DATAPLANE_FUZZ_WRITE_SEEDS

#include <cstdio>

#include "../test/fixtures_ipvs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (const auto& c : fixtures::ipvs_captures()) {
    int n = 0;
    for (const char* h : c.received) {
      std::vector<uint8_t> bytes;
      for (size_t i = 0; h[i] != '\0' && h[i + 1] != '\0'; i += 2)
        bytes.push_back(static_cast<uint8_t>(std::stoi(std::string(h + i, 2), nullptr, 16)));
      std::string path = std::string(argv[1]) + "/ipvs-" + c.name + "-" + std::to_string(n++);
      FILE* f = std::fopen(path.c_str(), "wb");
      if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
        std::perror(path.c_str());
        return 1;
      }
      std::fclose(f);
    }
  }
  return 0;
}

#endif
