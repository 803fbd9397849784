// nl::Collector and nl::parse_status: matching replies to requests by
// sequence number, ACKs, errors with extended ACK, dumps, DONE, DUMP_INTR.
#include <linux/rtnetlink.h>

#include <cerrno>
#include <climits>

#include "../nl/exchange.h"
#include "check.h"
#include "fixtures_rtnl.h"
#include "wire.h"

using wire::attr;
using wire::Bytes;
using wire::cat;
using wire::le32;
using wire::msg;

#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif

namespace {

constexpr uint32_t kPort = 4242;

// An NLMSG_ERROR answering request (seq) with `error` (0 or -errno). The
// echoed request is a bare header when capped, else `echo` whole.
Bytes error_msg(uint32_t seq, int32_t error, uint16_t flags, const Bytes& echo, const Bytes& tlvs = {},
                uint32_t pid = kPort) {
  Bytes payload = cat({le32(static_cast<uint32_t>(error)), echo});
  wire::pad4(payload);
  payload = cat({payload, tlvs});
  return msg(NLMSG_ERROR, flags, seq, pid, payload);
}

// The request that the error messages echo: RTM_NEWADDR, 40 bytes.
Bytes request(uint32_t seq) {
  return msg(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, kPort,
             cat({Bytes{2, 32, 0, 0}, le32(1), attr(IFA_LOCAL, {10, 0, 0, 1}), attr(IFA_ADDRESS, {10, 0, 0, 1})}));
}

Bytes ack(uint32_t seq, uint32_t pid = kPort) {
  // Capped: only the request's header is echoed.
  Bytes req = request(seq);
  return error_msg(seq, 0, NLM_F_CAPPED, Bytes(req.begin(), req.begin() + 16), {}, pid);
}

Bytes data_msg(uint32_t seq, uint8_t tag, uint16_t extra_flags = 0) {
  return msg(RTM_NEWLINK, NLM_F_MULTI | extra_flags, seq, kPort,
             cat({Bytes(16, 0), attr(IFLA_IFNAME, wire::str("if" + std::to_string(tag)))}));
}

Bytes done_msg(uint32_t seq, int32_t error = 0, uint16_t extra_flags = 0, const Bytes& tlvs = {}) {
  return msg(NLMSG_DONE, NLM_F_MULTI | extra_flags, seq, kPort, cat({le32(static_cast<uint32_t>(error)), tlvs}));
}

bool feed(nl::Collector& c, const Bytes& dgram, std::vector<nl::Reply>& replies) {
  // An exact-size heap copy: reading one byte too far trips ASan.
  std::vector<uint8_t> copy(dgram);
  return c.feed(copy.data(), copy.size(), replies);
}

}  // namespace

TEST(collector_ack_completes) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(7, 0, false);
  CHECK_EQ(c.outstanding(), 1u);
  REQUIRE(feed(c, ack(7), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].error.ok());
  CHECK_EQ(replies[0].error.extack, "");
  CHECK_EQ(replies[0].error.extack_offset, -1);
  CHECK(replies[0].messages.empty());
  CHECK(!replies[0].interrupted);
}

TEST(collector_uncapped_ack_completes) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(7, 0, false);
  // An ACK without NLM_F_CAPPED and without TLVs: whole request echoed.
  REQUIRE(feed(c, error_msg(7, 0, 0, request(7)), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].error.ok());
}

TEST(collector_error_extack_capped) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(9, 0, false);
  Bytes req = request(9);
  Bytes tlvs = cat({attr(NLMSGERR_ATTR_MSG, wire::str("Invalid prefix length")), attr(NLMSGERR_ATTR_OFFS, le32(28))});
  REQUIRE(feed(c, error_msg(9, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, Bytes(req.begin(), req.begin() + 16), tlvs),
               replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, EINVAL);
  CHECK_EQ(replies[0].error.extack, "Invalid prefix length");
  CHECK_EQ(replies[0].error.extack_offset, 28);
}

