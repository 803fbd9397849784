#!/usr/bin/env bash
# Fetch a stock Debian kernel and build the small initramfs used by run.sh.
#
#   scripts/vm/prepare.sh [--quiet]
#
# Prints the cache directory of the kernel (vmlinux, initramfs.cpio, modules/)
# on stdout; progress goes to stderr.  Idempotent: a second run only checks the
# cache.  Cache: $REPO/.cache/vm/<kernel version>/ (override: DATAPLANE_VM_CACHE).
# Kernel: the one linux-image-amd64 depends on (override: DATAPLANE_VM_KERNEL,
# e.g. 6.1.0-56-amd64).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
mkdir -p "${DATAPLANE_VM_CACHE:-$REPO/.cache/vm}"
# Physical path: the guest resolves it through the 9p share, where a symlink
# to an absolute path would point into the initramfs instead.
CACHE=$(cd "${DATAPLANE_VM_CACHE:-$REPO/.cache/vm}" && pwd -P)
QUIET=0
[[ ${1:-} == --quiet ]] && QUIET=1
T0=$EPOCHREALTIME

log() { echo "[vm-prepare] $*" >&2; }
die() { echo "[vm-prepare] error: $*" >&2; exit 1; }
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

for tool in busybox xz dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || die "missing $tool; apt-get install --no-install-recommends qemu-system-x86 busybox-static xz-utils"
done
BUSYBOX=$(command -v busybox)
# The initramfs needs a static busybox (there is no libc in it).
if LC_ALL=C file -L "$BUSYBOX" 2>/dev/null | grep -q 'dynamically linked'; then
  die "$BUSYBOX is not static; apt-get install busybox-static"
fi

# One builder at a time; parallel callers wait here and then find the cache ready.
exec 9>"$CACHE/.lock"
flock 9

