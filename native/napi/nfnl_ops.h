// The nfnetlink binding calls. Message bodies are built and decoded in
// TypeScript (src/nft/); these move bytes: one batch in one sendmsg, many
// requests and dumps in one exchange, and multicast events.
#pragma once

#include <napi.h>

#include <memory>
#include <optional>
#include <vector>

#include "../nl/batch.h"
#include "../nl/exchange.h"
#include "worker.h"

namespace napi {

// nfnlBatch(messages: Buffer, subsys, genid?) -> { errors: [{ index, error }], lost }
class NfnlBatchWorker : public PromiseWorker {
 public:
  NfnlBatchWorker(Napi::Env env, std::shared_ptr<nl::Socket> sock, std::vector<uint8_t> messages,
                  uint16_t subsys, std::optional<uint32_t> genid)
      : PromiseWorker(env), sock_(std::move(sock)), messages_(std::move(messages)), subsys_(subsys),
        genid_(genid) {}

 protected:
  void Run() override { result_ = nl::send_batch(*sock_, messages_, subsys_, genid_); }
  Napi::Value Resolve(Napi::Env env) override;

 private:
  std::shared_ptr<nl::Socket> sock_;
  std::vector<uint8_t> messages_;
  uint16_t subsys_;
  std::optional<uint32_t> genid_;
  nl::BatchResult result_;
};

// nfnl(messages: Buffer, dumps: Uint8Array) -> [{ error?, data: Buffer }]
// Each request's reply messages come back concatenated.
class NfnlWorker : public PromiseWorker {
 public:
  NfnlWorker(Napi::Env env, std::shared_ptr<nl::Socket> sock, std::vector<nl::Request> requests)
      : PromiseWorker(env), sock_(std::move(sock)), requests_(std::move(requests)) {}

 protected:
  void Run() override { replies_ = nl::exchange(*sock_, requests_); }
  Napi::Value Resolve(Napi::Env env) override;

 private:
  std::shared_ptr<nl::Socket> sock_;
  std::vector<nl::Request> requests_;
  std::vector<nl::Reply> replies_;
};

// nfnlConcat(messages: Buffer, dumps: Uint8Array) -> { data: Buffer, ends: Uint32Array, errors: [{ index, error }] }
// The same exchange as nfnl, but every reply's messages land in one buffer:
// reply i is data[ends[i - 1] (0 for the first), ends[i]). A listing of tens
// of thousands of small dumps then costs one JS object instead of one each.
class NfnlConcatWorker : public PromiseWorker {
 public:
  NfnlConcatWorker(Napi::Env env, std::shared_ptr<nl::Socket> sock, std::vector<nl::Request> requests)
      : PromiseWorker(env), sock_(std::move(sock)), requests_(std::move(requests)) {}

 protected:
  void Run() override;
  Napi::Value Resolve(Napi::Env env) override;

 private:
  std::shared_ptr<nl::Socket> sock_;
  std::vector<nl::Request> requests_;
  nl::JoinedReplies joined_;
};

// Splits concatenated netlink messages into requests (dumps[i] != 0 marks a dump).
std::vector<nl::Request> parse_nfnl_requests(Napi::Env env, const uint8_t* data, size_t len,
                                             const uint8_t* dumps, size_t ndumps);

}  // namespace napi
