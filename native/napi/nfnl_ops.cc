#include "nfnl_ops.h"

#include <cstring>

#include "convert.h"

namespace napi {

Napi::Value NfnlBatchWorker::Resolve(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array errors = Napi::Array::New(env, result_.errors.size());
  for (size_t i = 0; i < result_.errors.size(); ++i) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("index", Napi::Number::New(env, static_cast<double>(result_.errors[i].index)));
    e.Set("error", error_object(env, result_.errors[i].error));
    errors.Set(static_cast<uint32_t>(i), e);
  }
  o.Set("errors", errors);
  o.Set("lost", Napi::Boolean::New(env, result_.lost));
  return o;
}

Napi::Value NfnlWorker::Resolve(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, replies_.size());
  for (size_t i = 0; i < replies_.size(); ++i) {
    const nl::Reply& r = replies_[i];
    Napi::Object o = Napi::Object::New(env);
    if (!r.error.ok()) o.Set("error", error_object(env, r.error));
    size_t total = 0;
    for (const auto& m : r.messages) total += nl::align4(m.size());
    Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::New(env, total);
    size_t off = 0;
    for (const auto& m : r.messages) {
      std::memcpy(data.Data() + off, m.data(), m.size());
      std::memset(data.Data() + off + m.size(), 0, nl::align4(m.size()) - m.size());
      off += nl::align4(m.size());
    }
    o.Set("data", data);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

void NfnlConcatWorker::Run() {
  std::vector<nl::Reply> replies = nl::exchange(*sock_, requests_);
  requests_.clear();
  joined_ = nl::join_replies(replies);
}

Napi::Value NfnlConcatWorker::Resolve(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  const nl::JoinedReplies& j = joined_;
  o.Set("data", j.data.empty() ? Napi::Buffer<uint8_t>::New(env, 0)
                               : Napi::Buffer<uint8_t>::Copy(env, j.data.data(), j.data.size()));
  Napi::Uint32Array ends = Napi::Uint32Array::New(env, j.ends.size());
  if (!j.ends.empty()) std::memcpy(ends.Data(), j.ends.data(), j.ends.size() * sizeof(uint32_t));
  o.Set("ends", ends);
  Napi::Array errors = Napi::Array::New(env, j.errors.size());
  for (size_t i = 0; i < j.errors.size(); ++i) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("index", Napi::Number::New(env, j.errors[i].first));
    e.Set("error", error_object(env, j.errors[i].second));
    errors.Set(static_cast<uint32_t>(i), e);
  }
  o.Set("errors", errors);
  return o;
}

std::vector<nl::Request> parse_nfnl_requests(Napi::Env env, const uint8_t* data, size_t len,
                                             const uint8_t* dumps, size_t ndumps) {
  std::vector<nl::Request> out;
  size_t off = 0;
  while (off < len) {
    nlmsghdr h;
    if (len - off < sizeof h) throw Napi::TypeError::New(env, "nfnl: truncated message");
    std::memcpy(&h, data + off, sizeof h);
    if (h.nlmsg_len < sizeof h + 4 || h.nlmsg_len > len - off || (h.nlmsg_len & 3) != 0)
      throw Napi::TypeError::New(env, "nfnl: bad message length");
    nl::Message m(h.nlmsg_type, h.nlmsg_flags);
    m.append_raw(data + off + sizeof h, h.nlmsg_len - sizeof h);
    bool dump = out.size() < ndumps && dumps[out.size()] != 0;
    out.emplace_back(std::move(m), dump);
    off += h.nlmsg_len;
  }
  return out;
}

}  // namespace napi
