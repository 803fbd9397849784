// nl::AttrTable, nl::for_each_attr, nl::Attr: parsing and validation.
// Every buffer is an exact-size heap vector so AddressSanitizer catches a
// read one byte past the end.
#include <string>

#include "../nl/attr.h"
#include "check.h"
#include "wire.h"

using wire::attr;
using wire::Bytes;
using wire::cat;
using wire::le16;
using wire::le32;

namespace {

enum : uint16_t { A_FLAG = 1, A_U8, A_U16, A_U32, A_U64, A_STR, A_NEST, A_BIN, A_ANY, A_MAX = A_ANY };

nl::Policy policy[A_MAX + 1] = {
    {},
    {nl::AttrKind::Flag},
    {nl::AttrKind::U8},
    {nl::AttrKind::U16},
    {nl::AttrKind::U32},
    {nl::AttrKind::U64},
    {nl::AttrKind::String},
    {nl::AttrKind::Nested},
    {nl::AttrKind::Binary, 2, 4},
    {nl::AttrKind::Unspec},
};

Bytes valid_stream() {
  return cat({attr(A_FLAG, {}), attr(A_U8, {0x7f}), attr(A_U16, le16(0x1234)), attr(A_U32, le32(0xa1b2c3d4)),
              attr(A_U64, {1, 2, 3, 4, 5, 6, 7, 8}), attr(A_STR, wire::str("eth0")),
              attr(A_NEST, cat({attr(1, le32(5)), attr(2, {9})})), attr(A_BIN, {0xaa, 0xbb, 0xcc}),
              attr(A_ANY, {1, 2, 3, 4, 5, 6, 7})});
}

bool parse(nl::AttrTable& tb, const Bytes& b, std::string* why = nullptr) {
  return tb.parse(b.data(), b.size(), policy, A_MAX, why);
}

}  // namespace

TEST(attr_valid_table) {
  Bytes b = valid_stream();
  nl::AttrTable tb;
  std::string why;
  REQUIRE(parse(tb, b, &why));
  CHECK_EQ(why, "");
  for (uint16_t t = 1; t <= A_MAX; ++t) CHECK(tb.has(t));
  CHECK(!tb.has(0));
  CHECK(!tb.has(A_MAX + 1));
  CHECK(tb.get(1000) == nullptr);
  CHECK_EQ(tb.get(A_FLAG)->len(), 0u);
  CHECK_EQ(tb.get(A_U8)->u8(), 0x7f);
  CHECK_EQ(tb.get(A_U16)->u16(), 0x1234u);
  CHECK_EQ(tb.get(A_U16)->be16(), 0x3412u);
  CHECK_EQ(tb.get(A_U32)->u32(), 0xa1b2c3d4u);
  CHECK_EQ(tb.get(A_U32)->be32(), 0xd4c3b2a1u);
  CHECK_EQ(tb.get(A_U64)->u64(), 0x0807060504030201ull);
  CHECK_EQ(tb.get(A_U64)->be64(), 0x0102030405060708ull);
  CHECK_EQ(tb.get(A_STR)->str(), "eth0");
  CHECK_EQ(tb.get(A_STR)->len(), 5u);
  CHECK_EQ(tb.get(A_BIN)->bytes(), (Bytes{0xaa, 0xbb, 0xcc}));
  CHECK_EQ(tb.get(A_ANY)->bytes(), (Bytes{1, 2, 3, 4, 5, 6, 7}));
  CHECK_EQ(tb.get(A_U32)->type(), A_U32);
}

TEST(attr_nested_parse) {
  Bytes b = valid_stream();
  nl::AttrTable tb;
  REQUIRE(parse(tb, b));
  const nl::Policy inner[] = {{}, {nl::AttrKind::U32}, {nl::AttrKind::U8}};
  nl::AttrTable nt;
  REQUIRE(nt.parse(*tb.get(A_NEST), inner, 2));
  CHECK_EQ(nt.get(1)->u32(), 5u);
  CHECK_EQ(nt.get(2)->u8(), 9);
  // The inner table is validated by its own policy.
  const nl::Policy strict[] = {{}, {nl::AttrKind::U16}, {}};
  std::string why;
  CHECK(!nt.parse(*tb.get(A_NEST), strict, 2, &why));
  CHECK(why.find("attribute 1") != std::string::npos);
}

