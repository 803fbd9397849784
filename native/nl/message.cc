#include "message.h"

#include <endian.h>

#include <stdexcept>

namespace nl {

Message::Message(uint16_t type, uint16_t flags) {
  buf_.reserve(256);
  reserve(sizeof(nlmsghdr));
  nlmsghdr* h = header();
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
}

size_t Message::reserve(size_t len) {
  size_t at = buf_.size();
  buf_.resize(at + align4(len), 0);
  header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
  return at;
}

void Message::put(uint16_t type, const void* data, size_t len) {
  if (len > 0xffff - sizeof(nlattr)) throw std::length_error("netlink attribute too long");
  size_t at = reserve(sizeof(nlattr) + len);
  nlattr attr{static_cast<uint16_t>(sizeof(nlattr) + len), type};
  std::memcpy(buf_.data() + at, &attr, sizeof attr);
  if (len > 0) std::memcpy(buf_.data() + at + sizeof attr, data, len);
}

void Message::put_be16(uint16_t type, uint16_t v) { put_u16(type, htobe16(v)); }
void Message::put_be32(uint16_t type, uint32_t v) { put_u32(type, htobe32(v)); }
void Message::put_be64(uint16_t type, uint64_t v) { put_u64(type, htobe64(v)); }

void Message::put_strz(uint16_t type, std::string_view s) {
  size_t len = s.size() + 1;
  if (len > 0xffff - sizeof(nlattr)) throw std::length_error("netlink attribute too long");
  size_t at = reserve(sizeof(nlattr) + len);
  nlattr attr{static_cast<uint16_t>(sizeof(nlattr) + len), type};
  std::memcpy(buf_.data() + at, &attr, sizeof attr);
  std::memcpy(buf_.data() + at + sizeof attr, s.data(), s.size());
}

size_t Message::begin_nest(uint16_t type) {
  size_t at = reserve(sizeof(nlattr));
  nlattr attr{sizeof(nlattr), static_cast<uint16_t>(type | NLA_F_NESTED)};
  std::memcpy(buf_.data() + at, &attr, sizeof attr);
  return at;
}

void Message::end_nest(size_t token) {
  size_t len = buf_.size() - token;
  if (len > 0xffff) throw std::length_error("netlink nested attribute too long");
  auto* attr = reinterpret_cast<nlattr*>(buf_.data() + token);
  attr->nla_len = static_cast<uint16_t>(len);
}

}  // namespace nl
