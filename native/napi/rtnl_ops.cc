#include "rtnl_ops.h"

#include <unistd.h>

#include <map>

#include "convert.h"

namespace napi {

namespace {

const std::map<std::string, RtnlOp::Kind> kKinds = {
    {"getLink", RtnlOp::GetLink},         {"listLinks", RtnlOp::ListLinks},
    {"addLink", RtnlOp::AddLink},         {"deleteLink", RtnlOp::DeleteLink},
    {"setLink", RtnlOp::SetLink},         {"listAddresses", RtnlOp::ListAddresses},
    {"addAddress", RtnlOp::AddAddress},   {"replaceAddress", RtnlOp::ReplaceAddress},
    {"deleteAddress", RtnlOp::DeleteAddress},
};

RtnlOp parse_op(const Napi::Object& o) {
  auto kind = kKinds.find(get_string(o, "op"));
  if (kind == kKinds.end()) throw Napi::TypeError::New(o.Env(), "unknown rtnl op");
  RtnlOp op{kind->second, {}, {}, {}, {}, {}};
  op.ref = codec::LinkRef{get_u32(o, "index"), get_string(o, "name")};
  switch (op.kind) {
    case RtnlOp::AddLink:
      op.link.name = get_string(o, "name");
      op.link.kind = get_string(o, "kind");
      op.link.mtu = get_u32(o, "mtu");
      op.link.up = get_bool(o, "up");
      op.link.peer_name = get_string(o, "peerName");
      if (has(o, "peerNetns")) {
        Napi::Object ns = o.Get("peerNetns").As<Napi::Object>();
        op.peer_netns = nl::NetnsSpec{get_string(ns, "path"), get_i32(ns, "pid"), "peerNetns"};
      }
      break;
    case RtnlOp::SetLink:
      if (has(o, "up")) op.change.up = get_bool(o, "up");
      op.change.mtu = get_u32(o, "mtu");
      break;
    case RtnlOp::ListAddresses:
      op.addr.family = static_cast<uint8_t>(get_u32(o, "family"));
      break;
    case RtnlOp::AddAddress:
    case RtnlOp::ReplaceAddress:
    case RtnlOp::DeleteAddress:
      op.addr.index = get_u32(o, "index");
      op.addr.family = static_cast<uint8_t>(get_u32(o, "family"));
      op.addr.prefixlen = static_cast<uint8_t>(get_u32(o, "prefixLength"));
      op.addr.scope = static_cast<uint8_t>(get_u32(o, "scope"));
      op.addr.flags = get_u32(o, "flags");
      op.addr.local = get_bytes(o, "address");
      op.addr.address = get_bytes(o, "peer");
      op.addr.label = get_string(o, "label");
      op.addr.valid_lft = get_u32(o, "validLifetime", 0xffffffff);
      op.addr.preferred_lft = get_u32(o, "preferredLifetime", 0xffffffff);
      break;
    default:
      break;
  }
  return op;
}

nl::Request build(const RtnlOp& op, int peer_fd) {
  switch (op.kind) {
    case RtnlOp::GetLink: return codec::link_get(op.ref);
    case RtnlOp::ListLinks: return codec::link_dump();
    case RtnlOp::AddLink: {
      codec::NewLink link = op.link;
      link.peer_netns_fd = peer_fd;
      return codec::link_new(link);
    }
    case RtnlOp::DeleteLink: return codec::link_del(op.ref);
    case RtnlOp::SetLink: return codec::link_set(op.ref, op.change);
    case RtnlOp::ListAddresses: return codec::addr_dump(op.addr.family);
    case RtnlOp::AddAddress: return codec::addr_new(op.addr, false);
    case RtnlOp::ReplaceAddress: return codec::addr_new(op.addr, true);
    case RtnlOp::DeleteAddress: return codec::addr_del(op.addr);
  }
  throw std::logic_error("unreachable");
}

void decode(const RtnlOp& op, const nl::Reply& reply, RtnlResult& out) {
  out.error = reply.error;
  if (!out.error.ok()) return;
  std::string why;
  for (const auto& msg : reply.messages) {
    bool ok = true;
    if (op.kind == RtnlOp::GetLink || op.kind == RtnlOp::ListLinks) {
      codec::Link link;
      ok = codec::link_decode(msg.data(), msg.size(), link, &why);
      if (ok) out.links.push_back(std::move(link));
    } else if (op.kind == RtnlOp::ListAddresses) {
      codec::Address addr;
      ok = codec::addr_decode(msg.data(), msg.size(), addr, &why);
      if (ok) out.addresses.push_back(std::move(addr));
    }
    if (!ok) {
      out.error = nl::Error{EBADMSG, "", -1, "cannot decode reply: " + why};
      return;
    }
  }
}

Napi::Object link_object(Napi::Env env, const codec::Link& l) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", l.index);
  o.Set("name", l.name);
  o.Set("kind", l.kind);
  o.Set("type", l.type);
  o.Set("flags", l.flags);
  o.Set("mtu", l.mtu);
  o.Set("address", bytes(env, l.address));
  o.Set("operstate", l.operstate);
  o.Set("master", l.master);
  o.Set("parent", l.parent);
  o.Set("linkNetnsid", l.link_netnsid);
  return o;
}

Napi::Object address_object(Napi::Env env, const codec::Address& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", a.index);
  o.Set("family", a.family);
  o.Set("prefixLength", a.prefixlen);
  o.Set("scope", a.scope);
  o.Set("flags", a.flags);
  o.Set("address", bytes(env, a.address));
  o.Set("local", bytes(env, a.local));
  o.Set("label", a.label);
  o.Set("validLifetime", a.valid_lft);
  o.Set("preferredLifetime", a.preferred_lft);
  return o;
}

}  // namespace

std::vector<RtnlOp> parse_rtnl_ops(const Napi::Array& ops) { return parse_array(ops, parse_op); }

void RtnlWorker::Run() {
  results_.assign(ops_.size(), RtnlResult{});
  std::vector<int> fds(ops_.size(), -1);
  std::vector<nl::Request> requests;
  requests.reserve(ops_.size());
  try {
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (ops_[i].peer_netns) fds[i] = nl::open_netns(*ops_[i].peer_netns);
      requests.push_back(build(ops_[i], fds[i]));
    }
    std::vector<nl::Reply> replies = nl::exchange(*sock_, requests);
    for (size_t i = 0; i < ops_.size(); ++i) decode(ops_[i], replies[i], results_[i]);
  } catch (...) {
    for (int fd : fds) if (fd >= 0) ::close(fd);
    throw;
  }
  for (int fd : fds) if (fd >= 0) ::close(fd);
}

Napi::Value RtnlWorker::Resolve(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, results_.size());
  for (size_t i = 0; i < results_.size(); ++i) {
    const RtnlResult& r = results_[i];
    Napi::Object o = Napi::Object::New(env);
    if (!r.error.ok()) {
      o.Set("error", error_object(env, r.error));
    } else if (ops_[i].kind == RtnlOp::GetLink || ops_[i].kind == RtnlOp::ListLinks) {
      o.Set("links", to_array(env, r.links, link_object));
    } else if (ops_[i].kind == RtnlOp::ListAddresses) {
      o.Set("addresses", to_array(env, r.addresses, address_object));
    }
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace napi
