// IPVS virtual services (generic netlink family "IPVS"): IPVS_CMD_{NEW,SET,
// DEL,GET}_SERVICE as plain structs <-> messages. `family` everywhere is the
// generic netlink id the kernel gave "IPVS" (resolved once per handle).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "../nl/exchange.h"
#include "ipvs_stats.h"

namespace codec {

// union nf_inet_addr: IPv4 in the first 4 bytes, the rest zero.
using IpvsAddr = std::array<uint8_t, 16>;

// A virtual service, keyed by (af, protocol, addr, port) or by (af, fwmark).
struct IpvsService {
  uint16_t af = 0;          // AF_INET / AF_INET6
  uint16_t protocol = 0;    // IPPROTO_TCP/UDP/SCTP; 0 for a fwmark service
  IpvsAddr addr{};
  uint16_t port = 0;        // host byte order
  uint32_t fwmark = 0;      // non-zero: a firewall-mark service
  std::string scheduler;    // "rr", "wlc", ... (IP_VS_SCHEDNAME_MAXLEN - 1 bytes at most)
  std::string pe_name;      // persistence engine ("sip"), "" for none
  uint32_t flags = 0;       // IP_VS_SVC_F_*
  uint32_t timeout = 0;     // persistence timeout, seconds
  uint32_t netmask = 0;     // persistence netmask (IPv4) or prefix length (IPv6)
  IpvsStats stats;          // read only
};

// How much of a service goes into IPVS_CMD_ATTR_SERVICE. Attributes are
// written in libipvs's order, so our bytes equal ipvsadm's.
enum class ServiceForm {
  Full,  // key + scheduler, pe, flags, timeout, netmask (NEW/SET_SERVICE)
  Ref,   // key + ipvsadm's placeholders: scheduler "", flags 0 (mask ~0),
         // timeout 0 and a netmask; the kernel reads only the key. ipvsadm
         // sends this for DEL_SERVICE, ZERO, GET_SERVICE and the dest commands.
  Key,   // key only (the GET_DEST dump)
};

// Appends IPVS_CMD_ATTR_SERVICE in the given form. `netmask` is the
// placeholder of the Ref form.
void ipvs_put_service(nl::Message& m, const IpvsService& s, ServiceForm form, uint32_t netmask = 0);

// The netmask ipvsadm puts in a Ref: ~0 for IPv4, 128 for IPv6.
uint32_t ipvs_default_netmask(uint16_t af);

// A message of the IPVS family: nlmsghdr + genlmsghdr{cmd, IPVS_GENL_VERSION}.
nl::Message ipvs_message(uint16_t family, uint8_t cmd);

// ipvsadm -A -t|-u|--sctp-service ADDR:PORT | -f MARK [-6] -s SCHED [-p T] [-M MASK] [-b FLAGS] [-o] [--pe PE]
nl::Request ipvs_service_new(uint16_t family, const IpvsService& s);
// ipvsadm -E ... (same options)
nl::Request ipvs_service_set(uint16_t family, const IpvsService& s);
// ipvsadm -D -t|-u|--sctp-service ADDR:PORT | -f MARK (only the key is used)
nl::Request ipvs_service_del(uint16_t family, const IpvsService& key);
// ipvsadm -L -n -t ADDR:PORT (one service, by key; ipvsadm's netmask placeholder is 0 here)
nl::Request ipvs_service_get(uint16_t family, const IpvsService& key);
// ipvsadm -L -n (the service part)
nl::Request ipvs_service_dump(uint16_t family);

// Decodes a service message (a dump entry or the GET reply), header included.
bool ipvs_service_decode(const uint8_t* msg, size_t len, IpvsService& out, std::string* why);

}  // namespace codec
