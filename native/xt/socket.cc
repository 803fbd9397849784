#include "socket.h"

// netinet/in.h before the linux/ headers, which otherwise define in_addr first.
#include <netinet/in.h>
#include <fcntl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/sockios.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "../nl/error.h"

namespace xt {

static_assert(sizeof(ipt_getinfo) == sizeof(ip6t_getinfo), "getinfo layouts differ");
static_assert(sizeof(ipt_replace) == Socket::kReplaceHeader, "ipt_replace size");
static_assert(sizeof(ip6t_replace) == Socket::kReplaceHeader, "ip6t_replace size");
static_assert(sizeof(ipt_get_entries) == TableRead::kEntriesOffset, "ipt_get_entries size");
static_assert(sizeof(ip6t_get_entries) == TableRead::kEntriesOffset, "ip6t_get_entries size");
static_assert(sizeof(ipt_entry) == 112 && sizeof(ip6t_entry) == 168, "entry sizes");
static_assert(offsetof(ipt_entry, target_offset) == 88 && offsetof(ip6t_entry, target_offset) == 140, "offsets");
static_assert(offsetof(ipt_entry, counters) == 96 && offsetof(ip6t_entry, counters) == 152, "offsets");
static_assert(offsetof(ipt_entry, ip.flags) == 82 && offsetof(ip6t_entry, ipv6.flags) == 131, "offsets");

namespace {

void copy_name(char* dst, size_t cap, const std::string& name) {
  std::memset(dst, 0, cap);
  std::memcpy(dst, name.data(), std::min(name.size(), cap - 1));
}

int close_keep_errno(int fd) {
  int saved = errno;
  ::close(fd);
  errno = saved;
  return -1;
}

}  // namespace

std::unique_ptr<Socket> Socket::open(int family, const nl::NetnsSpec& ns) {
  int fd = -1;
  nl::run_in_netns(
      ns,
      [&] {
        fd = ::socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (fd < 0) throw nl::SystemError{errno, "socket", "cannot create a raw socket for x_tables"};
      },
      [&] {
        ::close(fd);
        fd = -1;
      });
  return std::unique_ptr<Socket>(new Socket(fd, family));
}

Socket::~Socket() {
  if (ipset_fd_ >= 0 && ipset_fd_ != fd_) ::close(ipset_fd_);
  if (fd_ >= 0) ::close(fd_);
}

int Socket::level() const { return family_ == 6 ? IPPROTO_IPV6 : IPPROTO_IP; }

int Socket::get_info(const std::string& table, TableInfo& info) {
  ipt_getinfo gi{};
  copy_name(gi.name, sizeof gi.name, table);
  socklen_t len = sizeof gi;
  if (::getsockopt(fd_, level(), IPT_SO_GET_INFO, &gi, &len) != 0) return errno;
  info.valid_hooks = gi.valid_hooks;
  std::memcpy(info.hook_entry, gi.hook_entry, sizeof info.hook_entry);
  std::memcpy(info.underflow, gi.underflow, sizeof info.underflow);
  info.num_entries = gi.num_entries;
  info.size = gi.size;
  return 0;
}

int Socket::read(const std::string& table, TableRead& out, int attempts) {
  int err = EAGAIN;
  for (int i = 0; i < attempts && err == EAGAIN; ++i) {
    TableInfo info;
    if ((err = get_info(table, info)) != 0) return err;
    size_t total = TableRead::kEntriesOffset + info.size;
    out.storage.reset(static_cast<uint8_t*>(std::calloc(total, 1)));
    if (!out.storage) return ENOMEM;
    out.storage_size = total;
    auto* ge = reinterpret_cast<ipt_get_entries*>(out.storage.get());
    copy_name(ge->name, sizeof ge->name, table);
    ge->size = info.size;
    socklen_t len = static_cast<socklen_t>(total);
    if (::getsockopt(fd_, level(), IPT_SO_GET_ENTRIES, ge, &len) != 0) {
      err = errno;
      continue;
    }
    // A replace of the same size between the two calls is only seen here.
    TableInfo again;
    if ((err = get_info(table, again)) != 0) return err;
    if (again != info) {
      err = EAGAIN;
      continue;
    }
    out.info = info;
    return 0;
  }
  return err;
}

int Socket::replace(const std::string& table, const TableInfo& next, uint32_t num_counters, uint8_t* blob,
                    std::vector<Counters>& old) {
  static_assert(sizeof(Counters) == sizeof(xt_counters), "counters layout");
  old.assign(num_counters, Counters{});
  ipt_replace r{};
  copy_name(r.name, sizeof r.name, table);
  r.valid_hooks = next.valid_hooks;
  r.num_entries = next.num_entries;
  r.size = next.size;
  std::memcpy(r.hook_entry, next.hook_entry, sizeof r.hook_entry);
  std::memcpy(r.underflow, next.underflow, sizeof r.underflow);
  r.num_counters = num_counters;
  r.counters = reinterpret_cast<xt_counters*>(old.data());
  std::memcpy(blob, &r, sizeof r);
  if (::setsockopt(fd_, level(), IPT_SO_SET_REPLACE, blob, static_cast<socklen_t>(sizeof r + next.size)) != 0)
    return errno;
  return 0;
}

int Socket::add_counters(const std::string& table, const std::vector<Counters>& counters) {
  size_t len = sizeof(xt_counters_info) + counters.size() * sizeof(xt_counters);
  std::unique_ptr<uint8_t[]> buf(new uint8_t[len]);
  auto* info = reinterpret_cast<xt_counters_info*>(buf.get());
  std::memset(info, 0, sizeof *info);
  copy_name(info->name, sizeof info->name, table);
  info->num_counters = static_cast<unsigned int>(counters.size());
  std::memcpy(info->counters, static_cast<const void*>(counters.data()), counters.size() * sizeof(xt_counters));
  if (::setsockopt(fd_, level(), IPT_SO_SET_ADD_COUNTERS, buf.get(), static_cast<socklen_t>(len)) != 0)
    return errno;
  return 0;
}

void Socket::in_netns(const std::function<void()>& fn) const {
  int ns = ::ioctl(fd_, SIOCGSKNS);
  if (ns < 0) throw nl::SystemError{errno, "ioctl", "cannot find the socket's network namespace (SIOCGSKNS)"};
  nl::NetnsSpec spec;
  spec.path = "/proc/self/fd/" + std::to_string(ns);
  try {
    nl::run_in_netns(spec, fn, [] {});
  } catch (...) {
    ::close(ns);
    throw;
  }
  ::close(ns);
}

std::vector<std::string> Socket::table_names() const {
  std::vector<std::string> names;
  std::string file = family_ == 6 ? "/proc/thread-self/net/ip6_tables_names" : "/proc/thread-self/net/ip_tables_names";
  in_netns([&] {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) names.push_back(line);
  });
  return names;
}

