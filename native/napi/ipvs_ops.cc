#include "ipvs_ops.h"

#include <linux/ip_vs.h>

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

namespace napi {

namespace {

constexpr size_t kStride = 28;   // src/ipvs/encode.ts STRIDE
constexpr size_t kStrings = 6;   // src/ipvs/encode.ts STRINGS

// Text validated by the TypeScript layer; inet_pton cannot fail on it.
codec::IpvsAddr addr_of(uint16_t af, const std::string& text) {
  codec::IpvsAddr a{};
  if (!text.empty()) inet_pton(af == AF_INET6 ? AF_INET6 : AF_INET, text.c_str(), a.data());
  return a;
}

IpvsOp unpack(const uint32_t* n, const std::string* t) {
  IpvsOp op{static_cast<IpvsOp::Kind>(n[0]), n[1] != 0, {}, {}, {}, {}};
  codec::IpvsService& s = op.service;
  s.af = static_cast<uint16_t>(n[2]);
  s.protocol = static_cast<uint16_t>(n[3]);
  s.port = static_cast<uint16_t>(n[4]);
  s.fwmark = n[5];
  s.flags = n[6];
  s.timeout = n[7];
  s.netmask = n[8];
  s.addr = addr_of(s.af, t[0]);
  s.scheduler = t[1];
  s.pe_name = t[2];
  codec::IpvsDest& d = op.dest;
  d.af = static_cast<uint16_t>(n[9]);
  d.port = static_cast<uint16_t>(n[10]);
  d.fwd_method = n[11];
  d.weight = n[12];
  d.u_thresh = n[13];
  d.l_thresh = n[14];
  d.tun_type = static_cast<uint8_t>(n[15]);
  d.tun_port = static_cast<uint16_t>(n[16]);
  d.tun_flags = static_cast<uint16_t>(n[17]);
  d.addr = addr_of(d.af, t[3]);
  codec::IpvsDaemon& m = op.daemon;
  m.state = n[18];
  m.syncid = n[19];
  m.maxlen = static_cast<uint16_t>(n[20]);
  m.group_af = static_cast<uint16_t>(n[21]);
  m.port = static_cast<uint16_t>(n[22]);
  m.ttl = static_cast<uint8_t>(n[23]);
  m.ifname = t[4];
  m.group = addr_of(m.group_af, t[5]);
  op.timeouts = codec::IpvsTimeouts{n[24], n[25], n[26]};
  return op;
}

}  // namespace

std::vector<IpvsOp> parse_ipvs_ops(const Napi::Uint32Array& nums, const std::string& strs) {
  size_t count = nums.ElementLength() / kStride;
  std::vector<std::string> texts;
  texts.reserve(count * kStrings);
  size_t from = 0;
  for (;;) {
    size_t at = strs.find('\0', from);
    texts.push_back(strs.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + 1;
  }
  if (texts.size() != count * kStrings || nums.ElementLength() % kStride != 0)
    throw Napi::TypeError::New(nums.Env(), "ipvs: malformed op encoding");
  std::vector<IpvsOp> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (nums.Data()[i * kStride] > IpvsOp::ListDaemons) throw Napi::TypeError::New(nums.Env(), "unknown ipvs op");
    out.push_back(unpack(nums.Data() + i * kStride, texts.data() + i * kStrings));
  }
  return out;
}

namespace {

nl::Request build(uint16_t f, const IpvsOp& op) {
  switch (op.kind) {
    case IpvsOp::AddService: return codec::ipvs_service_new(f, op.service);
    case IpvsOp::EditService: return codec::ipvs_service_set(f, op.service);
    case IpvsOp::DeleteService: return codec::ipvs_service_del(f, op.service);
    case IpvsOp::GetService: return codec::ipvs_service_get(f, op.service);
    case IpvsOp::ListServices:
    case IpvsOp::ListAll: return codec::ipvs_service_dump(f);
    case IpvsOp::AddDest: return codec::ipvs_dest_new(f, op.service, op.dest);
    case IpvsOp::EditDest: return codec::ipvs_dest_set(f, op.service, op.dest);
    case IpvsOp::DeleteDest: return codec::ipvs_dest_del(f, op.service, op.dest);
    case IpvsOp::ListDests: return codec::ipvs_dest_dump(f, op.service);
    case IpvsOp::Flush: return codec::ipvs_flush(f);
    case IpvsOp::Zero: return codec::ipvs_zero(f, op.has_service ? &op.service : nullptr);
    case IpvsOp::GetTimeouts: return codec::ipvs_timeouts_get(f);
    case IpvsOp::SetTimeouts: return codec::ipvs_timeouts_set(f, op.timeouts);
    case IpvsOp::GetInfo: return codec::ipvs_info_get(f);
    case IpvsOp::AddDaemon: return codec::ipvs_daemon_new(f, op.daemon);
    case IpvsOp::DeleteDaemon: return codec::ipvs_daemon_del(f, op.daemon.state);
    case IpvsOp::ListDaemons: return codec::ipvs_daemon_dump(f);
  }
  throw std::logic_error("unreachable");
}

// Decodes every message of one reply with `fn`; a failure becomes EBADMSG.
template <typename T, typename F>
bool decode_each(const nl::Reply& reply, std::vector<T>& out, nl::Error& error, F fn) {
  std::string why;
  for (const auto& msg : reply.messages) {
    T item;
    if (!fn(msg.data(), msg.size(), item, &why)) {
      error = nl::Error{EBADMSG, "", -1, "cannot decode IPVS reply: " + why};
      return false;
    }
    out.push_back(std::move(item));
  }
  return true;
}

void decode(const IpvsOp& op, const nl::Reply& reply, IpvsResult& out) {
  out.error = reply.error;
  if (!out.error.ok()) return;
  switch (op.kind) {
    case IpvsOp::GetService:
    case IpvsOp::ListServices:
    case IpvsOp::ListAll:
      decode_each(reply, out.services, out.error, codec::ipvs_service_decode);
      break;
    case IpvsOp::ListDests: decode_each(reply, out.dests, out.error, codec::ipvs_dest_decode); break;
    case IpvsOp::ListDaemons: decode_each(reply, out.daemons, out.error, codec::ipvs_daemon_decode); break;
    case IpvsOp::GetTimeouts: {
      std::vector<codec::IpvsTimeouts> t;
      if (decode_each(reply, t, out.error, codec::ipvs_timeouts_decode) && !t.empty()) out.timeouts = t[0];
      break;
    }
    case IpvsOp::GetInfo: {
      std::vector<codec::IpvsInfo> i;
      if (decode_each(reply, i, out.error, codec::ipvs_info_decode) && !i.empty()) out.info = i[0];
      break;
    }
    default: break;
  }
}

}  // namespace

void IpvsWorker::run_batch(uint16_t family, size_t from, size_t to) {
  std::vector<nl::Request> requests;
  requests.reserve(to - from);
  for (size_t i = from; i < to; ++i) requests.push_back(build(family, ops_[i]));
  std::vector<nl::Reply> replies = nl::exchange(*sock_, requests);
  for (size_t i = from; i < to; ++i) decode(ops_[i], replies[i - from], results_[i]);
}

namespace {

// Below this many services one socket is as fast as several (opening a
// sibling socket costs a thread and a few syscalls).
constexpr size_t kParallelFrom = 256;
constexpr unsigned kMaxSockets = 4;
// Services per chunk when a list streams to JS.
constexpr size_t kChunkMin = 256;
constexpr size_t kChunkMax = 2048;

// What a list hands to JS: rows, as Resolve() gives them.
Napi::Object output_object(Napi::Env env, IpvsOutput&& out);

struct Chunk {
  size_t first;
  IpvsOutput rows;
};

// Queues rows for the JS callback (blocking while JS is behind; the queue is
// unbounded, so only if the environment is going away does this fail).
void post_chunk(Napi::ThreadSafeFunction& fn, size_t first, IpvsOutput&& rows) {
  auto* c = new Chunk{first, std::move(rows)};
  napi_status st = fn.BlockingCall(c, [](Napi::Env env, Napi::Function js, Chunk* chunk) {
    std::unique_ptr<Chunk> owned(chunk);
    if (env == nullptr || js == nullptr) return;  // shutting down
    try {
      js.Call({Napi::Number::New(env, static_cast<double>(owned->first)), output_object(env, std::move(owned->rows))});
    } catch (const Napi::Error&) {
      // The JS side catches its own errors; nothing sensible to do here.
    }
  });
  if (st != napi_ok) {
    delete c;
    throw std::runtime_error("ipvs list: cannot hand rows to JavaScript (napi status " + std::to_string(st) + ")");
  }
}

// Decodes destination messages straight out of the receive buffer into
// out[first + request index].
class DestSink : public nl::Sink {
 public:
  DestSink(std::vector<std::vector<codec::IpvsDest>>& out, size_t first) : out_(out), first_(first) {}
  void message(size_t index, const uint8_t* data, size_t len) override {
    codec::IpvsDest d;
    std::string why;
    if (codec::ipvs_dest_decode(data, len, d, &why)) {
      std::vector<codec::IpvsDest>& dests = out_[first_ + index];
      if (dests.capacity() == 0) dests.reserve(16);  // one allocation for a typical service
      dests.push_back(std::move(d));
    }
    else if (error_.ok()) error_ = nl::Error{EBADMSG, "", -1, "cannot decode IPVS reply: " + why};
  }
  void reset(size_t index) override { out_[first_ + index].clear(); }
  const nl::Error& error() const { return error_; }

