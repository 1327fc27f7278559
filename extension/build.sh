#!/usr/bin/env bash
# Packages the extension: web-ext-artifacts/paxel-VERSION.zip (Chrome Web Store, Edge, or
# "Load unpacked" after unzipping) and paxel-VERSION.xpi (the same archive; Firefox wants it
# signed by AMO before a release build will install it, Developer/Nightly/ESR with
# xpinstall.signatures.required=false take it as is). Lints first: a broken manifest never ships.
set -euo pipefail
cd "$(dirname "$0")"
npx --no-install web-ext lint --source-dir . --self-hosted
version=$(node -p 'JSON.parse(require("fs").readFileSync("manifest.json", "utf8")).version')
npx --no-install web-ext build --source-dir . --artifacts-dir web-ext-artifacts \
    --filename "paxel-${version}.zip" --overwrite-dest
cp "web-ext-artifacts/paxel-${version}.zip" "web-ext-artifacts/paxel-${version}.xpi"
echo "built: $(pwd)/web-ext-artifacts/paxel-${version}.zip and .xpi"
