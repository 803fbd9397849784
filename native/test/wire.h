// Helpers for writing netlink bytes by hand in tests, independent of
// nl::Message (so the builder is checked against something else).
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace wire {

using Bytes = std::vector<uint8_t>;

template <size_t N>
Bytes of(const uint8_t (&a)[N]) {
  return Bytes(a, a + N);
}

inline Bytes le16(uint16_t v) { return {uint8_t(v), uint8_t(v >> 8)}; }
inline Bytes le32(uint32_t v) { return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}; }
inline Bytes str(const std::string& s, bool nul = true) {
  Bytes b(s.begin(), s.end());
  if (nul) b.push_back(0);
  return b;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline void pad4(Bytes& b) {
  while (b.size() % 4 != 0) b.push_back(0);
}

// One attribute: header, payload, padding (unless pad is false).
inline Bytes attr(uint16_t type, const Bytes& payload, bool pad = true) {
  Bytes b = cat({le16(static_cast<uint16_t>(4 + payload.size())), le16(type), payload});
  if (pad) pad4(b);
  return b;
}

// One netlink message: header, payload (padded to 4 unless pad is false).
inline Bytes msg(uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid, const Bytes& payload,
                 bool pad = true) {
  Bytes b = cat({le32(static_cast<uint32_t>(16 + payload.size())), le16(type), le16(flags), le32(seq),
                 le32(pid), payload});
  if (pad) pad4(b);
  return b;
}

inline uint16_t get16(const Bytes& b, size_t at) { return uint16_t(b[at] | (b[at + 1] << 8)); }
inline uint32_t get32(const Bytes& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}
inline void set32(Bytes& b, size_t at, uint32_t v) {
  Bytes x = le32(v);
  std::memcpy(b.data() + at, x.data(), 4);
}

// The messages of a datagram, each copied whole.
inline std::vector<Bytes> split(const Bytes& dgram) {
  std::vector<Bytes> out;
  size_t off = 0;
  while (off + 16 <= dgram.size()) {
    uint32_t len = get32(dgram, off);
    if (len < 16 || len > dgram.size() - off) break;
    out.emplace_back(dgram.begin() + off, dgram.begin() + off + len);
    off += (len + 3u) & ~3u;
  }
  return out;
}

// Top-level attributes of [from, to): (type with its flag bits, payload).
inline std::vector<std::pair<uint16_t, Bytes>> attrs(const Bytes& b, size_t from, size_t to) {
  std::vector<std::pair<uint16_t, Bytes>> out;
  size_t off = from;
  while (off + 4 <= to) {
    uint16_t len = get16(b, off);
    if (len < 4 || len > to - off) break;
    out.emplace_back(get16(b, off + 2), Bytes(b.begin() + off + 4, b.begin() + off + len));
    off += (len + 3u) & ~3u;
  }
  return out;
}
inline std::vector<std::pair<uint16_t, Bytes>> attrs(const Bytes& b, size_t from) {
  return attrs(b, from, b.size());
}

// The payload of the first attribute of that type (flag bits ignored);
// `found` says whether there was one.
inline Bytes find(const std::vector<std::pair<uint16_t, Bytes>>& list, uint16_t type, bool* found = nullptr) {
  for (const auto& [t, p] : list)
    if ((t & NLA_TYPE_MASK) == type) {
      if (found) *found = true;
      return p;
    }
  if (found) *found = false;
  return {};
}

}  // namespace wire
