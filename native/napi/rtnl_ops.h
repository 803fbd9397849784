// The rtnl(ops) binding call: many link/address operations in one
// pipelined exchange, each with its own result.
#pragma once

#include <napi.h>

#include <memory>
#include <optional>
#include <vector>

#include "../codec/rtnl_addr.h"
#include "../codec/rtnl_link.h"
#include "../nl/netns.h"
#include "worker.h"

namespace napi {

struct RtnlOp {
  enum Kind { GetLink, ListLinks, AddLink, DeleteLink, SetLink, ListAddresses, AddAddress,
              ReplaceAddress, DeleteAddress } kind;
  codec::LinkRef ref;
  codec::NewLink link;
  std::optional<nl::NetnsSpec> peer_netns;
  codec::LinkChange change;
  codec::Address addr;
};

std::vector<RtnlOp> parse_rtnl_ops(const Napi::Array& ops);

struct RtnlResult {
  nl::Error error;
  std::vector<codec::Link> links;
  std::vector<codec::Address> addresses;
};

class RtnlWorker : public OpsWorker<RtnlOp, RtnlResult> {
 public:
  using OpsWorker::OpsWorker;

 protected:
  void Run() override;
  Napi::Value Resolve(Napi::Env env) override;
};

}  // namespace napi
