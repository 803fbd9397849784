#include "iptables_ops.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../xt/replace.h"
#include "convert.h"
#include "worker.h"

namespace napi {

namespace {

Napi::Object xt_error(Napi::Env env, int code, const std::string& detail) {
  nl::Error e;
  e.code = code;
  e.detail = detail;
  return error_object(env, e);
}

class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, Napi::Object self, XtHandle* handle, int family, nl::NetnsSpec ns)
      : PromiseWorker(env), self_(Napi::Persistent(self)), handle_(handle), family_(family), ns_(std::move(ns)) {}

 protected:
  void Run() override { socket_ = xt::Socket::open(family_, ns_); }
  Napi::Value Resolve(Napi::Env env) override {
    handle_->set_socket(std::shared_ptr<xt::Socket>(std::move(socket_)));
    return env.Undefined();
  }

 private:
  Napi::ObjectReference self_;
  XtHandle* handle_;
  int family_;
  nl::NetnsSpec ns_;
  std::unique_ptr<xt::Socket> socket_;
};

// get(table) -> { error } | { info, entries: Buffer, generation: bigint }
class GetWorker : public PromiseWorker {
 public:
  GetWorker(Napi::Env env, std::shared_ptr<xt::Socket> sock, std::shared_ptr<XtHeld> held, std::string table)
      : PromiseWorker(env), sock_(std::move(sock)), held_(std::move(held)), table_(std::move(table)) {}

 protected:
  void Run() override {
    if ((error_ = sock_->read(table_, read_)) != 0) return;
    xt::Walk w;
    if (!xt::walk(read_.entries(), read_.info.size, sock_->family(), read_.info, w, &why_)) {
      error_ = EPROTO;
      why_ = "the kernel's table is malformed: " + why_;
      return;
    }
    generation_ = xt::generation(read_.entries(), read_.info.size, sock_->family(), read_.info, w);
    storage_ = std::shared_ptr<const uint8_t>(read_.storage.release(), [](const uint8_t* p) { std::free(const_cast<uint8_t*>(p)); });
    std::lock_guard<std::mutex> g(held_->mu);
    // Read under the lock this handle holds: a replace at this generation need not read it again.
    if (held_->lock) held_->reads[table_] = xt::ReplaceRequest::Held{generation_, read_.info, storage_};
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    if (error_ != 0) {
      o.Set("error", xt_error(env, error_, why_));
      return o;
    }
    const xt::TableInfo& i = read_.info;
    Napi::Object info = Napi::Object::New(env);
    info.Set("validHooks", i.valid_hooks);
    Napi::Array hooks = Napi::Array::New(env, xt::kHooks);
    Napi::Array under = Napi::Array::New(env, xt::kHooks);
    for (uint32_t h = 0; h < xt::kHooks; ++h) {
      hooks.Set(h, i.hook_entry[h]);
      under.Set(h, i.underflow[h]);
    }
    info.Set("hookEntry", hooks);
    info.Set("underflow", under);
    info.Set("numEntries", i.num_entries);
    info.Set("size", i.size);
    o.Set("info", info);
    // The kernel's bytes go to JS as they are: no copy of a table that may be
    // hundreds of megabytes (shared with a held read, see XtHeld).
    auto* keep = new std::shared_ptr<const uint8_t>(storage_);
    uint8_t* base = const_cast<uint8_t*>(storage_.get());
    o.Set("entries", Napi::Buffer<uint8_t>::New(env, base + xt::TableRead::kEntriesOffset, i.size,
                                                [](Napi::Env, uint8_t*, std::shared_ptr<const uint8_t>* k) { delete k; }, keep));
    o.Set("generation", Napi::BigInt::New(env, generation_));
    return o;
  }

 private:
  std::shared_ptr<xt::Socket> sock_;
  std::shared_ptr<XtHeld> held_;
  std::string table_;
  xt::TableRead read_;
  std::shared_ptr<const uint8_t> storage_;
  int error_ = 0;
  std::string why_;
  uint64_t generation_ = 0;
};

class ReplaceWorker : public PromiseWorker {
 public:
  ReplaceWorker(Napi::Env env, std::shared_ptr<xt::Socket> sock, std::shared_ptr<XtHeld> held, xt::ReplaceRequest req,
                Napi::Uint8Array blob)
      : PromiseWorker(env), sock_(std::move(sock)), held_(std::move(held)), req_(std::move(req)), blob_(Napi::Persistent(blob)) {}

 protected:
  void Run() override {
    {
      std::lock_guard<std::mutex> g(held_->mu);
      if (held_->lock) {
        req_.lock_path.clear();  // held by this handle already (a second flock would wait for ourselves)
        auto it = held_->reads.find(req_.table);
        if (it != held_->reads.end()) req_.held = it->second;
      }
    }
    result_ = xt::replace_table(*sock_, req_);
    std::lock_guard<std::mutex> g(held_->mu);
    held_->reads.erase(req_.table);  // whatever happened, the table is no longer known to be as read
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    if (result_.error != 0) {
      o.Set("error", xt_error(env, result_.error, result_.detail));
      o.Set("step", result_.step);
    }
    o.Set("conflict", result_.conflict);
    o.Set("attempts", result_.attempts);
    return o;
  }

