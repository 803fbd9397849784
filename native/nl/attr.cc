#include "attr.h"

#include <algorithm>

namespace nl {

std::string Attr::str() const {
  size_t n = len_;
  while (n > 0 && data_[n - 1] == 0) --n;
  return std::string(reinterpret_cast<const char*>(data_), n);
}

static bool fail(std::string* why, const std::string& text) {
  if (why != nullptr) *why = text;
  return false;
}

bool attr_valid(const Attr& a, const Policy& p, std::string* why) {
  size_t want = 0;
  switch (p.kind) {
    case AttrKind::Unspec:
    case AttrKind::String:
    case AttrKind::Nested:
      return true;
    case AttrKind::Flag: want = 0; break;
    case AttrKind::U8: want = 1; break;
    case AttrKind::U16: want = 2; break;
    case AttrKind::U32: want = 4; break;
    case AttrKind::U64: want = 8; break;
    case AttrKind::Binary:
      if (a.len() < p.min_len || (p.max_len != 0 && a.len() > p.max_len))
        return fail(why, "attribute " + std::to_string(a.type()) + " has length " +
                             std::to_string(a.len()) + ", expected " + std::to_string(p.min_len) +
                             (p.max_len != 0 ? ".." + std::to_string(p.max_len) : " or more"));
      return true;
  }
  if (a.len() != want)
    return fail(why, "attribute " + std::to_string(a.type()) + " has length " +
                         std::to_string(a.len()) + ", expected " + std::to_string(want));
  return true;
}

bool AttrTable::parse(const uint8_t* data, size_t len, const Policy* policy, uint16_t max,
                      std::string* why) {
  if (size_t{max} < kInline) {
    slots_ = inline_.data();
  } else {
    heap_.resize(size_t{max} + 1);
    slots_ = heap_.data();
  }
  std::fill(slots_, slots_ + size_t{max} + 1, Attr{});
  max_ = max;
  bool valid = true;
  bool well_formed = for_each_attr(data, len, [&](const Attr& a) {
    if (!valid || a.type() == 0 || a.type() > max) return;  // unknown: skipped
    if (!attr_valid(a, policy[a.type()], why)) {
      valid = false;
      return;
    }
    slots_[a.type()] = a;
  });
  if (!well_formed) return fail(why, "malformed attribute header");
  return valid;
}

}  // namespace nl
