// Against the real kernel: nl::Socket::open in a fresh network namespace
// (made with `ip netns add`, removed afterwards) and nl::exchange. Needs
// root; skipped otherwise.
#include <linux/genetlink.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../codec/rtnl_addr.h"
#include "../codec/rtnl_link.h"
#include "../nl/exchange.h"
#include "../nl/genl.h"
#include "../nl/socket.h"
#include "check.h"

namespace {

std::string run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (status != nullptr) *status = st;
  return out;
}

std::string own_netns() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1);
  if (n < 0) return "readlink failed: " + std::to_string(errno);
  return std::string(buf, static_cast<size_t>(n));
}

// Skipped, except under CI=true, where a privileged test that cannot run
// is a failure (as for the other privileged suites, see scripts/test.mjs).
[[noreturn]] void cannot_run(const std::string& why) {
  const char* ci = std::getenv("CI");
  if (ci != nullptr && (std::string(ci) == "true" || std::string(ci) == "1")) {
    check::fail(__FILE__, __LINE__, why + " (CI=true: not skipped)");
    throw check::Abort{};
  }
  SKIP(why);
}

// A throwaway named netns, /run/netns/NAME, deleted on scope exit.
class TempNetns {
 public:
  TempNetns() {
    if (::geteuid() != 0) cannot_run("needs root to create a network namespace");
    if (std::system("command -v ip >/dev/null 2>&1") != 0) cannot_run("needs ip(8) from iproute2");
    static int counter = 0;
    name_ = "dataplane-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    int st = std::system(("ip netns add " + name_ + " 2>&1").c_str());
    if (st != 0) {
      check::fail(__FILE__, __LINE__, "ip netns add " + name_ + " failed (status " + std::to_string(st) + ")");
      throw check::Abort{};
    }
  }
  ~TempNetns() { std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str()); }
  TempNetns(const TempNetns&) = delete;
  TempNetns& operator=(const TempNetns&) = delete;

  const std::string& name() const { return name_; }
  nl::NetnsSpec spec() const {
    nl::NetnsSpec s;
    s.path = "/run/netns/" + name_;
    return s;
  }

 private:
  std::string name_;
};

codec::Address host_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  codec::Address x;
  x.index = 1;  // lo is always ifindex 1 in a new netns
  x.family = AF_INET;
  x.prefixlen = 32;
  x.local = {a, b, c, d};
  return x;
}

std::string describe(const nl::Error& e) {
  return nl::errno_name(e.code) + (e.extack.empty() ? "" : " (" + e.extack + ")") +
         (e.detail.empty() ? "" : " [" + e.detail + "]");
}

int count_inet(const std::string& ns) {
  std::string out = run("ip -n " + ns + " -4 addr | grep -c inet");
  return std::atoi(out.c_str());
}

}  // namespace

TEST(live_pipeline_2000_addresses) {
  TempNetns ns;
  std::unique_ptr<nl::Socket> sock = nl::Socket::open(NETLINK_ROUTE, ns.spec());
  CHECK(sock->portid() != 0);
  std::vector<nl::Request> reqs;
  for (int i = 0; i < 2000; ++i)
    reqs.push_back(codec::addr_new(host_v4(10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)), false));
  std::vector<nl::Reply> replies = nl::exchange(*sock, reqs);
  REQUIRE_EQ(replies.size(), 2000u);
  int bad = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].error.ok() && ++bad <= 3)
      check::fail(__FILE__, __LINE__, "request " + std::to_string(i) + ": " + describe(replies[i].error));
    CHECK(replies[i].messages.empty());
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(count_inet(ns.name()), 2000);
  // Every request got its own sequence number.
  CHECK(reqs[0].msg.seq() != reqs[1999].msg.seq());
  CHECK(reqs[0].msg.flags() & NLM_F_ACK);
}

TEST(live_duplicate_gets_eexist_at_its_index) {
  TempNetns ns;
  auto sock = nl::Socket::open(NETLINK_ROUTE, ns.spec());
  std::vector<nl::Request> first;
  first.push_back(codec::addr_new(host_v4(10, 9, 0, 1), false));
  REQUIRE(nl::exchange(*sock, first)[0].error.ok());
  // 300 requests: index 120 repeats index 40 of the same batch, index 250
  // repeats the address added above. Only those two fail.
  std::vector<nl::Request> reqs;
  for (int i = 0; i < 300; ++i) {
    if (i == 120)
      reqs.push_back(codec::addr_new(host_v4(10, 8, 0, 40), false));
    else if (i == 250)
      reqs.push_back(codec::addr_new(host_v4(10, 9, 0, 1), false));
    else
      reqs.push_back(codec::addr_new(host_v4(10, 8, uint8_t(i >> 8), uint8_t(i)), false));
  }
  std::vector<nl::Reply> replies = nl::exchange(*sock, reqs);
  REQUIRE_EQ(replies.size(), 300u);
  for (size_t i = 0; i < replies.size(); ++i) {
    int want = (i == 120 || i == 250) ? EEXIST : 0;
    if (replies[i].error.code != want)
      check::fail(__FILE__, __LINE__, "request " + std::to_string(i) + ": got " + describe(replies[i].error) +
                                          ", want " + (want ? "EEXIST" : "success"));
  }
  CHECK_EQ(count_inet(ns.name()), 1 + 298);
  // The same requests with NLM_F_REPLACE all succeed.
  std::vector<nl::Request> again;
  for (int i : {40, 120})
    again.push_back(codec::addr_new(host_v4(10, 8, 0, uint8_t(i)), true));
  for (const nl::Reply& r : nl::exchange(*sock, again)) CHECK(r.error.ok());
}

