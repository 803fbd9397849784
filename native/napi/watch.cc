#include "watch.h"

#include <cerrno>

#include "../nl/error.h"

namespace napi {

Watch::Watch(Napi::Env env, std::shared_ptr<nl::Socket> sock, Napi::Function cb)
    : env_(env), cb_(Napi::Persistent(cb)), sock_(std::move(sock)), buf_(size_t{1} << 18) {}

Watch* Watch::start(Napi::Env env, std::shared_ptr<nl::Socket> sock, Napi::Function cb) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    throw Napi::Error::New(env, "watch: no event loop");
  auto* w = new Watch(env, std::move(sock), cb);
  int rc = uv_poll_init(loop, &w->poll_, w->sock_->fd());
  if (rc != 0) {
    delete w;
    throw Napi::Error::New(env, std::string("watch: uv_poll_init: ") + uv_strerror(rc));
  }
  w->poll_.data = w;
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->poll_));
  rc = uv_poll_start(&w->poll_, UV_READABLE, on_readable);
  if (rc != 0) {
    w->stop();
    throw Napi::Error::New(env, std::string("watch: uv_poll_start: ") + uv_strerror(rc));
  }
  return w;
}

void Watch::ref(bool on) {
  auto* h = reinterpret_cast<uv_handle_t*>(&poll_);
  if (on) uv_ref(h);
  else uv_unref(h);
}

void Watch::stop() {
  cb_.Reset();
  uv_poll_stop(&poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* h) { delete static_cast<Watch*>(h->data); });
}

int Watch::drain(std::vector<uint8_t>& data, bool& lost) {
  while (data.size() < (size_t{4} << 20)) {
    size_t n;
    try {
      n = sock_->recv_nowait(buf_);
    } catch (const nl::SystemError& e) {
      if (e.code != ENOBUFS) return e.code;
      lost = true;
      continue;
    }
    if (n == 0) break;
    data.insert(data.end(), buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return 0;
}

void Watch::on_readable(uv_poll_t* poll, int status, int) {
  auto* w = static_cast<Watch*>(poll->data);
  if (w->cb_.IsEmpty()) return;
  std::vector<uint8_t> data;
  bool lost = false;
  int err = status < 0 ? -status : w->drain(data, lost);
  if (err != 0) uv_poll_stop(poll);
  if (data.empty() && !lost && err == 0) return;
  Napi::Env env = w->env_;
  Napi::HandleScope scope(env);
  try {
    w->cb_.MakeCallback(env.Global(), {Napi::Buffer<uint8_t>::Copy(env, data.data(), data.size()),
                                       Napi::Boolean::New(env, lost), Napi::Number::New(env, err)});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace napi