TEST(attr_nested_flag_bits_masked) {
  // NLA_F_NESTED and NLA_F_NET_BYTEORDER are not part of the type.
  Bytes b = cat({attr(A_NEST | NLA_F_NESTED, attr(1, le32(1))), attr(A_U16 | NLA_F_NET_BYTEORDER, {0x12, 0x34})});
  nl::AttrTable tb;
  REQUIRE(parse(tb, b));
  CHECK(tb.has(A_NEST));
  CHECK_EQ(tb.get(A_NEST)->type(), A_NEST);
  CHECK_EQ(tb.get(A_U16)->be16(), 0x1234u);
}

TEST(attr_unknown_types_skipped) {
  // Type 0, types above max, and an unknown type with a length no policy
  // would accept: all skipped without failing.
  Bytes b = cat({attr(0, {1, 2, 3}), attr(A_MAX + 1, {1}), attr(0x3fff, Bytes(100, 7)), attr(A_U32, le32(42)),
                 attr(200, {})});
  nl::AttrTable tb;
  REQUIRE(parse(tb, b));
  CHECK(!tb.has(0));
  CHECK(!tb.has(A_MAX + 1));
  CHECK(!tb.has(200));
  CHECK_EQ(tb.get(A_U32)->u32(), 42u);
}

TEST(attr_max_zero_knows_nothing) {
  Bytes b = valid_stream();
  nl::AttrTable tb;
  REQUIRE(tb.parse(b.data(), b.size(), policy, 0));
  for (uint16_t t = 0; t <= A_MAX; ++t) CHECK(!tb.has(t));
}

TEST(attr_duplicate_last_wins) {
  Bytes b = cat({attr(A_U32, le32(1)), attr(A_U32, le32(2))});
  nl::AttrTable tb;
  REQUIRE(parse(tb, b));
  CHECK_EQ(tb.get(A_U32)->u32(), 2u);
}

namespace {
// Parsing one attribute of `type` with `len` payload bytes: accepted?
bool accepts(uint16_t type, size_t len, std::string* why = nullptr) {
  Bytes b = attr(type, Bytes(len, 0x5a));
  nl::AttrTable tb;
  return tb.parse(b.data(), b.size(), policy, A_MAX, why);
}
}  // namespace

TEST(attr_wrong_lengths_rejected) {
  struct Case {
    uint16_t type;
    size_t good;
  };
  const Case fixed[] = {{A_FLAG, 0}, {A_U8, 1}, {A_U16, 2}, {A_U32, 4}, {A_U64, 8}};
  for (const Case& c : fixed) {
    CHECK(accepts(c.type, c.good));
    for (size_t len = 0; len <= 12; ++len) {
      if (len == c.good) continue;
      std::string why;
      bool ok = accepts(c.type, len, &why);
      if (ok) check::fail(__FILE__, __LINE__, "type " + std::to_string(c.type) + " accepted length " + std::to_string(len));
      if (!ok && why.find("expected " + std::to_string(c.good)) == std::string::npos)
        check::fail(__FILE__, __LINE__, "unhelpful why: " + why);
    }
  }
  // Binary 2..4.
  CHECK(!accepts(A_BIN, 0));
  CHECK(!accepts(A_BIN, 1));
  CHECK(accepts(A_BIN, 2));
  CHECK(accepts(A_BIN, 3));
  CHECK(accepts(A_BIN, 4));
  std::string why;
  CHECK(!accepts(A_BIN, 5, &why));
  CHECK(why.find("expected 2..4") != std::string::npos);
  // String, Nested and Unspec take any length, even zero.
  for (uint16_t t : {A_STR, A_NEST, A_ANY})
    for (size_t len : {0, 1, 3, 17}) CHECK(accepts(t, len));
}

