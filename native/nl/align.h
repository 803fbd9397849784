#pragma once

#include <cstddef>

namespace nl {
// Netlink headers and attributes are padded to 4 bytes.
constexpr size_t align4(size_t n) { return (n + 3u) & ~size_t{3}; }
}  // namespace nl
