// The JS-visible x_tables handle: one raw socket (native/xt/socket.h) in a
// network namespace. Tables cross as one buffer each way: get() hands JS the
// kernel's entries blob as it came, replace() takes the blob TypeScript
// encoded (src/iptables/) and runs native/xt/replace.h on a pool thread.
#pragma once

#include <napi.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "../xt/replace.h"
#include "../xt/socket.h"

namespace napi {

// The xtables lock a handle holds between lock() and unlock(), and the
// tables it read meanwhile (a replace at such a read's generation needs no
// second read). Shared with the handle's workers.
struct XtHeld {
  std::mutex mu;
  std::unique_ptr<xt::Lock> lock;
  std::map<std::string, xt::ReplaceRequest::Held> reads;
};

class XtHandle : public Napi::ObjectWrap<XtHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit XtHandle(const Napi::CallbackInfo& info);

  void set_socket(std::shared_ptr<xt::Socket> s) { socket_ = std::move(s); }

 private:
  std::shared_ptr<xt::Socket> socket(Napi::Env env) const;
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Replace(const Napi::CallbackInfo& info);
  Napi::Value Tables(const Napi::CallbackInfo& info);
  Napi::Value Ipset(const Napi::CallbackInfo& info);
  Napi::Value Lock(const Napi::CallbackInfo& info);
  Napi::Value Unlock(const Napi::CallbackInfo& info);

  int family_;
  std::shared_ptr<xt::Socket> socket_;
  std::shared_ptr<XtHeld> held_ = std::make_shared<XtHeld>();
};

}  // namespace napi
