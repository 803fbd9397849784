#include "ipvs_ops.h"

#include <linux/ip_vs.h>

#include <arpa/inet.h>

#include <cstring>

#include "ipvs_json.h"

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

void IpvsWorker::run_list_all(uint16_t family, size_t index) {
  IpvsResult& r = results_[index];
  run_batch(family, index, index + 1);
  if (!r.error.ok()) return;
  std::vector<nl::Request> dumps;
  dumps.reserve(r.services.size());
  for (const auto& s : r.services) dumps.push_back(codec::ipvs_dest_dump(family, s));
  std::vector<nl::Reply> replies = nl::exchange(*sock_, dumps);
  r.service_dests.resize(r.services.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    // A service deleted between the two dumps has no destinations to show.
    if (replies[i].error.code == ESRCH) continue;
    if (!replies[i].error.ok()) {
      r.error = replies[i].error;
      return;
    }
    if (!decode_each(replies[i], r.service_dests[i], r.error, codec::ipvs_dest_decode)) return;
  }
}

void IpvsWorker::Run() {
  results_.assign(ops_.size(), IpvsResult{});
  nl::GenlFamily family;
  nl::Error err = genl_->resolve(*sock_, IPVS_GENL_NAME, family);
  if (!err.ok()) {
    if (err.code == ENOENT) err.detail = "no IPVS in this kernel (generic netlink family \"IPVS\" not found)";
    for (auto& r : results_) r.error = err;
    json_ = ipvs_results_json(ops_, results_);
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
  // Rendered here, on the pool thread: the JS thread only parses one string.
  json_ = ipvs_results_json(ops_, results_);
}

Napi::Value IpvsWorker::Resolve(Napi::Env env) {
  return Napi::String::New(env, json_);
}

}  // namespace napi
