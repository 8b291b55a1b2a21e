#!/usr/bin/env bash
# Unpacks SST's platform (component sources, config.d.ts, @pulumi/*) into .sst/platform, which the stacks'
# type-check and the offline synth need. Skipped when it is already there for the pinned sst version (~40 s otherwise).
# Offline-safe: SST would otherwise try to download Pulumi and Bun first.
set -euo pipefail
cd "$(dirname "$0")/.."

wanted="$(node -p 'require("./node_modules/sst/package.json").version')"
installed="$(cat .sst/platform/version 2>/dev/null || true)"
if [[ "$installed" == "$wanted" && -d .sst/platform/node_modules/@pulumi/pulumi && -d .sst/platform/node_modules/@pulumi/aws ]]; then
  echo "sst platform $wanted already installed"
  exit 0
fi

echo "installing sst platform $wanted (was: ${installed:-none})"
rm -rf .sst/platform
started=$SECONDS
SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1 npx sst install --stage ci
if [[ "$(cat .sst/platform/version 2>/dev/null || true)" != "$wanted" || ! -d .sst/platform/node_modules/@pulumi/pulumi ]]; then
  echo "sst install did not leave a usable .sst/platform for $wanted" >&2
  exit 1
fi
echo "sst platform $wanted installed in $((SECONDS - started)) s"
