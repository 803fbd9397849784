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
  // Receive buffer per datagram. The kernel sizes dump chunks to the
  // largest buffer a socket has read with (capped near 32 KiB), allocating
  // and zeroing that much per chunk; a socket that only ever does small
  // dumps is cheaper with small buffers. Never below one page (up to 8 KiB):
  // the kernel's smallest chunk is just under that.
  size_t datagram = size_t{1} << 18;
};

class Socket {
 public:
  // Throws SystemError.
  static std::unique_ptr<Socket> open(int protocol, const NetnsSpec& ns,
                                      const SocketOptions& options = {});
  // Another socket of the same protocol in the same network namespace as this
  // one (found with SIOCGSKNS, so a namespace renamed or unmounted since is
  // still the right one), for running dumps side by side. Throws SystemError.
  std::unique_ptr<Socket> sibling(const SocketOptions& options = {}) const;
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int protocol() const { return protocol_; }
  int fd() const { return fd_; }
  uint32_t portid() const { return portid_; }
  size_t rcvbuf() const { return rcvbuf_; }
  size_t sndbuf() const { return sndbuf_; }
  uint32_t next_seq() { return ++seq_ == 0 ? ++seq_ : seq_; }

  // Sends the messages in one sendmsg (one iovec each). Throws SystemError.
  void send(const std::vector<const Message*>& messages);
  // Sends the buffers as one datagram (at most IOV_MAX). Throws SystemError.
  void send_iov(const std::vector<iovec>& iov);
  // One received datagram, pointing into the socket's receive arena (valid
  // until the next recv_batch).
  struct Datagram {
    const uint8_t* data;
    size_t len;
  };
  // Waits for one datagram from the kernel, then takes the ones already
  // queued behind it, all in one recvmmsg (at most kBatch). A dump's next
  // chunk and its NLMSG_DONE are queued by the kernel while the previous
  // chunk is read, and a window of ACKs arrives together, so this saves a
  // syscall per datagram. Throws SystemError (ENOBUFS when the kernel
  // dropped replies, ETIMEDOUT when nothing came in time).
  const std::vector<Datagram>& recv_batch();
  static constexpr size_t kBatch = 16;
  // The smallest safe SocketOptions::datagram on this machine.
  static size_t min_datagram();
  // Receives one datagram from the kernel into buf and returns its length,
  // or 0 at once when nothing is queued.
  size_t recv_nowait(std::vector<uint8_t>& buf);
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
  size_t datagram_ = 0;
  std::unique_ptr<uint8_t[]> arena_;  // kBatch x datagram_, allocated on first use, never zeroed
  std::vector<Datagram> batch_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  size_t rcvbuf_ = 0;
  size_t sndbuf_ = 0;
};

}  // namespace nl
