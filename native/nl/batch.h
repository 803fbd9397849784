// nfnetlink batches: many messages between NFNL_MSG_BATCH_BEGIN and
// NFNL_MSG_BATCH_END, which the kernel applies all or nothing. Replies are
// errors only (no per-message ACK), each matched back to its message by
// sequence number, so batches of hundreds of thousands of messages never
// flood the receive buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "error.h"
#include "socket.h"

namespace nl {

struct BatchError {
  int64_t index;  // the message's position in the batch; -1 = BATCH_BEGIN, count = BATCH_END
  Error error;
};

struct BatchResult {
  std::vector<BatchError> errors;  // empty = committed
  bool lost = false;               // the receive buffer overflowed: some errors were dropped
};

// The frame around a batch, and the pure helpers the send path is made of
// (no syscalls, so they are unit-tested and fuzzed).
class BatchFrame {
 public:
  // `messages` are whole netlink messages back to back. Stamps each with
  // NLM_F_REQUEST and a sequence number from first_seq + 1 on; BEGIN gets
  // first_seq and END first_seq + count + 1. Throws std::invalid_argument
  // when a message header is malformed.
  BatchFrame(std::vector<uint8_t>& messages, uint16_t subsys, uint32_t first_seq,
             std::optional<uint32_t> genid);

  const Message& begin() const { return begin_; }
  const Message& end() const { return end_; }
  size_t count() const { return count_; }
  size_t total_size() const { return begin_.size() + body_size_ + end_.size(); }
  // Takes the error replies out of one datagram. Returns false if malformed.
  bool feed(const uint8_t* data, size_t len, uint32_t portid, BatchResult& out) const;

 private:
  Message begin_;
  Message end_;
  uint32_t first_seq_;
  size_t count_ = 0;
  size_t body_size_ = 0;
};

// Sends one batch in a single sendmsg and collects every error the kernel
// sent for it. The kernel handles the batch inside sendmsg, so all replies
// are queued when it returns. Throws SystemError when sending fails.
BatchResult send_batch(Socket& sock, std::vector<uint8_t>& messages, uint16_t subsys,
                       std::optional<uint32_t> genid);

}  // namespace nl
