// Promise-returning async work: Execute() runs on a libuv pool thread and
// never touches N-API; Resolve() builds the JS value on the JS thread.
// Socket-level failures (nl::SystemError) reject with an Error carrying
// errno, code and syscall.
#pragma once

#include <napi.h>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../nl/error.h"
#include "../nl/socket.h"

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

// A batch call: a list of ops run on one socket in Run(), one Result each.
template <typename Op, typename Result>
class OpsWorker : public PromiseWorker {
 public:
  OpsWorker(Napi::Env env, std::shared_ptr<nl::Socket> sock, std::vector<Op> ops)
      : PromiseWorker(env), sock_(std::move(sock)), ops_(std::move(ops)) {}

 protected:
  std::shared_ptr<nl::Socket> sock_;
  std::vector<Op> ops_;
  std::vector<Result> results_;
};

// new Error(message) with errno/code/syscall set, like Node's system errors.
Napi::Error system_error(Napi::Env env, const nl::SystemError& e);
// A plain object describing a per-request kernel error.
Napi::Object error_object(Napi::Env env, const nl::Error& e);

}  // namespace napi
