// nl::Message: the bytes it builds, checked one by one.
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <stdexcept>
#include <string>

#include "../nl/message.h"
#include "check.h"
#include "wire.h"

using wire::Bytes;

TEST(message_header_only) {
  nl::Message m(RTM_GETLINK, NLM_F_DUMP);
  // nlmsghdr: len 16, type 18, flags 0x300, seq 0, pid 0.
  CHECK_EQ(m.bytes(), (Bytes{16, 0, 0, 0, 18, 0, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0}));
  CHECK_EQ(m.size(), 16u);
  CHECK_EQ(m.type(), RTM_GETLINK);
  CHECK_EQ(m.flags(), NLM_F_DUMP);
  CHECK_EQ(m.seq(), 0u);
}

TEST(message_seq_and_flags) {
  nl::Message m(RTM_NEWADDR, NLM_F_CREATE);
  m.set_seq(0x01020304);
  m.add_flags(NLM_F_REQUEST | NLM_F_ACK);
  CHECK_EQ(m.seq(), 0x01020304u);
  CHECK_EQ(m.flags(), NLM_F_CREATE | NLM_F_REQUEST | NLM_F_ACK);
  CHECK_EQ(m.bytes(), wire::msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REQUEST | NLM_F_ACK, 0x01020304, 0, {}));
}

TEST(message_family_header) {
  nl::Message m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_type = 0x0304;
  ifi.ifi_index = 7;
  ifi.ifi_flags = 0x11223344;
  ifi.ifi_change = 0xffffffff;
  ifinfomsg* placed = m.put_header(ifi);
  CHECK_EQ(m.size(), 32u);
  CHECK_EQ(wire::get32(m.bytes(), 0), 32u);
  // ifinfomsg: family(1) pad(1) type(2) index(4) flags(4) change(4)
  CHECK_EQ(Bytes(m.bytes().begin() + 16, m.bytes().end()),
           (Bytes{0, 0, 0x04, 0x03, 7, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0xff, 0xff, 0xff, 0xff}));
  CHECK(placed == reinterpret_cast<const ifinfomsg*>(m.bytes().data() + 16));
}

TEST(message_family_header_padded) {
  // genlmsghdr is 4 bytes; a 3-byte header is padded to 4 with zeros.
  struct Odd {
    uint8_t a, b, c;
  };
  static_assert(sizeof(Odd) == 3, "three bytes");
  nl::Message m(GENL_ID_CTRL, 0);
  m.put_header(Odd{1, 2, 3});
  CHECK_EQ(m.size(), 20u);
  CHECK_EQ(wire::get32(m.bytes(), 0), 20u);
  CHECK_EQ(Bytes(m.bytes().begin() + 16, m.bytes().end()), (Bytes{1, 2, 3, 0}));
  // The next attribute starts aligned.
  m.put_u8(9, 0xaa);
  CHECK_EQ(Bytes(m.bytes().begin() + 20, m.bytes().end()), (Bytes{5, 0, 9, 0, 0xaa, 0, 0, 0}));
}

static Bytes body(const nl::Message& m) { return Bytes(m.bytes().begin() + 16, m.bytes().end()); }

TEST(message_put_u8) {
  nl::Message m(1, 0);
  m.put_u8(3, 0xfe);
  // nla_len counts the header and payload but not the padding; nlmsg_len counts the padding.
  CHECK_EQ(body(m), (Bytes{5, 0, 3, 0, 0xfe, 0, 0, 0}));
  CHECK_EQ(wire::get32(m.bytes(), 0), 24u);
}

TEST(message_put_u16) {
  nl::Message m(1, 0);
  m.put_u16(4, 0xbeef);
  CHECK_EQ(body(m), (Bytes{6, 0, 4, 0, 0xef, 0xbe, 0, 0}));
  CHECK_EQ(m.size(), 24u);
}

TEST(message_put_u32) {
  nl::Message m(1, 0);
  m.put_u32(5, 0x12345678);
  CHECK_EQ(body(m), (Bytes{8, 0, 5, 0, 0x78, 0x56, 0x34, 0x12}));
  CHECK_EQ(m.size(), 24u);
}

TEST(message_put_u64) {
  nl::Message m(1, 0);
  m.put_u64(6, 0x0102030405060708ull);
  CHECK_EQ(body(m), (Bytes{12, 0, 6, 0, 8, 7, 6, 5, 4, 3, 2, 1}));
  CHECK_EQ(m.size(), 28u);
}