TEST(collector_error_extack_uncapped) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(9, 0, false);
  Bytes req = request(9);
  Bytes tlvs = cat({attr(NLMSGERR_ATTR_MSG, wire::str("Address already assigned")), attr(NLMSGERR_ATTR_OFFS, le32(32))});
  REQUIRE(feed(c, error_msg(9, -EEXIST, NLM_F_ACK_TLVS, req, tlvs), replies));
  CHECK_EQ(replies[0].error.code, EEXIST);
  CHECK_EQ(replies[0].error.extack, "Address already assigned");
  CHECK_EQ(replies[0].error.extack_offset, 32);
}

TEST(collector_error_extack_uncapped_unaligned_echo) {
  // An echoed request whose nlmsg_len is not a multiple of 4: the TLVs start
  // at the next 4-byte boundary.
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(3, 0, false);
  Bytes req = msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 3, kPort, cat({Bytes(16, 0), attr(IFLA_IFNAME, {'x', 0}, false)}),
                  false);
  REQUIRE_EQ(req.size(), 38u);
  Bytes tlvs = attr(NLMSGERR_ATTR_MSG, wire::str("nope"));
  REQUIRE(feed(c, error_msg(3, -ENODEV, NLM_F_ACK_TLVS, req, tlvs), replies));
  CHECK_EQ(replies[0].error.code, ENODEV);
  CHECK_EQ(replies[0].error.extack, "nope");
  CHECK_EQ(replies[0].error.extack_offset, -1);
}

TEST(collector_error_extack_unknown_tlvs_skipped) {
  // Newer kernels add NLMSGERR_ATTR_POLICY (nested), MISS_TYPE, MISS_NEST.
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(4, 0, false);
  Bytes req = request(4);
  Bytes tlvs = cat({attr(NLMSGERR_ATTR_POLICY | NLA_F_NESTED, attr(1, le32(3))), attr(NLMSGERR_ATTR_MSG, wire::str("x")),
                    attr(NLMSGERR_ATTR_MISS_TYPE, le32(2)), attr(NLMSGERR_ATTR_OFFS, le32(24)), attr(77, {})});
  REQUIRE(feed(c, error_msg(4, -ERANGE, NLM_F_CAPPED | NLM_F_ACK_TLVS, Bytes(req.begin(), req.begin() + 16), tlvs),
               replies));
  CHECK_EQ(replies[0].error.code, ERANGE);
  CHECK_EQ(replies[0].error.extack, "x");
  CHECK_EQ(replies[0].error.extack_offset, 24);
}

TEST(collector_error_malformed_extack_keeps_code) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(4, 0, false);
  Bytes req = request(4);
  // A TLV header claiming more than is there.
  Bytes tlvs = cat({wire::le16(200), wire::le16(NLMSGERR_ATTR_MSG), Bytes{'a', 'b', 0, 0}});
  REQUIRE(feed(c, error_msg(4, -EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS, Bytes(req.begin(), req.begin() + 16), tlvs),
               replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, EPERM);
  CHECK_EQ(replies[0].error.extack, "");
  // ACK_TLVS set but no room for the echoed header at all.
  c.expect(5, 0, false);
  REQUIRE(feed(c, msg(NLMSG_ERROR, NLM_F_ACK_TLVS, 5, kPort, le32(static_cast<uint32_t>(-EBUSY))), replies));
  CHECK_EQ(replies[0].error.code, EBUSY);
}

