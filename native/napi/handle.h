// The JS-visible handle: one netlink socket of one protocol, opened inside
// a network namespace. Operations are Promise-returning async workers; the
// TypeScript layer serialises them per handle.
#pragma once

#include <napi.h>

#include <memory>

#include "../nl/genl.h"
#include "../nl/socket.h"
#include "watch.h"

namespace napi {

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Handle(const Napi::CallbackInfo& info);
  ~Handle() override;

  // The socket, shared with in-flight workers so close() never frees it
  // under them. Throws a JS Error when the handle is not open.
  std::shared_ptr<nl::Socket> socket(Napi::Env env) const;
  std::shared_ptr<nl::GenlResolver> genl() const { return genl_; }
  void set_socket(std::shared_ptr<nl::Socket> s) { socket_ = std::move(s); }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Rtnl(const Napi::CallbackInfo& info);
  Napi::Value GenlFamily(const Napi::CallbackInfo& info);
  Napi::Value Ipvs(const Napi::CallbackInfo& info);
  Napi::Value NfnlBatch(const Napi::CallbackInfo& info);
  Napi::Value Nfnl(const Napi::CallbackInfo& info);
  Napi::Value NfnlConcat(const Napi::CallbackInfo& info);
  Napi::Value Subscribe(const Napi::CallbackInfo& info);
  Napi::Value OpenSync(const Napi::CallbackInfo& info);
  Napi::Value StartWatch(const Napi::CallbackInfo& info);
  Napi::Value RefWatch(const Napi::CallbackInfo& info);
  Napi::Value StopWatch(const Napi::CallbackInfo& info);
  void stop_watch();
  Napi::Value Conntrack(const Napi::CallbackInfo& info);

  int protocol_;
  std::shared_ptr<nl::Socket> socket_;
  napi::Watch* watch_ = nullptr;  // owned until stop()
  std::shared_ptr<nl::GenlResolver> genl_ = std::make_shared<nl::GenlResolver>();
};

}  // namespace napi
