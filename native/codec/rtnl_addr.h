// rtnetlink addresses: RTM_{NEW,DEL,GET}ADDR, as plain structs <-> messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../nl/exchange.h"

namespace codec {

struct Address {
  uint32_t index = 0;        // link index
  uint8_t family = 0;        // AF_INET / AF_INET6
  uint8_t prefixlen = 0;
  uint8_t scope = 0;         // RT_SCOPE_*
  uint32_t flags = 0;        // IFA_F_*
  std::vector<uint8_t> address;  // IFA_ADDRESS (the peer on point-to-point links)
  std::vector<uint8_t> local;    // IFA_LOCAL
  std::string label;         // IFA_LABEL (IPv4)
  uint32_t valid_lft = 0xffffffff;
  uint32_t preferred_lft = 0xffffffff;
};

// ip addr show [-4|-6]   (family 0 = both)
nl::Request addr_dump(uint8_t family);
// ip addr add ADDR/PLEN dev LINK [scope S] [label L] [nodad]; replace => ip addr replace
nl::Request addr_new(const Address& addr, bool replace);
// ip addr del ADDR/PLEN dev LINK
nl::Request addr_del(const Address& addr);

bool addr_decode(const uint8_t* msg, size_t len, Address& out, std::string* why);

}  // namespace codec
