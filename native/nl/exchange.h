// Sending many requests and matching every reply back to its request by
// sequence number: ACKs, errors with extended ACK, multipart dumps,
// NLMSG_DONE, and interrupted dumps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "error.h"
#include "message.h"
#include "socket.h"

namespace nl {

struct Request {
  Message msg;
  bool dump = false;  // NLM_F_DUMP: ends with NLMSG_DONE, goes out alone
  explicit Request(Message m, bool is_dump = false) : msg(std::move(m)), dump(is_dump) {}
};

struct Reply {
  Error error;
  std::vector<std::vector<uint8_t>> messages;  // data messages, whole (header included)
  bool interrupted = false;                    // a dump message carried NLM_F_DUMP_INTR
};

// Where data messages go instead of Reply::messages when a caller wants to
// decode them straight out of the receive buffer (no copy per message).
class Sink {
 public:
  virtual ~Sink() = default;
  // One data message of request `index` (header included), valid only
  // during the call.
  virtual void message(size_t index, const uint8_t* data, size_t len) = 0;
  // Request `index` is being redone (an interrupted dump): forget what
  // message() gave for it so far.
  virtual void reset(size_t index) = 0;
};

// The pure part of the receive loop: no syscalls, so it can be unit-tested
// and fuzzed. Feed it datagrams; it fills replies[index] for the requests it
// was told to expect and counts how many are still open.
class Collector {
 public:
  explicit Collector(uint32_t portid, Sink* sink = nullptr) : portid_(portid), sink_(sink) {}
  void expect(uint32_t seq, size_t index, bool dump);
  // Returns false if the datagram is malformed (a bad header length); the
  // messages before the bad one are still taken.
  bool feed(const uint8_t* data, size_t len, std::vector<Reply>& replies);
  size_t outstanding() const { return open_.size(); }
  // Fails every open request with err (e.g. after ENOBUFS).
  void fail_all(const Error& err, std::vector<Reply>& replies);

 private:
  struct Open {
    size_t index;
    bool dump;
  };

  uint32_t portid_;
  Sink* sink_;
  std::unordered_map<uint32_t, Open> open_;
};

// Parses the error/extack out of an NLMSG_ERROR or NLMSG_DONE message.
Error parse_status(const nlmsghdr* h, size_t len);

struct ExchangeOptions {
  unsigned dump_retries = 8;  // NLM_F_DUMP_INTR: how many times a dump is redone
};

// Sends every request (non-dump ones pipelined in windows sized to the
// socket buffers, each with NLM_F_ACK; dumps one at a time) and returns one
// Reply per request, in order. Throws SystemError only when the socket
// itself fails in a way that loses track of the exchange.
// With a sink, data messages go to it and Reply::messages stays empty.
std::vector<Reply> exchange(Socket& sock, std::vector<Request>& requests,
                            const ExchangeOptions& options = {}, Sink* sink = nullptr);

// Every reply's messages back to back, each padded to 4 bytes, in one
// buffer: what a caller that sends thousands of small dumps hands on at once.
struct JoinedReplies {
  std::vector<uint8_t> data;
  std::vector<uint32_t> ends;                         // reply i is data[ends[i - 1] (0 for i = 0), ends[i])
  std::vector<std::pair<uint32_t, Error>> errors;     // failed replies, by request index, ascending
};

// Moves the replies' messages into one buffer (freeing each reply's as it
// goes). Throws SystemError EOVERFLOW past 4 GiB, which 32-bit ends cannot name.
JoinedReplies join_replies(std::vector<Reply>& replies);

}  // namespace nl
