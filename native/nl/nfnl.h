// nfnetlink (NETLINK_NETFILTER): the nfgenmsg header shared by nf_tables,
// ctnetlink and the other netfilter subsystems.
#pragma once

#include <linux/netfilter/nfnetlink.h>

#include <cstdint>

#include "message.h"

namespace nl {

// A message for subsystem `subsys` (NFNL_SUBSYS_*), command `cmd`, with
// nfgenmsg{family, NFNETLINK_V0, res_id (big endian)}.
inline Message nfnl_message(uint8_t subsys, uint8_t cmd, uint8_t family, uint16_t flags = 0,
                            uint16_t res_id = 0) {
  Message m(static_cast<uint16_t>((subsys << 8) | cmd), flags);
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = __builtin_bswap16(res_id);
  m.put_header(g);
  return m;
}

// Splits an nfnetlink message type into subsystem and command.
inline uint8_t nfnl_subsys(uint16_t type) { return static_cast<uint8_t>(type >> 8); }
inline uint8_t nfnl_cmd(uint16_t type) { return static_cast<uint8_t>(type & 0xff); }

}  // namespace nl
