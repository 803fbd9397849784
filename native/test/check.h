// A tiny test framework for the native unit tests: TEST(name) registers a
// test, CHECK/CHECK_EQ record a failure (file:line) and go on, REQUIRE/
// REQUIRE_EQ record it and stop the test, SKIP(why) ends a test that cannot
// run here. main() lives in main.cc.
#pragma once

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace check {

using TestFn = void (*)();

struct TestCase {
  const char* name;
  TestFn fn;
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

struct Registrar {
  Registrar(const char* name, TestFn fn) { registry().push_back({name, fn}); }
};

// Failures of the test that is running.
inline std::vector<std::string>& failures() {
  static std::vector<std::string> list;
  return list;
}

inline void fail(const char* file, int line, const std::string& what) {
  const char* base = file;
  for (const char* p = file; *p != '\0'; ++p)
    if (*p == '/') base = p + 1;
  failures().push_back(std::string(base) + ":" + std::to_string(line) + ": " + what);
}

// Thrown by REQUIRE* after recording the failure, to end the test.
struct Abort {};
// Thrown by SKIP: the test did not run (counted as pending).
struct Skip {
  std::string why;
};

template <typename T, typename = void>
struct Streamable : std::false_type {};
template <typename T>
struct Streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};

inline std::string hex(const uint8_t* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) s += ' ';
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

template <typename T>
std::string show(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t> ||
                       std::is_same_v<T, char>) {
    return std::to_string(static_cast<int>(v));
  } else if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(v));
  } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
    return "[" + std::to_string(v.size()) + " bytes: " + hex(v.data(), v.size() < 64 ? v.size() : 64) +
           (v.size() > 64 ? " ..." : "") + "]";
  } else if constexpr (std::is_convertible_v<const T&, std::string>) {
    return "\"" + std::string(v) + "\"";
  } else if constexpr (Streamable<T>::value) {
    std::ostringstream os;
    os << v;
    return os.str();
  } else {
    return "<value>";
  }
}

// Byte vectors: say where they first differ.
inline std::string diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  size_t at = 0;
  while (at < n && a[at] == b[at]) ++at;
  size_t from = at >= 8 ? at - 8 : 0;
  auto window = [&](const std::vector<uint8_t>& v) {
    size_t to = from + 24 < v.size() ? from + 24 : v.size();
    return hex(v.data() + from, to > from ? to - from : 0);
  };
  return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
         ", first difference at byte " + std::to_string(at) + " (from byte " + std::to_string(from) +
         ": " + window(a) + " | " + window(b) + ")";
}

template <typename T>
bool negative(T v) {
  if constexpr (std::is_signed_v<T>) return v < 0;
  else return false;
}

template <typename A, typename B>
bool equal(const A& a, const B& b, std::string& why) {
  if constexpr (std::is_integral_v<A> && std::is_integral_v<B>) {
    // Compare integers by value, whatever their signedness.
    bool same = negative(a) == negative(b) && static_cast<unsigned long long>(a) == static_cast<unsigned long long>(b);
    if (!same) why = show(a) + " != " + show(b);
    return same;
  } else if constexpr (std::is_same_v<A, std::vector<uint8_t>> && std::is_same_v<B, std::vector<uint8_t>>) {
    if (a == b) return true;
    why = diff(a, b);
    return false;
  } else {
    if (a == b) return true;
    why = show(a) + " != " + show(b);
    return false;
  }
}

}  // namespace check

#define CHECK_CAT2(a, b) a##b
#define CHECK_CAT(a, b) CHECK_CAT2(a, b)

#define TEST(name)                                                             \
  static void CHECK_CAT(test_, name)();                                        \
  static ::check::Registrar CHECK_CAT(registrar_, name)(#name, &CHECK_CAT(test_, name)); \
  static void CHECK_CAT(test_, name)()

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) ::check::fail(__FILE__, __LINE__, "CHECK(" #cond ") failed"); \
  } while (0)

#define CHECK_EQ(a, b)                                                                   \
  do {                                                                                   \
    std::string check_why_;                                                              \
    if (!::check::equal((a), (b), check_why_))                                          \
      ::check::fail(__FILE__, __LINE__, "CHECK_EQ(" #a ", " #b "): " + check_why_);     \
  } while (0)

#define REQUIRE(cond)                                                            \
  do {                                                                           \
    if (!(cond)) {                                                               \
      ::check::fail(__FILE__, __LINE__, "REQUIRE(" #cond ") failed");            \
      throw ::check::Abort{};                                                    \
    }                                                                            \
  } while (0)

#define REQUIRE_EQ(a, b)                                                                 \
  do {                                                                                   \
    std::string check_why_;                                                              \
    if (!::check::equal((a), (b), check_why_)) {                                         \
      ::check::fail(__FILE__, __LINE__, "REQUIRE_EQ(" #a ", " #b "): " + check_why_);    \
      throw ::check::Abort{};                                                            \
    }                                                                                    \
  } while (0)

#define SKIP(why) throw ::check::Skip{why}
