// Building small ip_tables blobs for the native tests and the fuzz seeds:
// the layout libiptc (and src/iptables/encode.ts) writes.
#pragma once

#include <netinet/in.h>
#include <linux/netfilter_ipv4/ip_tables.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../xt/table.h"

namespace xtblob {

struct Blob {
  std::vector<uint8_t> bytes;
  xt::TableInfo info;
};

// One rule: an optional 48-byte tcp match (dport) and a standard target
// (verdict, or a jump to the chain named `jump`).
struct Rule {
  int dport = -1;
  int verdict = -2;  // NF_ACCEPT as a standard verdict
  std::string jump;
  uint64_t packets = 0;
};

struct Chain {
  std::string name;  // built-in: INPUT/FORWARD/OUTPUT
  int hook = -1;
  std::vector<Rule> rules;
};

inline void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) { std::memcpy(&b[at], &v, 2); }
inline void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }
inline void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) { std::memcpy(&b[at], &v, 8); }

inline size_t rule_size(const Rule& r) { return sizeof(ipt_entry) + (r.dport >= 0 ? 48 : 0) + 40; }

// A filter-like table: the chains in order, then the closing ERROR entry.
inline Blob build(const std::vector<Chain>& chains) {
  Blob out;
  std::vector<size_t> first(chains.size());
  size_t off = 0;
  for (size_t i = 0; i < chains.size(); ++i) {
    if (chains[i].hook < 0) off += sizeof(ipt_entry) + 64;
    first[i] = off;
    for (const Rule& r : chains[i].rules) off += rule_size(r);
    off += sizeof(ipt_entry) + 40;
  }
  off += sizeof(ipt_entry) + 64;
  out.bytes.assign(off, 0);
  auto entry = [&](size_t at, size_t target_offset, size_t next) {
    put16(out.bytes, at + offsetof(ipt_entry, target_offset), static_cast<uint16_t>(target_offset));
    put16(out.bytes, at + offsetof(ipt_entry, next_offset), static_cast<uint16_t>(next));
  };
  auto standard = [&](size_t at, int32_t verdict) {
    put16(out.bytes, at, 40);
    put32(out.bytes, at + 32, static_cast<uint32_t>(verdict));
  };
  auto error = [&](size_t at, const std::string& name) {
    entry(at, sizeof(ipt_entry), sizeof(ipt_entry) + 64);
    size_t t = at + sizeof(ipt_entry);
    put16(out.bytes, t, 64);
    std::memcpy(&out.bytes[t + 2], "ERROR", 5);
    std::memcpy(&out.bytes[t + 32], name.data(), name.size());
  };
  off = 0;
  for (size_t i = 0; i < chains.size(); ++i) {
    const Chain& c = chains[i];
    if (c.hook < 0) {
      error(off, c.name);
      off += sizeof(ipt_entry) + 64;
    } else {
      out.info.valid_hooks |= 1u << c.hook;
      out.info.hook_entry[c.hook] = static_cast<uint32_t>(off);
    }
    for (const Rule& r : c.rules) {
      size_t m = r.dport >= 0 ? 48 : 0;
      entry(off, sizeof(ipt_entry) + m, rule_size(r));
      put64(out.bytes, off + offsetof(ipt_entry, counters), r.packets);
      if (m != 0) {
        size_t at = off + sizeof(ipt_entry);
        put16(out.bytes, at, 48);
        std::memcpy(&out.bytes[at + 2], "tcp", 3);
        put16(out.bytes, at + 32, 0);
        put16(out.bytes, at + 34, 0xffff);
        put16(out.bytes, at + 36, static_cast<uint16_t>(r.dport));
        put16(out.bytes, at + 38, static_cast<uint16_t>(r.dport));
      }
      int32_t verdict = r.verdict;
      if (!r.jump.empty())
        for (size_t j = 0; j < chains.size(); ++j)
          if (chains[j].name == r.jump) verdict = static_cast<int32_t>(first[j]);
      standard(off + sizeof(ipt_entry) + m, verdict);
      off += rule_size(r);
      out.info.num_entries++;
    }
    if (c.hook >= 0) out.info.underflow[c.hook] = static_cast<uint32_t>(off);
    entry(off, sizeof(ipt_entry), sizeof(ipt_entry) + 40);
    standard(off + sizeof(ipt_entry), c.hook >= 0 ? -2 : -5);
    off += sizeof(ipt_entry) + 40;
    out.info.num_entries += c.hook >= 0 ? 1 : 2;
  }
  error(off, "ERROR");
  out.info.num_entries++;
  out.info.size = static_cast<uint32_t>(out.bytes.size());
  return out;
}

}  // namespace xtblob
