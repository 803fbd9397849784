// Reading the binding's wire-shaped JS objects into C++ and back. The
// TypeScript layer has validated everything; these only convert.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace napi {

inline bool has(const Napi::Object& o, const char* key) {
  return o.Has(key) && !o.Get(key).IsUndefined() && !o.Get(key).IsNull();
}
inline std::string get_string(const Napi::Object& o, const char* key) {
  return has(o, key) ? o.Get(key).As<Napi::String>().Utf8Value() : std::string();
}
inline uint32_t get_u32(const Napi::Object& o, const char* key, uint32_t fallback = 0) {
  return has(o, key) ? o.Get(key).As<Napi::Number>().Uint32Value() : fallback;
}
inline int32_t get_i32(const Napi::Object& o, const char* key, int32_t fallback = 0) {
  return has(o, key) ? o.Get(key).As<Napi::Number>().Int32Value() : fallback;
}
inline bool get_bool(const Napi::Object& o, const char* key, bool fallback = false) {
  return has(o, key) ? o.Get(key).ToBoolean().Value() : fallback;
}
inline std::vector<uint8_t> get_bytes(const Napi::Object& o, const char* key) {
  if (!has(o, key)) return {};
  auto arr = o.Get(key).As<Napi::Uint8Array>();
  return std::vector<uint8_t>(arr.Data(), arr.Data() + arr.ByteLength());
}
inline Napi::Value bytes(Napi::Env env, const std::vector<uint8_t>& v) {
  return Napi::Buffer<uint8_t>::Copy(env, v.data(), v.size());
}

// A JS array of to_js(env, item) for each item.
template <typename T, typename F>
Napi::Array to_array(Napi::Env env, const std::vector<T>& items, F to_js) {
  Napi::Array out = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) out.Set(static_cast<uint32_t>(i), to_js(env, items[i]));
  return out;
}

// Each element of a JS array of op objects, parsed by parse_one.
template <typename Op>
std::vector<Op> parse_array(const Napi::Array& ops, Op (*parse_one)(const Napi::Object&)) {
  std::vector<Op> out;
  out.reserve(ops.Length());
  for (uint32_t i = 0; i < ops.Length(); ++i) out.push_back(parse_one(ops.Get(i).As<Napi::Object>()));
  return out;
}

}  // namespace napi
