// The x_tables blob walker (native/xt/table.h): structure checks as the
// kernel makes them, chains as libiptc finds them, a generation blind to
// counters, and counters carried over a replace by rule identity.
#include "../xt/table.h"

#include <string>
#include <vector>

#include "check.h"
#include "xt_blob.h"

namespace {

using xtblob::Chain;
using xtblob::Rule;

std::vector<Chain> sample() {
  return {
      {"INPUT", 1, {{22, -2, "", 5}, {-1, -2, "SVC", 7}}},
      {"FORWARD", 2, {}},
      {"OUTPUT", 3, {{-1, -1, "", 0}}},
      {"SVC", -1, {{80, -2, "", 11}, {443, -2, "", 13}}},
  };
}

}  // namespace

TEST(xt_walk_finds_chains_rules_policies_and_the_end) {
  auto b = xtblob::build(sample());
  xt::Walk w;
  std::string why;
  REQUIRE(xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, w, &why));
  REQUIRE_EQ(w.chains.size(), 4u);
  CHECK_EQ(w.chains[0].name, std::string("INPUT"));
  CHECK_EQ(w.chains[3].name, std::string("SVC"));
  CHECK_EQ(w.chains[3].hook, -1);
  REQUIRE_EQ(w.entries.size(), static_cast<size_t>(b.info.num_entries));
  std::string kinds;
  for (const auto& e : w.entries) kinds += "RHPTE"[e.kind];
  // INPUT: 2 rules + policy; FORWARD: policy; OUTPUT: rule + policy; SVC: head, 2 rules, return; end.
  CHECK_EQ(kinds, std::string("RRPPRPHRRTE"));
}

TEST(xt_walk_refuses_what_the_kernel_would) {
  std::string why;
  xt::Walk w;
  {
    auto b = xtblob::build(sample());
    b.bytes[offsetof(ipt_entry, next_offset)] += 4;  // not a multiple of 8
    CHECK(!xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, w, &why));
  }
  {
    auto b = xtblob::build(sample());
    xtblob::put16(b.bytes, sizeof(ipt_entry), 2000);  // a match larger than the entry
    CHECK(!xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, w, &why));
    CHECK(why.find("match size") != std::string::npos);
  }
  {
    auto b = xtblob::build(sample());
    b.info.hook_entry[2] += 8;  // FORWARD's entry inside another entry
    CHECK(!xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, w, &why));
  }
  {
    auto b = xtblob::build(sample());
    b.info.underflow[1] = 0;  // INPUT's policy on its first rule, with rules after it
    CHECK(!xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, w, &why));
  }
  {
    auto b = xtblob::build(sample());
    CHECK(!xt::walk(b.bytes.data(), b.bytes.size() - 8, 4, b.info, w, &why));
  }
}

TEST(xt_generation_ignores_counters_and_sees_a_changed_rule) {
  auto a = xtblob::build(sample());
  auto chains = sample();
  chains[0].rules[0].packets = 999;
  auto b = xtblob::build(chains);
  chains[3].rules[1].dport = 444;
  auto c = xtblob::build(chains);
  xt::Walk wa, wb, wc;
  REQUIRE(xt::walk(a.bytes.data(), a.bytes.size(), 4, a.info, wa, nullptr));
  REQUIRE(xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, wb, nullptr));
  REQUIRE(xt::walk(c.bytes.data(), c.bytes.size(), 4, c.info, wc, nullptr));
  CHECK_EQ(xt::generation(a.bytes.data(), a.bytes.size(), 4, a.info, wa),
           xt::generation(b.bytes.data(), b.bytes.size(), 4, b.info, wb));
  CHECK(xt::generation(a.bytes.data(), a.bytes.size(), 4, a.info, wa) !=
        xt::generation(c.bytes.data(), c.bytes.size(), 4, c.info, wc));
}