TEST(collector_real_extack_error) {
  // The kernel's answer to `ip link add d0 type dummy`: EOPNOTSUPP with
  // "Unknown device type", the 56-byte request echoed (ip leaves
  // NETLINK_CAP_ACK off).
  Bytes d = wire::of(fixtures::kDummyExtackError);
  nl::Collector c(wire::get32(d, 12));
  std::vector<nl::Reply> replies(1);
  c.expect(wire::get32(d, 8), 0, false);
  REQUIRE(feed(c, d, replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, EOPNOTSUPP);
  CHECK_EQ(replies[0].error.extack, "Unknown device type");
  CHECK_EQ(replies[0].error.extack_offset, -1);
}

TEST(collector_real_plain_error) {
  // ENODEV for ip's empty RTM_NEWLINK probe; no TLVs, request echoed.
  Bytes d = wire::of(fixtures::kNewlinkProbeEnodev);
  nl::Collector c(wire::get32(d, 12));
  std::vector<nl::Reply> replies(1);
  c.expect(wire::get32(d, 8), 0, false);
  REQUIRE(feed(c, d, replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, ENODEV);
  CHECK_EQ(replies[0].error.extack, "");
}

TEST(collector_dump_across_datagrams) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(100, 0, true);
  Bytes m1 = data_msg(100, 1), m2 = data_msg(100, 2), m3 = data_msg(100, 3);
  REQUIRE(feed(c, cat({m1, m2}), replies));
  CHECK_EQ(c.outstanding(), 1u);
  REQUIRE(feed(c, m3, replies));
  CHECK_EQ(c.outstanding(), 1u);
  REQUIRE(feed(c, done_msg(100), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].error.ok());
  CHECK(!replies[0].interrupted);
  REQUIRE_EQ(replies[0].messages.size(), 3u);
  CHECK_EQ(replies[0].messages[0], m1);
  CHECK_EQ(replies[0].messages[1], m2);
  CHECK_EQ(replies[0].messages[2], m3);
}

TEST(collector_real_dump) {
  // `ip -d link show`: one datagram with lo and ve0, then NLMSG_DONE.
  Bytes d1 = wire::of(fixtures::kLinkDumpDatagram);
  Bytes d2 = wire::of(fixtures::kLinkDumpDone);
  nl::Collector c(wire::get32(d1, 12));
  std::vector<nl::Reply> replies(2);
  c.expect(wire::get32(d1, 8), 1, true);
  REQUIRE(feed(c, d1, replies));
  CHECK_EQ(c.outstanding(), 1u);
  REQUIRE(feed(c, d2, replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[1].error.ok());
  REQUIRE_EQ(replies[1].messages.size(), 2u);
  CHECK_EQ(replies[1].messages[0], wire::split(d1)[0]);
  CHECK_EQ(replies[1].messages[1], wire::split(d1)[1]);
  CHECK(replies[0].messages.empty());
}

TEST(collector_dump_done_with_error) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(5, 0, true);
  REQUIRE(feed(c, data_msg(5, 1), replies));
  REQUIRE(feed(c, done_msg(5, -EOPNOTSUPP), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, EOPNOTSUPP);
  CHECK_EQ(replies[0].messages.size(), 1u);
}

TEST(collector_dump_done_with_extack) {
  // NLMSG_DONE's TLVs follow the 4-byte error directly (no echoed header).
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(5, 0, true);
  Bytes tlvs = cat({attr(NLMSGERR_ATTR_MSG, wire::str("Invalid header for link dump")), attr(NLMSGERR_ATTR_OFFS, le32(20))});
  REQUIRE(feed(c, done_msg(5, -EINVAL, NLM_F_ACK_TLVS, tlvs), replies));
  CHECK_EQ(replies[0].error.code, EINVAL);
  CHECK_EQ(replies[0].error.extack, "Invalid header for link dump");
  CHECK_EQ(replies[0].error.extack_offset, 20);
}

TEST(collector_dump_bare_done) {
  // A DONE with no payload at all still ends the dump, successfully.
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(5, 0, true);
  REQUIRE(feed(c, msg(NLMSG_DONE, NLM_F_MULTI, 5, kPort, {}), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].error.ok());
}

TEST(collector_dump_error_instead_of_data) {
  // A dump the kernel refuses up front is answered by NLMSG_ERROR.
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(5, 0, true);
  REQUIRE(feed(c, error_msg(5, -EOPNOTSUPP, NLM_F_CAPPED, Bytes(16, 0)), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, EOPNOTSUPP);
}

TEST(collector_dump_intr) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(8, 0, true);
  REQUIRE(feed(c, cat({data_msg(8, 1), data_msg(8, 2, NLM_F_DUMP_INTR), done_msg(8)}), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].interrupted);
  CHECK(replies[0].error.ok());
  CHECK_EQ(replies[0].messages.size(), 2u);
}

TEST(collector_dump_intr_on_done_only) {
  // The kernel runs nl_dump_check_consistent() on the NLMSG_DONE message too
  // (netlink_dump_done), so a change seen only at the end marks just DONE.
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(8, 0, true);
  REQUIRE(feed(c, cat({data_msg(8, 1), done_msg(8, 0, NLM_F_DUMP_INTR)}), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].interrupted);
}

TEST(collector_ignores_unknown_seq_and_foreign_port) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(11, 0, false);
  // Unknown seq; right seq from another port id (e.g. a multicast echo or a
  // stale reply); a NOOP. None of them touch the request.
  REQUIRE(feed(c, cat({error_msg(12, -EEXIST, NLM_F_CAPPED, Bytes(16, 0)),
                       error_msg(11, -EPERM, NLM_F_CAPPED, Bytes(16, 0), {}, kPort + 1), data_msg(13, 1),
                       msg(NLMSG_NOOP, 0, 11, kPort, {})}),
               replies));
  CHECK_EQ(c.outstanding(), 1u);
  CHECK(replies[0].error.ok());
  CHECK(replies[0].messages.empty());
  REQUIRE(feed(c, ack(11), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].error.ok());
  // Once done, a late duplicate for the same seq is ignored too.
  REQUIRE(feed(c, error_msg(11, -EPERM, NLM_F_CAPPED, Bytes(16, 0)), replies));
  CHECK(replies[0].error.ok());
}

TEST(collector_pipelined_out_of_order) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(5);
  for (uint32_t i = 0; i < 5; ++i) c.expect(1000 + i, i, false);
  // Answers arrive shuffled, over two datagrams.
  REQUIRE(feed(c, cat({error_msg(1003, -EEXIST, NLM_F_CAPPED, Bytes(16, 0)), ack(1000), ack(1004)}), replies));
  CHECK_EQ(c.outstanding(), 2u);
  REQUIRE(feed(c, cat({error_msg(1001, -ENODEV, NLM_F_CAPPED, Bytes(16, 0)), ack(1002)}), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, 0);
  CHECK_EQ(replies[1].error.code, ENODEV);
  CHECK_EQ(replies[2].error.code, 0);
  CHECK_EQ(replies[3].error.code, EEXIST);
  CHECK_EQ(replies[4].error.code, 0);
}

TEST(collector_get_reply_then_ack) {
  // A non-dump GET: the object, then the ACK (exchange() sets NLM_F_ACK).
  // A DONE with code 0 does not end a non-dump request.
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(21, 0, false);
  Bytes obj = msg(RTM_NEWLINK, 0, 21, kPort, cat({Bytes(16, 0), attr(IFLA_IFNAME, wire::str("lo"))}));
  REQUIRE(feed(c, cat({obj, done_msg(21)}), replies));
  CHECK_EQ(c.outstanding(), 1u);
  REQUIRE(feed(c, ack(21), replies));
  CHECK_EQ(c.outstanding(), 0u);
  REQUIRE_EQ(replies[0].messages.size(), 1u);
  CHECK_EQ(replies[0].messages[0], obj);
}

TEST(collector_overrun) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(2, 0, true);
  REQUIRE(feed(c, msg(NLMSG_OVERRUN, 0, 2, kPort, {}), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, EOVERFLOW);
}

TEST(collector_malformed_lengths) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(2);
  c.expect(1, 0, false);
  c.expect(2, 1, false);
  // nlmsg_len below the header size, after a good ACK: the ACK is taken.
  for (uint32_t bad : {0u, 1u, 15u}) {
    Bytes broken = cat({le32(bad), Bytes(12, 0), Bytes(16, 0)});
    CHECK(!feed(c, broken, replies));
  }
  Bytes first = cat({ack(1), le32(15), wire::le16(NLMSG_ERROR), Bytes(10, 0)});
  CHECK(!feed(c, first, replies));
  CHECK_EQ(c.outstanding(), 1u);
  // nlmsg_len past the end of the datagram, by one byte and by a lot.
  Bytes a = ack(2);
  wire::set32(a, 0, static_cast<uint32_t>(a.size() + 1));
  CHECK(!feed(c, a, replies));
  wire::set32(a, 0, 0xffffffffu);
  CHECK(!feed(c, a, replies));
  CHECK_EQ(c.outstanding(), 1u);
  CHECK(replies[1].error.ok());
  // Fewer than 16 bytes: nothing to read, not an error.
  for (size_t n = 0; n < 16; ++n) CHECK(feed(c, Bytes(n, 0xff), replies));
  // Every truncation of a good datagram is handled without reading past it.
  Bytes good = cat({data_msg(2, 1), ack(2)});
  for (size_t n = 0; n < good.size(); ++n) {
    nl::Collector c2(kPort);
    std::vector<nl::Reply> r2(1);
    c2.expect(2, 0, false);
    feed(c2, Bytes(good.begin(), good.begin() + n), r2);
  }
}