 private:
  std::vector<std::vector<codec::IpvsDest>>& out_;
  size_t first_;
  nl::Error error_;
};

// Dumps the destinations of services[from, to) on one socket.
nl::Error dump_dests(nl::Socket& sock, uint16_t family, const std::vector<codec::IpvsService>& services,
                     size_t from, size_t to, std::vector<std::vector<codec::IpvsDest>>& out) {
  std::vector<nl::Request> dumps;
  dumps.reserve(to - from);
  for (size_t i = from; i < to; ++i) dumps.push_back(codec::ipvs_dest_dump(family, services[i]));
  DestSink sink(out, from);
  std::vector<nl::Reply> replies = nl::exchange(sock, dumps, {}, &sink);
  if (!sink.error().ok()) return sink.error();
  for (const nl::Reply& reply : replies) {
    // A service deleted between the two dumps has no destinations to show.
    if (reply.error.code == ESRCH) continue;
    if (!reply.error.ok()) return reply.error;
  }
  return nl::Error{};
}

}  // namespace

void IpvsWorker::run_list_all(uint16_t family, size_t index) {
  IpvsResult& r = results_[index];
  run_batch(family, index, index + 1);
  if (!r.error.ok()) return;
  const size_t n = r.services.size();
  r.service_dests.resize(n);
  // The kernel answers one destination dump per service, each a round trip:
  // with many services, spread them over fresh sibling sockets, one per
  // CPU, on their own threads. Fresh, they have only ever read with small
  // buffers, so the kernel allocates (and zeroes) a page per chunk instead
  // of 32 KiB; a destination dump rarely needs more than one chunk.
  std::vector<std::unique_ptr<nl::Socket>> extra;
  if (n >= kParallelFrom) {
    nl::SocketOptions small;
    small.datagram = nl::Socket::min_datagram();
    unsigned want = std::min(std::max(std::thread::hardware_concurrency(), 1u), kMaxSockets);
    for (unsigned k = 0; k < want; ++k) {
      try {
        extra.push_back(sock_->sibling(small));
      } catch (const nl::SystemError&) {
        break;  // the handle's own socket still does the job
      }
    }
  }
  if (extra.empty()) {
    r.error = dump_dests(*sock_, family, r.services, 0, n, r.service_dests);
    return;
  }
  const size_t parts = extra.size();
  // Streaming: each thread hands every `step` services to JS as soon as
  // their destinations are in, so JS builds objects while the rest are
  // being dumped instead of after.
  const size_t step = on_chunk_ ? std::clamp<size_t>(n / (parts * 8), kChunkMin, kChunkMax) : n;
  std::vector<nl::Error> errors(parts);
  std::vector<std::exception_ptr> thrown(parts);
  std::atomic<bool> failed{false};
  std::atomic<size_t> chunks{0};
  auto part = [&](size_t k) {
    try {
      const size_t to = n * (k + 1) / parts;
      for (size_t from = n * k / parts; from < to && !failed; from += step) {
        const size_t end = std::min(to, from + step);
        errors[k] = dump_dests(*extra[k], family, r.services, from, end, r.service_dests);
        if (!errors[k].ok()) {
          failed = true;
          return;
        }
        if (on_chunk_) {
          post_chunk(*on_chunk_, from, ipvs_render_services(r.services, r.service_dests, from, end));
          for (size_t i = from; i < end; ++i) std::vector<codec::IpvsDest>().swap(r.service_dests[i]);
          ++chunks;
        }
      }
    } catch (...) {
      thrown[k] = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (size_t k = 1; k < parts; ++k) threads.emplace_back(part, k);
  part(0);
  for (auto& t : threads) t.join();
  for (size_t k = 0; k < parts; ++k) {
    if (thrown[k]) std::rethrow_exception(thrown[k]);
    if (!errors[k].ok()) {
      r.error = errors[k];
      return;
    }
  }
  r.streamed_chunks = chunks;
  if (r.streamed_chunks > 0) {  // all of it is with JS now
    std::vector<codec::IpvsService>().swap(r.services);
    std::vector<std::vector<codec::IpvsDest>>().swap(r.service_dests);
  }
}

void IpvsWorker::Run() {
  // However Run ends, the chunk callback is let go once no thread can post.
  struct ReleaseOnExit {
    std::optional<Napi::ThreadSafeFunction>& fn;
    ~ReleaseOnExit() {
      if (fn) fn->Release();
    }
  } release{on_chunk_};
  results_.assign(ops_.size(), IpvsResult{});
  nl::GenlFamily family;
  nl::Error err = genl_->resolve(*sock_, IPVS_GENL_NAME, family);
  if (!err.ok()) {
    // A kernel without the family cannot do anything IPVS: not "no such
    // object" (which idempotent deletes would take as success).
    if (err.code == ENOENT) {
      err.code = EOPNOTSUPP;
      err.detail = "no IPVS in this kernel (generic netlink family \"IPVS\" not found)";
    }
    for (auto& r : results_) r.error = err;
    out_ = ipvs_render(ops_, results_);
    return;
  }
  size_t i = 0;
  while (i < ops_.size()) {
    if (ops_[i].kind == IpvsOp::ListAll) {
      run_list_all(family.id, i++);
      continue;
    }
    size_t j = i;
    while (j < ops_.size() && ops_[j].kind != IpvsOp::ListAll) ++j;
    run_batch(family.id, i, j);
    i = j;
  }
  // Rendered here, on the pool thread: the JS thread only copies arrays out.
  out_ = ipvs_render(ops_, results_);
}

namespace {

// Hands the vector's memory to JS as the typed array's backing store: no
// copy, and no zero-filled allocation to fault in.
template <typename Array, typename T>
Array typed(Napi::Env env, std::vector<T>&& v) {
  if (v.empty()) return Array::New(env, 0);
  auto* owned = new std::vector<T>(std::move(v));
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(T),
                                                 [](Napi::Env, void*, std::vector<T>* o) { delete o; }, owned);
  return Array::New(env, owned->size(), buf, 0);
}

Napi::Object output_object(Napi::Env env, IpvsOutput&& out) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("json", Napi::String::New(env, out.json));
  o.Set("services", typed<Napi::Uint32Array>(env, std::move(out.services)));
  o.Set("dests", typed<Napi::Uint32Array>(env, std::move(out.dests)));
  o.Set("stats", typed<Napi::BigUint64Array>(env, std::move(out.stats)));
  o.Set("texts", Napi::String::New(env, out.texts));
  return o;
}

}  // namespace

Napi::Value IpvsWorker::Resolve(Napi::Env env) {
  return output_object(env, std::move(out_));
}

}  // namespace napi
