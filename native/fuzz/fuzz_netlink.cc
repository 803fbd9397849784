// libFuzzer target for everything in the netlink core that reads bytes the
// kernel (or anyone who can talk to our socket) sends: Collector::feed,
// AttrTable::parse, for_each_attr, parse_status, decode_genl_family,
// link_decode, addr_decode, ct_decode, BatchFrame::feed (nfnetlink batch replies).
// The nftables decoders are TypeScript: native/fuzz/js/fuzz_nft.mjs runs them under libFuzzer.
//
// Built by scripts/fuzz.sh with clang++ -fsanitize=fuzzer,address,undefined.
// Built with -DDATAPLANE_FUZZ_WRITE_SEEDS instead (no libFuzzer), it is a
// small program that writes the seed corpus (captured kernel replies from
// native/test/fixtures_rtnl.h and a few of our own requests) into a folder.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../codec/conntrack.h"
#include "../codec/rtnl_addr.h"
#include "../codec/rtnl_link.h"
#include "../nl/attr.h"
#include "../nl/batch.h"
#include "../nl/exchange.h"
#include "../nl/genl.h"

#ifndef DATAPLANE_FUZZ_WRITE_SEEDS

namespace {

// Something the optimizer cannot drop, so every byte read really happens.
volatile uint64_t sink;

void expect_true(bool ok) {
  if (!ok) __builtin_trap();  // an invariant broke: make it a crash libFuzzer reports
}

const nl::Policy kPolicy[] = {
    {},
    {nl::AttrKind::Flag},
    {nl::AttrKind::U8},
    {nl::AttrKind::U16},
    {nl::AttrKind::U32},
    {nl::AttrKind::U64},
    {nl::AttrKind::String},
    {nl::AttrKind::Nested},
    {nl::AttrKind::Binary, 4, 16},
    {nl::AttrKind::Binary, 0, 0},
    {nl::AttrKind::Unspec},
    {nl::AttrKind::Nested},
};
constexpr uint16_t kMax = sizeof kPolicy / sizeof kPolicy[0] - 1;

void touch(const nl::Attr& a) {
  uint64_t v = a.type();
  std::vector<uint8_t> b = a.bytes();
  for (uint8_t x : b) v += x;
  v += a.str().size();
  sink = sink + v;
}

void parse_table(const uint8_t* data, size_t len, int depth) {
  nl::AttrTable tb;
  std::string why;
  bool ok = tb.parse(data, len, kPolicy, kMax, &why);
  expect_true(ok || !why.empty());
  for (uint16_t t = 0; t <= kMax + 1; ++t) {
    const nl::Attr* a = tb.get(t);
    if (a == nullptr) continue;
    expect_true(t >= 1 && t <= kMax);
    touch(*a);
    switch (kPolicy[t].kind) {
      case nl::AttrKind::U8: sink = sink + a->u8(); break;
      case nl::AttrKind::U16: sink = sink + a->u16() + a->be16(); break;
      case nl::AttrKind::U32: sink = sink + a->u32() + a->be32(); break;
      case nl::AttrKind::U64: sink = sink + a->u64() + a->be64(); break;
      case nl::AttrKind::Nested:
        if (depth < 4) parse_table(a->data(), a->len(), depth + 1);
        break;
      default:
        // Wider loads on anything are bounded by the attribute's length.
        sink = sink + a->u64() + a->u32() + a->u16();
        break;
    }
  }
}

void decode_all(const uint8_t* msg, size_t len) {
  codec::Link link;
  codec::Address addr;
  nl::GenlFamily family;
  std::string why;
  if (codec::link_decode(msg, len, link, &why))
    sink = sink + link.index + link.name.size() + link.kind.size() + link.address.size();
  if (codec::addr_decode(msg, len, addr, &why))
    sink = sink + addr.index + addr.local.size() + addr.address.size() + addr.label.size();
  if (nl::decode_genl_family(msg, len, family, &why))
    sink = sink + family.id + family.groups.size() + family.name.size();
  codec::CtEntry ct;
  if (codec::ct_decode(msg, len, ct, &why)) sink = sink + ct.id + ct.mark;
  // parse_status on its own (aligned) copy, as Collector::feed calls it.
  std::vector<uint8_t> copy(msg, msg + len);
  nl::Error e = nl::parse_status(reinterpret_cast<const nlmsghdr*>(copy.data()), copy.size());
  expect_true(e.code >= 0);
  sink = sink + e.extack.size();
}

void fuzz_collector(const uint8_t* data, size_t size) {
  // Expect the seq/portid that the input's first message header carries (so
  // captured replies match), its neighbours, and a knob byte (the last one)
  // that flips dump/non-dump and picks a split point.
  uint32_t seq = 0, portid = 0;
  if (size >= 16) {
    std::memcpy(&seq, data + 8, 4);
    std::memcpy(&portid, data + 12, 4);
  }
  uint8_t knob = size > 0 ? data[size - 1] : 0;
  bool flip = knob & 1;
  nl::Collector c(portid);
  std::vector<nl::Reply> replies(4);
  c.expect(seq, 0, !flip);
  c.expect(seq + 1, 1, flip);
  c.expect(seq + 2, 2, !flip);
  c.expect(seq - 1, 3, flip);
  size_t open = c.outstanding();
  expect_true(open >= 1 && open <= 4);

  c.feed(data, size, replies);
  expect_true(c.outstanding() <= open);
  // The same bytes again, cut in two at an odd place (unaligned second half).
  size_t cut = size > 0 ? (size_t{knob} * 7 + 1) % (size + 1) : 0;
  c.feed(data, cut, replies);
  c.feed(data + cut, size - cut, replies);
  for (const nl::Reply& r : replies) {
    expect_true(r.error.code >= 0);
    for (const auto& m : r.messages) {
      expect_true(m.size() >= sizeof(nlmsghdr) && m.size() <= size);
      sink = sink + m.back();
    }
  }
  c.fail_all(nl::Error{ENOBUFS, "", -1, "fuzz"}, replies);
  expect_true(c.outstanding() == 0);
}

}  // namespace

