// IPVS connection-sync daemons: IPVS_CMD_{NEW,DEL,GET}_DAEMON.
#pragma once

#include <cstdint>
#include <string>

#include "ipvs_service.h"

namespace codec {

struct IpvsDaemon {
  uint32_t state = 0;        // IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP
  std::string ifname;        // multicast interface
  uint32_t syncid = 0;
  uint16_t maxlen = 0;       // sync message payload size, 0 = kernel default
  uint16_t group_af = 0;     // 0 = kernel default group (224.0.0.81)
  IpvsAddr group{};          // multicast group
  uint16_t port = 0;         // 0 = kernel default (8848)
  uint8_t ttl = 0;           // 0 = kernel default (1)
};

// ipvsadm --start-daemon master|backup --mcast-interface IF [--syncid N]
//   [--sync-maxlen N] [--mcast-group G] [--mcast-port P] [--mcast-ttl T]
nl::Request ipvs_daemon_new(uint16_t family, const IpvsDaemon& d);
// ipvsadm --stop-daemon master|backup (only the state counts; ipvsadm adds an
// empty interface and sync id 0, and so do we)
nl::Request ipvs_daemon_del(uint16_t family, uint32_t state);
// ipvsadm -L --daemon
nl::Request ipvs_daemon_dump(uint16_t family);

bool ipvs_daemon_decode(const uint8_t* msg, size_t len, IpvsDaemon& out, std::string* why);

}  // namespace codec
