#include "conntrack_ops.h"

#include <linux/netfilter/nfnetlink_conntrack.h>

#include "convert.h"

namespace napi {

namespace {

codec::CtTupleMatch parse_match(const Napi::Object& parent, const char* key) {
  codec::CtTupleMatch m;
  if (!has(parent, key)) return m;
  Napi::Object o = parent.Get(key).As<Napi::Object>();
  m.src = get_bytes(o, "source");
  m.dst = get_bytes(o, "destination");
  m.proto = get_i32(o, "protocol", -1);
  m.src_port = get_i32(o, "sourcePort", -1);
  m.dst_port = get_i32(o, "destinationPort", -1);
  return m;
}

codec::CtTuple parse_tuple(const Napi::Object& o) {
  codec::CtTuple t;
  t.src = get_bytes(o, "source");
  t.dst = get_bytes(o, "destination");
  t.proto = static_cast<uint8_t>(get_u32(o, "protocol"));
  t.has_ports = has(o, "sourcePort") || has(o, "destinationPort");
  t.src_port = static_cast<uint16_t>(get_u32(o, "sourcePort"));
  t.dst_port = static_cast<uint16_t>(get_u32(o, "destinationPort"));
  t.has_icmp = has(o, "icmpType");
  t.icmp_id = static_cast<uint16_t>(get_u32(o, "icmpId"));
  t.icmp_type = static_cast<uint8_t>(get_u32(o, "icmpType"));
  t.icmp_code = static_cast<uint8_t>(get_u32(o, "icmpCode"));
  return t;
}

ConntrackOp parse_op(const Napi::Object& o) {
  std::string kind = get_string(o, "op");
  ConntrackOp op;
  if (kind == "list") {
    op.kind = ConntrackOp::List;
    op.filter.family = static_cast<uint8_t>(get_u32(o, "family"));
    op.filter.has_mark = has(o, "mark");
    op.filter.mark = get_u32(o, "mark");
    op.filter.mark_mask = get_u32(o, "markMask", 0xffffffff);
    op.filter.has_zone = has(o, "zone");
    op.filter.zone = static_cast<uint16_t>(get_u32(o, "zone"));
    op.filter.orig = parse_match(o, "original");
    op.filter.reply = parse_match(o, "reply");
  } else if (kind == "delete") {
    op.kind = ConntrackOp::Delete;
    op.family = static_cast<uint8_t>(get_u32(o, "family"));
    op.tuple = parse_tuple(o.Get("original").As<Napi::Object>());
    op.zone = static_cast<uint16_t>(get_u32(o, "zone"));
    if (has(o, "id")) op.id = get_u32(o, "id");
  } else {
    throw Napi::TypeError::New(o.Env(), "unknown conntrack op");
  }
  return op;
}

void decode(const nl::Reply& reply, ConntrackResult& out) {
  out.error = reply.error;
  if (!out.error.ok()) return;
  std::string why;
  for (const auto& msg : reply.messages) {
    codec::CtEntry e;
    if (!codec::ct_decode(msg.data(), msg.size(), e, &why)) {
      out.error = nl::Error{EBADMSG, "", -1, "cannot decode conntrack entry: " + why};
      out.entries.clear();
      return;
    }
    out.entries.push_back(std::move(e));
  }
}

Napi::Object tuple_object(Napi::Env env, const codec::CtTuple& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("source", bytes(env, t.src));
  o.Set("destination", bytes(env, t.dst));
  o.Set("protocol", t.proto);
  if (t.has_ports) {
    o.Set("sourcePort", t.src_port);
    o.Set("destinationPort", t.dst_port);
  }
  if (t.has_icmp) {
    o.Set("icmpId", t.icmp_id);
    o.Set("icmpType", t.icmp_type);
    o.Set("icmpCode", t.icmp_code);
  }
  return o;
}

Napi::Object counters_object(Napi::Env env, const codec::CtCounters& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("packets", static_cast<double>(c.packets));
  o.Set("bytes", static_cast<double>(c.bytes));
  return o;
}

Napi::Object entry_object(Napi::Env env, const codec::CtEntry& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", e.family);
  o.Set("original", tuple_object(env, e.orig));
  o.Set("reply", tuple_object(env, e.reply));
  o.Set("status", e.status);
  o.Set("timeout", e.timeout);
  o.Set("mark", e.mark);
  o.Set("id", e.id);
  o.Set("use", e.use);
  o.Set("zone", e.zone);
  if (e.tcp_state >= 0) o.Set("tcpState", e.tcp_state);
  if (e.sctp_state >= 0) o.Set("sctpState", e.sctp_state);
  if (e.has_counters) {
    o.Set("countersOriginal", counters_object(env, e.counters_orig));
    o.Set("countersReply", counters_object(env, e.counters_reply));
  }
  return o;
}

}  // namespace

std::vector<ConntrackOp> parse_conntrack_ops(const Napi::Array& ops) {
  return parse_array(ops, parse_op);
}

void ConntrackWorker::Run() {
  results_.assign(ops_.size(), ConntrackResult{});
  std::vector<nl::Request> requests;
  requests.reserve(ops_.size());
  for (const ConntrackOp& op : ops_) {
    requests.push_back(op.kind == ConntrackOp::List ? codec::ct_dump(op.filter)
                                                    : codec::ct_delete(op.family, op.tuple, op.zone, op.id));
  }
  std::vector<nl::Reply> replies = nl::exchange(*sock_, requests);
  for (size_t i = 0; i < ops_.size(); ++i) decode(replies[i], results_[i]);
}

Napi::Value ConntrackWorker::Resolve(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, results_.size());
  for (size_t i = 0; i < results_.size(); ++i) {
    const ConntrackResult& r = results_[i];
    Napi::Object o = Napi::Object::New(env);
    if (!r.error.ok()) {
      o.Set("error", error_object(env, r.error));
    } else if (ops_[i].kind == ConntrackOp::List) {
      o.Set("entries", to_array(env, r.entries, entry_object));
    }
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace napi
