#include "exchange.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "attr.h"

#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif

namespace nl {

void Collector::expect(uint32_t seq, size_t index, bool dump) { open_[seq] = Open{index, dump}; }

void Collector::fail_all(const Error& err, std::vector<Reply>& replies) {
  for (auto& [seq, o] : open_) replies[o.index].error = err;
  open_.clear();
}

static void parse_extack(const uint8_t* tlv, size_t len, Error& e) {
  static const Policy policy[] = {
      {},                  // NLMSGERR_ATTR_UNUSED
      {AttrKind::String},  // NLMSGERR_ATTR_MSG
      {AttrKind::U32},     // NLMSGERR_ATTR_OFFS
  };
  AttrTable tb;
  if (!tb.parse(tlv, len, policy, 2)) return;
  if (const Attr* a = tb.get(1)) e.extack = a->str();
  if (const Attr* a = tb.get(2)) e.extack_offset = a->u32();
}

Error parse_status(const nlmsghdr* h, size_t len) {
  Error e;
  if (len < NLMSG_HDRLEN) return Error{EBADMSG, "", -1, "netlink status message too short"};
  const uint8_t* payload = reinterpret_cast<const uint8_t*>(h) + NLMSG_HDRLEN;
  size_t plen = len - NLMSG_HDRLEN;
  if (plen < sizeof(int32_t)) {
    // A bare DONE is success; an ERROR must at least carry its code.
    if (h->nlmsg_type == NLMSG_ERROR) return Error{EBADMSG, "", -1, "truncated NLMSG_ERROR"};
    return e;
  }
  int32_t code;
  std::memcpy(&code, payload, sizeof code);
  // -INT_MIN overflows; no errno is that large anyway.
  e.code = code == INT32_MIN ? EPROTO : code < 0 ? -code : code;
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return e;
  size_t tlv_at = sizeof(int32_t);
  if (h->nlmsg_type == NLMSG_ERROR) {
    // nlmsgerr: error, then the original header (and payload unless capped).
    if (plen < sizeof(nlmsgerr)) return e;
    nlmsghdr orig;
    std::memcpy(&orig, payload + sizeof(int32_t), sizeof orig);
    size_t echoed = (h->nlmsg_flags & NLM_F_CAPPED) ? sizeof orig : align4(orig.nlmsg_len);
    tlv_at += echoed;
  }
  if (tlv_at < plen) parse_extack(payload + tlv_at, plen - tlv_at, e);
  return e;
}

bool Collector::feed(const uint8_t* data, size_t len, std::vector<Reply>& replies) {
  size_t off = 0;
  while (len - off >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > len - off) return false;
    const uint8_t* msg = data + off;
    size_t msg_len = h.nlmsg_len;
    off += std::min(align4(msg_len), len - off);

    auto it = open_.find(h.nlmsg_seq);
    if (h.nlmsg_pid != portid_ || it == open_.end()) continue;  // stale or not ours
    Reply& reply = replies[it->second.index];
    switch (h.nlmsg_type) {
      case NLMSG_NOOP:
        break;
      case NLMSG_ERROR:
      case NLMSG_DONE: {
        // Copied so parse_status never reads unaligned memory.
        std::vector<uint8_t> copy(msg, msg + msg_len);
        Error e = parse_status(reinterpret_cast<const nlmsghdr*>(copy.data()), msg_len);
        // The kernel also marks NLMSG_DONE itself with NLM_F_DUMP_INTR
        // (netlink_dump_done runs nl_dump_check_consistent on it).
        if (h.nlmsg_type == NLMSG_DONE && it->second.dump && (h.nlmsg_flags & NLM_F_DUMP_INTR))
          reply.interrupted = true;
        if (h.nlmsg_type == NLMSG_ERROR || e.code != 0 || it->second.dump) {
          reply.error = e;
          open_.erase(h.nlmsg_seq);
        }
        break;
      }
      case NLMSG_OVERRUN:
        reply.error = Error{EOVERFLOW, "", -1, "netlink overrun"};
        open_.erase(h.nlmsg_seq);
        break;
      default:
        if (h.nlmsg_flags & NLM_F_DUMP_INTR) reply.interrupted = true;
        if (sink_ != nullptr) sink_->message(it->second.index, msg, msg_len);
        else reply.messages.emplace_back(msg, msg + msg_len);
        break;
    }
  }
  return true;
}

