// The shape of an x_tables table blob (ip_tables / ip6_tables), with no
// N-API and no syscalls: the header the kernel reports (IPT_SO_GET_INFO),
// a validating walk over the entries that finds each entry's chain the way
// libiptc does (a built-in chain starts at a hook entry, a user chain at an
// ERROR target naming it, the last ERROR entry ends the table), a
// generation hash, and the identity of each rule for carrying counters
// over a replace. The extensions themselves are decoded in TypeScript
// (src/iptables/); here only their sizes are checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xt {

constexpr int kHooks = 5;  // NF_INET_NUMHOOKS

// The fixed sizes and field offsets of struct ipt_entry / ip6t_entry.
struct Layout {
  size_t entry_size;     // sizeof(struct ipt_entry) 112, ip6t_entry 168
  size_t target_offset;  // offsetof(..., target_offset)
  size_t comefrom;       // offsetof(..., comefrom)
  size_t counters;       // offsetof(..., counters)
  size_t flags;          // offsetof(ipt_ip/ip6t_ip6, flags)
  uint8_t goto_flag;     // IPT_F_GOTO 0x02, IP6T_F_GOTO 0x04
};
const Layout& layout(int family);  // family 4 or 6

// struct ipt_getinfo without the name.
struct TableInfo {
  uint32_t valid_hooks = 0;
  uint32_t hook_entry[kHooks] = {};
  uint32_t underflow[kHooks] = {};
  uint32_t num_entries = 0;
  uint32_t size = 0;
  bool operator==(const TableInfo& o) const;
  bool operator!=(const TableInfo& o) const { return !(*this == o); }
};

struct Counters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// One entry of the blob.
struct Entry {
  uint32_t offset = 0;
  uint16_t target_offset = 0;
  uint16_t next_offset = 0;
  int32_t chain = -1;  // index into Walk::chains; -1 for the table's closing ERROR entry
  enum Kind : uint8_t { Rule, Head, Policy, Return, End } kind = Rule;
};

struct Chain {
  std::string name;     // user chains: the ERROR target's name; built-in: PREROUTING, ...
  int hook = -1;        // NF_INET_* for a built-in chain, -1 for a user chain
  uint32_t first = 0;   // offset of its first rule (a jump's verdict)
};

struct Walk {
  std::vector<Entry> entries;
  std::vector<Chain> chains;
};

// Checks the entries as the kernel's translate_table would before looking at
// any extension (alignment, entry, match and target sizes inside the entry,
// hook entries and underflows on entry boundaries, the closing ERROR entry)
// and splits them into chains. False with a reason for anything malformed.
bool walk(const uint8_t* data, size_t size, int family, const TableInfo& info, Walk& out,
          std::string* why);

// The standard target's verdict, when the entry's target is the standard
// one ("" revision 0, 40 bytes); false otherwise.
bool standard_verdict(const uint8_t* data, const Entry& e, int32_t& verdict);

// A 64-bit hash of the table's rules and layout, blind to the counters:
// equal for two reads of a table no writer replaced in between.
uint64_t generation(const uint8_t* data, size_t size, int family, const TableInfo& info,
                    const Walk& w);

// What identifies an entry across a replace: its chain's name and its bytes
// with counters and comefrom left out, and a jump's verdict replaced by the
// name of the chain it lands on (the offsets move when anything before them
// changes). Equal keys = the same rule in the same chain.
uint64_t entry_key(const uint8_t* data, const Entry& e, int family, const Walk& w);

// For every entry of `next`, the counters of the entry of `prev` with the
// same key (the n-th equal entry of a chain takes the n-th equal one's), or
// zero. prev_counters holds one per entry of prev, in order. With `map`
// (one per entry of next), entry i of next that has map[i] >= 0 takes the
// counters of entry map[i] of prev without comparing them (the caller
// copied it from there); only the others are compared, with the entries of
// prev no mapped entry took.
std::vector<Counters> carry_counters(const uint8_t* prev, const Walk& prev_walk,
                                     const std::vector<Counters>& prev_counters,
                                     const uint8_t* next, const Walk& next_walk, int family,
                                     const int32_t* map = nullptr);

}  // namespace xt
