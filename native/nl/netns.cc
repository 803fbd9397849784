#include "netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <thread>

#include "error.h"

namespace nl {

std::string NetnsSpec::describe() const {
  if (!path.empty()) return role + " " + path;
  if (pid != 0) return role + " of pid " + std::to_string(pid);
  return "current netns";
}

std::string NetnsSpec::file() const {
  if (!path.empty()) return path;
  if (pid != 0) return "/proc/" + std::to_string(pid) + "/ns/net";
  return "/proc/thread-self/ns/net";
}

int open_netns(const NetnsSpec& ns) {
  int fd = ::open(ns.file().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw SystemError{errno, "open", "cannot open " + ns.describe()};
  struct stat st {};
  // nsfs files are regular files to fstat; NS_GET_NSTYPE fails (ENOTTY) on
  // any file that is not a namespace.
  bool is_net = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
  if (!is_net) {
    ::close(fd);
    throw SystemError{EINVAL, "open", ns.describe() + " is not a network namespace"};
  }
  return fd;
}

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  int get() const { return fd_; }
 private:
  int fd_;
};

void enter_run_leave(const NetnsSpec& ns, const std::function<void()>& fn,
                     const std::function<void()>& undo) {
  Fd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (original.get() < 0) throw SystemError{errno, "open", "cannot open own netns"};
  Fd target(open_netns(ns));
  if (::setns(target.get(), CLONE_NEWNET) != 0)
    throw SystemError{errno, "setns", "cannot enter " + ns.describe()};
  std::exception_ptr failure;
  try {
    fn();
  } catch (...) {
    failure = std::current_exception();
  }
  if (::setns(original.get(), CLONE_NEWNET) != 0) {
    int err = errno;
    if (!failure) undo();
    // The thread is discarded right after, but say loudly that it was stuck.
    throw SystemError{err, "setns", "cannot return to the original netns after entering " +
                                        ns.describe()};
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

void run_in_netns(const NetnsSpec& ns, const std::function<void()>& fn,
                  const std::function<void()>& undo) {
  if (ns.current()) {
    fn();
    return;
  }
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      enter_run_leave(ns, fn, undo);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace nl
