#include "worker.h"

namespace napi {

void PromiseWorker::Execute() {
  try {
    Run();
  } catch (const nl::SystemError& e) {
    failure_ = e;
  } catch (const std::exception& e) {
    SetError(e.what());
  }
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (failure_) {
    deferred_.Reject(system_error(env, *failure_).Value());
    return;
  }
  try {
    deferred_.Resolve(Resolve(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

Napi::Error system_error(Napi::Env env, const nl::SystemError& e) {
  std::string text = e.syscall + ": " + e.detail + ": " + nl::errno_message(e.code);
  Napi::Error err = Napi::Error::New(env, text);
  err.Set("errno", Napi::Number::New(env, e.code));
  err.Set("code", Napi::String::New(env, nl::errno_name(e.code)));
  err.Set("syscall", Napi::String::New(env, e.syscall));
  return err;
}

Napi::Object error_object(Napi::Env env, const nl::Error& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("errno", Napi::Number::New(env, e.code));
  o.Set("code", Napi::String::New(env, nl::errno_name(e.code)));
  o.Set("message", Napi::String::New(env, nl::errno_message(e.code)));
  if (!e.extack.empty()) o.Set("extack", Napi::String::New(env, e.extack));
  if (e.extack_offset >= 0) o.Set("extackOffset", Napi::Number::New(env, static_cast<double>(e.extack_offset)));
  if (!e.detail.empty()) o.Set("detail", Napi::String::New(env, e.detail));
  return o;
}

}  // namespace napi
