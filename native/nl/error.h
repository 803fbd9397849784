// Errors carried from the netlink layer up to the binding. No N-API here.
#pragma once

#include <cstdint>
#include <string>

namespace nl {

// What the kernel (or a syscall) said about one request.
struct Error {
  int code = 0;              // positive errno; 0 = success
  std::string extack;        // NLMSGERR_ATTR_MSG, when the kernel sent one
  int64_t extack_offset = -1;  // NLMSGERR_ATTR_OFFS: byte offset into the request
  std::string detail;        // our own context (e.g. "dump interrupted 8 times")

  bool ok() const { return code == 0; }
};

// Thrown by socket-level failures: the whole exchange failed, not one request.
struct SystemError {
  int code;
  std::string syscall;   // e.g. "sendmsg", "setns"
  std::string detail;
};

// "EEXIST" for 17, or "E<n>" when libc has no name for it.
std::string errno_name(int code);
// strerror(3) text.
std::string errno_message(int code);

}  // namespace nl
