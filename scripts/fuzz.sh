#!/usr/bin/env bash
# Builds every libFuzzer target native/fuzz/fuzz_NAME.cc (with the netlink
# core and all codecs, under ASan and UBSan) into native/fuzz/build/ and runs
# each for SECONDS (default 60). New inputs go to native/fuzz/build/corpus/NAME;
# the committed seeds in native/fuzz/corpus/NAME are rewritten from the test
# fixtures first (the same file built with -DDATAPLANE_FUZZ_WRITE_SEEDS) and
# only read. Exits non-zero on any crash, leak or sanitizer report; the last
# line says how many inputs ran in all.
set -uo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/native/fuzz/build"
cxx="${FUZZ_CXX:-clang++}"
sources=("$root"/native/nl/*.cc "$root"/native/codec/*.cc)
common=(-std=c++17 -g -Wall -Wextra -pthread)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Rebuild only when a source, header, fixture or this script is newer than the binary.
up_to_date() {
  local target="$1" target_src="$2" f
  [[ -f "$target" ]] || return 1
  for f in "$root"/native/nl/* "$root"/native/codec/* "$target_src" "$root"/native/test/fixtures_*.h \
      "${BASH_SOURCE[0]}"; do
    [[ "$f" -nt "$target" ]] && return 1
  done
  return 0
}

# Builds and runs one target; prints its exec count on the last line.
fuzz_one() {
  local src="$1" name seeds bin log rc start elapsed execs
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

  log="$build/fuzz-$name.log"
  start=$(date +%s)
  "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/artifacts/$name/" "$build/corpus/$name" "$seeds" >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
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
}

total=0
targets=("$root"/native/fuzz/fuzz_*.cc)
for src in "${targets[@]}"; do
  fuzz_one "$src" || exit 1
done
echo "fuzz: ${#targets[@]} targets, $total execs in all, no crashes"
