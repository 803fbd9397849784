// libFuzzer target for the native x_tables walker (native/xt/table.h), which
// checks every table blob before a replace and maps counters across it.
// An input is: byte 0 the family (bit 0: IPv6), then valid_hooks,
// hook_entry[5] and underflow[5] (u32, host order), then the entries.
//
// Checked for every input, any failure being a crash (plus ASan/UBSan):
//   (a) walk() either refuses it or returns entries that tile the blob
//       exactly, each inside it, each (but the end) in a chain;
//   (b) generation() and entry_key() run on what walk() accepted;
//   (c) carrying counters from the table onto itself gives every rule,
//       policy and RETURN its own counters back (equal rules map in order).
//
// Build (as scripts/fuzz.sh does):
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined native/fuzz/fuzz_iptables.cc \
//     native/nl/*.cc native/codec/*.cc native/xt/*.cc -o fuzz_iptables
// With -DDATAPLANE_FUZZ_WRITE_SEEDS (no libFuzzer) it writes seeds: the
// tables of native/test/xt_blob.h.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../test/xt_blob.h"
#include "../xt/table.h"

namespace {

constexpr size_t kHeader = 1 + 4 * 11;

void expect_true(bool ok) {
  if (!ok) __builtin_trap();
}

volatile uint64_t sink;

void check(const uint8_t* data, size_t size) {
  if (size < kHeader) return;
  int family = (data[0] & 1) ? 6 : 4;
  xt::TableInfo info;
  std::memcpy(&info.valid_hooks, data + 1, 4);
  std::memcpy(info.hook_entry, data + 5, 20);
  std::memcpy(info.underflow, data + 25, 20);
  const uint8_t* blob = data + kHeader;
  size_t len = size - kHeader;
  info.size = static_cast<uint32_t>(len);
  // walk() reads the blob in place: give it its own allocation so ASan sees overreads.
  std::vector<uint8_t> copy(blob, blob + len);
  xt::Walk w;
  std::string why;
  if (!xt::walk(copy.data(), copy.size(), family, info, w, &why)) {
    expect_true(!why.empty());
    return;
  }
  size_t at = 0;
  for (const xt::Entry& e : w.entries) {
    expect_true(e.offset == at && e.next_offset > 0 && e.offset + e.next_offset <= len);
    expect_true(e.kind == xt::Entry::End ? e.chain == -1 : e.chain >= 0 && static_cast<size_t>(e.chain) < w.chains.size());
    at += e.next_offset;
  }
  expect_true(at == len);
  info.num_entries = static_cast<uint32_t>(w.entries.size());
  sink = sink + xt::generation(copy.data(), copy.size(), family, info, w);
  std::vector<xt::Counters> own(w.entries.size());
  for (size_t i = 0; i < own.size(); ++i) own[i] = {i + 1, 2 * i + 1};
  auto back = xt::carry_counters(copy.data(), w, own, copy.data(), w, family);
  expect_true(back.size() == own.size());
  for (size_t i = 0; i < own.size(); ++i) {
    const auto kind = w.entries[i].kind;
    bool carried = kind == xt::Entry::Rule || kind == xt::Entry::Policy || kind == xt::Entry::Return;
    expect_true(carried ? back[i].packets == own[i].packets : back[i].packets == 0);
  }
  // With a map (as replace() passes for entries copied unchanged): every other
  // entry mapped to itself, the rest to whatever the input's bytes say (out of
  // range, negative, or another entry); the identity-mapped ones keep their own,
  // unless an earlier entry's map value claimed them first (the first claim wins).
  std::vector<int32_t> map(w.entries.size());
  std::vector<uint8_t> claimed(w.entries.size(), 0);
  auto carries = [&](size_t i) {
    const auto kind = w.entries[i].kind;
    return kind == xt::Entry::Rule || kind == xt::Entry::Policy || kind == xt::Entry::Return;
  };
  for (size_t i = 0; i < map.size(); ++i) {
    int32_t v;
    std::memcpy(&v, copy.data() + (4 * i) % (len >= 4 ? len - 3 : 1), len >= 4 ? 4 : 0);
    map[i] = i % 2 == 0 ? static_cast<int32_t>(i) : (len >= 4 ? v : -1);
    const int32_t j = map[i];
    if (i % 2 == 1 && j >= 0 && static_cast<size_t>(j) < map.size() && static_cast<size_t>(j) > i && carries(i) &&
        carries(static_cast<size_t>(j)))
      claimed[j] = 1;
  }
  auto mapped = xt::carry_counters(copy.data(), w, own, copy.data(), w, family, map.data());
  expect_true(mapped.size() == own.size());
  for (size_t i = 0; i < own.size(); i += 2) {
    if (claimed[i]) continue;
    expect_true(carries(i) ? mapped[i].packets == own[i].packets : mapped[i].packets == 0);
  }
}

}  // namespace

#ifndef DATAPLANE_FUZZ_WRITE_SEEDS

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(data, size);
  return 0;
}

#else

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  using xtblob::Chain;
  std::vector<std::vector<Chain>> tables = {
      {{"INPUT", 1, {{22, -2, "", 5}, {-1, -2, "SVC", 7}}}, {"FORWARD", 2, {}}, {"OUTPUT", 3, {{-1, -1, "", 0}}},
       {"SVC", -1, {{80, -2, "", 11}, {443, -2, "", 13}, {443, -2, "", 13}}}},
      {{"INPUT", 1, {}}, {"FORWARD", 2, {}}, {"OUTPUT", 3, {}}},
      {{"PREROUTING", 0, {{-1, -2, "A", 0}}}, {"OUTPUT", 3, {{-1, -2, "B", 0}}}, {"A", -1, {{-1, -2, "B", 0}}}, {"B", -1, {{53, -1, "", 0}}}},
  };
  int n = 0;
  for (const auto& chains : tables) {
    auto b = xtblob::build(chains);
    std::vector<uint8_t> input(kHeader);
    input[0] = 0;
    std::memcpy(&input[1], &b.info.valid_hooks, 4);
    std::memcpy(&input[5], b.info.hook_entry, 20);
    std::memcpy(&input[25], b.info.underflow, 20);
    input.insert(input.end(), b.bytes.begin(), b.bytes.end());
    std::string path = std::string(argv[1]) + "/table-" + std::to_string(n++);
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 1;
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  }
  return 0;
}

#endif