 private:
  std::shared_ptr<xt::Socket> sock_;
  std::shared_ptr<XtHeld> held_;
  xt::ReplaceRequest req_;
  Napi::Reference<Napi::Uint8Array> blob_;  // JS owns the bytes; kept alive until the worker is done
  xt::ReplaceResult result_;
};

class TablesWorker : public PromiseWorker {
 public:
  TablesWorker(Napi::Env env, std::shared_ptr<xt::Socket> sock) : PromiseWorker(env), sock_(std::move(sock)) {}

 protected:
  void Run() override { names_ = sock_->table_names(); }
  Napi::Value Resolve(Napi::Env env) override {
    return to_array(env, names_, [](Napi::Env e, const std::string& s) { return Napi::String::New(e, s); });
  }

 private:
  std::shared_ptr<xt::Socket> sock_;
  std::vector<std::string> names_;
};

// ipset({ names }) -> { indexes: number[] (-errno when not found) };
// ipset({ indexes }) -> { names: (string | number)[] (-errno when not found) }
class IpsetWorker : public PromiseWorker {
 public:
  IpsetWorker(Napi::Env env, std::shared_ptr<xt::Socket> sock, std::vector<std::string> names,
              std::vector<uint32_t> indexes)
      : PromiseWorker(env), sock_(std::move(sock)), names_(std::move(names)), indexes_(std::move(indexes)) {}

 protected:
  void Run() override {
    for (const std::string& n : names_) {
      uint16_t index = 0;
      int err = sock_->ipset_index(n, index);
      found_indexes_.push_back(err != 0 ? -err : index);
    }
    for (uint32_t i : indexes_) {
      std::string name;
      int err = sock_->ipset_name(static_cast<uint16_t>(i), name);
      found_names_.push_back(name);
      name_errors_.push_back(err);
    }
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("indexes", to_array(env, found_indexes_, [](Napi::Env e, int v) { return Napi::Number::New(e, v); }));
    Napi::Array names = Napi::Array::New(env, found_names_.size());
    for (uint32_t i = 0; i < found_names_.size(); ++i)
      names.Set(i, name_errors_[i] != 0 ? Napi::Value(Napi::Number::New(env, -name_errors_[i]))
                                        : Napi::Value(Napi::String::New(env, found_names_[i])));
    o.Set("names", names);
    return o;
  }

 private:
  std::shared_ptr<xt::Socket> sock_;
  std::vector<std::string> names_;
  std::vector<uint32_t> indexes_;
  std::vector<int> found_indexes_;
  std::vector<std::string> found_names_;
  std::vector<int> name_errors_;
};

// lock({ path, waitMs }) -> { error? }: takes the xtables lock until unlock() (or close()).
class LockWorker : public PromiseWorker {
 public:
  LockWorker(Napi::Env env, std::shared_ptr<XtHeld> held, std::string path, int wait_ms)
      : PromiseWorker(env), held_(std::move(held)), path_(std::move(path)), wait_ms_(wait_ms) {}

 protected:
  void Run() override {
    {
      std::lock_guard<std::mutex> g(held_->mu);
      if (held_->lock) {
        error_ = EDEADLK;
        why_ = "this handle holds the xtables lock already";
        return;
      }
    }
    auto lock = std::make_unique<xt::Lock>();
    if ((error_ = lock->acquire(path_, wait_ms_)) != 0) {
      why_ = "cannot take the xtables lock " + path_;
      return;
    }
    std::lock_guard<std::mutex> g(held_->mu);
    held_->lock = std::move(lock);
    held_->reads.clear();
  }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    if (error_ != 0) o.Set("error", xt_error(env, error_, why_));
    return o;
  }

 private:
  std::shared_ptr<XtHeld> held_;
  std::string path_;
  int wait_ms_;
  int error_ = 0;
  std::string why_;
};

