// A netlink socket of one protocol, created inside a chosen network
// namespace and bound to a kernel-assigned port id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/uio.h>
#include <memory>
#include <vector>

#include "message.h"
#include "netns.h"

namespace nl {

struct SocketOptions {
  // Wanted buffer sizes. SO_*BUFFORCE is tried first (needs CAP_NET_ADMIN),
  // then the unprivileged SO_*BUF, which the kernel caps at [rw]mem_max.
  size_t rcvbuf = size_t{8} << 20;
  size_t sndbuf = size_t{8} << 20;
  int recv_timeout_ms = 60000;  // a kernel that never answers is an error
};

class Socket {
 public:
  // Throws SystemError.
  static std::unique_ptr<Socket> open(int protocol, const NetnsSpec& ns,
                                      const SocketOptions& options = {});
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int protocol() const { return protocol_; }
  uint32_t portid() const { return portid_; }
  size_t rcvbuf() const { return rcvbuf_; }
  size_t sndbuf() const { return sndbuf_; }
  uint32_t next_seq() { return ++seq_ == 0 ? ++seq_ : seq_; }

  // Sends the messages in one sendmsg (one iovec each). Throws SystemError.
  void send(const std::vector<const Message*>& messages);
  // Sends the buffers as one datagram (at most IOV_MAX). Throws SystemError.
  void send_iov(const std::vector<iovec>& iov);
  // Receives one datagram from the kernel into buf; returns its length.
  // Throws SystemError (ENOBUFS when the kernel dropped replies, EAGAIN on timeout).
  size_t recv(std::vector<uint8_t>& buf);
  // Like recv, but returns 0 at once when nothing is queued.
  size_t recv_nowait(std::vector<uint8_t>& buf);
  // Waits up to timeout_ms for a datagram; true when one is queued.
  bool wait_readable(int timeout_ms);
  // Grows the send buffer so one sendmsg of `bytes` fits (SO_SNDBUFFORCE).
  void ensure_sndbuf(size_t bytes);
  // Joins a multicast group (NETLINK_ADD_MEMBERSHIP). Throws SystemError.
  void join_group(uint32_t group);

 private:
  Socket(int fd, int protocol) : fd_(fd), protocol_(protocol) {}
  void configure(const SocketOptions& options);
  size_t receive(std::vector<uint8_t>& buf, int flags);

  int fd_;
  int protocol_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  size_t rcvbuf_ = 0;
  size_t sndbuf_ = 0;
};

}  // namespace nl
