#!/usr/bin/env bash
# Run ONE command inside a throwaway Debian 6.1 VM (qemu, TCG) whose root is the
# host's root filesystem (read-only 9p + tmpfs overlay), in the caller's cwd.
#
#   scripts/vm/run.sh [--] CMD [ARGS...]
#
# The command's stdout and stderr are streamed to our stdout; we exit with its
# exit code, 124 on timeout (DATAPLANE_VM_TIMEOUT, default 1800 s), 125 if the
# guest died without reporting one, 127 if qemu is missing.  See README.md.
set -euo pipefail

[[ ${1:-} == -- ]] && shift
if (($# == 0)); then
  echo "usage: $0 [--] CMD [ARGS...]" >&2
  exit 2
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "[vm] qemu-system-x86_64 not found; apt-get install --no-install-recommends qemu-system-x86 busybox-static xz-utils" >&2
  exit 127
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

T0=$EPOCHREALTIME
KDIR=$("$HERE/prepare.sh" --quiet)
T1=$EPOCHREALTIME
TIMEOUT=${DATAPLANE_VM_TIMEOUT:-1800}

# Per-run directory, shared writable with the guest as "xfer": carries the
# command in and the exit code (and boot time) back.
XFER=$(mktemp -d "${TMPDIR:-/tmp}/dataplane-vm.XXXXXX")
trap 'rm -rf "$XFER"' EXIT

# The guest script: same cwd, selected environment, then exec the argv.
# printf %q quotes for bash, which runs it inside the chroot.
{
  printf 'cd -- %q || exit 125\n' "$PWD"
  for name in $(compgen -e); do
    case $name in
      CI | PATH | HOME | USER | LOGNAME | TERM | LANG | LC_* | TZ | TMPDIR | \
        NODE_OPTIONS | NODE_ENV | NO_COLOR | FORCE_COLOR | DATAPLANE_*) ;;
      *) [[ " ${DATAPLANE_VM_ENV:-} " == *" $name "* ]] || continue ;;
    esac
    printf 'export %s=%q\n' "$name" "${!name}"
  done
  echo 'export DATAPLANE_IN_VM=1'
  printf 'exec'
  printf ' %q' "$@"
  echo
} >"$XFER/cmd"
echo "$KDIR/modules" >"$XFER/moddir"

# Under TCG the microvm's TSC calibration is unreliable (random hangs when the
# host is busy): hand the kernel the host's TSC frequency.  The guest's TSC
# ticks at the host's rate, so a wrong value makes guest time run fast or slow:
# prefer the host kernel's own calibration over "cpu MHz" (the current clock
# on hosts that scale frequency).
tsc_khz() {
  local mhz
  mhz=$(dmesg 2>/dev/null | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' \
    -e 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n1 || true)
  [[ -n $mhz ]] || mhz=$(awk -F: '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
  [[ -z $mhz ]] || awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }'
}
KHZ=${DATAPLANE_VM_TSC_KHZ:-$(tsc_khz)}
APPEND="console=ttyS0 panic=-1 tsc=reliable cryptomgr.notests mitigations=off 8250.nr_uarts=1"
[[ -n $KHZ ]] && APPEND+=" tsc_early_khz=$KHZ"
[[ -n ${DATAPLANE_VM_9P_OPTS:-} ]] && APPEND+=" dataplane_vm_9p=$DATAPLANE_VM_9P_OPTS"
APPEND+=" ${DATAPLANE_VM_APPEND:-}"
case ${DATAPLANE_VM_DEBUG:-} in
  "") APPEND+=" quiet loglevel=3" ;;
  1) APPEND+=" loglevel=7" ;;
  *) APPEND+=" loglevel=7 dataplane_vm_debug" ;;   # + set -x in /init
esac

# Serial console (kernel + init messages) goes to a log; the command's output
# comes back on the virtio-serial port "dpout", wired to our stdout.  qemu's
# stdin is a FIFO opened read-write: it never delivers data nor EOF (EOF on stdin
# would close the port), and qemu never touches the caller's terminal.
# /dev/kvm is not usable on these machines (no vmx), hence TCG.
# qemu runs in the background so that a signal to us (Ctrl-C, a test runner's
# SIGTERM) can be forwarded to it instead of leaving it behind.
mkfifo "$XFER/stdin"
# One host thread for all vCPUs (thread=single): qemu 7.2's multi-threaded TCG
# can keep running a stale translation of code that another vCPU rewrote while
# it was being translated (fixed upstream in 8.1 by "accel/tcg: Always lock
# pages before translation", deba78709ae8, not in Debian 12's 7.2.x):
# scripts/vm/tcg-smc-check.c runs stale code in ~1% of its rounds with
# thread=multi and in none with thread=single.  A JIT that rewrites code another
# thread runs (V8) then jumps through stale code: the likely cause of node's
# SIGSEGV in ~2 of 10 vm-suite runs (issue 14; see README.md).
ACCEL=${DATAPLANE_VM_ACCEL:-tcg,thread=single}
timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
  -accel "$ACCEL" -cpu "${DATAPLANE_VM_CPU:-max}" -M microvm,x-option-roms=off,rtc=on \
  -smp "${DATAPLANE_VM_SMP:-2}" -m "${DATAPLANE_VM_MEM:-1G}" \
  -nodefaults -no-user-config -display none -no-reboot -nic none \
  -chardev file,id=con,path="$XFER/console.log" -serial chardev:con \
  -device virtio-serial-device,max_ports=2 \
  -chardev stdio,id=out,signal=off -device virtserialport,chardev=out,name=dpout \
  -fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-device,fsdev=root,mount_tag=hostroot \
  -fsdev local,id=xfer,path="$XFER",security_model=none \
  -device virtio-9p-device,fsdev=xfer,mount_tag=xfer \
  -kernel "$KDIR/vmlinux" -initrd "$KDIR/initramfs.cpio" -append "$APPEND" \
  <>"$XFER/stdin" &
QPID=$!
SIG=
for sig in HUP:129 INT:130 TERM:143; do
  trap "SIG=${sig#*:}; kill -TERM $QPID 2>/dev/null" "${sig%:*}"
done
QRC=0
wait "$QPID" || QRC=$?
while kill -0 "$QPID" 2>/dev/null; do QRC=0; wait "$QPID" || QRC=$?; done
if [[ -n $SIG ]]; then
  echo "[vm] interrupted" >&2
  exit "$SIG"
fi

T2=$EPOCHREALTIME
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
console_tail() {
  echo "[vm] last console lines:" >&2
  tail -n 50 "$XFER/console.log" | tr -d '\r' >&2
}
[[ -n ${DATAPLANE_VM_DEBUG:-} ]] && tr -d '\r' <"$XFER/console.log" >&2

if [[ -s $XFER/rc ]]; then
  RC=$(<"$XFER/rc")
  [[ -s $XFER/crash ]] && sed 's/^/[vm] guest kernel: /' "$XFER/crash" >&2
  if [[ -z ${DATAPLANE_VM_QUIET:-} ]]; then
    BOOT=$(<"$XFER/boot")
    echo "[vm] exit $RC after $(secs "$T1" "$T2") s (prepare $(secs "$T0" "$T1") s, guest boot ${BOOT} s)" >&2
  fi
  exit "$RC"
fi
if ((QRC == 124 || QRC == 137)); then
  echo "[vm] timeout: killed after ${TIMEOUT} s (DATAPLANE_VM_TIMEOUT)" >&2
  console_tail
  exit 124
fi
echo "[vm] the guest stopped without reporting an exit code (qemu exit $QRC)" >&2
console_tail
exit 125