TEST(collector_last_message_unpadded) {
  // The datagram ends right after a message whose length is not a multiple of 4.
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(1);
  c.expect(6, 0, true);
  Bytes m = msg(RTM_NEWLINK, NLM_F_MULTI, 6, kPort, {1, 2, 3}, false);
  REQUIRE_EQ(m.size(), 19u);
  REQUIRE(feed(c, m, replies));
  REQUIRE_EQ(replies[0].messages.size(), 1u);
  CHECK_EQ(replies[0].messages[0], m);
}

TEST(collector_fail_all) {
  nl::Collector c(kPort);
  std::vector<nl::Reply> replies(3);
  c.expect(1, 0, false);
  c.expect(2, 1, false);
  c.expect(3, 2, true);
  REQUIRE(feed(c, ack(2), replies));
  c.fail_all(nl::Error{ENOBUFS, "", -1, "receive buffer overrun"}, replies);
  CHECK_EQ(c.outstanding(), 0u);
  CHECK_EQ(replies[0].error.code, ENOBUFS);
  CHECK_EQ(replies[0].error.detail, "receive buffer overrun");
  CHECK(replies[1].error.ok());
  CHECK_EQ(replies[2].error.code, ENOBUFS);
  // Late answers after that are ignored.
  REQUIRE(feed(c, ack(1), replies));
  CHECK_EQ(replies[0].error.code, ENOBUFS);
}