TEST(attr_binary_without_max) {
  const nl::Policy p[] = {{}, {nl::AttrKind::Binary, 16, 0}};
  nl::AttrTable tb;
  Bytes small = attr(1, Bytes(15, 0));
  Bytes big = attr(1, Bytes(4000, 0));
  CHECK(!tb.parse(small.data(), small.size(), p, 1));
  CHECK(tb.parse(big.data(), big.size(), p, 1));
}

TEST(attr_bad_headers_rejected) {
  nl::AttrTable tb;
  std::string why;
  // nla_len below the header size.
  for (uint16_t len : {0, 1, 2, 3}) {
    Bytes b = cat({attr(A_U8, {1}), le16(len), le16(A_U8), Bytes(8, 0)});
    why.clear();
    CHECK(!parse(tb, b, &why));
    CHECK_EQ(why, "malformed attribute header");
  }
  // nla_len past the end of the buffer (by one byte, and by a lot).
  Bytes over1 = cat({le16(9), le16(A_U32), le32(1)});
  CHECK(!parse(tb, over1));
  Bytes over = cat({attr(A_U8, {1}), le16(0xffff), le16(A_ANY), le32(0)});
  CHECK(!parse(tb, over));
  // Even on an unknown type: the stream itself is broken.
  Bytes unknown = cat({le16(40), le16(0x3000), le32(0)});
  CHECK(!parse(tb, unknown));
}

TEST(attr_last_attribute_padding) {
  nl::AttrTable tb;
  // The last attribute without its padding (buffer ends right after the payload).
  Bytes unpadded = cat({attr(A_U32, le32(7)), attr(A_U8, {0x42}, false)});
  REQUIRE_EQ(unpadded.size(), 13u);
  REQUIRE(parse(tb, unpadded));
  CHECK_EQ(tb.get(A_U8)->u8(), 0x42);
  CHECK_EQ(tb.get(A_U32)->u32(), 7u);
  // ... and with it.
  Bytes padded = cat({attr(A_U32, le32(7)), attr(A_U8, {0x42})});
  REQUIRE_EQ(padded.size(), 16u);
  REQUIRE(parse(tb, padded));
  CHECK_EQ(tb.get(A_U8)->u8(), 0x42);
  // A string whose padding is missing.
  Bytes s = attr(A_STR, wire::str("ab"), false);
  REQUIRE_EQ(s.size(), 7u);
  REQUIRE(parse(tb, s));
  CHECK_EQ(tb.get(A_STR)->str(), "ab");
}

TEST(attr_trailing_garbage_ignored) {
  for (size_t extra = 1; extra <= 3; ++extra) {
    Bytes b = cat({attr(A_U16, le16(9)), Bytes(extra, 0xee)});
    nl::AttrTable tb;
    std::string why;
    CHECK(parse(tb, b, &why));
    CHECK(tb.has(A_U16));
  }
}

TEST(attr_empty_stream) {
  nl::AttrTable tb;
  Bytes none;
  CHECK(tb.parse(none.data(), 0, policy, A_MAX));
  CHECK(tb.parse(nullptr, 0, policy, A_MAX));
  CHECK(!tb.has(A_U8));
}

TEST(attr_string_strips_trailing_nuls) {
  nl::AttrTable tb;
  Bytes b = cat({attr(A_STR, {'a', 'b', 'c', 0, 0, 0}), attr(A_ANY, {'x', 0, 'y'})});
  REQUIRE(parse(tb, b));
  CHECK_EQ(tb.get(A_STR)->str(), "abc");
  CHECK_EQ(tb.get(A_STR)->len(), 6u);
  // Only trailing NULs go; an inner one stays.
  CHECK_EQ(tb.get(A_ANY)->str(), std::string("x\0y", 3));
  // Not NUL-terminated at all (ip sends IFLA_INFO_KIND like that).
  Bytes raw = attr(A_STR, wire::str("veth", false));
  REQUIRE(parse(tb, raw));
  CHECK_EQ(tb.get(A_STR)->str(), "veth");
  // Only NULs.
  Bytes zeros = attr(A_STR, {0, 0});
  REQUIRE(parse(tb, zeros));
  CHECK_EQ(tb.get(A_STR)->str(), "");
}

