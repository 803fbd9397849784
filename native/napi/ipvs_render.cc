#include "ipvs_render.h"

#include "ipvs_ops.h"

#include <arpa/inet.h>

#include <cstdio>
#include <string_view>
#include <unordered_map>

namespace napi {

namespace {

// The text of an IPVS address of family af, written into buf. IPv4 by
// hand: glibc's inet_ntop formats it with sprintf, a visible cost when a
// list renders 100k addresses.
const char* addr_text(uint16_t af, const codec::IpvsAddr& a, char (&buf)[INET6_ADDRSTRLEN]) {
  if (af == AF_INET6) {
    buf[0] = '\0';
    inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
    return buf;
  }
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    unsigned v = a[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    *p++ = i < 3 ? '.' : '\0';
  }
  return buf;
}

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
    char buf[INET6_ADDRSTRLEN];
    sep();
    str(addr_text(af, a, buf));
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

// The typed-array half of the output.
class Tables {
 public:
  explicit Tables(IpvsOutput& out) : out_(out) {}

  uint32_t text(std::string_view t) {
    out_.texts += t;
    out_.texts += '\0';
    return count_++;
  }
  // Scheduler and persistence engine names repeat: one text each.
  uint32_t name(const std::string& t) {
    auto it = names_.find(t);
    if (it != names_.end()) return it->second;
    return names_[t] = text(t);
  }
  uint32_t addr(uint16_t af, const codec::IpvsAddr& a) {
    char buf[INET6_ADDRSTRLEN];
    return text(addr_text(af, a, buf));
  }
  uint32_t stats(const codec::IpvsStats& s) {
    uint32_t row = static_cast<uint32_t>(out_.stats.size() / kStatsStride);
    out_.stats.insert(out_.stats.end(), {s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes, s.cps, s.inpps,
                                         s.outpps, s.inbps, s.outbps, s.wide ? 1u : 0u});
    return row;
  }
  uint32_t dest(const codec::IpvsDest& d) {
    uint32_t row = static_cast<uint32_t>(out_.dests.size() / kDestStride);
    out_.dests.insert(out_.dests.end(), {d.af, addr(d.af, d.addr), d.port, d.fwd_method, d.weight, d.u_thresh, d.l_thresh,
                                         d.tun_type, d.tun_port, d.tun_flags, d.active_conns, d.inact_conns,
                                         d.persist_conns, stats(d.stats)});
    return row;
  }
  uint32_t service(const codec::IpvsService& s, const std::vector<codec::IpvsDest>* dests) {
    uint32_t row = static_cast<uint32_t>(out_.services.size() / kServiceStride);
    uint32_t first = static_cast<uint32_t>(out_.dests.size() / kDestStride);
    uint32_t count = 0;
    if (dests != nullptr) {
      for (const auto& d : *dests) dest(d);
      count = static_cast<uint32_t>(dests->size());
    }
    out_.services.insert(out_.services.end(), {s.af, s.protocol, s.port, s.fwmark, s.flags, s.timeout, s.netmask,
                                               s.fwmark != 0 ? kNoText : addr(s.af, s.addr), name(s.scheduler),
                                               name(s.pe_name), first, count, stats(s.stats)});
    return row;
  }
  uint32_t service_rows() const { return static_cast<uint32_t>(out_.services.size() / kServiceStride); }
  uint32_t dest_rows() const { return static_cast<uint32_t>(out_.dests.size() / kDestStride); }

 private:
  IpvsOutput& out_;
  uint32_t count_ = 0;
  std::unordered_map<std::string, uint32_t> names_;
};

// "key":[first row, count]
void range(Json& j, const char* key, uint32_t first, uint32_t end) {
  j.key(key);
  j.open('[');
  j.sep();
  j.num(first);
  j.sep();
  j.num(end - first);
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

void result(Json& j, Tables& t, IpvsOp::Kind kind, const IpvsResult& r) {
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
  } else if (r.streamed_chunks > 0) {
    // The services went to JS in chunks already; say how many to wait for.
    range(j, "streamed", 0, static_cast<uint32_t>(r.streamed_chunks));
  } else if (kind == IpvsOp::ListDests) {
    uint32_t first = t.dest_rows();
    for (const auto& d : r.dests) t.dest(d);
    range(j, "dests", first, t.dest_rows());
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
    uint32_t first = t.service_rows();
    for (size_t i = 0; i < r.services.size(); ++i) {
      static const std::vector<codec::IpvsDest> none;
      const std::vector<codec::IpvsDest>* dests = nullptr;
      if (kind == IpvsOp::ListAll) dests = i < r.service_dests.size() ? &r.service_dests[i] : &none;
      t.service(r.services[i], dests);
    }
    range(j, "services", first, t.service_rows());
  }
  j.close('}');
}

// Sizes the tables once for this many rows: regrowing the tables of a
// 100k-object list costs more in page faults than filling them.
void reserve_rows(IpvsOutput& out, size_t services, size_t dests) {
  out.services.reserve(services * kServiceStride);
  out.dests.reserve(dests * kDestStride);
  out.stats.reserve((services + dests) * kStatsStride);
  out.texts.reserve((services + dests) * 16);
}

}  // namespace

IpvsOutput ipvs_render(const std::vector<IpvsOp>& ops, const std::vector<IpvsResult>& results) {
  IpvsOutput out;
  out.json.reserve(64 + results.size() * 8);
  size_t services = 0, dests = 0;
  for (const auto& r : results) {
    services += r.services.size();
    dests += r.dests.size();
    for (const auto& d : r.service_dests) dests += d.size();
  }
  reserve_rows(out, services, dests);
  Json j(out.json);
  Tables t(out);
  j.open('[');
  for (size_t i = 0; i < results.size(); ++i) result(j, t, ops[i].kind, results[i]);
  j.close(']');
  return out;
}

IpvsOutput ipvs_render_services(const std::vector<codec::IpvsService>& services,
                                const std::vector<std::vector<codec::IpvsDest>>& dests, size_t from, size_t to) {
  IpvsOutput out;
  size_t n = 0;
  for (size_t i = from; i < to; ++i) n += dests[i].size();
  reserve_rows(out, to - from, n);
  Tables t(out);
  for (size_t i = from; i < to; ++i) t.service(services[i], &dests[i]);
  return out;
}

}  // namespace napi
