#!/usr/bin/env bash
# Builds the native unit tests (native/test/*.cc with the netlink core, the
# codecs and the x_tables layer; no N-API) under AddressSanitizer and UBSan into
# native/test/build/, runs them, and exits with their result. The last line
# of output is the ##dataplane-stats line. Extra arguments go to the test
# binary (a substring of test names to run only those).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/native/test/build"
mkdir -p "$build/obj"

cxx="${CXX:-g++}"
flags=(-std=c++17 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
       -fno-sanitize-recover=undefined -Wall -Wextra -pthread)

sources=("$root"/native/nl/*.cc "$root"/native/codec/*.cc "$root"/native/xt/*.cc "$root"/native/test/*.cc)
headers=("$root"/native/nl/*.h "$root"/native/codec/*.h "$root"/native/xt/*.h "$root"/native/test/*.h)

# The newest header: any change to one rebuilds every object (simple and safe).
newest_header=0
for h in "${headers[@]}"; do
  t=$(stat -c %Y "$h")
  ((t > newest_header)) && newest_header=$t
done
script_time=$(stat -c %Y "${BASH_SOURCE[0]}")
((script_time > newest_header)) && newest_header=$script_time

jobs=$(nproc 2>/dev/null || echo 2)
objects=()
pids=()
failed=0
for src in "${sources[@]}"; do
  rel="${src#"$root"/native/}"
  obj="$build/obj/${rel//\//_}.o"
  objects+=("$obj")
  if [[ -f "$obj" ]]; then
    ot=$(stat -c %Y "$obj")
    st=$(stat -c %Y "$src")
    if ((ot >= st && ot >= newest_header)); then continue; fi
  fi
  "$cxx" "${flags[@]}" -c "$src" -o "$obj.tmp" && mv "$obj.tmp" "$obj" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done

stats_fail() {
  echo "##dataplane-stats {\"suite\":\"native\",\"passes\":0,\"failures\":1,\"pending\":0}"
  exit 1
}

if ((failed)); then
  echo "native-test: compilation failed" >&2
  stats_fail
fi
if ! "$cxx" "${flags[@]}" "${objects[@]}" -o "$build/native-tests"; then
  echo "native-test: link failed" >&2
  stats_fail
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$build" || exit 1
"$build/native-tests" "$@" >"$build/output.txt" 2>"$build/stderr.txt"
rc=$?
# Test lines first, then anything the sanitizers said, then the stats line last.
grep -v '^##dataplane-stats ' "$build/output.txt"
if [[ -s "$build/stderr.txt" ]]; then cat "$build/stderr.txt" >&2; fi
stats=$(grep '^##dataplane-stats ' "$build/output.txt" | tail -n 1)
if [[ -z "$stats" ]]; then
  # The binary died before summing up (a sanitizer abort, a crash).
  echo "native-test: test binary exited with $rc before finishing" >&2
  passes=$(grep -c '^ok - ' "$build/output.txt")
  echo "##dataplane-stats {\"suite\":\"native\",\"passes\":$passes,\"failures\":1,\"pending\":0}"
  exit 1
fi
echo "$stats"
exit $rc
