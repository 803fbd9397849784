// Replacing a whole x_tables table the way libiptc's TC_COMMIT does, in one
// call: optionally under the xtables lock, read the current table (for its
// entry count, and when asked its generation and counters), IPT_SO_SET_REPLACE
// with the old entry count (the kernel answers EAGAIN if it changed, and
// then the whole step is retried), and IPT_SO_SET_ADD_COUNTERS with the
// counters the new entries should start from. No N-API here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "socket.h"
#include "table.h"

namespace xt {

enum class CounterMode {
  Zero,  // every entry starts at zero
  Set,   // entry i starts at ReplaceRequest::set[i] (iptables-restore --counters)
  Keep,  // an entry equal to one of the old table (same chain, same bytes) keeps its counters
};

struct ReplaceRequest {
  std::string table;
  int family = 4;
  TableInfo next;          // the new table's hooks, underflows, entry count and size
  uint8_t* blob = nullptr;  // Socket::kReplaceHeader bytes of room, then next.size bytes of entries
  CounterMode counters = CounterMode::Zero;
  std::vector<Counters> set;              // CounterMode::Set: one per entry
  std::optional<uint64_t> generation;      // fail with `conflict` unless the table still has this one
  // CounterMode::Keep: entry i of the new table was entry map[i] (-1: none) of
  // the table when it was at map_generation (copied unchanged); used when the
  // table still is, else the entries are compared.
  std::vector<int32_t> map;
  std::optional<uint64_t> map_generation;
  std::string lock_path;                   // empty: no lock (or the caller holds it already)
  int lock_wait_ms = 0;
  // The table as read while the caller has held the xtables lock ever since
  // (its generation and bytes): when `generation` is that read's, the table
  // is not read again. Only a writer that ignores the lock can have changed
  // it since, and the kernel refuses the replace (a conflict) when such a
  // writer changed the entry count, as with iptables-restore --noflush.
  struct Held {
    uint64_t generation = 0;
    TableInfo info;
    std::shared_ptr<const uint8_t> storage;  // TableRead layout: entries at TableRead::kEntriesOffset
  };
  std::optional<Held> held;
  int attempts = 8;                        // replaces tried while the kernel says EAGAIN
};

struct ReplaceResult {
  int error = 0;             // errno; 0 on success
  std::string step;          // where it failed: lock, read, check, replace, counters
  std::string detail;
  bool conflict = false;     // the table is no longer at the expected generation (nothing was changed)
  int attempts = 0;
};

ReplaceResult replace_table(Socket& socket, ReplaceRequest& req);

}  // namespace xt
