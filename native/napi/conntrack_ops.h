// The conntrack(ops) binding call: ctnetlink dumps and deletes in one
// pipelined exchange (N deletes = N messages, one worker), each op with its
// own result.
#pragma once

#include <napi.h>

#include <memory>
#include <optional>
#include <vector>

#include "../codec/conntrack.h"
#include "worker.h"

namespace napi {

struct ConntrackOp {
  enum Kind { List, Delete } kind = List;
  codec::CtDumpFilter filter;     // List
  uint8_t family = 0;             // Delete
  codec::CtTuple tuple;           // Delete: the original-direction tuple
  uint16_t zone = 0;              // Delete
  std::optional<uint32_t> id;     // Delete
};

std::vector<ConntrackOp> parse_conntrack_ops(const Napi::Array& ops);

struct ConntrackResult {
  nl::Error error;
  std::vector<codec::CtEntry> entries;
};

class ConntrackWorker : public OpsWorker<ConntrackOp, ConntrackResult> {
 public:
  using OpsWorker::OpsWorker;

 protected:
  void Run() override;
  Napi::Value Resolve(Napi::Env env) override;
};

}  // namespace napi
