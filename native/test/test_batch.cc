// nl::BatchFrame: framing an nfnetlink batch (BEGIN, messages stamped with
// consecutive sequence numbers, END) and matching the kernel's error
// replies back to message indexes. No syscalls.
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <stdexcept>

#include "../nl/batch.h"
#include "check.h"
#include "wire.h"

using wire::Bytes;
using wire::cat;
using wire::le32;
using wire::msg;

namespace {

constexpr uint32_t kPort = 777;
constexpr uint16_t kNewTable = (NFNL_SUBSYS_NFTABLES << 8) | 0;

// A NEWTABLE-shaped message: nfgenmsg + one attribute.
Bytes table_msg(const std::string& name) {
  return msg(kNewTable, 0, 0, 0, cat({Bytes{2, 0, 0, 0}, wire::attr(1, wire::str(name))}));
}

// The kernel's NLMSG_ERROR for sequence number seq.
Bytes error_for(uint32_t seq, int32_t error, uint32_t pid = kPort) {
  return msg(NLMSG_ERROR, 0x100 /* NLM_F_CAPPED */, seq, pid,
             cat({le32(static_cast<uint32_t>(error)), msg(kNewTable, 0, seq, kPort, {})}));
}

}  // namespace

TEST(batch_frame_stamps_sequence_numbers_and_brackets_the_messages) {
  std::vector<uint8_t> body = cat({table_msg("a"), table_msg("b"), table_msg("c")});
  nl::BatchFrame frame(body, NFNL_SUBSYS_NFTABLES, 100, 7);
  CHECK_EQ(frame.count(), size_t{3});
  CHECK_EQ(frame.begin().seq(), 100u);
  CHECK_EQ(frame.end().seq(), 104u);
  CHECK_EQ(frame.begin().type(), static_cast<uint16_t>(NFNL_MSG_BATCH_BEGIN));
  CHECK_EQ(frame.end().type(), static_cast<uint16_t>(NFNL_MSG_BATCH_END));
  auto msgs = wire::split(body);
  REQUIRE_EQ(msgs.size(), size_t{3});
  for (size_t i = 0; i < msgs.size(); ++i) {
    CHECK_EQ(wire::get32(msgs[i], 8), static_cast<uint32_t>(101 + i));
    CHECK(wire::get16(msgs[i], 6) & NLM_F_REQUEST);
  }
  // res_id is the subsystem (big endian); the generation guard is NFNL_BATCH_GENID.
  const auto& begin = frame.begin().bytes();
  CHECK_EQ(begin[18], 0);
  CHECK_EQ(begin[19], NFNL_SUBSYS_NFTABLES);
  CHECK_EQ(begin.size(), size_t{28});
  CHECK_EQ(frame.total_size(), frame.begin().size() + body.size() + frame.end().size());
}

TEST(batch_frame_refuses_malformed_messages) {
  std::vector<uint8_t> short_len = table_msg("a");
  short_len[0] = 8;  // shorter than a header
  bool threw = false;
  try { nl::BatchFrame f(short_len, NFNL_SUBSYS_NFTABLES, 1, std::nullopt); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
  std::vector<uint8_t> truncated = table_msg("abc");
  truncated.resize(truncated.size() - 4);
  threw = false;
  try { nl::BatchFrame f(truncated, NFNL_SUBSYS_NFTABLES, 1, std::nullopt); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
}

TEST(batch_frame_maps_errors_to_message_indexes) {
  std::vector<uint8_t> body = cat({table_msg("a"), table_msg("b"), table_msg("c")});
  nl::BatchFrame frame(body, NFNL_SUBSYS_NFTABLES, 50, std::nullopt);
  nl::BatchResult result;
  Bytes dgram = cat({error_for(52, -ENOENT), error_for(53, 0), error_for(50, -ERESTART),
                     error_for(52, -EEXIST, kPort + 1) /* another socket's */, error_for(9, -EINVAL) /* not ours */});
  REQUIRE(frame.feed(dgram.data(), dgram.size(), kPort, result));
  REQUIRE_EQ(result.errors.size(), size_t{2});
  CHECK_EQ(result.errors[0].index, int64_t{1});
  CHECK_EQ(result.errors[0].error.code, ENOENT);
  CHECK_EQ(result.errors[1].index, int64_t{-1});  // BATCH_BEGIN: the generation guard
  CHECK_EQ(result.errors[1].error.code, ERESTART);
}

TEST(batch_frame_sequence_numbers_wrap) {
  std::vector<uint8_t> body = cat({table_msg("a"), table_msg("b")});
  nl::BatchFrame frame(body, NFNL_SUBSYS_NFTABLES, 0xffffffffu, std::nullopt);
  nl::BatchResult result;
  Bytes dgram = error_for(1, -EPERM);  // the second message: 0xffffffff + 2
  REQUIRE(frame.feed(dgram.data(), dgram.size(), kPort, result));
  REQUIRE_EQ(result.errors.size(), size_t{1});
  CHECK_EQ(result.errors[0].index, int64_t{1});
}

TEST(batch_frame_feed_rejects_a_bad_header_length) {
  std::vector<uint8_t> body = table_msg("a");
  nl::BatchFrame frame(body, NFNL_SUBSYS_NFTABLES, 1, std::nullopt);
  nl::BatchResult result;
  Bytes dgram = error_for(2, -ENOENT);
  dgram[0] = 200;  // longer than the datagram
  CHECK(!frame.feed(dgram.data(), dgram.size(), kPort, result));
}
