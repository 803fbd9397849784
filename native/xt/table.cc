#include "table.h"

#include <algorithm>
#include <cstring>

namespace xt {

namespace {

constexpr size_t kTargetHeader = 32;  // sizeof(struct xt_entry_target) == sizeof(struct xt_entry_match)
constexpr size_t kStandardTarget = 40;
constexpr size_t kErrorTarget = 64;
constexpr size_t kNameLen = 29;      // XT_EXTENSION_MAXNAMELEN
constexpr size_t kChainNameLen = 30;  // XT_FUNCTION_MAXNAMELEN

const Layout kLayout4{112, 88, 92, 96, 82, 0x02};
const Layout kLayout6{168, 140, 144, 152, 131, 0x04};

uint16_t u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t mix(uint64_t h, uint64_t w) {
  h ^= w * 0x9E3779B97F4A7C15ull;
  h = (h << 27) | (h >> 37);
  return h * 0xBF58476D1CE4E5B9ull + 0x94D049BB133111EBull;
}

uint64_t hash_bytes(uint64_t h, const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) h = mix(h, u64(p + i));
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);
  return mix(h, tail ^ (static_cast<uint64_t>(n) << 56));
}

uint64_t hash_string(const std::string& s) { return hash_bytes(0x51ED270B27A1F3C5ull, reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

// The target's name, NUL-terminated inside its 29 bytes (or all of them).
std::string target_name(const uint8_t* t) {
  const char* name = reinterpret_cast<const char*>(t + 2);
  return std::string(name, strnlen(name, kNameLen));
}

bool fail(std::string* why, const std::string& text, uint32_t offset) {
  if (why != nullptr) *why = text + " (entry at offset " + std::to_string(offset) + ")";
  return false;
}

// The checks of the kernel's xt_check_entry_offsets and xt_check_entry_match.
bool check_entry(const uint8_t* e, uint32_t offset, size_t avail, const Layout& l, std::string* why) {
  if (avail < l.entry_size + kTargetHeader) return fail(why, "entry runs past the end of the table", offset);
  uint16_t target_offset = u16(e + l.target_offset);
  uint16_t next_offset = u16(e + l.target_offset + 2);
  if (next_offset > avail) return fail(why, "next_offset runs past the end of the table", offset);
  if (next_offset < l.entry_size + kTargetHeader) return fail(why, "next_offset too small", offset);
  if (next_offset % 8 != 0) return fail(why, "next_offset not a multiple of 8", offset);
  if (target_offset < l.entry_size || target_offset + kTargetHeader > next_offset)
    return fail(why, "target_offset outside the entry", offset);
  const uint8_t* t = e + target_offset;
  uint16_t target_size = u16(t);
  if (target_size < kTargetHeader || target_offset + target_size > next_offset)
    return fail(why, "target size outside the entry", offset);
  std::string name = target_name(t);
  if (name.empty() && (target_offset + kStandardTarget + 7) / 8 * 8 != next_offset)
    return fail(why, "standard target of the wrong size", offset);
  if (name == "ERROR" && (target_offset + kErrorTarget + 7) / 8 * 8 != next_offset)
    return fail(why, "ERROR target of the wrong size", offset);
  for (size_t m = l.entry_size; m < target_offset;) {
    if (m % 8 != 0) return fail(why, "match not 8-byte aligned", offset);
    if (m + kTargetHeader > target_offset) return fail(why, "match header past the target", offset);
    uint16_t match_size = u16(e + m);
    if (match_size < kTargetHeader || match_size > target_offset - m)
      return fail(why, "match size outside the entry", offset);
    m += match_size;
  }
  return true;
}

int hook_at(const TableInfo& info, uint32_t offset) {
  for (int h = 0; h < kHooks; ++h)
    if ((info.valid_hooks & (1u << h)) != 0 && info.hook_entry[h] == offset) return h;
  return -1;
}

const char* const kHookNames[kHooks] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};

// Marks the last entry of the chain that ends before `end` (Return for a user
// chain; a built-in chain must end with its policy at the underflow).
bool close_chain(Walk& w, const TableInfo& info, std::string* why) {
  if (w.chains.empty() || w.entries.empty()) return true;
  Entry& last = w.entries.back();
  const Chain& c = w.chains.back();
  if (c.hook >= 0) {
    if (last.kind != Entry::Policy)
      return fail(why, "built-in chain " + c.name + " does not end at its underflow " +
                           std::to_string(info.underflow[c.hook]), last.offset);
  } else if (last.kind != Entry::Head) {
    last.kind = Entry::Return;
  }
  return true;
}

}  // namespace