TEST(xt_carry_counters_follows_rules_when_offsets_move) {
  auto old_chains = sample();
  auto a = xtblob::build(old_chains);
  // New table: a rule inserted first in INPUT (every offset after it moves,
  // the jump to SVC included), SVC's second rule changed.
  auto next = sample();
  next[0].rules.insert(next[0].rules.begin(), Rule{53, -2, "", 0});
  next[3].rules[1].dport = 8443;
  auto b = xtblob::build(next);
  xt::Walk wa, wb;
  REQUIRE(xt::walk(a.bytes.data(), a.bytes.size(), 4, a.info, wa, nullptr));
  REQUIRE(xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, wb, nullptr));
  std::vector<xt::Counters> old(wa.entries.size());
  for (size_t i = 0; i < wa.entries.size(); ++i) old[i] = {uint64_t(100 + i), uint64_t(1000 + i)};
  auto got = xt::carry_counters(a.bytes.data(), wa, old, b.bytes.data(), wb, 4);
  REQUIRE_EQ(got.size(), wb.entries.size());
  CHECK_EQ(got[0].packets, 0u);    // the new rule
  CHECK_EQ(got[1].packets, 100u);  // INPUT --dport 22
  CHECK_EQ(got[2].packets, 101u);  // INPUT -j SVC, though SVC moved
  CHECK_EQ(got[3].packets, 102u);  // INPUT's policy
  CHECK_EQ(got[8].packets, 107u);  // SVC --dport 80
  CHECK_EQ(got[9].packets, 0u);    // SVC's changed rule
  CHECK_EQ(got[7].packets, 0u);    // a chain head has none
}

TEST(xt_carry_counters_takes_mapped_entries_as_they_are_and_compares_the_rest) {
  auto a = xtblob::build(sample());
  auto next = sample();
  next[3].rules[1].dport = 8443;  // SVC's second rule changed
  auto b = xtblob::build(next);
  xt::Walk wa, wb;
  REQUIRE(xt::walk(a.bytes.data(), a.bytes.size(), 4, a.info, wa, nullptr));
  REQUIRE(xt::walk(b.bytes.data(), b.bytes.size(), 4, b.info, wb, nullptr));
  REQUIRE_EQ(wa.entries.size(), wb.entries.size());
  std::vector<xt::Counters> old(wa.entries.size());
  for (size_t i = 0; i < wa.entries.size(); ++i) old[i] = {uint64_t(100 + i), uint64_t(1000 + i)};
  // Entries: INPUT 0 1 (rules) 2 (policy), FORWARD 3, OUTPUT 4 (rule) 5, SVC 6 (head) 7 8 (rules) 9 (RETURN), 10 the end.
  // Mapped: INPUT's first rule to the old entry 2 (the map is trusted, not compared), the changed
  // SVC rule to its old self, a head to a head (heads carry nothing), values out of range
  // (ignored). The rest is compared by key.
  std::vector<int32_t> map(wb.entries.size(), -1);
  map[0] = 2;
  map[8] = 8;
  map[6] = 6;
  map[4] = 1000;
  map[5] = -7;
  auto got = xt::carry_counters(a.bytes.data(), wa, old, b.bytes.data(), wb, 4, map.data());
  CHECK_EQ(got[0].packets, 102u);  // as mapped
  CHECK_EQ(got[8].packets, 108u);  // as mapped, though its bytes changed
  CHECK_EQ(got[6].packets, 0u);    // a head
  CHECK_EQ(got[4].packets, 104u);  // compared (its map value was out of range)
  CHECK_EQ(got[5].packets, 105u);  // compared
  CHECK_EQ(got[1].packets, 101u);  // compared: INPUT -j SVC
  CHECK_EQ(got[2].packets, 0u);    // compared: its old twin (entry 2) was taken by entry 0
  CHECK_EQ(got[7].packets, 107u);  // compared: SVC --dport 80
  CHECK_EQ(got[9].packets, 109u);  // compared: SVC's RETURN
}
