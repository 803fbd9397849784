#include "ipvs_json.h"

#include <arpa/inet.h>

#include <cstdio>

namespace napi {

namespace {

class Json {
 public:
  explicit Json(std::string& out) : out_(out) {}

  void str(const std::string& s) {
    out_ += '"';
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
      } else if (c < 0x20 || c >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);  // bytes, not UTF-8: kernel names are ASCII
        out_ += buf;
      } else {
        out_ += static_cast<char>(c);
      }
    }
    out_ += '"';
  }
  void num(uint64_t v) { out_ += std::to_string(v); }
  // Exact in a JSON number up to 2^53; beyond that a decimal string (JS: BigInt(x)).
  void big(uint64_t v) {
    if (v <= (uint64_t{1} << 53)) num(v);
    else str(std::to_string(v));
  }
  void key(const char* k) {
    sep();
    out_ += '"';
    out_ += k;
    out_ += "\":";
    first_ = true;  // the value that follows needs no comma
  }
  void open(char c) {
    sep();
    out_ += c;
    first_ = true;
  }
  void close(char c) {
    out_ += c;
    first_ = false;
  }
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void raw(const char* s) {
    sep();
    out_ += s;
  }
  void addr(uint16_t af, const codec::IpvsAddr& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(af == AF_INET6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf);
    sep();
    str(buf);
  }
  void field(const char* k, uint64_t v) {
    key(k);
    sep();
    num(v);
  }
  void field(const char* k, const std::string& v) {
    key(k);
    sep();
    str(v);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// Services and real servers go out as arrays (src/ipvs/wire.ts ServiceOut,
// DestOut): a third of the size of objects, and faster to parse.
void stats(Json& j, const codec::IpvsStats& s) {
  j.open('[');
  for (uint64_t v : {s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes, s.cps, s.inpps, s.outpps, s.inbps, s.outbps}) {
    j.sep();
    j.big(v);
  }
  j.raw(s.wide ? "1" : "0");
  j.close(']');
}

void item(Json& j, uint64_t v) {
  j.sep();
  j.num(v);
}
void item(Json& j, const std::string& v) {
  j.sep();
  j.str(v);
}

void dest(Json& j, const codec::IpvsDest& d) {
  j.open('[');
  item(j, d.af);
  j.addr(d.af, d.addr);
  for (uint64_t v : {uint64_t{d.port}, uint64_t{d.fwd_method}, uint64_t{d.weight}, uint64_t{d.u_thresh}, uint64_t{d.l_thresh},
                     uint64_t{d.tun_type}, uint64_t{d.tun_port}, uint64_t{d.tun_flags}, uint64_t{d.active_conns},
                     uint64_t{d.inact_conns}, uint64_t{d.persist_conns}})
    item(j, v);
  stats(j, d.stats);
  j.close(']');
}

void service(Json& j, const codec::IpvsService& s, const std::vector<codec::IpvsDest>* dests) {
  j.open('[');
  item(j, s.af);
  item(j, s.protocol);
  if (s.fwmark != 0) j.raw("null");
  else j.addr(s.af, s.addr);
  item(j, s.port);
  item(j, s.fwmark);
  item(j, s.scheduler);
  item(j, s.pe_name);
  item(j, s.flags);
  item(j, s.timeout);
  item(j, s.netmask);
  stats(j, s.stats);
  if (dests != nullptr) {
    j.open('[');
    for (const auto& d : *dests) dest(j, d);
    j.close(']');
  }
  j.close(']');
}

void daemon(Json& j, const codec::IpvsDaemon& d) {
  j.open('{');
  j.field("state", d.state);
  j.field("ifname", d.ifname);
  j.field("syncid", d.syncid);
  j.field("maxlen", d.maxlen);
  j.field("groupAf", d.group_af);
  j.key("group");
  if (d.group_af == 0) j.raw("null");
  else j.addr(d.group_af, d.group);
  j.field("port", d.port);
  j.field("ttl", d.ttl);
  j.close('}');
}

void error(Json& j, const nl::Error& e) {
  j.key("error");
  j.open('{');
  j.field("errno", static_cast<uint64_t>(e.code));
  j.field("code", nl::errno_name(e.code));
  j.field("message", nl::errno_message(e.code));
  if (!e.extack.empty()) j.field("extack", e.extack);
  if (e.extack_offset >= 0) j.field("extackOffset", static_cast<uint64_t>(e.extack_offset));
  if (!e.detail.empty()) j.field("detail", e.detail);
  j.close('}');
}

void result(Json& j, IpvsOp::Kind kind, const IpvsResult& r) {
  bool data = kind == IpvsOp::GetService || kind == IpvsOp::ListServices || kind == IpvsOp::ListAll ||
              kind == IpvsOp::ListDests || kind == IpvsOp::ListDaemons || kind == IpvsOp::GetTimeouts ||
              kind == IpvsOp::GetInfo;
  if (r.error.ok() && !data) {
    j.raw("null");
    return;
  }
  j.open('{');
  if (!r.error.ok()) {
    error(j, r.error);
  } else if (kind == IpvsOp::ListDests) {
    j.key("dests");
    j.open('[');
    for (const auto& d : r.dests) dest(j, d);
    j.close(']');
  } else if (kind == IpvsOp::ListDaemons) {
    j.key("daemons");
    j.open('[');
    for (const auto& d : r.daemons) daemon(j, d);
    j.close(']');
  } else if (kind == IpvsOp::GetTimeouts) {
    j.key("timeouts");
    j.open('{');
    j.field("tcp", r.timeouts.tcp);
    j.field("tcpFin", r.timeouts.tcp_fin);
    j.field("udp", r.timeouts.udp);
    j.close('}');
  } else if (kind == IpvsOp::GetInfo) {
    j.key("info");
    j.open('{');
    j.field("version", r.info.version);
    j.field("connTabSize", r.info.conn_tab_size);
    j.close('}');
  } else {
    j.key("services");
    j.open('[');
    for (size_t i = 0; i < r.services.size(); ++i) {
      static const std::vector<codec::IpvsDest> none;
      const std::vector<codec::IpvsDest>* dests = nullptr;
      if (kind == IpvsOp::ListAll) dests = i < r.service_dests.size() ? &r.service_dests[i] : &none;
      service(j, r.services[i], dests);
    }
    j.close(']');
  }
  j.close('}');
}

}  // namespace

std::string ipvs_results_json(const std::vector<IpvsOp>& ops, const std::vector<IpvsResult>& results) {
  std::string out;
  out.reserve(64 + results.size() * 8);
  Json j(out);
  j.open('[');
  for (size_t i = 0; i < results.size(); ++i) result(j, ops[i].kind, results[i]);
  j.close(']');
  return out;
}

}  // namespace napi
