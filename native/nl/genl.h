// Generic netlink: resolving a family name (e.g. "IPVS") to its id with
// CTRL_CMD_GETFAMILY, cached per socket.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "exchange.h"

namespace nl {

struct GenlGroup {
  std::string name;
  uint32_t id = 0;
};

struct GenlFamily {
  std::string name;
  uint16_t id = 0;
  uint32_t version = 0;
  uint32_t hdrsize = 0;
  uint32_t maxattr = 0;
  std::vector<GenlGroup> groups;
};

// A generic netlink message: nlmsghdr + genlmsghdr{cmd, version}.
Message genl_message(uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags = 0);

Request genl_getfamily_request(const std::string& name);
// Decodes a CTRL_CMD_NEWFAMILY reply (the whole message, header included).
bool decode_genl_family(const uint8_t* msg, size_t len, GenlFamily& out, std::string* why);

class GenlResolver {
 public:
  // Resolves name on sock, from cache when known. A family the kernel does
  // not have comes back as Error{ENOENT}.
  Error resolve(Socket& sock, const std::string& name, GenlFamily& out);

 private:
  std::mutex mu_;
  std::map<std::string, GenlFamily> cache_;
};

}  // namespace nl
