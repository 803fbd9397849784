// Running a piece of work inside another network namespace, on a dedicated
// short-lived thread, so no shared thread (the JS thread, a libuv pool
// thread) ever changes namespace.
#pragma once

#include <functional>
#include <string>

namespace nl {

// Where a socket should live: the caller's namespace, a bind-mounted
// namespace file (/run/netns/NAME), or the namespace of a process.
struct NetnsSpec {
  std::string path;  // empty = not by path
  int pid = 0;       // 0 = not by pid
  std::string role = "netns";  // the caller's name for it, in errors ("peerNetns")
  bool current() const { return path.empty() && pid == 0; }
  std::string describe() const;
  std::string file() const;  // the namespace file to open
};

// Opens the namespace file without blocking (O_RDONLY|O_NONBLOCK|O_CLOEXEC,
// so a FIFO or a device cannot park the thread) and checks that it is a
// network namespace (an nsfs file whose NS_GET_NSTYPE is CLONE_NEWNET).
// Throws SystemError: EINVAL, naming ns.role, for any other file.
int open_netns(const NetnsSpec& ns);

// Runs fn with the calling thread moved into ns, then moves it back. For a
// non-current ns, fn runs on a new thread that is joined before returning.
// Throws SystemError if entering fails, or if returning fails (then undo
// runs first, so fn's result can be released).
void run_in_netns(const NetnsSpec& ns, const std::function<void()>& fn,
                  const std::function<void()>& undo);

}  // namespace nl
