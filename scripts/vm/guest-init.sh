#!/bin/sh
# PID 1 of the guest (busybox sh, copied to /init of the initramfs by prepare.sh).
#
# Mounts the host's root (9p, read-only) under a tmpfs overlay, runs the command
# that run.sh left in the "xfer" share chrooted into it, writes its exit code back
# to the share and powers off.  Kernel messages and our own diagnostics go to the
# serial console (a log file on the host); the command's stdout+stderr go to the
# virtio-serial port named "dpout", which qemu writes to run.sh's stdout.
#
# PID 1 itself never chroots: the kernel runs /sbin/modprobe (module autoload)
# with PID 1's root, where it finds busybox and /lib/modules/$(uname -r).
export PATH=/bin:/sbin
mount -t devtmpfs dev /dev
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
grep -q dataplane_vm_debug /proc/cmdline && set -x
# Progress marks with the guest uptime, on the console log (builtins only: cheap).
mark() { read -r up _ </proc/uptime; echo "[init $up] $*"; }
mark start

KVER=$(uname -r)
NEW=/newroot

fail() { echo "vm-init: $*"; sync; poweroff -f; sleep 5; echo o >/proc/sysrq-trigger; }

# Modules listed by prepare.sh in dependency order (built-ins are not listed);
# one modprobe for the lot (every fork costs ~30 ms under TCG).
load_modules() {
  read -r mods <"$1"
  modprobe -a $mods || echo "vm-init: modprobe -a $mods failed"
}
load_modules /etc/vm-modules-1
mark stage 1 modules loaded

# Options for the read-only root share (see README.md for the measurements);
# run.sh may override them (DATAPLANE_VM_9P_OPTS -> dataplane_vm_9p=...).
OPTS=cache=loose,msize=512000
for a in $(cat /proc/cmdline); do
  case $a in dataplane_vm_9p=*) OPTS=${a#*=} ;; esac
done
mount -t 9p -o "ro,trans=virtio,version=9p2000.L,$OPTS" hostroot /mnt/host \
  || fail "cannot mount the host root over 9p"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 xfer /xfer || fail "cannot mount xfer"

# The module tree lives in the host's cache (run.sh tells where): from now on
# modprobe, ours and the kernel's autoload alike, reads it over 9p.
mount --bind "/mnt/host$(cat /xfer/moddir)" "/lib/modules/$KVER" || fail "no module tree"
mark shares mounted
load_modules /etc/vm-modules-2
mark stage 2 modules loaded
ip link set lo up
hostname dataplane-vm

mount -t tmpfs -o mode=755 rw /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work root $NEW \
  || fail "cannot mount the overlay"

mount -t proc proc $NEW/proc
mount -t sysfs sys $NEW/sys
mount -t cgroup2 cgroup2 $NEW/sys/fs/cgroup 2>/dev/null
mount -t devtmpfs dev $NEW/dev
mkdir -p $NEW/dev/pts $NEW/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $NEW/dev/pts
mount -t tmpfs -o mode=1777 shm $NEW/dev/shm
# Fresh /run: otherwise the guest would see the host's /run (e.g. /run/netns).
mount -t tmpfs -o mode=755 run $NEW/run
mkdir -p $NEW/run/dataplane-vm
cp /xfer/cmd $NEW/run/dataplane-vm/cmd

# Make this kernel's modules visible to tools inside the chroot that run
# modprobe themselves (the host has no /lib/modules for the guest kernel).
mkdir -p "$NEW/lib/modules/$KVER"
mount --bind "/lib/modules/$KVER" "$NEW/lib/modules/$KVER"
# Module tools in the chroot are busybox's (the host's kmod, if any, would want
# modules.dep.bin, which busybox depmod does not write).  The overlay is
# writable, so just replace them.
cp /bin/busybox $NEW/run/dataplane-vm/busybox
rm -f $NEW/sbin/modprobe $NEW/sbin/lsmod $NEW/sbin/insmod $NEW/sbin/rmmod $NEW/sbin/modinfo
cp -a /etc/modtools/. $NEW/sbin/
echo "127.0.1.1 dataplane-vm" >>$NEW/etc/hosts

# Find the output port (it shows up once virtio-serial's control queue ran).
PORT=
i=0
while [ -z "$PORT" ] && [ $i -lt 100 ]; do
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = dpout ] && PORT=/dev/${p##*/}
  done
  [ -n "$PORT" ] && [ -c "$PORT" ] || { PORT=; sleep 0.05; i=$((i + 1)); }
done
[ -n "$PORT" ] || fail "virtio-serial port dpout not found"

# The command writes into a pipe (like under CI), pumped to the port by cat.
# Writes to a virtio port return once qemu took the data, so nothing is lost
# at power-off.  Background processes the command leaves behind may keep the
# pipe open: give the pump 3 s to drain, then power off regardless.
mkfifo /out
cat /out >"$PORT" &
PUMP=$!
mark running the command
cut -d' ' -f1 /proc/uptime >/xfer/boot
chroot $NEW /bin/bash /run/dataplane-vm/cmd </dev/null >/out 2>&1
rc=$?
echo $rc >/xfer/rc
# Killed by a signal: keep what the kernel logged about it (e.g. "node[..]:
# segfault at .. in libfoo.so"), which names the library that crashed.
if [ "$rc" -ge 128 ]; then
  dmesg | grep -E 'segfault|traps:|general protection|Code: |Out of memory|Killed process' >/xfer/crash
fi
i=0
while kill -0 $PUMP 2>/dev/null && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
sync
umount /xfer
poweroff -f
sleep 5
echo o >/proc/sysrq-trigger