namespace {

constexpr size_t kMaxIov = 1024;  // IOV_MAX

// Reads datagrams until every expected request has its answer.
void collect(Socket& sock, Collector& collector, std::vector<Reply>& replies) {
  while (collector.outstanding() > 0) {
    const std::vector<Socket::Datagram>* batch;
    try {
      batch = &sock.recv_batch();
    } catch (const SystemError& err) {
      collector.fail_all(Error{err.code, "", -1, err.detail}, replies);
      if (err.code == ENOBUFS || err.code == ETIMEDOUT) return;
      throw;
    }
    for (const auto& d : *batch) {
      if (!collector.feed(d.data, d.len, replies)) {
        collector.fail_all(Error{EBADMSG, "", -1, "malformed netlink reply"}, replies);
        return;
      }
    }
  }
}

}  // namespace

std::vector<Reply> exchange(Socket& sock, std::vector<Request>& requests,
                            const ExchangeOptions& options, Sink* sink) {
  std::vector<Reply> replies(requests.size());
  Collector collector(sock.portid(), sink);
  // Each pending ACK costs about one small skb (~768 B truesize) in the
  // receive buffer; stay well below it so none is dropped.
  const size_t max_window = std::clamp<size_t>(sock.rcvbuf() / 2048, 8, kMaxIov);
  const size_t max_bytes = std::max<size_t>(sock.sndbuf() / 2, 16384);

  size_t i = 0;
  while (i < requests.size()) {
    if (requests[i].dump) {
      Request& r = requests[i];
      r.msg.add_flags(NLM_F_REQUEST | NLM_F_DUMP);
      for (unsigned attempt = 0;; ++attempt) {
        replies[i] = Reply{};
        if (sink != nullptr) sink->reset(i);
        r.msg.set_seq(sock.next_seq());
        collector.expect(r.msg.seq(), i, true);
        sock.send({&r.msg});
        collect(sock, collector, replies);
        if (!replies[i].interrupted || !replies[i].error.ok()) break;
        if (attempt + 1 >= options.dump_retries) {
          replies[i].messages.clear();
          if (sink != nullptr) sink->reset(i);
          replies[i].error = Error{EINTR, "", -1,
                                   "dump interrupted by concurrent changes " +
                                       std::to_string(options.dump_retries) + " times"};
          break;
        }
      }
      ++i;
      continue;
    }
    std::vector<const Message*> window;
    size_t bytes = 0;
    while (i < requests.size() && !requests[i].dump && window.size() < max_window &&
           (window.empty() || bytes + requests[i].msg.size() <= max_bytes)) {
      Request& r = requests[i];
      r.msg.add_flags(NLM_F_REQUEST | NLM_F_ACK);
      r.msg.set_seq(sock.next_seq());
      collector.expect(r.msg.seq(), i, false);
      window.push_back(&r.msg);
      bytes += r.msg.size();
      ++i;
    }
    sock.send(window);
    collect(sock, collector, replies);
  }
  return replies;
}

JoinedReplies join_replies(std::vector<Reply>& replies) {
  JoinedReplies out;
  size_t total = 0;
  for (const auto& r : replies)
    for (const auto& m : r.messages) total += align4(m.size());
  if (total > UINT32_MAX) throw SystemError{EOVERFLOW, "recvmsg", "replies larger than 4 GiB"};
  out.data.resize(total);  // zeroed: the padding stays 0
  out.ends.reserve(replies.size());
  size_t off = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    Reply& r = replies[i];
    if (!r.error.ok()) out.errors.emplace_back(static_cast<uint32_t>(i), r.error);
    for (const auto& m : r.messages) {
      if (!m.empty()) std::memcpy(out.data.data() + off, m.data(), m.size());
      off += align4(m.size());
    }
    out.ends.push_back(static_cast<uint32_t>(off));
    r.messages = {};
  }
  return out;
}

}  // namespace nl
