// Multicast events without a pool thread: the socket's fd is watched on the
// JS thread's own event loop (uv_poll), and what is queued is read there
// without blocking. Nothing is left running that could hold up
// process.exit(), and the watch keeps the loop alive only when ref'd.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>
#include <vector>

#include "../nl/socket.h"

namespace napi {

class Watch {
 public:
  // Starts watching (unref'd). cb(data: Buffer, lost: boolean, errno: number)
  // runs on the JS thread each time datagrams were read (errno 0) or the
  // socket failed (errno > 0; the watch has then stopped).
  static Watch* start(Napi::Env env, std::shared_ptr<nl::Socket> sock, Napi::Function cb);
  // Whether the watch keeps the event loop alive.
  void ref(bool on);
  // Stops watching and releases the callback at once; the memory and the
  // socket reference go when libuv is done with the handle. Call once.
  void stop();

 private:
  Watch(Napi::Env env, std::shared_ptr<nl::Socket> sock, Napi::Function cb);
  static void on_readable(uv_poll_t* poll, int status, int events);
  // Reads what is queued now (up to a few MiB); returns an errno or 0.
  int drain(std::vector<uint8_t>& data, bool& lost);

  uv_poll_t poll_{};
  Napi::Env env_;
  Napi::FunctionReference cb_;
  std::shared_ptr<nl::Socket> sock_;
  std::vector<uint8_t> buf_;
};

}  // namespace napi
