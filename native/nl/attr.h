// Parsing netlink attributes into a table indexed by type, validating each
// known attribute's length against a policy; unknown types are skipped.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "align.h"

namespace nl {

enum class AttrKind : uint8_t {
  Unspec,   // anything goes (unvalidated)
  Flag,     // zero-length
  U8, U16, U32, U64,  // exact width, host byte order unless read with be*()
  String,   // text; trailing NULs are stripped when read
  Nested,   // a stream of attributes
  Binary,   // bytes with optional min/max length
};

struct Policy {
  AttrKind kind = AttrKind::Unspec;
  uint16_t min_len = 0;  // Binary only
  uint16_t max_len = 0;  // Binary only; 0 = no limit
};

class Attr {
 public:
  // Trivial, so tables of them cost nothing until filled; Attr{} is all zero.
  Attr() = default;
  Attr(uint16_t type, const uint8_t* data, uint16_t len) : type_(type), data_(data), len_(len) {}

  uint16_t type() const { return type_; }
  const uint8_t* data() const { return data_; }
  uint16_t len() const { return len_; }

  uint8_t u8() const { return data_[0]; }
  uint16_t u16() const { return load<uint16_t>(); }
  uint32_t u32() const { return load<uint32_t>(); }
  uint64_t u64() const { return load<uint64_t>(); }
  uint16_t be16() const { return __builtin_bswap16(u16()); }
  uint32_t be32() const { return __builtin_bswap32(u32()); }
  uint64_t be64() const { return __builtin_bswap64(u64()); }
  std::string str() const;
  std::vector<uint8_t> bytes() const { return {data_, data_ + len_}; }

 private:
  template <typename T>
  T load() const {
    T v{};
    std::memcpy(&v, data_, len_ < sizeof(T) ? len_ : sizeof(T));
    return v;
  }

  uint16_t type_;
  const uint8_t* data_;
  uint16_t len_;
};

// Calls fn for each attribute in [data, data+len). Returns false if an
// attribute's header is malformed (length below 4 or past the end).
// Calls fn for each attribute of the stream; false if a header is malformed
// (the attributes before it were still visited). A template, so the call is
// inlined: this loop runs for every attribute of every reply.
template <typename Fn>
bool for_each_attr(const uint8_t* data, size_t len, Fn&& fn) {
  size_t off = 0;
  while (len - off >= sizeof(nlattr)) {
    nlattr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.nla_len < sizeof(nlattr) || h.nla_len > len - off) return false;
    const auto type = static_cast<uint16_t>(h.nla_type & NLA_TYPE_MASK);
    fn(Attr(type, data + off + sizeof(nlattr), static_cast<uint16_t>(h.nla_len - sizeof(nlattr))));
    off += align4(h.nla_len);
    if (off > len) break;  // the last attribute may omit its padding
  }
  return true;
}

class AttrTable {
 public:
  AttrTable() = default;
  AttrTable(const AttrTable&) = delete;  // slots_ may point into the object itself
  AttrTable& operator=(const AttrTable&) = delete;

  // Validates every attribute of a known type (1..max) against policy[type].
  // On failure returns false and says why in *why (when not null).
  bool parse(const uint8_t* data, size_t len, const Policy* policy, uint16_t max,
             std::string* why = nullptr);
  // Parses the payload of a nested attribute.
  bool parse(const Attr& nest, const Policy* policy, uint16_t max, std::string* why = nullptr) {
    return parse(nest.data(), nest.len(), policy, max, why);
  }

  const Attr* get(uint16_t type) const {
    if (slots_ == nullptr || type > max_) return nullptr;
    const Attr& a = slots_[type];
    return a.data() != nullptr ? &a : nullptr;  // every parsed attribute points into the message
  }
  bool has(uint16_t type) const { return get(type) != nullptr; }

 private:
  // Tables of up to kInline types (every family we decode natively) live
  // in the object itself: no allocation per parsed message or nest.
  static constexpr size_t kInline = 64;
  std::array<Attr, kInline> inline_;  // uninitialised until parse() clears [0, max]
  std::vector<Attr> heap_;
  Attr* slots_ = nullptr;
  uint16_t max_ = 0;
};

// Checks one attribute's payload length against its policy.
bool attr_valid(const Attr& a, const Policy& p, std::string* why);

}  // namespace nl