const Layout& layout(int family) { return family == 6 ? kLayout6 : kLayout4; }

bool TableInfo::operator==(const TableInfo& o) const {
  return valid_hooks == o.valid_hooks && num_entries == o.num_entries && size == o.size &&
         std::equal(hook_entry, hook_entry + kHooks, o.hook_entry) &&
         std::equal(underflow, underflow + kHooks, o.underflow);
}

bool walk(const uint8_t* data, size_t size, int family, const TableInfo& info, Walk& out, std::string* why) {
  const Layout& l = layout(family);
  out.entries.clear();
  out.chains.clear();
  for (uint32_t off = 0; off < size;) {
    if (off % 8 != 0) return fail(why, "entry not 8-byte aligned", off);
    const uint8_t* e = data + off;
    if (!check_entry(e, off, size - off, l, why)) return false;
    Entry entry;
    entry.offset = off;
    entry.target_offset = u16(e + l.target_offset);
    entry.next_offset = u16(e + l.target_offset + 2);
    bool last = off + entry.next_offset == size;
    int hook = hook_at(info, off);
    if (last) {
      if (hook >= 0) return fail(why, "hook entry at the table's closing entry", off);
      if (!close_chain(out, info, why)) return false;
      entry.kind = Entry::End;
    } else if (target_name(e + entry.target_offset) == "ERROR") {
      if (hook >= 0) return fail(why, "hook entry on a chain head", off);
      if (!close_chain(out, info, why)) return false;
      const char* name = reinterpret_cast<const char*>(e + entry.target_offset + kTargetHeader);
      out.chains.push_back({std::string(name, strnlen(name, kChainNameLen)), -1, off + entry.next_offset});
      entry.kind = Entry::Head;
    } else if (hook >= 0) {
      if (!close_chain(out, info, why)) return false;
      out.chains.push_back({kHookNames[hook], hook, off});
    }
    if (out.chains.empty() && entry.kind != Entry::End) return fail(why, "entry before the first chain", off);
    if (entry.kind != Entry::End) {
      entry.chain = static_cast<int32_t>(out.chains.size() - 1);
      const Chain& c = out.chains.back();
      if (c.hook >= 0 && info.underflow[c.hook] == off) entry.kind = Entry::Policy;
      else if (c.hook >= 0 && !out.entries.empty() && out.entries.back().kind == Entry::Policy &&
               out.entries.back().chain == entry.chain)
        return fail(why, "rule after the policy of " + c.name, off);
    }
    out.entries.push_back(entry);
    off += entry.next_offset;
  }
  if (out.entries.empty() || out.entries.back().kind != Entry::End) {
    if (why != nullptr) *why = "table has no closing entry";
    return false;
  }
  for (int h = 0; h < kHooks; ++h) {
    if ((info.valid_hooks & (1u << h)) == 0) continue;
    bool found = false;
    for (const Chain& c : out.chains) found = found || c.hook == h;
    if (!found) return fail(why, std::string("no chain at the hook entry of ") + kHookNames[h], info.hook_entry[h]);
  }
  return true;
}

bool standard_verdict(const uint8_t* data, const Entry& e, int32_t& verdict) {
  const uint8_t* t = data + e.offset + e.target_offset;
  if (u16(t) != kStandardTarget || t[2] != 0 || t[31] != 0) return false;
  std::memcpy(&verdict, t + kTargetHeader, sizeof verdict);
  return true;
}

