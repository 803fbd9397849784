#include "replace.h"

#include <cerrno>

namespace xt {

namespace {

ReplaceResult failure(int error, const char* step, std::string detail = {}) {
  ReplaceResult r;
  r.error = error;
  r.step = step;
  r.detail = std::move(detail);
  return r;
}

bool any_nonzero(const std::vector<Counters>& c) {
  for (const Counters& x : c)
    if (x.packets != 0 || x.bytes != 0) return true;
  return false;
}

std::string hooks_text(uint32_t hooks) {
  static const char* const names[kHooks] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};
  std::string s;
  for (int h = 0; h < kHooks; ++h)
    if ((hooks & (1u << h)) != 0) s += (s.empty() ? "" : " ") + std::string(names[h]);
  return s.empty() ? "none" : s;
}

}  // namespace

ReplaceResult replace_table(Socket& socket, ReplaceRequest& req) {
  uint8_t* entries = req.blob + Socket::kReplaceHeader;
  Walk next_walk;
  std::string why;
  if (!walk(entries, req.next.size, req.family, req.next, next_walk, &why) ||
      next_walk.entries.size() != req.next.num_entries)
    return failure(EINVAL, "check", "the new table is malformed: " + (why.empty() ? "entry count" : why));
  if (req.counters == CounterMode::Set && req.set.size() != req.next.num_entries)
    return failure(EINVAL, "check", "one counter pair per entry is needed");

  Lock lock;
  if (!req.lock_path.empty()) {
    if (int err = lock.acquire(req.lock_path, req.lock_wait_ms))
      return failure(err, "lock", "cannot take the xtables lock " + req.lock_path);
  }
  // Read under the lock we still hold: that read stands for the table (not read again).
  const bool trust = req.held.has_value() && req.generation.has_value() && *req.generation == req.held->generation;
  bool need_entries = !trust && (req.generation.has_value() || req.counters == CounterMode::Keep);
  ReplaceResult result;
  for (int attempt = 1; attempt <= req.attempts; ++attempt) {
    result.attempts = attempt;
    TableRead old;
    TableInfo info;
    int err = need_entries ? socket.read(req.table, old, req.attempts) : socket.get_info(req.table, info);
    if (err != 0) return failure(err, "read", "cannot read the " + req.table + " table");
    if (need_entries) info = old.info;
    if (trust && info != req.held->info) {
      // Not as read: a writer that ignores the lock came in between.
      result.conflict = true;
      return result;
    }
    if (info.valid_hooks != req.next.valid_hooks)
      return failure(EINVAL, "check", "the kernel's " + req.table + " table has the built-in chains " +
                                          hooks_text(info.valid_hooks) + ", not " + hooks_text(req.next.valid_hooks));
    const uint8_t* old_entries = trust ? req.held->storage.get() + TableRead::kEntriesOffset : old.entries();
    Walk old_walk;
    if ((need_entries || (trust && req.counters == CounterMode::Keep)) && !walk(old_entries, info.size, req.family, info, old_walk, &why))
      return failure(EPROTO, "read", "the kernel's table is malformed: " + why);
    std::optional<uint64_t> old_generation;
    if (trust) old_generation = req.held->generation;
    else if (req.generation || (req.map_generation && req.counters == CounterMode::Keep))
      old_generation = generation(old_entries, info.size, req.family, info, old_walk);
    if (req.generation && *old_generation != *req.generation) {
      result.conflict = true;
      return result;
    }
    bool use_map = req.counters == CounterMode::Keep && req.map_generation && *old_generation == *req.map_generation &&
                   req.map.size() == req.next.num_entries;
    std::vector<Counters> old_counters;
    err = socket.replace(req.table, req.next, info.num_entries, req.blob, old_counters);
    if (err == EAGAIN) {
      // The entry count changed between the read and the replace: another writer.
      if (req.generation) {
        result.conflict = true;
        return result;
      }
      continue;
    }
    if (err != 0) return failure(err, "replace");
    std::vector<Counters> start;
    if (req.counters == CounterMode::Set) start = std::move(req.set);
    if (req.counters == CounterMode::Keep)
      start = carry_counters(old_entries, old_walk, old_counters, entries, next_walk, req.family,
                             use_map ? req.map.data() : nullptr);
    if (any_nonzero(start)) {
      if ((err = socket.add_counters(req.table, start)) != 0)
        return failure(err, "counters", "the table was replaced, but its counters were not set");
    }
    return result;
  }
  return failure(EAGAIN, "replace", "the table kept changing under us (" + std::to_string(req.attempts) + " attempts)");
}

}  // namespace xt
