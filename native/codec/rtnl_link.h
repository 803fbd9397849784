// rtnetlink links: RTM_{NEW,DEL,GET}LINK, as plain structs <-> messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../nl/exchange.h"

namespace codec {

struct Link {
  uint32_t index = 0;
  std::string name;
  std::string kind;          // IFLA_INFO_KIND: "dummy", "veth", ... ("" for physical/loopback)
  uint16_t type = 0;         // ARPHRD_*
  uint32_t flags = 0;        // IFF_*
  uint32_t mtu = 0;
  std::vector<uint8_t> address;  // link-layer address
  uint8_t operstate = 0;     // IF_OPER_*
  uint32_t master = 0;       // IFLA_MASTER
  uint32_t parent = 0;       // IFLA_LINK (e.g. a veth's peer index)
  int32_t link_netnsid = -1; // IFLA_LINK_NETNSID (peer in another netns)
};

// A link named by index (when non-zero) or else by name.
struct LinkRef {
  uint32_t index = 0;
  std::string name;
};

struct NewLink {
  std::string name;
  std::string kind;        // "dummy" or "veth"
  uint32_t mtu = 0;        // 0 = kernel default
  bool up = false;
  std::string peer_name;   // veth only
  int peer_netns_fd = -1;  // veth only: put the peer there (IFLA_NET_NS_FD)
};

struct LinkChange {
  std::optional<bool> up;
  uint32_t mtu = 0;  // 0 = unchanged
};

// ip link show [dev NAME]
nl::Request link_get(const LinkRef& ref);
nl::Request link_dump();
// ip link add NAME [mtu N] [up] type dummy | type veth peer name PEER [netns NS]
nl::Request link_new(const NewLink& link);
// ip link del NAME
nl::Request link_del(const LinkRef& ref);
// ip link set NAME up|down [mtu N]
nl::Request link_set(const LinkRef& ref, const LinkChange& change);

bool link_decode(const uint8_t* msg, size_t len, Link& out, std::string* why);

}  // namespace codec
