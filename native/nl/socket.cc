#include "socket.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "error.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace nl {

std::unique_ptr<Socket> Socket::open(int protocol, const NetnsSpec& ns,
                                     const SocketOptions& options) {
  int fd = -1;
  run_in_netns(
      ns,
      [&] {
        fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0) throw SystemError{errno, "socket", "cannot create netlink socket"};
      },
      [&] {
        ::close(fd);
        fd = -1;
      });
  std::unique_ptr<Socket> sock(new Socket(fd, protocol));
  sock->configure(options);
  return sock;
}

std::unique_ptr<Socket> Socket::sibling(const SocketOptions& options) const {
  int ns = ::ioctl(fd_, SIOCGSKNS);
  if (ns < 0) throw SystemError{errno, "ioctl", "cannot find the socket's network namespace (SIOCGSKNS)"};
  NetnsSpec spec;
  spec.path = "/proc/self/fd/" + std::to_string(ns);
  try {
    auto sock = open(protocol_, spec, options);
    ::close(ns);
    return sock;
  } catch (...) {
    ::close(ns);
    throw;
  }
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

static size_t set_buffer(int fd, int force_opt, int opt, size_t want) {
  int v = static_cast<int>(want);
  if (::setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) != 0)
    ::setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
  socklen_t len = sizeof v;
  if (::getsockopt(fd, SOL_SOCKET, opt, &v, &len) != 0) return 0;
  return static_cast<size_t>(v);
}

size_t Socket::min_datagram() {
  long page = ::sysconf(_SC_PAGESIZE);
  return std::min<size_t>(page > 0 ? static_cast<size_t>(page) : 4096, 8192);
}

void Socket::configure(const SocketOptions& options) {
  datagram_ = std::max(options.datagram, min_datagram());
  int one = 1;
  // Extended ACKs carry the kernel's error text; capped ACKs don't echo
  // the whole request back, which keeps replies to big batches small.
  ::setsockopt(fd_, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  rcvbuf_ = set_buffer(fd_, SO_RCVBUFFORCE, SO_RCVBUF, options.rcvbuf);
  sndbuf_ = set_buffer(fd_, SO_SNDBUFFORCE, SO_SNDBUF, options.sndbuf);
  if (options.recv_timeout_ms > 0) {
    timeval tv{options.recv_timeout_ms / 1000, (options.recv_timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw SystemError{errno, "bind", "cannot bind netlink socket"};
  socklen_t len = sizeof addr;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw SystemError{errno, "getsockname", "cannot read netlink port id"};
  portid_ = addr.nl_pid;
}

void Socket::send(const std::vector<const Message*>& messages) {
  std::vector<iovec> iov;
  iov.reserve(messages.size());
  for (const Message* m : messages)
    iov.push_back({const_cast<uint8_t*>(m->bytes().data()), m->size()});
  send_iov(iov);
}

void Socket::send_iov(const std::vector<iovec>& iov) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr mh{};
  mh.msg_name = &kernel;
  mh.msg_namelen = sizeof kernel;
  // sendmsg takes at most IOV_MAX (1024) iovecs; callers keep within it.
  mh.msg_iov = const_cast<iovec*>(iov.data());
  mh.msg_iovlen = iov.size();
  for (;;) {
    if (::sendmsg(fd_, &mh, 0) >= 0) return;
    if (errno == EINTR) continue;
    throw SystemError{errno, "sendmsg", "netlink send failed"};
  }
}

namespace {

// What a failed recvmsg/recvmmsg becomes (EAGAIN without MSG_DONTWAIT is the
// SO_RCVTIMEO timeout).
SystemError receive_error(int err, const char* call) {
  if (err == EAGAIN || err == EWOULDBLOCK) return SystemError{ETIMEDOUT, call, "no reply from the kernel in time"};
  return SystemError{err, call,
                     err == ENOBUFS ? "receive buffer overrun: the kernel dropped replies" : "netlink receive failed"};
}

// Whether a received datagram is one to take: a truncated one throws, one
// that is not from the kernel is skipped.
bool take(const msghdr& mh, const sockaddr_nl& from, const char* call) {
  if (mh.msg_flags & MSG_TRUNC) throw SystemError{EMSGSIZE, call, "netlink reply larger than the receive buffer"};
  return from.nl_pid == 0;
}

}  // namespace

const std::vector<Socket::Datagram>& Socket::recv_batch() {
  // Uninitialised: only the pages a reply touches are ever faulted in.
  if (!arena_) arena_.reset(new uint8_t[kBatch * datagram_]);
  sockaddr_nl from[kBatch];
  iovec iov[kBatch];
  mmsghdr mm[kBatch];
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = iovec{arena_.get() + i * datagram_, datagram_};
    mm[i] = mmsghdr{};
    mm[i].msg_hdr.msg_name = &from[i];
    mm[i].msg_hdr.msg_namelen = sizeof from[i];
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  batch_.clear();
  while (batch_.empty()) {
    int n = ::recvmmsg(fd_, mm, kBatch, MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw receive_error(errno, "recvmmsg");
    }
    for (int i = 0; i < n; ++i)
      if (take(mm[i].msg_hdr, from[i], "recvmmsg")) batch_.push_back(Datagram{arena_.get() + i * datagram_, mm[i].msg_len});
  }
  return batch_;
}

size_t Socket::recv_nowait(std::vector<uint8_t>& buf) { return receive(buf, MSG_DONTWAIT); }

void Socket::ensure_sndbuf(size_t bytes) {
  // The kernel doubles the value and refuses a message above sndbuf - 32.
  if (bytes + 4096 <= sndbuf_) return;
  sndbuf_ = set_buffer(fd_, SO_SNDBUFFORCE, SO_SNDBUF, bytes + 4096);
}

void Socket::join_group(uint32_t group) {
  int g = static_cast<int>(group);
  if (::setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) != 0)
    throw SystemError{errno, "setsockopt", "cannot join netlink group " + std::to_string(group)};
}

size_t Socket::receive(std::vector<uint8_t>& buf, int flags) {
  for (;;) {
    sockaddr_nl from{};
    iovec iov{buf.data(), buf.size()};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_, &mh, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if ((flags & MSG_DONTWAIT) && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
      throw receive_error(errno, "recvmsg");
    }
    if (take(mh, from, "recvmsg")) return static_cast<size_t>(n);
  }
}

}  // namespace nl
