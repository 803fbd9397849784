// libFuzzer driving JavaScript: a small N-API addon, linked with libFuzzer's
// runtime built without main() (libclang_rt.fuzzer_no_main), that runs the
// fuzzing loop on the JS main thread and hands each input to a JS callback.
//
// Coverage comes from JavaScript: counters(flags) allocates one 8-bit
// counter per instrumentation point (native/fuzz/js/instrument.mjs puts an
// increment at every function entry and branch of the compiled TypeScript),
// registers them with libFuzzer as an inline 8-bit counter module together
// with a matching PC table, and returns a Uint8Array over the same memory.
// libFuzzer clears the counters before each input and reads them after it,
// exactly as it does for code compiled with -fsanitize=fuzzer.
//
//   counters(flags: Uint8Array): Uint8Array
//     once, before run(); flags[i] & 1 marks counter i as a function entry.
//   run(args: string[], callback: (data: Buffer) => void): number
//     args are libFuzzer's argv (args[0] is the program name). Calls
//     callback(copy of the input) for every input. A callback that throws
//     is a crash: the exception's stack goes to stderr and the process
//     aborts, so libFuzzer writes the input to -artifact_prefix (so does a
//     V8 fatal error, see on_trap). libFuzzer exits the process itself when
//     it is done (fuzzing, or running the input files given); run() returns
//     only from the few modes that do not (-help=1).
//
// Built by scripts/fuzz.sh: clang++ -shared -fPIC with libclang_rt.fuzzer_no_main.
#define NAPI_VERSION 8
#include <node_api.h>

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
// libFuzzer's entry points (compiler-rt/lib/fuzzer): the driver loop, and the
// hooks that compiler instrumentation calls from module constructors.
int LLVMFuzzerRunDriver(int* argc, char*** argv, int (*user_cb)(const uint8_t* data, size_t size));
void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop);
void __sanitizer_cov_pcs_init(const uintptr_t* pcs_begin, const uintptr_t* pcs_end);
}

namespace {

napi_env g_env = nullptr;         // set for the duration of run()
napi_ref g_callback = nullptr;
uint8_t* g_counters = nullptr;

void throw_error(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
}

bool ok(napi_env env, napi_status status, const char* what) {
  if (status == napi_ok) return true;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) throw_error(env, what);
  return false;
}

// A JS value as UTF-8, for error reports (empty if it cannot be converted).
std::string to_string(napi_env env, napi_value v) {
  napi_value s;
  size_t len = 0;
  if (napi_coerce_to_string(env, v, &s) != napi_ok) return "";
  if (napi_get_value_string_utf8(env, s, nullptr, 0, &len) != napi_ok) return "";
  std::string out(len + 1, '\0');
  napi_get_value_string_utf8(env, s, &out[0], out.size(), &len);
  out.resize(len);
  return out;
}

// The callback threw: report what and where, then die by SIGABRT, which
// libFuzzer handles as a crash of the current input.
[[noreturn]] void crash_on_exception(napi_env env) {
  napi_value error;
  std::string text = "(no exception object)";
  if (napi_get_and_clear_last_exception(env, &error) == napi_ok) {
    napi_valuetype type;
    napi_value stack;
    bool has_stack = false;
    if (napi_typeof(env, error, &type) == napi_ok && type == napi_object &&
        napi_has_named_property(env, error, "stack", &has_stack) == napi_ok && has_stack &&
        napi_get_named_property(env, error, "stack", &stack) == napi_ok) {
      text = to_string(env, stack);
    } else {
      text = to_string(env, error);
    }
  }
  std::fprintf(stderr, "\n==%d== the JavaScript fuzz callback threw:\n%s\n", static_cast<int>(getpid()), text.c_str());
  std::fflush(stderr);
  std::abort();
}

// V8's fatal errors (e.g. an array grown past its limit) end the process with
// SIGTRAP, which libFuzzer does not handle: turned into SIGABRT, which it
// does, they are crashes with the input saved like any other.
void on_trap(int) {
  static const char message[] = "\nfuzz driver: SIGTRAP (a V8 fatal error?), aborting\n";
  ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
  (void)ignored;
  std::abort();
}

void handle_traps() {
  struct sigaction old {};
  if (sigaction(SIGTRAP, nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) return;
  struct sigaction sa {};
  sa.sa_handler = on_trap;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTRAP, &sa, nullptr);
}

