#!/usr/bin/env bash
# Builds the libFuzzer target native/fuzz/fuzz_netlink.cc (with the netlink
# core and the rtnl codec, under ASan and UBSan) into native/fuzz/build/ and
# runs it for SECONDS (default 60). New inputs go to native/fuzz/build/corpus;
# the committed seeds in native/fuzz/corpus are rewritten from the test
# fixtures first and only read. Exits non-zero on any crash, leak or
# sanitizer report; the last line says how many inputs ran.
set -uo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/native/fuzz/build"
seeds="$root/native/fuzz/corpus"
mkdir -p "$build/corpus" "$build/artifacts" "$seeds"

cxx="${FUZZ_CXX:-clang++}"
sources=("$root"/native/nl/*.cc "$root"/native/codec/*.cc)
common=(-std=c++17 -g -Wall -Wextra -pthread)

# Rebuild only when a source, header or this script is newer than the binary.
up_to_date() {
  local target="$1" f
  [[ -f "$target" ]] || return 1
  for f in "$root"/native/nl/* "$root"/native/codec/* "$root"/native/fuzz/fuzz_netlink.cc \
      "$root"/native/test/fixtures_rtnl.h "${BASH_SOURCE[0]}"; do
    [[ "$f" -nt "$target" ]] && return 1
  done
  return 0
}

# The seed writer: the same file, without libFuzzer.
if ! up_to_date "$build/write-seeds" && ! "$cxx" "${common[@]}" -O1 -DDATAPLANE_FUZZ_WRITE_SEEDS "$root/native/fuzz/fuzz_netlink.cc" "${sources[@]}" \
    -o "$build/write-seeds"; then
  echo "fuzz: building the seed writer failed" >&2
  exit 1
fi
"$build/write-seeds" "$seeds" || { echo "fuzz: writing seeds failed" >&2; exit 1; }

if ! up_to_date "$build/fuzz_netlink" && ! "$cxx" "${common[@]}" -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all "$root/native/fuzz/fuzz_netlink.cc" "${sources[@]}" -o "$build/fuzz_netlink"; then
  echo "fuzz: build failed" >&2
  exit 1
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
log="$build/fuzz.log"
start=$(date +%s)
"$build/fuzz_netlink" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$build/artifacts/" "$build/corpus" "$seeds" >"$log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)

if ((rc != 0)); then
  # Show what libFuzzer and the sanitizers said, and where the input is.
  tail -n 60 "$log"
  echo "fuzz: FAILED (exit $rc) after ${execs:-?} execs in ${elapsed} s; crashing inputs in $build/artifacts/" >&2
  exit 1
fi
if [[ -z "$execs" ]]; then
  tail -n 20 "$log"
  echo "fuzz: no final stats in $log" >&2
  exit 1
fi
grep -E '^(INFO: Seed|#[0-9]+[[:space:]]+(INITED|DONE))' "$log" | tail -n 3
echo "fuzz: $execs execs in $elapsed s, no crashes"
