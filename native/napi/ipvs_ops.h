// The ipvs(ops) binding call: many IPVS operations in one worker, sent as
// pipelined messages (dumps one at a time on the socket, but all within the
// same worker), each with its own result. "listAll" dumps the services and
// then every service's destinations without returning to JS in between.
#pragma once

#include <napi.h>

#include <memory>
#include <optional>
#include <vector>

#include "../codec/ipvs_daemon.h"
#include "../codec/ipvs_dest.h"
#include "../codec/ipvs_info.h"
#include "../codec/ipvs_service.h"
#include "../nl/genl.h"
#include "ipvs_render.h"
#include "worker.h"

namespace napi {

struct IpvsOp {
  enum Kind { AddService, EditService, DeleteService, GetService, ListServices, ListAll,
              AddDest, EditDest, DeleteDest, ListDests, Flush, Zero, GetTimeouts, SetTimeouts,
              GetInfo, AddDaemon, DeleteDaemon, ListDaemons } kind;
  bool has_service = false;
  codec::IpvsService service;
  codec::IpvsDest dest;
  codec::IpvsDaemon daemon;
  codec::IpvsTimeouts timeouts;
};

// Unpacks ops packed by src/ipvs/encode.ts: `nums` holds kStride u32 slots
// per op, `strs` kStrings NUL-separated strings per op.
std::vector<IpvsOp> parse_ipvs_ops(const Napi::Uint32Array& nums, const std::string& strs);

struct IpvsResult {
  nl::Error error;
  std::vector<codec::IpvsService> services;
  std::vector<std::vector<codec::IpvsDest>> service_dests;  // listAll: per service
  size_t streamed_chunks = 0;  // listAll: chunks already handed to JS (then services is not rendered again)
  std::vector<codec::IpvsDest> dests;
  std::vector<codec::IpvsDaemon> daemons;
  codec::IpvsTimeouts timeouts;
  codec::IpvsInfo info;
};

class IpvsWorker : public PromiseWorker {
 public:
  // With on_chunk, a large listAll hands its services to JS in chunks while
  // the rest are being dumped: on_chunk(first service index, rows) on the
  // JS thread, and the op's result says how many chunks there were.
  IpvsWorker(Napi::Env env, std::shared_ptr<nl::Socket> sock, std::shared_ptr<nl::GenlResolver> genl,
             std::vector<IpvsOp> ops, std::optional<Napi::ThreadSafeFunction> on_chunk = std::nullopt)
      : PromiseWorker(env), sock_(std::move(sock)), genl_(std::move(genl)), ops_(std::move(ops)),
        on_chunk_(std::move(on_chunk)) {}

 protected:
  void Run() override;
  Napi::Value Resolve(Napi::Env env) override;

 private:
  void run_batch(uint16_t family, size_t from, size_t to);
  void run_list_all(uint16_t family, size_t index);

  std::shared_ptr<nl::Socket> sock_;
  std::shared_ptr<nl::GenlResolver> genl_;
  std::vector<IpvsOp> ops_;
  std::optional<Napi::ThreadSafeFunction> on_chunk_;
  std::vector<IpvsResult> results_;
  IpvsOutput out_;
};

}  // namespace napi