int one_input(const uint8_t* data, size_t size) {
  napi_env env = g_env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) std::abort();
  napi_value buffer, callback, recv, result;
  void* copy;
  if (napi_create_buffer_copy(env, size, data, &copy, &buffer) != napi_ok ||
      napi_get_reference_value(env, g_callback, &callback) != napi_ok || napi_get_undefined(env, &recv) != napi_ok) {
    std::fprintf(stderr, "fuzz driver: cannot set up the callback call\n");
    std::abort();
  }
  if (napi_call_function(env, recv, callback, 1, &buffer, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) crash_on_exception(env);
    std::fprintf(stderr, "fuzz driver: calling the callback failed\n");
    std::abort();
  }
  napi_close_handle_scope(env, scope);
  return 0;
}

napi_value counters(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (!ok(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "counters: bad arguments")) return nullptr;
  napi_typedarray_type type;
  size_t n = 0;
  void* flags_data = nullptr;
  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (argc < 1 || !is_typed ||
      napi_get_typedarray_info(env, argv[0], &type, &n, &flags_data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    throw_error(env, "counters: expected a Uint8Array of flags");
    return nullptr;
  }
  if (g_counters != nullptr) {
    throw_error(env, "counters: already registered");
    return nullptr;
  }
  if (n == 0) {
    throw_error(env, "counters: need at least one counter");
    return nullptr;
  }
  const uint8_t* flags = static_cast<const uint8_t*>(flags_data);
  // Page-aligned like a compiler's counter section; libFuzzer clears it before every input.
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t bytes = (n + page - 1) / page * page;
  void* mem = nullptr;
  if (posix_memalign(&mem, page, bytes) != 0) {
    throw_error(env, "counters: out of memory");
    return nullptr;
  }
  std::memset(mem, 0, bytes);
  g_counters = static_cast<uint8_t*>(mem);
  // The PC table: one {pc, flags} pair per counter, in the same order. There
  // is no machine code behind a JS counter, so the "pc" is its index + 1;
  // libFuzzer only uses it as an identity (cov: counts distinct entries,
  // -print_pcs prints it). Bit 0 of the flags marks a function entry.
  auto* pcs = new uintptr_t[2 * n];
  for (size_t i = 0; i < n; i++) {
    pcs[2 * i] = i + 1;
    pcs[2 * i + 1] = flags[i] & 1;
  }
  __sanitizer_cov_8bit_counters_init(g_counters, g_counters + n);
  __sanitizer_cov_pcs_init(pcs, pcs + 2 * n);
  // Neither block is ever freed: libFuzzer keeps pointers to both.
  napi_value ab, array;
  if (!ok(env, napi_create_external_arraybuffer(env, g_counters, n, nullptr, nullptr, &ab), "counters: cannot wrap the memory") ||
      !ok(env, napi_create_typedarray(env, napi_uint8_array, n, ab, 0, &array), "counters: cannot make the Uint8Array")) {
    return nullptr;
  }
  return array;
}

napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (!ok(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "run: bad arguments")) return nullptr;
  bool is_array = false;
  napi_valuetype cb_type = napi_undefined;
  if (argc == 2) {
    napi_is_array(env, argv[0], &is_array);
    napi_typeof(env, argv[1], &cb_type);
  }
  if (!is_array || cb_type != napi_function) {
    throw_error(env, "run: expected (args: string[], callback: (data: Buffer) => void)");
    return nullptr;
  }
  if (g_counters == nullptr) {
    throw_error(env, "run: call counters() first");
    return nullptr;
  }
  if (g_env != nullptr) {
    throw_error(env, "run: already running");
    return nullptr;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[0], &n);
  // libFuzzer may keep pointers into argv; these copies live as long as the process.
  auto* args = new std::vector<std::string>();
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_valuetype t;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok || napi_typeof(env, item, &t) != napi_ok || t != napi_string) {
      throw_error(env, "run: args must be strings");
      return nullptr;
    }
    args->push_back(to_string(env, item));
  }
  if (args->empty()) args->push_back("fuzz");
  auto* pointers = new std::vector<char*>();
  for (auto& a : *args) pointers->push_back(&a[0]);
  pointers->push_back(nullptr);
  int fuzz_argc = static_cast<int>(args->size());
  char** fuzz_argv = pointers->data();

  if (!ok(env, napi_create_reference(env, argv[1], 1, &g_callback), "run: cannot keep the callback")) return nullptr;
  g_env = env;
  handle_traps();
  int rc = LLVMFuzzerRunDriver(&fuzz_argc, &fuzz_argv, one_input);
  g_env = nullptr;
  napi_delete_reference(env, g_callback);
  g_callback = nullptr;
  napi_value result;
  napi_create_int32(env, rc, &result);
  return result;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"counters", nullptr, counters, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"run", nullptr, run, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}
