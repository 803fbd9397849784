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

class ConntrackWorker : public PromiseWorker {
 public:
  ConntrackWorker(Napi::Env env, std::shared_ptr<nl::Socket> sock, std::vector<ConntrackOp> ops)
      : PromiseWorker(env), sock_(std::move(sock)), ops_(std::move(ops)) {}

 protected:
  void Run() override;
  Napi::Value Resolve(Napi::Env env) override;

 private:
  std::shared_ptr<nl::Socket> sock_;
  std::vector<ConntrackOp> ops_;
  std::vector<ConntrackResult> results_;
};

}  // namespace napi
