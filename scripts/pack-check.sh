#!/usr/bin/env bash
# What a user gets from npm: packs the package (prepack insists on a fresh
# linux-x64 prebuild; prepare compiles the TypeScript), installs the tarball
# into an empty project with every install script skipped, and uses it:
# the root, proxy and testing exports import, the addon loads from the
# prebuild (no build/ exists) and lists the links of a fresh netns, and the
# `dataplane` binary answers --help. Needs root (ip netns) and the registry
# for the dependencies. Usage: bash scripts/pack-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/dataplane-pack.XXXXXX)
ns="dp-pack-$$"
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT

npm pack --silent --pack-destination "$tmp" >/dev/null
tarball=$(ls "$tmp"/dataplane-*.tgz)
tar -tzf "$tarball" >"$tmp/files"
echo "[pack] $(basename "$tarball"): $(wc -l <"$tmp/files") files, $(du -k "$tarball" | cut -f1) KiB"
grep -qx 'package/prebuilds/linux-x64/dataplane.node' "$tmp/files" || { echo "[pack] no prebuild in the package"; exit 1; }

mkdir "$tmp/app" && cd "$tmp/app"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund --silent "$tarball"
test ! -e node_modules/dataplane/build || { echo "[pack] unexpected build/ directory"; exit 1; }
cat > check.mjs <<'JS'
import { Rtnl } from 'dataplane';
import { ProxyServer } from 'dataplane/proxy';
import { startTestCluster } from 'dataplane/testing';
if (typeof ProxyServer !== 'function' || typeof startTestCluster !== 'function') throw new Error('exports missing');
const rtnl = await Rtnl.open();
const links = (await rtnl.listLinks()).map((l) => l.name);
await rtnl.close();
if (links.join() !== 'lo') throw new Error(`links: ${links}`);
console.log('[pack] imported; addon loaded from the prebuild; links in a fresh netns:', links.join());
JS
ip netns add "$ns"
ip netns exec "$ns" node check.mjs
node_modules/.bin/dataplane --help >"$tmp/help"
head -1 "$tmp/help"
echo "[pack] ok"