// The replies to an nfnetlink batch: errors matched back to message indexes.
void fuzz_batch(const uint8_t* data, size_t size) {
  static std::vector<uint8_t> body = [] {
    std::vector<uint8_t> b(3 * 24, 0);
    for (size_t i = 0; i < 3; ++i) b[i * 24] = 24;  // three bare 24-byte messages
    return b;
  }();
  std::vector<uint8_t> copy = body;
  nl::BatchFrame frame(copy, 10, 0, std::nullopt);
  nl::BatchResult result;
  frame.feed(data, size, 0, result);
  for (const auto& e : result.errors) expect_true(e.index >= -1 && e.index <= 3);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_collector(data, size);
  fuzz_batch(data, size);

  // Attribute streams: from the start, and after the headers of the usual
  // families (nlmsghdr + genlmsghdr / ifaddrmsg / ifinfomsg).
  for (size_t off : {size_t{0}, size_t{16}, size_t{20}, size_t{24}, size_t{32}})
    if (off <= size) parse_table(data + off, size - off, 0);
  size_t seen = 0;
  nl::for_each_attr(data, size, [&](const nl::Attr& a) {
    ++seen;
    touch(a);
  });
  expect_true(seen <= size / 4);

  // Decoders on the whole input, then on each message in it.
  decode_all(data, size);
  size_t off = 0;
  while (size - off >= sizeof(nlmsghdr)) {
    uint32_t len;
    std::memcpy(&len, data + off, 4);
    if (len < sizeof(nlmsghdr) || len > size - off) break;
    // An exact-size copy, so a read past this message is caught.
    std::vector<uint8_t> one(data + off, data + off + len);
    decode_all(one.data(), one.size());
    off += std::min<size_t>((len + 3u) & ~3u, size - off);
  }
  return 0;
}

#else  // DATAPLANE_FUZZ_WRITE_SEEDS

#include <cstdio>

#include "../test/fixtures_rtnl.h"

namespace {

bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

template <size_t N>
std::vector<uint8_t> of(const uint8_t (&a)[N]) {
  return std::vector<uint8_t>(a, a + N);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::vector<std::pair<std::string, std::vector<uint8_t>>> seeds = {
      {"kernel-link-dump", of(fixtures::kLinkDumpDatagram)},
      {"kernel-link-dump-done", of(fixtures::kLinkDumpDone)},
      {"kernel-addr-dump", of(fixtures::kAddrDumpDatagram)},
      {"kernel-error-extack", of(fixtures::kDummyExtackError)},
      {"kernel-error-enodev", of(fixtures::kNewlinkProbeEnodev)},
      {"kernel-genl-nlctrl", of(fixtures::kNlctrlFamily)},
  };
  codec::NewLink veth;
  veth.name = "ve0";
  veth.kind = "veth";
  veth.mtu = 1400;
  veth.peer_name = "ve1";
  seeds.emplace_back("request-link-new-veth", codec::link_new(veth).msg.bytes());
  codec::Address addr;
  addr.index = 1;
  addr.family = AF_INET;
  addr.prefixlen = 32;
  addr.local = {10, 0, 0, 1};
  addr.label = "lo:x";
  addr.flags = 0x200;
  addr.valid_lft = 60;
  seeds.emplace_back("request-addr-new", codec::addr_new(addr, false).msg.bytes());
  for (const auto& [name, bytes] : seeds) {
    if (!write_file(dir + "/" + name, bytes)) {
      std::perror((dir + "/" + name).c_str());
      return 1;
    }
  }
  return 0;
}

#endif
