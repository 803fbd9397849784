#!/usr/bin/env bash
# Builds every libFuzzer target native/fuzz/fuzz_NAME.cc (with the netlink
# core and all codecs, under ASan and UBSan) into native/fuzz/build/ and runs
# each for SECONDS (default 60). New inputs go to native/fuzz/build/corpus/NAME;
# the committed seeds in native/fuzz/corpus/NAME are rewritten from the test
# fixtures first (the same file built with -DDATAPLANE_FUZZ_WRITE_SEEDS) and
# only read.
#
# Then the JavaScript targets: the nftables and x_tables decoders (TypeScript,
# src/nft, src/iptables) under libFuzzer, with edge coverage from JS (native/fuzz/js/):
#   - driver.cc, an N-API addon linked with libFuzzer's runtime without main
#     (libclang_rt.fuzzer_no_main), runs the fuzzing loop in node and
#     registers 8-bit counters that the JS code increments;
#   - instrument.mjs compiles src/**/*.ts with a counter at every function
#     entry and branch into native/fuzz/build/js/;
#   - selfcheck.mjs runs first: libFuzzer must find a 5-byte magic prefix
#     that only the JS counters lead it to (planted.ts) within 30 s, or the
#     run fails;
#   - the targets, native/fuzz/js/fuzz_NAME.mjs, each run for SECONDS (what
#     each checks is described in it): fuzz_nft.mjs, seeds from
#     test/fixtures/nft/*.json; fuzz_iptables_decode.mjs (the x_tables
#     decoder, src/iptables), seeds from test/fixtures/iptables/*.replace.json;
#     each writes its seeds with --write-seeds.
# Both are rebuilt only when their inputs changed. A crashing input is
# replayed with `node native/fuzz/js/fuzz_NAME.mjs FILE`.
#
# Exits non-zero on any crash, leak or sanitizer report; the last line says
# how many inputs ran in all.
set -uo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/native/fuzz/build"
cxx="${FUZZ_CXX:-clang++}"
sources=("$root"/native/nl/*.cc "$root"/native/codec/*.cc "$root"/native/xt/*.cc)
common=(-std=c++17 -g -Wall -Wextra -pthread)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Rebuild only when a source, header, fixture or this script is newer than the binary.
up_to_date() {
  local target="$1" target_src="$2" f
  [[ -f "$target" ]] || return 1
  for f in "$root"/native/nl/* "$root"/native/codec/* "$root"/native/xt/* "$target_src" "$root"/native/test/fixtures_*.h "$root"/native/test/xt_blob.h \
      "${BASH_SOURCE[0]}"; do
    [[ "$f" -nt "$target" ]] && return 1
  done
  return 0
}

# Builds and runs one target; prints its exec count on the last line.
fuzz_one() {
  local src="$1" name seeds bin
  name="$(basename "$src" .cc)"
  name="${name#fuzz_}"
  seeds="$root/native/fuzz/corpus/$name"
  bin="$build/fuzz_$name"
  mkdir -p "$build/corpus/$name" "$build/artifacts/$name" "$seeds"

  if ! up_to_date "$build/write-seeds-$name" "$src" && ! "$cxx" "${common[@]}" -O1 -DDATAPLANE_FUZZ_WRITE_SEEDS \
      "$src" "${sources[@]}" -o "$build/write-seeds-$name"; then
    echo "fuzz $name: building the seed writer failed" >&2
    return 1
  fi
  "$build/write-seeds-$name" "$seeds" || { echo "fuzz $name: writing seeds failed" >&2; return 1; }

  if ! up_to_date "$bin" "$src" && ! "$cxx" "${common[@]}" -O1 -fno-omit-frame-pointer \
      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all "$src" "${sources[@]}" -o "$bin"; then
    echo "fuzz $name: build failed" >&2
    return 1
  fi

  run_target "$name" "$bin"
}

# Runs one target (COMMAND... is the fuzzer binary, or node and a script) for
# SECONDS on its corpus and seeds; prints its DONE line and exec count.
run_target() {
  local name="$1" log rc start elapsed execs
  shift
  log="$build/fuzz-$name.log"
  mkdir -p "$build/corpus/$name" "$build/artifacts/$name"
  start=$(date +%s)
  "$@" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/artifacts/$name/" "$build/corpus/$name" "$root/native/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(final_execs "$log")
  if ((rc != 0)); then
    tail -n 60 "$log"
    echo "fuzz $name: FAILED (exit $rc) after ${execs:-?} execs in ${elapsed} s; crashing inputs in $build/artifacts/$name/" >&2
    return 1
  fi
  if [[ -z "$execs" ]]; then
    tail -n 20 "$log"
    echo "fuzz $name: no final stats in $log" >&2
    return 1
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1
  echo "fuzz $name: $execs execs in $elapsed s, no crashes"
  total=$((total + execs))
  ntargets=$((ntargets + 1))
}

final_execs() {
  sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$1" | tail -n 1
}

# True when TARGET exists and nothing in the other arguments (files, or
# directories searched for *.ts, *.mjs, *.cc) is newer.
newer_than_inputs() {
  local target="$1" f
  shift
  [[ -f "$target" ]] || return 1
  for f in "$@"; do
    if [[ -d "$f" ]]; then
      [[ -z "$(find "$f" \( -name '*.ts' -o -name '*.mjs' -o -name '*.cc' \) -newer "$target" -print -quit)" ]] || return 1
    elif [[ "$f" -nt "$target" ]]; then
      return 1
    fi
  done
  return 0
}

# The JS targets: the driver addon, the instrumented build, the self-check, then each target.
fuzz_js() {
  local js="$root/native/fuzz/js" out="$build/js" include runtime log rc start elapsed execs magic
  include="$(node -p "require('path').resolve(process.execPath, '../../include/node')")"
  runtime="$("$cxx" -print-resource-dir)/lib/linux/libclang_rt.fuzzer_no_main-$(uname -m).a"
  mkdir -p "$out"
  if ! newer_than_inputs "$out/driver.node" "$js/driver.cc" "${BASH_SOURCE[0]}"; then
    if [[ ! -f "$include/node_api.h" || ! -f "$runtime" ]]; then
      echo "fuzz js: need $include/node_api.h (node's headers) and $runtime (apt-get install libclang-rt-14-dev)" >&2
      return 1
    fi
    "$cxx" -std=c++17 -O1 -g -Wall -Wextra -shared -fPIC -I"$include" "$js/driver.cc" "$runtime" -pthread \
      -o "$out/driver.node" || { echo "fuzz js: building the driver failed" >&2; return 1; }
  fi
  if ! newer_than_inputs "$out/coverage.json" "$root/src" "$js/instrument.mjs" "$js/planted.ts" "$root/tsconfig.json" \
      "$root/node_modules/typescript/package.json" "${BASH_SOURCE[0]}"; then
    node "$js/instrument.mjs" "$out" || { echo "fuzz js: instrumenting the TypeScript failed" >&2; return 1; }
  fi

  # Self-check: no corpus (nothing carried over between runs), so the magic is found from scratch each time.
  log="$build/fuzz-js-selfcheck.log"
  rm -rf "$build/artifacts/js-selfcheck"
  mkdir -p "$build/artifacts/js-selfcheck"
  start=$(date +%s%N)
  node "$js/selfcheck.mjs" -max_total_time=30 -print_final_stats=1 -artifact_prefix="$build/artifacts/js-selfcheck/" >"$log" 2>&1
  rc=$?
  elapsed=$((($(date +%s%N) - start) / 100000000))  # tenths of a second
  execs=$(final_execs "$log")
  magic=$(cat "$build"/artifacts/js-selfcheck/crash-* 2>/dev/null | head -c 5 | od -An -tx1 | tr -d ' \n')
  if ((rc == 0)) || ! grep -q 'planted: the magic prefix was found' "$log" || [[ "$magic" != 4e4654217f ]]; then
    tail -n 30 "$log"
    echo "fuzz js-selfcheck: FAILED: libFuzzer did not find the planted magic prefix within 30 s (exit $rc): no edge feedback from the JS counters?" >&2
    return 1
  fi
  echo "fuzz js-selfcheck: libFuzzer found the planted 5-byte magic after ${execs:-?} execs in $((elapsed / 10)).$((elapsed % 10)) s"

  local src name
  for src in "$js"/fuzz_*.mjs; do
    name="$(basename "$src" .mjs)"
    name="${name#fuzz_}"
    node "$src" --write-seeds "$root/native/fuzz/corpus/$name" >/dev/null || { echo "fuzz $name: writing seeds failed" >&2; return 1; }
    run_target "$name" node --enable-source-maps "$src" || return 1
    # libFuzzer's cov: counts the counters ever hit; the target says how many the modules it loaded have.
    local cov of
    cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$build/fuzz-$name.log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    of=$(sed -n 's/^INFO: JS counters: \([0-9]*\) in the \([0-9]*\) modules loaded.*/\1 counters in the \2 modules it loads/p' "$build/fuzz-$name.log")
    echo "fuzz $name: JS coverage ${cov:-?} of ${of:-?}, $(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/fuzz-$name.log") execs/s"
  done
}

total=0
ntargets=0
for src in "$root"/native/fuzz/fuzz_*.cc; do
  fuzz_one "$src" || exit 1
done
fuzz_js || exit 1
echo "fuzz: $ntargets targets, $total execs in all, no crashes"