xt::ReplaceRequest parse_replace(const Napi::Object& p, int family, Napi::Uint8Array blob) {
  xt::ReplaceRequest r;
  r.table = get_string(p, "table");
  r.family = family;
  r.next.valid_hooks = get_u32(p, "validHooks");
  Napi::Array hooks = p.Get("hookEntry").As<Napi::Array>();
  Napi::Array under = p.Get("underflow").As<Napi::Array>();
  for (uint32_t h = 0; h < xt::kHooks; ++h) {
    r.next.hook_entry[h] = hooks.Get(h).As<Napi::Number>().Uint32Value();
    r.next.underflow[h] = under.Get(h).As<Napi::Number>().Uint32Value();
  }
  r.next.num_entries = get_u32(p, "numEntries");
  r.next.size = static_cast<uint32_t>(blob.ByteLength() - xt::Socket::kReplaceHeader);
  r.blob = blob.Data();
  r.counters = static_cast<xt::CounterMode>(get_u32(p, "counters"));
  if (has(p, "set")) {
    auto set = p.Get("set").As<Napi::BigUint64Array>();
    r.set.resize(set.ElementLength() / 2);
    std::memcpy(static_cast<void*>(r.set.data()), set.Data(), r.set.size() * sizeof(xt::Counters));
  }
  if (has(p, "generation")) {
    bool lossless = true;
    r.generation = p.Get("generation").As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (has(p, "map") && has(p, "mapGeneration")) {
    auto map = p.Get("map").As<Napi::Int32Array>();
    r.map.assign(map.Data(), map.Data() + map.ElementLength());
    bool lossless = true;
    r.map_generation = p.Get("mapGeneration").As<Napi::BigInt>().Uint64Value(&lossless);
  }
  r.lock_path = get_string(p, "lockPath");
  r.lock_wait_ms = get_i32(p, "lockWaitMs");
  if (has(p, "attempts")) r.attempts = get_i32(p, "attempts");
  return r;
}

}  // namespace

Napi::Function XtHandle::Init(Napi::Env env) {
  return DefineClass(env, "XtHandle",
                     {
                         InstanceMethod<&XtHandle::Open>("open"),
                         InstanceMethod<&XtHandle::Close>("close"),
                         InstanceMethod<&XtHandle::Get>("get"),
                         InstanceMethod<&XtHandle::Replace>("replace"),
                         InstanceMethod<&XtHandle::Tables>("tables"),
                         InstanceMethod<&XtHandle::Ipset>("ipset"),
                         InstanceMethod<&XtHandle::Lock>("lock"),
                         InstanceMethod<&XtHandle::Unlock>("unlock"),
                     });
}

XtHandle::XtHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XtHandle>(info) {
  family_ = info[0].As<Napi::Number>().Int32Value() == 6 ? 6 : 4;
}

std::shared_ptr<xt::Socket> XtHandle::socket(Napi::Env env) const {
  if (!socket_) throw Napi::Error::New(env, "iptables handle is not open");
  return socket_;
}

// open({ path?, pid? }) -> Promise<void>
Napi::Value XtHandle::Open(const Napi::CallbackInfo& info) {
  Napi::Object where = info[0].As<Napi::Object>();
  nl::NetnsSpec ns{get_string(where, "path"), get_i32(where, "pid")};
  auto* w = new OpenWorker(info.Env(), info.This().As<Napi::Object>(), this, family_, ns);
  w->Queue();
  return w->Promise();
}

Napi::Value XtHandle::Close(const Napi::CallbackInfo& info) {
  socket_.reset();
  Unlock(info);
  return info.Env().Undefined();
}

Napi::Value XtHandle::Get(const Napi::CallbackInfo& info) {
  auto* w = new GetWorker(info.Env(), socket(info.Env()), held_, info[0].As<Napi::String>().Utf8Value());
  w->Queue();
  return w->Promise();
}

// replace(params, blob: Uint8Array) -> Promise<{ error?, step?, conflict, attempts }>
Napi::Value XtHandle::Replace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto blob = info[1].As<Napi::Uint8Array>();
  if (blob.ByteLength() < xt::Socket::kReplaceHeader) throw Napi::RangeError::New(env, "replace blob too short");
  auto* w = new ReplaceWorker(env, socket(env), held_, parse_replace(info[0].As<Napi::Object>(), family_, blob), blob);
  w->Queue();
  return w->Promise();
}

Napi::Value XtHandle::Tables(const Napi::CallbackInfo& info) {
  auto* w = new TablesWorker(info.Env(), socket(info.Env()));
  w->Queue();
  return w->Promise();
}

Napi::Value XtHandle::Ipset(const Napi::CallbackInfo& info) {
  Napi::Object q = info[0].As<Napi::Object>();
  std::vector<std::string> names;
  std::vector<uint32_t> indexes;
  if (has(q, "names")) {
    Napi::Array a = q.Get("names").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) names.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  if (has(q, "indexes")) {
    Napi::Array a = q.Get("indexes").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) indexes.push_back(a.Get(i).As<Napi::Number>().Uint32Value());
  }
  auto* w = new IpsetWorker(info.Env(), socket(info.Env()), std::move(names), std::move(indexes));
  w->Queue();
  return w->Promise();
}

// lock({ path, waitMs }) -> Promise<{ error? }>
Napi::Value XtHandle::Lock(const Napi::CallbackInfo& info) {
  Napi::Object p = info[0].As<Napi::Object>();
  auto* w = new LockWorker(info.Env(), held_, get_string(p, "path"), get_i32(p, "waitMs"));
  w->Queue();
  return w->Promise();
}

// unlock(): releases the xtables lock (no-op when not held) and forgets the reads made under it.
Napi::Value XtHandle::Unlock(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> g(held_->mu);
  held_->lock.reset();
  held_->reads.clear();
  return info.Env().Undefined();
}

}  // namespace napi
