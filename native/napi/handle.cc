#include "handle.h"

#include "conntrack_ops.h"
#include "convert.h"
#include "ipvs_ops.h"
#include "nfnl_ops.h"
#include "rtnl_ops.h"
#include "worker.h"

namespace napi {

namespace {

class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, Napi::Object self, Handle* handle, int protocol, nl::NetnsSpec ns,
             nl::SocketOptions options)
      : PromiseWorker(env), self_(Napi::Persistent(self)), handle_(handle), protocol_(protocol),
        ns_(std::move(ns)), options_(options) {}

 protected:
  void Run() override { socket_ = nl::Socket::open(protocol_, ns_, options_); }
  Napi::Value Resolve(Napi::Env env) override {
    handle_->set_socket(std::shared_ptr<nl::Socket>(std::move(socket_)));
    return env.Undefined();
  }

 private:
  Napi::ObjectReference self_;  // keeps the handle alive while opening
  Handle* handle_;
  int protocol_;
  nl::NetnsSpec ns_;
  nl::SocketOptions options_;
  std::unique_ptr<nl::Socket> socket_;
};

class GenlFamilyWorker : public PromiseWorker {
 public:
  GenlFamilyWorker(Napi::Env env, std::shared_ptr<nl::Socket> sock,
                   std::shared_ptr<nl::GenlResolver> genl, std::string name)
      : PromiseWorker(env), sock_(std::move(sock)), genl_(std::move(genl)), name_(std::move(name)) {}

 protected:
  void Run() override { error_ = genl_->resolve(*sock_, name_, family_); }
  Napi::Value Resolve(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    if (!error_.ok()) {
      o.Set("error", error_object(env, error_));
      return o;
    }
    o.Set("name", family_.name);
    o.Set("id", family_.id);
    o.Set("version", family_.version);
    o.Set("hdrsize", family_.hdrsize);
    o.Set("maxattr", family_.maxattr);
    Napi::Array groups = Napi::Array::New(env, family_.groups.size());
    for (size_t i = 0; i < family_.groups.size(); ++i) {
      Napi::Object g = Napi::Object::New(env);
      g.Set("name", family_.groups[i].name);
      g.Set("id", family_.groups[i].id);
      groups.Set(static_cast<uint32_t>(i), g);
    }
    o.Set("groups", groups);
    return o;
  }

 private:
  std::shared_ptr<nl::Socket> sock_;
  std::shared_ptr<nl::GenlResolver> genl_;
  std::string name_;
  nl::GenlFamily family_;
  nl::Error error_;
};

}  // namespace

Napi::Function Handle::Init(Napi::Env env) {
  return DefineClass(env, "Handle",
                     {
                         InstanceMethod<&Handle::Open>("open"),
                         InstanceMethod<&Handle::Close>("close"),
                         InstanceMethod<&Handle::Info>("info"),
                         InstanceMethod<&Handle::Rtnl>("rtnl"),
                         InstanceMethod<&Handle::GenlFamily>("genlFamily"),
                         InstanceMethod<&Handle::Ipvs>("ipvs"),
                         InstanceMethod<&Handle::NfnlBatch>("nfnlBatch"),
                         InstanceMethod<&Handle::Nfnl>("nfnl"),
                         InstanceMethod<&Handle::NfnlConcat>("nfnlConcat"),
                         InstanceMethod<&Handle::Subscribe>("subscribe"),
                         InstanceMethod<&Handle::OpenSync>("openSync"),
                         InstanceMethod<&Handle::StartWatch>("watch"),
                         InstanceMethod<&Handle::RefWatch>("watchRef"),
                         InstanceMethod<&Handle::StopWatch>("unwatch"),
                         InstanceMethod<&Handle::Conntrack>("conntrack"),
                     });
}

Handle::Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
  protocol_ = info[0].As<Napi::Number>().Int32Value();
}

std::shared_ptr<nl::Socket> Handle::socket(Napi::Env env) const {
  if (!socket_) throw Napi::Error::New(env, "netlink handle is not open");
  return socket_;
}

namespace {

// The arguments of open() and openSync(): ({ path?, pid? }, { rcvbuf?, sndbuf? }).
void parse_open(const Napi::CallbackInfo& info, nl::NetnsSpec& ns, nl::SocketOptions& options) {
  Napi::Object where = info[0].As<Napi::Object>();
  Napi::Object opts = info[1].As<Napi::Object>();
  ns = nl::NetnsSpec{get_string(where, "path"), get_i32(where, "pid")};
  if (has(opts, "rcvbuf")) options.rcvbuf = get_u32(opts, "rcvbuf");
  if (has(opts, "sndbuf")) options.sndbuf = get_u32(opts, "sndbuf");
}

}  // namespace

// open({ path?, pid? }, { rcvbuf?, sndbuf? }) -> Promise<void>
Napi::Value Handle::Open(const Napi::CallbackInfo& info) {
  nl::NetnsSpec ns;
  nl::SocketOptions options;
  parse_open(info, ns, options);
  auto* w = new OpenWorker(info.Env(), info.This().As<Napi::Object>(), this, protocol_, ns, options);
  w->Queue();
  return w->Promise();
}

Handle::~Handle() { stop_watch(); }

void Handle::stop_watch() {
  if (watch_ != nullptr) watch_->stop();
  watch_ = nullptr;
}

