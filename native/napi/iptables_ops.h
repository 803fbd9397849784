// The JS-visible x_tables handle: one raw socket (native/xt/socket.h) in a
// network namespace. Tables cross as one buffer each way: get() hands JS the
// kernel's entries blob as it came, replace() takes the blob TypeScript
// encoded (src/iptables/) and runs native/xt/replace.h on a pool thread.
#pragma once

#include <napi.h>

#include <memory>

#include "../xt/socket.h"

namespace napi {

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

  int family_;
  std::shared_ptr<xt::Socket> socket_;
};

}  // namespace napi
