// IPVS real servers (destinations): IPVS_CMD_{NEW,SET,DEL,GET}_DEST as
// plain structs <-> messages. Every request names its virtual service.
#pragma once

#include <cstdint>
#include <string>

#include "ipvs_service.h"

namespace codec {

struct IpvsDest {
  uint16_t af = 0;           // the destination's own family (may differ from the service's for tunnels)
  IpvsAddr addr{};
  uint16_t port = 0;         // host byte order
  uint32_t fwd_method = 0;   // IP_VS_CONN_F_MASQ/LOCALNODE/TUNNEL/DROUTE/BYPASS
  uint32_t weight = 0;
  uint32_t u_thresh = 0;     // upper connection threshold, 0 = none
  uint32_t l_thresh = 0;     // lower connection threshold
  uint8_t tun_type = 0;      // IP_VS_CONN_F_TUNNEL_TYPE_IPIP/GUE/GRE
  uint16_t tun_port = 0;     // GUE port, host byte order
  uint16_t tun_flags = 0;    // IP_VS_TUNNEL_ENCAP_FLAG_*
  // Read only:
  uint32_t active_conns = 0;
  uint32_t inact_conns = 0;
  uint32_t persist_conns = 0;
  IpvsStats stats;
};

// ipvsadm -a SERVICE -r ADDR[:PORT] -g|-i|-m [-w W] [-x U] [-y L] [--tun-type T --tun-port P --tun-[no|rem]csum]
nl::Request ipvs_dest_new(uint16_t family, const IpvsService& svc, const IpvsDest& d);
// ipvsadm -e SERVICE -r ADDR[:PORT] ... (same options)
nl::Request ipvs_dest_set(uint16_t family, const IpvsService& svc, const IpvsDest& d);
// ipvsadm -d SERVICE -r ADDR[:PORT]. Only the key counts; the other fields
// carry ipvsadm's defaults (direct routing, weight 1) so the bytes match.
nl::Request ipvs_dest_del(uint16_t family, const IpvsService& svc, const IpvsDest& key);
// The destinations of one service (ipvsadm -L -n, per service).
nl::Request ipvs_dest_dump(uint16_t family, const IpvsService& svc);

bool ipvs_dest_decode(const uint8_t* msg, size_t len, IpvsDest& out, std::string* why);

}  // namespace codec
