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

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ ${1:-} == -- ]] && shift
if (($# == 0)); then
  echo "usage: $0 [--] CMD [ARGS...]" >&2
  exit 2
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "[vm] qemu-system-x86_64 not found; apt-get install --no-install-recommends qemu-system-x86 busybox-static xz-utils" >&2
  exit 127
fi

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

# Under TCG the microvm's TSC calibration is unreliable (random hangs when the
# host is busy): hand the kernel the host's TSC frequency.
KHZ=${DATAPLANE_VM_TSC_KHZ:-$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)}
APPEND="console=ttyS0 panic=-1 tsc=reliable cryptomgr.notests mitigations=off 8250.nr_uarts=1"
[[ -n $KHZ ]] && APPEND+=" tsc_early_khz=$KHZ"
if [[ -n ${DATAPLANE_VM_DEBUG:-} ]]; then APPEND+=" loglevel=7 dataplane_vm_debug"; else APPEND+=" quiet loglevel=3"; fi

# Serial console (kernel + init messages) goes to a log; the command's output
# comes back on the virtio-serial port "dpout", wired to our stdout.  qemu's
# stdin is a FIFO opened read-write: it never delivers data nor EOF (EOF on stdin
# would close the port), and qemu never touches the caller's terminal.
# /dev/kvm is not usable on these machines (no vmx), hence TCG.
mkfifo "$XFER/stdin"
set +e
timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -M microvm,x-option-roms=off,rtc=on \
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
  <>"$XFER/stdin"
QRC=$?
set -e

T2=$EPOCHREALTIME
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
console_tail() {
  echo "[vm] last console lines:" >&2
  tail -n 50 "$XFER/console.log" | tr -d '\r' >&2
}
[[ -n ${DATAPLANE_VM_DEBUG:-} ]] && tr -d '\r' <"$XFER/console.log" >&2

if [[ -s $XFER/rc ]]; then
  RC=$(<"$XFER/rc")
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