TEST(message_put_be16_be32_be64) {
  nl::Message m(1, 0);
  m.put_be16(1, 0x1234);
  m.put_be32(2, 0x0a000001);
  m.put_be64(3, 0x0102030405060708ull);
  CHECK_EQ(body(m), (Bytes{6, 0, 1, 0, 0x12, 0x34, 0, 0,                    //
                           8, 0, 2, 0, 10, 0, 0, 1,                         //
                           12, 0, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(message_put_strz) {
  nl::Message m(1, 0);
  m.put_strz(3, "abc");
  m.put_strz(4, "");
  m.put_strz(5, "wxyz");
  CHECK_EQ(body(m), (Bytes{8, 0, 3, 0, 'a', 'b', 'c', 0,             //
                           5, 0, 4, 0, 0, 0, 0, 0,                   //
                           9, 0, 5, 0, 'w', 'x', 'y', 'z', 0, 0, 0, 0}));
  CHECK_EQ(wire::get32(m.bytes(), 0), 16u + 8 + 8 + 12);
}

TEST(message_put_flag_and_raw) {
  nl::Message m(1, 0);
  m.put_flag(7);
  const uint8_t raw[] = {1, 2, 3, 4, 5, 6};
  m.put(8, raw, sizeof raw);
  CHECK_EQ(body(m), (Bytes{4, 0, 7, 0,  //
                           10, 0, 8, 0, 1, 2, 3, 4, 5, 6, 0, 0}));
}

TEST(message_padding_is_zeroed) {
  nl::Message m(1, 0);
  m.put_strz(1, "a");  // 4 + 2 bytes, 2 of padding
  m.put_u8(2, 0xff);   // 4 + 1 bytes, 3 of padding
  CHECK_EQ(body(m), (Bytes{6, 0, 1, 0, 'a', 0, 0, 0, 5, 0, 2, 0, 0xff, 0, 0, 0}));
}

TEST(message_nested) {
  nl::Message m(RTM_NEWLINK, 0);
  size_t outer = m.begin_nest(IFLA_LINKINFO);
  m.put_u32(2, 0xdeadbeef);
  size_t inner = m.begin_nest(3);
  m.put_u8(4, 0x55);
  m.end_nest(inner);
  m.end_nest(outer);
  m.put_u16(9, 1);
  // outer: 4 (hdr) + 8 (u32) + inner 4 (hdr) + 8 (u8 padded) = 24
  CHECK_EQ(body(m), (Bytes{24, 0, IFLA_LINKINFO, 0x80,          //
                           8, 0, 2, 0, 0xef, 0xbe, 0xad, 0xde,  //
                           12, 0, 3, 0x80,                      //
                           5, 0, 4, 0, 0x55, 0, 0, 0,           //
                           6, 0, 9, 0, 1, 0, 0, 0}));
  CHECK_EQ(wire::get32(m.bytes(), 0), 16u + 24 + 8);
}

TEST(message_empty_nest) {
  nl::Message m(1, 0);
  size_t n = m.begin_nest(1);
  m.end_nest(n);
  CHECK_EQ(body(m), (Bytes{4, 0, 1, 0x80}));
}

TEST(message_attribute_too_long_throws) {
  nl::Message m(1, 0);
  std::string big(0xffff, 'x');
  bool threw = false;
  try {
    m.put(1, big.data(), big.size());
  } catch (const std::length_error&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    m.put_strz(1, std::string(0xffff - 4, 'x'));  // + NUL = one byte too many
  } catch (const std::length_error&) {
    threw = true;
  }
  CHECK(threw);
  CHECK_EQ(m.size(), 16u);
  // The largest that fits: nla_len = 0xffff.
  m.put_strz(1, std::string(0xffff - 5, 'x'));
  CHECK_EQ(wire::get16(m.bytes(), 16), 0xffffu);
  CHECK_EQ(m.size(), 16u + 0x10000);
}

TEST(message_nest_too_long_throws) {
  nl::Message m(1, 0);
  size_t n = m.begin_nest(1);
  std::string chunk(40000, 'x');
  m.put(2, chunk.data(), chunk.size());
  m.put(2, chunk.data(), chunk.size());
  bool threw = false;
  try {
    m.end_nest(n);
  } catch (const std::length_error&) {
    threw = true;
  }
  CHECK(threw);
}