TEST(live_link_and_addr_dump) {
  TempNetns ns;
  auto sock = nl::Socket::open(NETLINK_ROUTE, ns.spec());
  std::vector<nl::Request> reqs;
  reqs.push_back(codec::link_dump());
  reqs.push_back(codec::addr_new(host_v4(192, 0, 2, 7), false));
  reqs.push_back(codec::addr_dump(AF_INET));
  reqs.push_back(codec::link_get({1, ""}));
  reqs.push_back(codec::link_get({0, "no-such-link"}));
  std::vector<nl::Reply> replies = nl::exchange(*sock, reqs);
  REQUIRE_EQ(replies.size(), 5u);

  REQUIRE(replies[0].error.ok());
  bool saw_lo = false;
  for (const auto& m : replies[0].messages) {
    codec::Link l;
    std::string why;
    REQUIRE(codec::link_decode(m.data(), m.size(), l, &why));
    if (l.name == "lo") {
      saw_lo = true;
      CHECK_EQ(l.index, 1u);
      CHECK_EQ(l.mtu, 65536u);
    }
  }
  CHECK(saw_lo);

  CHECK(replies[1].error.ok());
  REQUIRE(replies[2].error.ok());
  REQUIRE_EQ(replies[2].messages.size(), 1u);
  codec::Address a;
  std::string why;
  REQUIRE(codec::addr_decode(replies[2].messages[0].data(), replies[2].messages[0].size(), a, &why));
  CHECK_EQ(a.local, (std::vector<uint8_t>{192, 0, 2, 7}));
  CHECK_EQ(a.prefixlen, 32);
  CHECK_EQ(a.index, 1u);
  CHECK_EQ(a.label, "lo");

  // A GET by index: the link, then the ACK.
  REQUIRE(replies[3].error.ok());
  REQUIRE_EQ(replies[3].messages.size(), 1u);
  codec::Link lo;
  REQUIRE(codec::link_decode(replies[3].messages[0].data(), replies[3].messages[0].size(), lo, &why));
  CHECK_EQ(lo.name, "lo");
  CHECK_EQ(replies[4].error.code, ENODEV);
}

TEST(live_extack_offset_points_at_bad_attribute) {
  // IFA_LOCAL of 3 bytes fails the kernel's policy for RTM_NEWADDR. Our
  // socket asks for capped ACKs with TLVs, so the answer is the code, the
  // kernel's message and the attribute's offset in our request (24: right
  // after nlmsghdr + ifaddrmsg).
  TempNetns ns;
  auto sock = nl::Socket::open(NETLINK_ROUTE, ns.spec());
  nl::Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = 32;
  ifa.ifa_index = 1;
  m.put_header(ifa);
  const uint8_t three[] = {10, 0, 0};
  m.put(IFA_LOCAL, three, sizeof three);
  std::vector<nl::Request> reqs;
  reqs.emplace_back(std::move(m));
  nl::Reply r = nl::exchange(*sock, reqs)[0];
  CHECK(r.error.code != 0);
  CHECK(!r.error.extack.empty());
  CHECK_EQ(r.error.extack_offset, 24);
}

TEST(live_genl_resolve) {
  TempNetns ns;
  auto sock = nl::Socket::open(NETLINK_GENERIC, ns.spec());
  nl::GenlResolver resolver;
  nl::GenlFamily f;
  nl::Error e = resolver.resolve(*sock, "nlctrl", f);
  REQUIRE(e.ok());
  CHECK_EQ(f.id, GENL_ID_CTRL);
  CHECK_EQ(f.name, "nlctrl");
  nl::GenlFamily none;
  CHECK_EQ(resolver.resolve(*sock, "no-such-family", none).code, ENOENT);
}

TEST(live_missing_netns_throws_enoent) {
  // Needs no privileges: opening the namespace file fails first.
  nl::NetnsSpec spec;
  spec.path = "/run/netns/dataplane-test-does-not-exist-" + std::to_string(::getpid());
  bool threw = false;
  try {
    nl::Socket::open(NETLINK_ROUTE, spec);
  } catch (const nl::SystemError& e) {
    threw = true;
    CHECK_EQ(e.code, ENOENT);
    CHECK_EQ(e.syscall, "open");
    CHECK(e.detail.find(spec.path) != std::string::npos);
  }
  CHECK(threw);
}

TEST(live_caller_netns_unchanged) {
  TempNetns ns;
  std::string before = own_netns();
  struct stat target {};
  REQUIRE(::stat(ns.spec().path.c_str(), &target) == 0);
  auto sock = nl::Socket::open(NETLINK_ROUTE, ns.spec());
  std::string after = own_netns();
  CHECK_EQ(after, before);
  // The socket's netns really is another one.
  CHECK(before != "net:[" + std::to_string(target.st_ino) + "]");
  // And the socket works there while this thread stays here.
  std::vector<nl::Request> reqs;
  reqs.push_back(codec::link_dump());
  CHECK(nl::exchange(*sock, reqs)[0].error.ok());
  CHECK_EQ(own_netns(), before);
  // Opening in the current netns (no thread hop) leaves it alone too.
  auto here = nl::Socket::open(NETLINK_ROUTE, nl::NetnsSpec{});
  CHECK_EQ(own_netns(), before);
}