uint64_t generation(const uint8_t* data, size_t size, int family, const TableInfo& info, const Walk& w) {
  const Layout& l = layout(family);
  uint64_t h = mix(0x2545F4914F6CDD1Dull, info.valid_hooks | static_cast<uint64_t>(info.num_entries) << 32);
  h = mix(h, size);
  for (int i = 0; i < kHooks; ++i) h = mix(h, info.hook_entry[i] | static_cast<uint64_t>(info.underflow[i]) << 32);
  for (const Entry& e : w.entries) {
    const uint8_t* p = data + e.offset;
    h = hash_bytes(h, p, l.counters);
    h = hash_bytes(h, p + l.counters + 16, e.next_offset - l.counters - 16);
  }
  return h;
}

uint64_t entry_key(const uint8_t* data, const Entry& e, int family, const Walk& w) {
  const Layout& l = layout(family);
  const uint8_t* p = data + e.offset;
  uint64_t h = e.chain >= 0 ? hash_string(w.chains[static_cast<size_t>(e.chain)].name) : 0;
  h = mix(h, e.kind);
  h = hash_bytes(h, p, l.comefrom);
  size_t rest = l.counters + 16;
  int32_t verdict = 0;
  if (!standard_verdict(data, e, verdict)) return hash_bytes(h, p + rest, e.next_offset - rest);
  // Everything up to the verdict, then what the verdict means, then the rest.
  size_t at = e.target_offset + kTargetHeader;
  h = hash_bytes(h, p + rest, at - rest);
  if (verdict >= 0 && static_cast<uint32_t>(verdict) == e.offset + e.next_offset) return mix(h, 0xFA11);
  if (verdict < 0) return mix(h, static_cast<uint32_t>(verdict));
  auto it = std::lower_bound(w.chains.begin(), w.chains.end(), static_cast<uint32_t>(verdict),
                             [](const Chain& c, uint32_t v) { return c.first < v; });
  // Chains are in blob order, so their first rules are in increasing order.
  if (it != w.chains.end() && it->first == static_cast<uint32_t>(verdict)) return mix(hash_string(it->name), h);
  return mix(h, 0x0FF5E7000000000ull | static_cast<uint32_t>(verdict));
}

std::vector<Counters> carry_counters(const uint8_t* prev, const Walk& prev_walk,
                                     const std::vector<Counters>& prev_counters, const uint8_t* next,
                                     const Walk& next_walk, int family, const int32_t* map) {
  const size_t np = prev_walk.entries.size();
  const size_t nn = next_walk.entries.size();
  auto carries = [](const Entry& e) { return e.kind != Entry::Head && e.kind != Entry::End; };
  std::vector<Counters> out(nn);
  std::vector<uint8_t> taken(np, 0);  // prev entries a mapped entry took
  std::vector<uint8_t> done(nn, 0);   // next entries that have theirs
  if (map != nullptr) {
    for (size_t i = 0; i < nn; ++i) {
      int32_t j = map[i];
      if (j < 0 || static_cast<size_t>(j) >= np || taken[j] || !carries(next_walk.entries[i]) ||
          !carries(prev_walk.entries[j]))
        continue;
      if (static_cast<size_t>(j) < prev_counters.size()) out[i] = prev_counters[j];
      taken[j] = 1;
      done[i] = 1;
    }
  }
  // The rest by key: both sides sorted by (key, position), then merged, so
  // the n-th equal entry of next takes the n-th equal one of prev.
  struct Keyed {
    uint64_t key;
    uint32_t index;
    bool operator<(const Keyed& o) const { return key != o.key ? key < o.key : index < o.index; }
  };
  std::vector<Keyed> a, b;
  for (size_t i = 0; i < np; ++i)
    if (!taken[i] && carries(prev_walk.entries[i]))
      a.push_back({entry_key(prev, prev_walk.entries[i], family, prev_walk), static_cast<uint32_t>(i)});
  for (size_t i = 0; i < nn; ++i)
    if (!done[i] && carries(next_walk.entries[i]))
      b.push_back({entry_key(next, next_walk.entries[i], family, next_walk), static_cast<uint32_t>(i)});
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i].key < b[j].key) {
      ++i;
    } else if (b[j].key < a[i].key) {
      ++j;
    } else {
      if (a[i].index < prev_counters.size()) out[b[j].index] = prev_counters[a[i].index];
      ++i;
      ++j;
    }
  }
  return out;
}

}  // namespace xt
