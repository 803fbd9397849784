// Building netlink messages into an owned byte buffer, the libmnl way:
// header, family header, attributes, nests. No N-API, no syscalls.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "align.h"

namespace nl {

class Message {
 public:
  Message(uint16_t type, uint16_t flags);

  // Appends a fixed family header (ifinfomsg, genlmsghdr, nfgenmsg, ...).
  template <typename T>
  T* put_header(const T& header) {
    size_t at = reserve(sizeof(T));
    std::memcpy(buf_.data() + at, &header, sizeof(T));
    return reinterpret_cast<T*>(buf_.data() + at);
  }

  void put(uint16_t type, const void* data, size_t len);
  // Appends bytes as they are (attributes encoded elsewhere), padded to 4.
  void append_raw(const void* data, size_t len) {
    size_t at = reserve(len);
    if (len > 0) std::memcpy(buf_.data() + at, data, len);
  }
  void put_flag(uint16_t type) { put(type, nullptr, 0); }
  void put_u8(uint16_t type, uint8_t v) { put(type, &v, 1); }
  void put_u16(uint16_t type, uint16_t v) { put(type, &v, 2); }
  void put_u32(uint16_t type, uint32_t v) { put(type, &v, 4); }
  void put_u64(uint16_t type, uint64_t v) { put(type, &v, 8); }
  void put_be16(uint16_t type, uint16_t v);
  void put_be32(uint16_t type, uint32_t v);
  void put_be64(uint16_t type, uint64_t v);
  // NUL-terminated string attribute (NLA_NUL_STRING / NLA_STRING).
  void put_strz(uint16_t type, std::string_view s);

  // Opens a nested attribute (NLA_F_NESTED set) and returns a token for end_nest.
  size_t begin_nest(uint16_t type);
  void end_nest(size_t token);

  void set_seq(uint32_t seq) { header()->nlmsg_seq = seq; }
  void add_flags(uint16_t flags) { header()->nlmsg_flags |= flags; }
  uint32_t seq() const { return header()->nlmsg_seq; }
  uint16_t flags() const { return header()->nlmsg_flags; }
  uint16_t type() const { return header()->nlmsg_type; }

  const std::vector<uint8_t>& bytes() const { return buf_; }
  size_t size() const { return buf_.size(); }

 private:
  size_t reserve(size_t len);  // appends len bytes (zeroed, padded to 4)
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(buf_.data()); }

  std::vector<uint8_t> buf_;
};

}  // namespace nl