namespace {
nl::Error status(const Bytes& m) {
  std::vector<uint8_t> copy(m);
  return nl::parse_status(reinterpret_cast<const nlmsghdr*>(copy.data()), copy.size());
}
}  // namespace

TEST(parse_status_basics) {
  CHECK(status(msg(NLMSG_DONE, NLM_F_MULTI, 1, 1, {})).ok());
  CHECK(status(done_msg(1)).ok());
  CHECK_EQ(status(done_msg(1, -EINTR)).code, EINTR);
  // A positive code is taken as is.
  CHECK_EQ(status(done_msg(1, EAGAIN)).code, EAGAIN);
  CHECK_EQ(status(error_msg(1, -ENOENT, NLM_F_CAPPED, Bytes(16, 0))).code, ENOENT);
}

TEST(parse_status_extreme_codes) {
  // -INT_MIN does not exist; the code must still come out positive (and
  // UBSan must stay quiet).
  nl::Error e = status(done_msg(1, INT_MIN));
  CHECK(e.code > 0);
  CHECK_EQ(status(done_msg(1, -INT_MAX)).code, INT_MAX);
}

TEST(parse_status_short_message) {
  // Shorter than a header: malformed, and nothing past len is read.
  std::vector<uint8_t> tiny(16, 0);
  nl::Error e = nl::parse_status(reinterpret_cast<const nlmsghdr*>(tiny.data()), 8);
  CHECK_EQ(e.code, EBADMSG);
}

