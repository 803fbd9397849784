// Promise-returning async work: Execute() runs on a libuv pool thread and
// never touches N-API; Resolve() builds the JS value on the JS thread.
// Socket-level failures (nl::SystemError) reject with an Error carrying
// errno, code and syscall.
#pragma once

#include <napi.h>

#include <exception>
#include <optional>
#include <string>

#include "../nl/error.h"

namespace napi {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "dataplane"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual void Run() = 0;                      // pool thread
  virtual Napi::Value Resolve(Napi::Env env) = 0;  // JS thread

 private:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  std::optional<nl::SystemError> failure_;
};

// new Error(message) with errno/code/syscall set, like Node's system errors.
Napi::Error system_error(Napi::Env env, const nl::SystemError& e);
// A plain object describing a per-request kernel error.
Napi::Object error_object(Napi::Env env, const nl::Error& e);

}  // namespace napi
