// Module entry: exports the Handle class, the netlink protocol numbers, and
// XtHandle (x_tables over raw-socket sockopts).
#include <linux/netlink.h>
#include <napi.h>

#include "handle.h"
#include "iptables_ops.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Handle", napi::Handle::Init(env));
  exports.Set("XtHandle", napi::XtHandle::Init(env));
  Napi::Object protocols = Napi::Object::New(env);
  protocols.Set("route", NETLINK_ROUTE);
  protocols.Set("generic", NETLINK_GENERIC);
  protocols.Set("netfilter", NETLINK_NETFILTER);
  exports.Set("protocols", protocols);
  return exports;
}

}  // namespace

NODE_API_MODULE(dataplane, Init)
