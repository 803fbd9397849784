// Module entry: exports the Handle class and the netlink protocol numbers.
#include <linux/netlink.h>
#include <napi.h>

#include "handle.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Handle", napi::Handle::Init(env));
  Napi::Object protocols = Napi::Object::New(env);
  protocols.Set("route", NETLINK_ROUTE);
  protocols.Set("generic", NETLINK_GENERIC);
  protocols.Set("netfilter", NETLINK_NETFILTER);
  exports.Set("protocols", protocols);
  return exports;
}

}  // namespace

NODE_API_MODULE(dataplane, Init)
