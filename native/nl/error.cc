#include "error.h"

#include <cstring>

namespace nl {

std::string errno_name(int code) {
  const char* name = strerrorname_np(code);
  if (name != nullptr) return name;
  return "E" + std::to_string(code);
}

std::string errno_message(int code) {
  char buf[256];
  // GNU strerror_r returns the message pointer (possibly not buf).
  const char* msg = strerror_r(code, buf, sizeof buf);
  return msg != nullptr ? msg : "unknown error";
}

}  // namespace nl