// openSync({ path?, pid? }, { rcvbuf?, sndbuf? }): open() on the JS thread
// (the netns is entered on a short-lived thread of its own, and opening the
// namespace file never blocks), for a monitor that must be subscribed when
// the call returns. Throws a system error.
Napi::Value Handle::OpenSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  nl::NetnsSpec ns;
  nl::SocketOptions options;
  parse_open(info, ns, options);
  try {
    socket_ = std::shared_ptr<nl::Socket>(nl::Socket::open(protocol_, ns, options));
  } catch (const nl::SystemError& e) {
    throw system_error(env, e);
  }
  return env.Undefined();
}

// watch(cb): cb(data, lost, errno) on the JS thread as multicast datagrams
// arrive (see watch.h); unref'd until watchRef(true).
Napi::Value Handle::StartWatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (watch_ != nullptr) throw Napi::Error::New(env, "watch: already watching");
  watch_ = napi::Watch::start(env, socket(env), info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value Handle::RefWatch(const Napi::CallbackInfo& info) {
  if (watch_ != nullptr) watch_->ref(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

Napi::Value Handle::StopWatch(const Napi::CallbackInfo& info) {
  stop_watch();
  return info.Env().Undefined();
}

Napi::Value Handle::Close(const Napi::CallbackInfo& info) {
  stop_watch();
  socket_.reset();  // in-flight workers hold their own reference
  return info.Env().Undefined();
}

Napi::Value Handle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto sock = socket(env);
  Napi::Object o = Napi::Object::New(env);
  o.Set("protocol", sock->protocol());
  o.Set("portid", sock->portid());
  o.Set("rcvbuf", static_cast<double>(sock->rcvbuf()));
  o.Set("sndbuf", static_cast<double>(sock->sndbuf()));
  return o;
}

Napi::Value Handle::Rtnl(const Napi::CallbackInfo& info) {
  auto* w = new RtnlWorker(info.Env(), socket(info.Env()), parse_rtnl_ops(info[0].As<Napi::Array>()));
  w->Queue();
  return w->Promise();
}

Napi::Value Handle::GenlFamily(const Napi::CallbackInfo& info) {
  auto* w = new GenlFamilyWorker(info.Env(), socket(info.Env()), genl_,
                                 info[0].As<Napi::String>().Utf8Value());
  w->Queue();
  return w->Promise();
}

// nfnlBatch(messages: Uint8Array, subsys: number, genid?: number)
Napi::Value Handle::NfnlBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buf = info[0].As<Napi::Uint8Array>();
  std::vector<uint8_t> messages(buf.Data(), buf.Data() + buf.ByteLength());
  std::optional<uint32_t> genid;
  if (info.Length() > 2 && info[2].IsNumber()) genid = info[2].As<Napi::Number>().Uint32Value();
  auto* w = new NfnlBatchWorker(env, socket(env), std::move(messages),
                                static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value()), genid);
  w->Queue();
  return w->Promise();
}

// nfnl(messages: Uint8Array, dumps: Uint8Array)
Napi::Value Handle::Nfnl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buf = info[0].As<Napi::Uint8Array>();
  auto dumps = info[1].As<Napi::Uint8Array>();
  auto requests = parse_nfnl_requests(env, buf.Data(), buf.ByteLength(), dumps.Data(), dumps.ByteLength());
  auto* w = new NfnlWorker(env, socket(env), std::move(requests));
  w->Queue();
  return w->Promise();
}

// nfnlConcat(messages: Uint8Array, dumps: Uint8Array): nfnl with every reply in one buffer
Napi::Value Handle::NfnlConcat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buf = info[0].As<Napi::Uint8Array>();
  auto dumps = info[1].As<Napi::Uint8Array>();
  auto requests = parse_nfnl_requests(env, buf.Data(), buf.ByteLength(), dumps.Data(), dumps.ByteLength());
  auto* w = new NfnlConcatWorker(env, socket(env), std::move(requests));
  w->Queue();
  return w->Promise();
}

// subscribe(group: number): joins a multicast group.
Napi::Value Handle::Subscribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    socket(env)->join_group(info[0].As<Napi::Number>().Uint32Value());
  } catch (const nl::SystemError& e) {
    throw system_error(env, e);
  }
  return env.Undefined();
}

// conntrack(ops) -> Promise<result[]>: ctnetlink dumps and deletes, pipelined.
Napi::Value Handle::Conntrack(const Napi::CallbackInfo& info) {
  auto* w = new ConntrackWorker(info.Env(), socket(info.Env()), parse_conntrack_ops(info[0].As<Napi::Array>()));
  w->Queue();
  return w->Promise();
}

}  // namespace napi

namespace napi {

// ipvs(nums, strs[, onChunk]) -> Promise<output>: one worker, pipelined
// messages (ipvs_ops.h). onChunk(first, rows) receives a large listAll's
// services while the rest are still being dumped.
Napi::Value Handle::Ipvs(const Napi::CallbackInfo& info) {
  std::shared_ptr<nl::Socket> sock = socket(info.Env());
  std::vector<IpvsOp> ops = parse_ipvs_ops(info[0].As<Napi::Uint32Array>(), info[1].As<Napi::String>().Utf8Value());
  // Created last: once it exists, only the worker's Run() lets it go.
  std::optional<Napi::ThreadSafeFunction> on_chunk;
  if (info.Length() > 2 && info[2].IsFunction())
    on_chunk = Napi::ThreadSafeFunction::New(info.Env(), info[2].As<Napi::Function>(), "dataplane.ipvs.list", 0, 1);
  auto* w = new IpvsWorker(info.Env(), std::move(sock), genl_, std::move(ops), std::move(on_chunk));
  w->Queue();
  return w->Promise();
}

}  // namespace napi