TEST(attr_short_loads_do_not_overread) {
  // An Unspec attribute read as a wider integer: only its own bytes are used.
  Bytes b = attr(A_ANY, {0x01, 0x02}, false);
  nl::AttrTable tb;
  REQUIRE(parse(tb, b));
  CHECK_EQ(tb.get(A_ANY)->u32(), 0x0201u);
  CHECK_EQ(tb.get(A_ANY)->u64(), 0x0201ull);
}

TEST(attr_for_each) {
  Bytes b = cat({attr(1, {1}), attr(2 | NLA_F_NESTED, attr(3, {})), attr(7, wire::str("hello"), false)});
  std::vector<uint16_t> types;
  std::vector<uint16_t> lens;
  CHECK(nl::for_each_attr(b.data(), b.size(), [&](const nl::Attr& a) {
    types.push_back(a.type());
    lens.push_back(a.len());
  }));
  CHECK_EQ(types, (std::vector<uint16_t>{1, 2, 7}));
  CHECK_EQ(lens, (std::vector<uint16_t>{1, 4, 6}));
  // A broken header after two good ones: those two are still visited.
  Bytes broken = cat({attr(1, {1}), attr(2, {2}), le16(2), le16(3)});
  int seen = 0;
  CHECK(!nl::for_each_attr(broken.data(), broken.size(), [&](const nl::Attr&) { ++seen; }));
  CHECK_EQ(seen, 2);
}

TEST(attr_valid_direct) {
  uint8_t four[4] = {};
  nl::Attr a(9, four, 4);
  std::string why;
  CHECK(nl::attr_valid(a, {nl::AttrKind::U32}, &why));
  CHECK(!nl::attr_valid(a, {nl::AttrKind::U16}, &why));
  CHECK_EQ(why, "attribute 9 has length 4, expected 2");
  CHECK(!nl::attr_valid(a, {nl::AttrKind::Binary, 5, 0}, &why));
  CHECK(why.find("attribute 9 has length 4") != std::string::npos);
  CHECK(!nl::attr_valid(a, {nl::AttrKind::U64}, nullptr));  // why may be null
}

TEST(attr_table_reuse_and_sizes) {
  // Before any parse nothing is present.
  nl::AttrTable fresh;
  CHECK(!fresh.has(0));
  CHECK(!fresh.has(A_U32));
  // A second parse forgets what the first one found.
  nl::AttrTable tb;
  Bytes first = valid_stream();
  REQUIRE(parse(tb, first));
  CHECK(tb.has(A_STR));
  Bytes second = cat({attr(A_U8, {3})});
  REQUIRE(parse(tb, second));
  CHECK(!tb.has(A_STR));
  CHECK(!tb.has(A_U32));
  CHECK_EQ(tb.get(A_U8)->u8(), 3u);
  // Tables of many types (beyond the inline slots) work the same, before
  // and after a small one on the same object.
  static nl::Policy wide[301];
  for (auto& p : wide) p = {nl::AttrKind::U32};
  Bytes many = cat({attr(1, le32(1)), attr(63, le32(63)), attr(64, le32(64)), attr(300, le32(300))});
  REQUIRE(tb.parse(many.data(), many.size(), wide, 300));
  CHECK_EQ(tb.get(63)->u32(), 63u);
  CHECK_EQ(tb.get(64)->u32(), 64u);
  CHECK_EQ(tb.get(300)->u32(), 300u);
  CHECK(!tb.has(299));
  CHECK(!tb.has(301));
  REQUIRE(tb.parse(many.data(), many.size(), wide, 63));
  CHECK_EQ(tb.get(63)->u32(), 63u);
  CHECK(!tb.has(64));
  CHECK(!tb.has(300));
}
