// IPVS global state: version and connection-table size (GET_INFO),
// timeouts (GET/SET_CONFIG), zeroing counters (ZERO) and flushing (FLUSH).
#pragma once

#include <cstdint>
#include <string>

#include "ipvs_service.h"

namespace codec {

struct IpvsInfo {
  uint32_t version = 0;        // e.g. 0x010201 for 1.2.1
  uint32_t conn_tab_size = 0;  // connection hash table buckets
};

struct IpvsTimeouts {
  uint32_t tcp = 0;      // seconds; 0 in a SET = leave unchanged
  uint32_t tcp_fin = 0;
  uint32_t udp = 0;
};

// ipvsadm prints it as "IP Virtual Server version 1.2.1 (size=4096)"
nl::Request ipvs_info_get(uint16_t family);
// ipvsadm -L --timeout
nl::Request ipvs_timeouts_get(uint16_t family);
// ipvsadm --set TCP TCPFIN UDP
nl::Request ipvs_timeouts_set(uint16_t family, const IpvsTimeouts& t);
// ipvsadm -Z [SERVICE] (svc null: every service)
nl::Request ipvs_zero(uint16_t family, const IpvsService* svc);
// ipvsadm -C
nl::Request ipvs_flush(uint16_t family);

bool ipvs_info_decode(const uint8_t* msg, size_t len, IpvsInfo& out, std::string* why);
bool ipvs_timeouts_decode(const uint8_t* msg, size_t len, IpvsTimeouts& out, std::string* why);

}  // namespace codec
