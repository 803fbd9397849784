#include "ipvs_ops.h"

#include <linux/ip_vs.h>

#include <cstring>
#include <map>

#include "convert.h"
#include "ipvs_objects.h"

namespace napi {

namespace {

const std::map<std::string, IpvsOp::Kind> kKinds = {
    {"addService", IpvsOp::AddService},     {"editService", IpvsOp::EditService},
    {"deleteService", IpvsOp::DeleteService}, {"getService", IpvsOp::GetService},
    {"listServices", IpvsOp::ListServices}, {"listAll", IpvsOp::ListAll},
    {"addDest", IpvsOp::AddDest},           {"editDest", IpvsOp::EditDest},
    {"deleteDest", IpvsOp::DeleteDest},     {"listDests", IpvsOp::ListDests},
    {"flush", IpvsOp::Flush},               {"zero", IpvsOp::Zero},
    {"getTimeouts", IpvsOp::GetTimeouts},   {"setTimeouts", IpvsOp::SetTimeouts},
    {"getInfo", IpvsOp::GetInfo},           {"addDaemon", IpvsOp::AddDaemon},
    {"deleteDaemon", IpvsOp::DeleteDaemon}, {"listDaemons", IpvsOp::ListDaemons},
};

codec::IpvsAddr get_addr(const Napi::Object& o, const char* key) {
  codec::IpvsAddr a{};
  std::vector<uint8_t> b = get_bytes(o, key);
  std::memcpy(a.data(), b.data(), b.size() < 16 ? b.size() : 16);
  return a;
}

codec::IpvsService parse_service(const Napi::Object& o) {
  codec::IpvsService s;
  s.af = static_cast<uint16_t>(get_u32(o, "af"));
  s.protocol = static_cast<uint16_t>(get_u32(o, "protocol"));
  s.addr = get_addr(o, "addr");
  s.port = static_cast<uint16_t>(get_u32(o, "port"));
  s.fwmark = get_u32(o, "fwmark");
  s.scheduler = get_string(o, "scheduler");
  s.pe_name = get_string(o, "pe");
  s.flags = get_u32(o, "flags");
  s.timeout = get_u32(o, "timeout");
  s.netmask = get_u32(o, "netmask");
  return s;
}

codec::IpvsDest parse_dest(const Napi::Object& o) {
  codec::IpvsDest d;
  d.af = static_cast<uint16_t>(get_u32(o, "af"));
  d.addr = get_addr(o, "addr");
  d.port = static_cast<uint16_t>(get_u32(o, "port"));
  d.fwd_method = get_u32(o, "fwd");
  d.weight = get_u32(o, "weight");
  d.u_thresh = get_u32(o, "uThresh");
  d.l_thresh = get_u32(o, "lThresh");
  d.tun_type = static_cast<uint8_t>(get_u32(o, "tunType"));
  d.tun_port = static_cast<uint16_t>(get_u32(o, "tunPort"));
  d.tun_flags = static_cast<uint16_t>(get_u32(o, "tunFlags"));
  return d;
}

codec::IpvsDaemon parse_daemon(const Napi::Object& o) {
  codec::IpvsDaemon d;
  d.state = get_u32(o, "state");
  d.ifname = get_string(o, "ifname");
  d.syncid = get_u32(o, "syncid");
  d.maxlen = static_cast<uint16_t>(get_u32(o, "maxlen"));
  d.group_af = static_cast<uint16_t>(get_u32(o, "groupAf"));
  d.group = get_addr(o, "group");
  d.port = static_cast<uint16_t>(get_u32(o, "port"));
  d.ttl = static_cast<uint8_t>(get_u32(o, "ttl"));
  return d;
}

IpvsOp parse_op(const Napi::Object& o) {
  auto kind = kKinds.find(get_string(o, "op"));
  if (kind == kKinds.end()) throw Napi::TypeError::New(o.Env(), "unknown ipvs op");
  IpvsOp op{kind->second, false, {}, {}, {}, {}};
  if (has(o, "service")) {
    op.has_service = true;
    op.service = parse_service(o.Get("service").As<Napi::Object>());
  }
  if (has(o, "dest")) op.dest = parse_dest(o.Get("dest").As<Napi::Object>());
  if (has(o, "daemon")) op.daemon = parse_daemon(o.Get("daemon").As<Napi::Object>());
  op.timeouts = codec::IpvsTimeouts{get_u32(o, "tcp"), get_u32(o, "tcpFin"), get_u32(o, "udp")};
  return op;
}

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

std::vector<IpvsOp> parse_ipvs_ops(const Napi::Array& ops) {
  std::vector<IpvsOp> out;
  out.reserve(ops.Length());
  for (uint32_t i = 0; i < ops.Length(); ++i) out.push_back(parse_op(ops.Get(i).As<Napi::Object>()));
  return out;
}

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
}

Napi::Value IpvsWorker::Resolve(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, results_.size());
  for (size_t i = 0; i < results_.size(); ++i) out.Set(static_cast<uint32_t>(i), ipvs_result_object(env, ops_[i].kind, results_[i]));
  return out;
}

}  // namespace napi
