#include "batch.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>
#include <stdexcept>

#include "exchange.h"
#include "nfnl.h"

namespace nl {

namespace {

Message frame_message(uint16_t type, uint16_t subsys, uint32_t seq) {
  Message m = nfnl_message(0, static_cast<uint8_t>(type), AF_UNSPEC, NLM_F_REQUEST, subsys);
  m.set_seq(seq);
  return m;
}

}  // namespace

BatchFrame::BatchFrame(std::vector<uint8_t>& messages, uint16_t subsys, uint32_t first_seq,
                       std::optional<uint32_t> genid)
    : begin_(frame_message(NFNL_MSG_BATCH_BEGIN, subsys, first_seq)),
      end_(frame_message(NFNL_MSG_BATCH_END, subsys, 0)),
      first_seq_(first_seq) {
  if (genid) begin_.put_be32(NFNL_BATCH_GENID, *genid);
  size_t off = 0;
  while (off < messages.size()) {
    if (messages.size() - off < sizeof(nlmsghdr))
      throw std::invalid_argument("batch: truncated netlink header");
    nlmsghdr h;
    std::memcpy(&h, messages.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) + sizeof(nfgenmsg) || h.nlmsg_len > messages.size() - off ||
        (h.nlmsg_len & 3) != 0)
      throw std::invalid_argument("batch: bad netlink message length");
    h.nlmsg_flags |= NLM_F_REQUEST;
    h.nlmsg_seq = first_seq + 1 + static_cast<uint32_t>(count_);
    std::memcpy(messages.data() + off, &h, sizeof h);
    off += h.nlmsg_len;
    ++count_;
  }
  body_size_ = messages.size();
  end_.set_seq(first_seq + 1 + static_cast<uint32_t>(count_));
}

bool BatchFrame::feed(const uint8_t* data, size_t len, uint32_t portid, BatchResult& out) const {
  size_t off = 0;
  while (len - off >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > len - off) return false;
    std::vector<uint8_t> copy(data + off, data + off + h.nlmsg_len);
    off += std::min<size_t>(align4(h.nlmsg_len), len - off);
    if (h.nlmsg_pid != portid || h.nlmsg_type != NLMSG_ERROR) continue;
    uint32_t rel = h.nlmsg_seq - first_seq_;  // wraps like the sequence numbers do
    if (rel > count_ + 1) continue;           // not from this batch
    Error e = parse_status(reinterpret_cast<const nlmsghdr*>(copy.data()), copy.size());
    if (e.ok()) continue;
    out.errors.push_back({static_cast<int64_t>(rel) - 1, std::move(e)});
  }
  return true;
}

BatchResult send_batch(Socket& sock, std::vector<uint8_t>& messages, uint16_t subsys,
                       std::optional<uint32_t> genid) {
  // Sequence numbers for BEGIN, every message and END in one block.
  uint32_t first = sock.next_seq();
  BatchFrame frame(messages, subsys, first, genid);
  for (size_t i = 0; i < frame.count() + 1; ++i) sock.next_seq();
  sock.ensure_sndbuf(frame.total_size());
  auto iov = [](const void* p, size_t n) { return iovec{const_cast<void*>(p), n}; };
  sock.send_iov({iov(frame.begin().bytes().data(), frame.begin().size()),
                 iov(messages.data(), messages.size()),
                 iov(frame.end().bytes().data(), frame.end().size())});
  BatchResult result;
  std::vector<uint8_t> buf(size_t{1} << 18);
  for (;;) {
    size_t n;
    try {
      n = sock.recv_nowait(buf);
    } catch (const SystemError& err) {
      if (err.code != ENOBUFS) throw;
      result.lost = true;
      continue;
    }
    if (n == 0) break;
    if (!frame.feed(buf.data(), n, sock.portid(), result)) {
      result.errors.push_back({-1, Error{EBADMSG, "", -1, "malformed netlink reply"}});
      break;
    }
  }
  if (result.lost && result.errors.empty())
    result.errors.push_back({-1, Error{ENOBUFS, "", -1, "batch failed; its error replies were lost"}});
  return result;
}

}  // namespace nl
