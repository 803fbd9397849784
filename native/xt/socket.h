// The x_tables control socket: a raw IPv4 or IPv6 socket made inside a
// network namespace (nl::run_in_netns), on which ip_tables / ip6_tables are
// read with getsockopt(IPT_SO_GET_INFO, IPT_SO_GET_ENTRIES) and replaced
// with setsockopt(IPT_SO_SET_REPLACE, IPT_SO_SET_ADD_COUNTERS). Also the
// ipset name <-> index lookups (SO_IP_SET) that the set match needs, and the
// namespace's list of instantiated tables. No N-API here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../nl/netns.h"
#include "table.h"

namespace xt {

// Frees storage from std::calloc.
struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

// A table read from the kernel: its header and entries (counters included).
// The storage is zeroed before the read: the kernel writes each match and
// target name only up to its NUL, so the rest of the name field keeps what
// the buffer held.
struct TableRead {
  TableInfo info;
  // Owned storage (std::calloc): the entries start at entries(), size info.size.
  std::unique_ptr<uint8_t, FreeDeleter> storage;
  size_t storage_size = 0;
  static constexpr size_t kEntriesOffset = 40;  // sizeof(struct ipt_get_entries)
  const uint8_t* entries() const { return storage.get() + kEntriesOffset; }
  uint8_t* entries() { return storage.get() + kEntriesOffset; }
};

class Socket {
 public:
  // family 4 (AF_INET, ip_tables) or 6 (AF_INET6, ip6_tables). Throws nl::SystemError.
  static std::unique_ptr<Socket> open(int family, const nl::NetnsSpec& ns);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int family() const { return family_; }

  // IPT_SO_GET_INFO. Returns 0 or a positive errno (ENOENT: no such table).
  int get_info(const std::string& table, TableInfo& info);
  // IPT_SO_GET_INFO then IPT_SO_GET_ENTRIES, again while the kernel says
  // EAGAIN (the table changed size in between) or a second GET_INFO differs,
  // at most `attempts` times. Returns 0 or a positive errno.
  int read(const std::string& table, TableRead& out, int attempts = 8);
  // IPT_SO_SET_REPLACE. `blob` starts with kReplaceHeader bytes of room for
  // struct ipt_replace, which this fills in; the entries follow. old receives
  // the replaced table's counters (num_counters of them). Returns 0 or errno.
  static constexpr size_t kReplaceHeader = 96;  // sizeof(struct ipt_replace)
  int replace(const std::string& table, const TableInfo& next, uint32_t num_counters, uint8_t* blob,
              std::vector<Counters>& old);
  // IPT_SO_SET_ADD_COUNTERS: adds counters[i] to entry i. Returns 0 or errno.
  int add_counters(const std::string& table, const std::vector<Counters>& counters);
  // The tables instantiated in the socket's namespace, from
  // /proc/net/ip_tables_names (ip6_tables_names), read inside that namespace.
  // Throws nl::SystemError.
  std::vector<std::string> table_names() const;
  // ipset: the index of the set called `name`, or the name of set `index`
  // (SO_IP_SET on an IPv4 raw socket in the same namespace). 0 or errno
  // (ENOENT when there is no such set).
  int ipset_index(const std::string& name, uint16_t& index);
  int ipset_name(uint16_t index, std::string& name);

 private:
  Socket(int fd, int family) : fd_(fd), family_(family) {}
  int level() const;
  // Runs fn on a thread inside this socket's namespace (found with SIOCGSKNS).
  void in_netns(const std::function<void()>& fn) const;
  int ipset_socket();
  int ipset_request(void* req, size_t len);

  int fd_;
  int family_;
  int ipset_fd_ = -1;
  uint32_t ipset_version_ = 0;
};

// Holds the xtables lock (flock on a file, /run/xtables.lock for
// iptables-legacy) while alive. Waits up to wait_ms for it.
class Lock {
 public:
  // Returns 0 or errno (EWOULDBLOCK when another process held it all along).
  int acquire(const std::string& path, int wait_ms);
  ~Lock();

 private:
  int fd_ = -1;
};

}  // namespace xt