TEST(parse_status_truncated_error_is_not_success) {
  // An NLMSG_ERROR too short to hold its code must not read as an ACK.
  nl::Error e = status(msg(NLMSG_ERROR, 0, 1, 1, {}));
  CHECK_EQ(e.code, EBADMSG);
  CHECK(status(msg(NLMSG_DONE, NLM_F_MULTI, 1, 1, {})).ok());
}

namespace {

// Records what a Collector hands to its sink.
struct RecordingSink : nl::Sink {
  std::vector<std::pair<size_t, Bytes>> got;
  std::vector<size_t> resets;
  void message(size_t index, const uint8_t* data, size_t len) override { got.emplace_back(index, Bytes(data, data + len)); }
  void reset(size_t index) override { resets.push_back(index); }
};

}  // namespace

TEST(collector_sink_gets_data_messages_in_place_of_the_reply) {
  RecordingSink sink;
  nl::Collector c(kPort, &sink);
  std::vector<nl::Reply> replies(2);
  c.expect(5, 0, true);
  c.expect(6, 1, true);
  // Two dumps' data interleaved in one datagram, then both DONEs.
  REQUIRE(feed(c, cat({data_msg(5, 1), data_msg(6, 2), data_msg(5, 3)}), replies));
  REQUIRE(feed(c, cat({done_msg(5), done_msg(6)}), replies));
  CHECK_EQ(c.outstanding(), 0u);
  CHECK(replies[0].messages.empty());
  CHECK(replies[1].messages.empty());
  CHECK(replies[0].error.ok());
  REQUIRE(sink.got.size() == 3u);
  CHECK_EQ(sink.got[0].first, 0u);
  CHECK(sink.got[0].second == data_msg(5, 1));
  CHECK_EQ(sink.got[1].first, 1u);
  CHECK(sink.got[1].second == data_msg(6, 2));
  CHECK_EQ(sink.got[2].first, 0u);
  CHECK(sink.got[2].second == data_msg(5, 3));
  CHECK(sink.resets.empty());  // only exchange() redoes interrupted dumps
}

TEST(join_replies_back_to_back_padded) {
  // Three replies: two messages (one of 21 bytes, padded to 24), none, one;
  // the middle one failed.
  std::vector<nl::Reply> replies(3);
  replies[0].messages.push_back(Bytes(21, 0xaa));
  replies[0].messages.push_back(Bytes(8, 0xbb));
  replies[1].error = nl::Error{ENOENT, "", -1, ""};
  replies[2].messages.push_back(Bytes(4, 0xcc));
  nl::JoinedReplies j = nl::join_replies(replies);
  REQUIRE_EQ(j.ends.size(), 3u);
  CHECK_EQ(j.ends[0], 32u);
  CHECK_EQ(j.ends[1], 32u);
  CHECK_EQ(j.ends[2], 36u);
  REQUIRE_EQ(j.data.size(), 36u);
  CHECK_EQ(j.data[20], 0xaa);
  CHECK_EQ(j.data[21], 0);
  CHECK_EQ(j.data[23], 0);
  CHECK_EQ(j.data[24], 0xbb);
  CHECK_EQ(j.data[35], 0xcc);
  REQUIRE_EQ(j.errors.size(), 1u);
  CHECK_EQ(j.errors[0].first, 1u);
  CHECK_EQ(j.errors[0].second.code, ENOENT);
  CHECK(replies[0].messages.empty());
}

TEST(join_replies_none) {
  std::vector<nl::Reply> replies;
  nl::JoinedReplies j = nl::join_replies(replies);
  CHECK(j.data.empty());
  CHECK(j.ends.empty());
  CHECK(j.errors.empty());
}