# Kernel version (e.g. 6.1.0-56-amd64) that the linux-image-amd64 metapackage
# currently points at.
resolve_kver() {
  if [[ -n ${DATAPLANE_VM_KERNEL:-} ]]; then echo "$DATAPLANE_VM_KERNEL"; return; fi
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | sed -n 1p
}
# apt-cache takes ~1.5 s without a pkgcache.bin: remember the answer for as
# long as the package lists stay the same.
resolve_cached() {
  local key
  key=$(stat -c '%n %Y %s' /var/lib/apt/lists/*Packages* 2>/dev/null | sha256sum | cut -c1-16)
  if [[ -z ${DATAPLANE_VM_KERNEL:-} && -s $CACHE/resolved ]] && read -r k v <"$CACHE/resolved" && [[ $k == "$key" ]]; then
    echo "$v"
    return
  fi
  v=$(resolve_kver)
  [[ -n $v && -z ${DATAPLANE_VM_KERNEL:-} ]] && echo "$key $v" >"$CACHE/resolved"
  echo "$v"
}
KVER=$(resolve_cached)
if [[ -z $KVER ]]; then
  # No package lists yet: use a kernel already cached, else fetch the lists.
  KVER=$(cd "$CACHE" && ls -d [0-9]*/vmlinux 2>/dev/null | sort -V | tail -n1 | cut -d/ -f1 || true)
  if [[ -z $KVER ]]; then
    log "apt-get update (no package lists)"
    apt-get update -qq >&2 || true
    KVER=$(resolve_cached)
  fi
fi
[[ -n $KVER ]] || die "cannot resolve the kernel package of linux-image-amd64"

KDIR=$CACHE/$KVER
# The initramfs is rebuilt whenever this script, the guest init or busybox changes.
STAMP=$(cat "$HERE/prepare.sh" "$HERE/guest-init.sh" "$BUSYBOX" | sha256sum | cut -c1-16)
if [[ -s $KDIR/vmlinux && -s $KDIR/initramfs.cpio && -s $KDIR/modules/modules.dep && $(cat "$KDIR/stamp" 2>/dev/null) == "$STAMP" ]]; then
  ((QUIET)) || log "cached: $KDIR"
  echo "$KDIR"
  exit 0
fi

mkdir -p "$KDIR"
rm -rf "$CACHE"/.build.*   # left by a killed build (we hold the lock)
WORK=$(mktemp -d "$CACHE/.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# 1. The .deb (kept in the cache).
DEB=$(ls "$KDIR"/linux-image-"$KVER"_*.deb 2>/dev/null | sed -n 1p || true)
if [[ -z $DEB ]]; then
  log "downloading linux-image-$KVER"
  if ! (cd "$WORK" && apt-get -q -o APT::Sandbox::User=root download "linux-image-$KVER" >&2); then
    # Stale package lists (the version is gone from the archive): update them
    # and start over once, which may pick a newer kernel.
    [[ -z ${DATAPLANE_VM_RETRIED:-} ]] || die "cannot download linux-image-$KVER"
    log "download failed; apt-get update and retry"
    apt-get update -qq >&2 || true
    rm -rf "$WORK"
    exec 9>&-
    DATAPLANE_VM_RETRIED=1 exec "$HERE/prepare.sh" "$@"
  fi
  mv "$WORK"/linux-image-"$KVER"_*.deb "$KDIR/"
  DEB=$(ls "$KDIR"/linux-image-"$KVER"_*.deb | sed -n 1p)
fi

# 2. Unpack; the package ships no modules.dep, so generate it.
log "unpacking $(basename "$DEB")"
dpkg-deb -x "$DEB" "$WORK/pkg"
MODSRC=
for d in "$WORK/pkg/lib/modules/$KVER" "$WORK/pkg/usr/lib/modules/$KVER"; do
  [[ -d $d ]] && MODSRC=$d && break
done
[[ -n $MODSRC ]] || die "no modules directory in $DEB"
"$BUSYBOX" depmod -b "${MODSRC%/lib/modules/$KVER}" "$KVER"

# 3. vmlinux: the ELF kernel, xz-compressed inside the bzImage; booting it
# directly skips the in-guest decompression (~8 s under TCG).
if [[ ! -s $KDIR/vmlinux ]]; then
  VMLINUZ=$WORK/pkg/boot/vmlinuz-$KVER
  OFF=$(LC_ALL=C grep -obUaP -m1 '\xfd7zXZ\x00' "$VMLINUZ" | sed -n 1p | cut -d: -f1 || true)
  [[ -n $OFF ]] || die "no xz stream in $VMLINUZ"
  # xz stops after the first stream (tail may then die of SIGPIPE): judge the
  # result by its ELF magic rather than by exit codes.
  tail -c +$((OFF + 1)) "$VMLINUZ" | xz -dc --single-stream >"$WORK/vmlinux" || true
  [[ $(head -c4 "$WORK/vmlinux" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] ||
    die "the xz stream of $VMLINUZ is not an ELF kernel"
  mv "$WORK/vmlinux" "$KDIR/vmlinux"
fi

# 4. Module selection: networking (netfilter, IPVS, tunnels, virtual links),
# the virtio/9p/overlay stack and crypto; then every dependency of those.
# Hardware NICs, wireless and exotic protocol families are left out.
cd "$MODSRC"
{
  find kernel/net kernel/crypto kernel/drivers/virtio kernel/fs/9p kernel/fs/overlayfs \
    kernel/fs/netfs kernel/fs/fscache kernel/drivers/char/virtio_console.ko -name '*.ko' |
    grep -Ev '^kernel/net/((wireless|mac80211|bluetooth|sunrpc|ceph|nfc|rxrpc|rds|tipc|batman-adv|smc|atm|can|ieee802154|mac802154|6lowpan|appletalk|ax25|netrom|rose|x25|lapb|phonet|qrtr|caif|vmw_vsock)/|9p/9pnet_(xen|rdma))'
  find kernel/drivers/net -maxdepth 2 -name '*.ko' |
    grep -E '^kernel/drivers/net/(dummy|veth|tun|tap|macvlan|macvtap|ipvlan/.*|vxlan/.*|geneve|bonding/.*|team/.*|vrf|ifb|nlmon|wireguard/.*|gtp|macsec|net_failover|netconsole)\.ko$'
} | sort -u >"$WORK/want"
# modules.dep lists each module's full dependency closure.
awk -F': *' 'NR == FNR { want[$1] = 1; next }
  ($1 in want) { print $1; n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i] }' \
  "$WORK/want" modules.dep | sort -u >"$WORK/modules"

# The module tree stays on the host: the guest reads it over the 9p root share
# (bind-mounted on its /lib/modules/KVER), so only the modules needed to reach
# that share go into the initramfs, which the kernel unpacks at every boot.
TREE=$WORK/tree/lib/modules/$KVER
mkdir -p "$TREE"
xargs cp --parents -t "$TREE" <"$WORK/modules"
cp modules.builtin modules.order "$TREE/"
"$BUSYBOX" depmod -b "$WORK/tree" "$KVER"

# Modules /init loads (busybox modprobe -a, one process per stage), listed
# each after its dependencies (depth-first over modules.dep; built-ins are
# skipped).  Stage 1 comes from the initramfs and mounts the shares; stage 2
# from the host tree.  tun: /dev/net/tun only exists once it is loaded.  fou:
# its genetlink family is not autoloaded by 6.1 (fou6 is not preloaded: it pulls
# ip6_tunnel, which adds ip6tnl0 to every netns; modprobe it).  sctp: the
# first SCTP sockets of several processes at once race its autoload (the
# losers get EPROTONOSUPPORT while the winner's modprobe is still running).
STAGE1="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_mmio
  virtio_console 9pnet 9pnet_virtio netfs fscache 9p overlay"
STAGE2="crc32c_generic libcrc32c nf_defrag_ipv6 nf_defrag_ipv4 nf_conntrack ip_vs veth dummy tun fou sctp"
declare -A DEPS=() DONE=()
while IFS=: read -r ko deps; do DEPS[$ko]=$deps; done <"$TREE/modules.dep"
emit() {
  local d
  [[ -n ${DONE[$1]:-} ]] && return
  DONE[$1]=1
  for d in ${DEPS[$1]}; do emit "$d"; done
  echo "$1"
}
boot_list() {
  local m ko
  for m in "$@"; do
    ko=$(grep -m1 -E "(^|/)$m\.ko\$" "$WORK/modules" || true)
    if [[ -n $ko ]]; then
      emit "$ko"
    elif ! grep -qE "(^|/)$m\.ko\$" modules.builtin; then
      die "module $m is neither in the package nor built in"
    fi
  done
}
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,etc/modprobe.d,dev,proc,sys,xfer,newroot,mnt/host,mnt/rw,lib/modules/$KVER}
# shellcheck disable=SC2086
boot_list $STAGE1 >"$WORK/stage1"
# shellcheck disable=SC2086
boot_list $STAGE2 >"$WORK/stage2"
(cd "$TREE" && xargs cp --parents -t "$ROOT/lib/modules/$KVER" <"$WORK/stage1")
"$BUSYBOX" depmod -b "$ROOT" "$KVER"
for n in 1 2; do
  sed 's|.*/||; s|\.ko$||' "$WORK/stage$n" | tr '\n' ' ' >"$ROOT/etc/vm-modules-$n"
done
echo "options dummy numdummies=0" >"$ROOT/etc/modprobe.d/dataplane-vm.conf"   # no stray dummy0
cd "$WORK"

# 5. busybox with a symlink per applet; /sbin/modprobe is what the kernel runs
# to autoload modules (ip_vs_wlc, nf_tables, ...).
cp "$BUSYBOX" "$ROOT/bin/busybox"
for a in $("$BUSYBOX" --list); do
  [[ $a == busybox ]] || ln -s busybox "$ROOT/bin/$a"
done
ln -s ../bin/busybox "$ROOT/sbin/modprobe"
# Copied by /init over the chroot's module tools (see guest-init.sh).
mkdir -p "$ROOT/etc/modtools"
for a in modprobe lsmod insmod rmmod modinfo; do ln -s /run/dataplane-vm/busybox "$ROOT/etc/modtools/$a"; done
install -m 755 "$HERE/guest-init.sh" "$ROOT/init"

# Left uncompressed: gunzip under TCG is slow (~1.2 s for 9 MB).
(cd "$ROOT" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) >"$WORK/initramfs.cpio"
# Swap in the new files.  (A VM started from the old ones is not expected to
# run while these scripts change.)
rm -rf "$KDIR/modules"
mv "$TREE" "$KDIR/modules"
mv "$WORK/initramfs.cpio" "$KDIR/initramfs.cpio"
echo "$STAMP" >"$KDIR/stamp"

log "kernel $KVER: $(wc -l <"$WORK/modules") modules, initramfs $(du -h "$KDIR/initramfs.cpio" | cut -f1), in $(elapsed) s"
echo "$KDIR"