int Socket::ipset_socket() {
  if (ipset_fd_ >= 0) return 0;
  if (family_ == 4) {
    ipset_fd_ = fd_;
  } else {
    int fd = -1;
    int err = 0;
    in_netns([&] {
      fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
      if (fd < 0) err = errno;
    });
    if (fd < 0) return err;
    ipset_fd_ = fd;
  }
  ip_set_req_version v{};
  v.op = IP_SET_OP_VERSION;
  socklen_t len = sizeof v;
  if (::getsockopt(ipset_fd_, SOL_IP, SO_IP_SET, &v, &len) != 0) return errno;
  ipset_version_ = v.version;
  return 0;
}

int Socket::ipset_request(void* req, size_t len) {
  socklen_t l = static_cast<socklen_t>(len);
  if (::getsockopt(ipset_fd_, SOL_IP, SO_IP_SET, req, &l) != 0) return errno;
  return 0;
}

int Socket::ipset_index(const std::string& name, uint16_t& index) {
  if (int err = ipset_socket()) return err;
  ip_set_req_get_set req{};
  req.op = IP_SET_OP_GET_BYNAME;
  req.version = ipset_version_;
  copy_name(req.set.name, sizeof req.set.name, name);
  if (int err = ipset_request(&req, sizeof req)) return err;
  if (req.set.index == IPSET_INVALID_ID) return ENOENT;
  index = req.set.index;
  return 0;
}

int Socket::ipset_name(uint16_t index, std::string& name) {
  if (int err = ipset_socket()) return err;
  ip_set_req_get_set req{};
  req.op = IP_SET_OP_GET_BYINDEX;
  req.version = ipset_version_;
  req.set.index = index;
  if (int err = ipset_request(&req, sizeof req)) return err;
  name.assign(req.set.name, strnlen(req.set.name, sizeof req.set.name));
  return name.empty() ? ENOENT : 0;
}

int Lock::acquire(const std::string& path, int wait_ms) {
  int fd = ::open(path.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline) {
      close_keep_errno(fd);
      return err;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  fd_ = fd;
  return 0;
}

Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace xt
