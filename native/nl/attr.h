// Parsing netlink attributes into a table indexed by type, validating each
// known attribute's length against a policy; unknown types are skipped.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
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

  uint16_t type_ = 0;
  const uint8_t* data_ = nullptr;
  uint16_t len_ = 0;
};

// Calls fn for each attribute in [data, data+len). Returns false if an
// attribute's header is malformed (length below 4 or past the end).
bool for_each_attr(const uint8_t* data, size_t len, const std::function<void(const Attr&)>& fn);

class AttrTable {
 public:
  // Validates every attribute of a known type (1..max) against policy[type].
  // On failure returns false and says why in *why (when not null).
  bool parse(const uint8_t* data, size_t len, const Policy* policy, uint16_t max,
             std::string* why = nullptr);
  // Parses the payload of a nested attribute.
  bool parse(const Attr& nest, const Policy* policy, uint16_t max, std::string* why = nullptr) {
    return parse(nest.data(), nest.len(), policy, max, why);
  }

  const Attr* get(uint16_t type) const {
    return type < present_.size() && present_[type] ? &attrs_[type] : nullptr;
  }
  bool has(uint16_t type) const { return get(type) != nullptr; }

 private:
  std::vector<Attr> attrs_;
  std::vector<bool> present_;
};

// Checks one attribute's payload length against its policy.
bool attr_valid(const Attr& a, const Policy& p, std::string* why);

}  // namespace nl
