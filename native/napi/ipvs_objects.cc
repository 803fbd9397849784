#include "ipvs_objects.h"

#include <arpa/inet.h>

namespace napi {

namespace {

Napi::Value addr_text(Napi::Env env, uint16_t af, const codec::IpvsAddr& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(af == AF_INET6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf) == nullptr) return env.Null();
  return Napi::String::New(env, buf);
}

Napi::Object stats_object(Napi::Env env, const codec::IpvsStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("conns", Napi::BigInt::New(env, s.conns));
  o.Set("inpkts", Napi::BigInt::New(env, s.inpkts));
  o.Set("outpkts", Napi::BigInt::New(env, s.outpkts));
  o.Set("inbytes", Napi::BigInt::New(env, s.inbytes));
  o.Set("outbytes", Napi::BigInt::New(env, s.outbytes));
  o.Set("cps", Napi::BigInt::New(env, s.cps));
  o.Set("inpps", Napi::BigInt::New(env, s.inpps));
  o.Set("outpps", Napi::BigInt::New(env, s.outpps));
  o.Set("inbps", Napi::BigInt::New(env, s.inbps));
  o.Set("outbps", Napi::BigInt::New(env, s.outbps));
  o.Set("wide", s.wide);
  return o;
}

Napi::Object service_object(Napi::Env env, const codec::IpvsService& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("af", s.af);
  o.Set("protocol", s.protocol);
  o.Set("addr", s.fwmark != 0 ? env.Null() : addr_text(env, s.af, s.addr));
  o.Set("port", s.port);
  o.Set("fwmark", s.fwmark);
  o.Set("scheduler", s.scheduler);
  o.Set("pe", s.pe_name);
  o.Set("flags", s.flags);
  o.Set("timeout", s.timeout);
  o.Set("netmask", s.netmask);
  o.Set("stats", stats_object(env, s.stats));
  return o;
}

Napi::Object dest_object(Napi::Env env, const codec::IpvsDest& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("af", d.af);
  o.Set("addr", addr_text(env, d.af, d.addr));
  o.Set("port", d.port);
  o.Set("fwd", d.fwd_method);
  o.Set("weight", d.weight);
  o.Set("uThresh", d.u_thresh);
  o.Set("lThresh", d.l_thresh);
  o.Set("tunType", d.tun_type);
  o.Set("tunPort", d.tun_port);
  o.Set("tunFlags", d.tun_flags);
  o.Set("activeConns", d.active_conns);
  o.Set("inactConns", d.inact_conns);
  o.Set("persistConns", d.persist_conns);
  o.Set("stats", stats_object(env, d.stats));
  return o;
}

Napi::Object daemon_object(Napi::Env env, const codec::IpvsDaemon& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", d.state);
  o.Set("ifname", d.ifname);
  o.Set("syncid", d.syncid);
  o.Set("maxlen", d.maxlen);
  o.Set("groupAf", d.group_af);
  o.Set("group", d.group_af == 0 ? env.Null() : addr_text(env, d.group_af, d.group));
  o.Set("port", d.port);
  o.Set("ttl", d.ttl);
  return o;
}

template <typename T, typename F>
Napi::Array array_of(Napi::Env env, const std::vector<T>& items, F fn) {
  Napi::Array a = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) a.Set(static_cast<uint32_t>(i), fn(env, items[i]));
  return a;
}

}  // namespace

Napi::Object ipvs_result_object(Napi::Env env, IpvsOp::Kind kind, const IpvsResult& r) {
  Napi::Object o = Napi::Object::New(env);
  if (!r.error.ok()) {
    o.Set("error", error_object(env, r.error));
    return o;
  }
  switch (kind) {
    case IpvsOp::GetService:
    case IpvsOp::ListServices:
      o.Set("services", array_of(env, r.services, service_object));
      break;
    case IpvsOp::ListAll: {
      Napi::Array a = Napi::Array::New(env, r.services.size());
      for (size_t i = 0; i < r.services.size(); ++i) {
        Napi::Object s = service_object(env, r.services[i]);
        static const std::vector<codec::IpvsDest> none;
        s.Set("dests", array_of(env, i < r.service_dests.size() ? r.service_dests[i] : none, dest_object));
        a.Set(static_cast<uint32_t>(i), s);
      }
      o.Set("services", a);
      break;
    }
    case IpvsOp::ListDests: o.Set("dests", array_of(env, r.dests, dest_object)); break;
    case IpvsOp::ListDaemons: o.Set("daemons", array_of(env, r.daemons, daemon_object)); break;
    case IpvsOp::GetTimeouts: {
      Napi::Object t = Napi::Object::New(env);
      t.Set("tcp", r.timeouts.tcp);
      t.Set("tcpFin", r.timeouts.tcp_fin);
      t.Set("udp", r.timeouts.udp);
      o.Set("timeouts", t);
      break;
    }
    case IpvsOp::GetInfo: {
      Napi::Object i = Napi::Object::New(env);
      i.Set("version", r.info.version);
      i.Set("connTabSize", r.info.conn_tab_size);
      o.Set("info", i);
      break;
    }
    default: break;
  }
  return o;
}

}  // namespace napi
