#!/usr/bin/env bash
# Boot the VM N times, run one workload per boot, and count how each run ended:
# passed (exit 0), crashed (killed by a signal: exit >= 128, and 125 when the
# guest died without an exit code), failed (any other exit code).  Written for
# issue 14 (node killed by SIGSEGV under qemu while loading the vm tests).
#
#   scripts/vm/crash-loop.sh N [load|suite|-- CMD ARGS...]
#
#   load   (default) node + tsx + mocha load every test/vm file and the addon
#          without running a test (`mocha --dry-run`), with tsx's cache off as
#          in a clean clone: the phase in which the crashes were seen.
#   suite  the whole vm suite, as `npm test -- vm` runs it.
#   -- CMD any command, run in the guest as scripts/vm/run.sh runs it.
#
# Node runs with --disable-wasm-trap-handler: otherwise node's own SIGSEGV
# handler re-raises the signal and the guest kernel logs no "segfault at"
# line; with it, run.sh prints the faulting address, instruction pointer and
# file (and the code bytes) for every crash.  The variables of run.sh select
# the suspect under test, e.g. DATAPLANE_VM_ACCEL=tcg,thread=multi,
# DATAPLANE_VM_CPU=qemu64, DATAPLANE_VM_MEM=2G, DATAPLANE_VM_SMP=1,
# DATAPLANE_VM_9P_OPTS=cache=mmap.  Every run's output is kept in
# $DATAPLANE_CRASH_LOOP_LOGS (default: a new directory under $TMPDIR).
# Exit status: 0 if no run crashed or failed, 1 otherwise.  Run it niced on a
# shared machine (nice -n 10 scripts/vm/crash-loop.sh 30).
set -euo pipefail

usage() { echo "usage: $0 N [load|suite|-- CMD ARGS...]" >&2; exit 2; }
[[ ${1:-} =~ ^[1-9][0-9]*$ ]] || usage
N=$1
shift
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE/../.."

MOCHA=(node node_modules/mocha/bin/mocha.js --config .mocharc.json)
case ${1:-load} in
  load) CMD=("${MOCHA[@]}" --dry-run 'test/vm/**/*.test.ts'); export TSX_DISABLE_CACHE=1 ;;
  suite) CMD=("${MOCHA[@]}" 'test/vm/**/*.test.ts'); export DATAPLANE_SUITE=vm ;;
  --) shift; (($# > 0)) || usage; CMD=("$@") ;;
  *) usage ;;
esac
export DATAPLANE_VM_ENV="${DATAPLANE_VM_ENV:-} TSX_DISABLE_CACHE"
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-wasm-trap-handler"

LOGS=${DATAPLANE_CRASH_LOOP_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/dataplane-crash-loop.XXXXXX")}
mkdir -p "$LOGS"
echo "[crash-loop] $N runs of: ${CMD[*]}"
echo "[crash-loop] qemu: accel ${DATAPLANE_VM_ACCEL:-default} cpu ${DATAPLANE_VM_CPU:-default}" \
  "smp ${DATAPLANE_VM_SMP:-default} mem ${DATAPLANE_VM_MEM:-default}" \
  "9p ${DATAPLANE_VM_9P_OPTS:-default}; logs in $LOGS"

passed=0 crashed=0 failed=0
for ((i = 1; i <= N; i++)); do
  log=$LOGS/run-$i.log
  t0=$EPOCHREALTIME
  rc=0
  "$HERE/run.sh" "${CMD[@]}" >"$log" 2>&1 || rc=$?
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
  if ((rc == 0)); then
    passed=$((passed + 1)); what=passed
  elif ((rc == 125 || (rc >= 128 && rc != 130 && rc != 143))); then
    crashed=$((crashed + 1)); what="CRASHED (exit $rc)"
  elif ((rc == 130 || rc == 143)); then
    echo "[crash-loop] interrupted at run $i"; break
  else
    failed=$((failed + 1)); what="failed (exit $rc)"
  fi
  echo "[crash-loop] run $i/$N: $what after ${secs} s"
  if [[ $what == CRASHED* ]]; then
    grep -E '^\[vm\] (guest kernel|the guest)' "$log" | sed 's/^/[crash-loop]   /' || true
  fi
done
echo "[crash-loop] $((passed + crashed + failed)) runs: $passed passed, $crashed crashed, $failed failed (logs: $LOGS)"
((crashed == 0 && failed == 0))
