#!/usr/bin/env bash
# `terraform init -backend=false` + `terraform validate` on every synthesized stack
# (cdktf.out/stacks/orchestra-*/cdk.tf.json), against the hashicorp/google provider built from its
# MPL-2.0 Go source on the Go module proxy and served from a local filesystem mirror: terraform never
# talks to a registry (the Terraform registry is out of reach, see DESIGN.md "Terraform validation").
#
#   bash environments/scripts/validate.sh              synthesize, then validate every stack
#   bash environments/scripts/validate.sh --no-synth   validate the cdktf.out already there
#   bash environments/scripts/validate.sh --plan       also `terraform plan -refresh=false` with a local backend, an
#                                       empty state and a dummy access token; offline (see below)
#   bash environments/scripts/validate.sh --build-only build/check the cached provider and exit
#   bash environments/scripts/validate.sh --out DIR    validate DIR/stacks/*/cdk.tf.json instead (implies --no-synth)
#
# PROVIDER VERSION. The stacks pin google = 6.50.0, but the Go module proxy does not serve
# github.com/hashicorp/terraform-provider-google at v6.50.0 (its v2+ tags have no /vN module path,
# so they are not Go-module versions; the proxy answers 403 for them, for branch names and for
# commit hashes alike). The only served versions are v1.20.0 (2018) and GO_VERSION below, a
# commit of the provider's main branch two days after its 8.0.0 release. So the schema checked
# here is that provider's, not 6.50.0's: an error can come from a 7.0 or 8.0 breaking change
# (see the CHANGELOG in the module) rather than from a mistake valid under 6.50.0. The working copy
# of each stack has its version constraint rewritten to the built version; cdktf.out is not touched.
# Set GO_VERSION to v6.50.0's commit pseudo-version if the proxy ever serves it.
#
# CACHING. The binary is built once with `go install` into a fixed tools directory
# ($CACHE/build, keyed by GO_VERSION) and laid out as an unpacked filesystem mirror
# ($CACHE/mirror/registry.terraform.io/hashicorp/google/<version>/linux_amd64/); Go's own module and
# build caches (go env GOMODCACHE, GOCACHE) make a rebuild after a wipe of $CACHE fast too.
#
# TERRAFORM CLI. $TERRAFORM_BINARY_NAME (which cdktf honours too), else `terraform` on PATH, else
# OpenTofu (MPL-2.0) built once from the Go module proxy (see TOFU_VERSION below).
set -euo pipefail
cd "$(dirname "$0")/../.."

GO_MODULE=github.com/hashicorp/terraform-provider-google
GO_VERSION=v1.20.1-0.20260828184646-f3721fb45fa3   # main after 8.0.0; v6.50.0 is not served
MIRROR_VERSION=${GO_VERSION#v}                      # a semver pre-release, traceable to the commit
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/orchestra/terraform-providers"
PLATFORM=linux_amd64
BUILD_TIMEOUT=3600
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

synth=true plan=false build_only=false out=cdktf.out
usage="usage: bash environments/scripts/validate.sh [--no-synth] [--plan] [--build-only] [--out DIR]"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-synth) synth=false ;;
    --plan) plan=true ;;
    --build-only) build_only=true ;;
    --out) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; out=$2; synth=false; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done

# The CLI: $TERRAFORM_BINARY_NAME (cdktf honours it too), else `terraform` on PATH, else OpenTofu
# (MPL-2.0) built once from the Go module proxy into the tools cache.
TOFU_VERSION=v1.10.10
tf="${TERRAFORM_BINARY_NAME:-}"
if [ -z "$tf" ] && command -v terraform >/dev/null 2>&1; then tf=terraform; fi
if [ -z "$tf" ]; then
  tf="${XDG_CACHE_HOME:-$HOME/.cache}/orchestra/bin/tofu-$TOFU_VERSION"
  if [ ! -x "$tf" ]; then
    command -v go >/dev/null || { echo "no terraform on PATH and no go to build OpenTofu" >&2; exit 1; }
    echo "no terraform on PATH: building OpenTofu $TOFU_VERSION (once; cached as $tf)"
    # `go install …@version` refuses OpenTofu (its go.mod has replace directives): build it as the
    # main module instead, from a writable copy of its source in the module cache.
    src=$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    tofu_tmp=$(mktemp -d)
    cp -r "$src/." "$tofu_tmp/" && chmod -R u+w "$tofu_tmp"
    mkdir -p "$(dirname "$tf")"
    (cd "$tofu_tmp" && GOFLAGS="-trimpath -buildvcs=false" timeout "$BUILD_TIMEOUT" go build -o "$tf.tmp" ./cmd/tofu)
    mv "$tf.tmp" "$tf"
    rm -rf "$tofu_tmp"
  fi
fi
command -v "$tf" >/dev/null 2>&1 || { echo "no usable '$tf'" >&2; exit 1; }

# --- the provider: build once, lay out as an unpacked filesystem mirror --------------------------
bin="$CACHE/build/$GO_VERSION/terraform-provider-google"
pkg_dir="$CACHE/mirror/registry.terraform.io/hashicorp/google/$MIRROR_VERSION/$PLATFORM"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "go is needed to build the provider" >&2; exit 1; }
  mkdir -p "$CACHE/build/$GO_VERSION"
  echo "building $GO_MODULE@$GO_VERSION (cold: ~3 min and ~2 GB RSS on 2 cores; cached afterwards)"
  start=$(date +%s)
  # GOFLAGS overrides the machine's, -trimpath keeps paths out of the binary; -s -w drops debug info.
  GOFLAGS="-trimpath -buildvcs=false" GOBIN="$CACHE/build/$GO_VERSION.tmp" \
    timeout "$BUILD_TIMEOUT" go install \
    -ldflags "-s -w -X $GO_MODULE/version.ProviderVersion=$MIRROR_VERSION" "$GO_MODULE@$GO_VERSION"
  mv "$CACHE/build/$GO_VERSION.tmp/terraform-provider-google" "$bin"
  rmdir "$CACHE/build/$GO_VERSION.tmp"
  echo "built in $(( $(date +%s) - start )) s: $bin"
fi
# Terraform resolves `google` on registry.terraform.io, OpenTofu on registry.opentofu.org: serve both.
for host in registry.terraform.io registry.opentofu.org; do
  dir="$CACHE/mirror/$host/hashicorp/google/$MIRROR_VERSION/$PLATFORM"
  if [ ! -x "$dir/terraform-provider-google_v$MIRROR_VERSION" ]; then
    mkdir -p "$dir"
    ln -sf "$bin" "$dir/terraform-provider-google_v$MIRROR_VERSION"
  fi
done
if $build_only; then echo "provider ready: $pkg_dir"; exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only the mirror and no `direct` method: a provider missing from it fails init instead of downloading.
cat >"$work/terraform.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$CACHE/mirror"
    include = ["registry.terraform.io/hashicorp/google", "registry.opentofu.org/hashicorp/google"]
  }
}
EOF
export TF_CLI_CONFIG_FILE="$work/terraform.tfrc"

if $synth; then npm run --silent synth >/dev/null; fi
shopt -s nullglob
stacks=("$out"/stacks/*/cdk.tf.json)
if [ ${#stacks[@]} -eq 0 ]; then
  echo "no $out/stacks/*/cdk.tf.json (run npm run synth)" >&2
  exit 1
fi

echo "$("$tf" version | head -1); provider hashicorp/google built from $GO_MODULE@$GO_VERSION"
echo "NOTE: stacks pin google 6.50.0; this validates against the schema of the version above"
failed=0
for f in "${stacks[@]}"; do
  stack=$(basename "$(dirname "$f")")
  dir="$work/$stack"
  mkdir -p "$dir"
  # Working copy with the google version constraint pointed at the mirrored build.
  node -e '
    const fs = require("fs");
    const [src, dst, version] = process.argv.slice(1);
    const doc = JSON.parse(fs.readFileSync(src, "utf8"));
    doc.terraform.required_providers.google.version = version;
    fs.writeFileSync(dst, JSON.stringify(doc, null, 2));
  ' "$f" "$dir/cdk.tf.json" "$MIRROR_VERSION"
  if ! "$tf" -chdir="$dir" init -backend=false -input=false -no-color >"$dir/init.log" 2>&1; then
    echo "$stack: init FAILED"; sed 's/^/  /' "$dir/init.log"; failed=1; continue
  fi
  "$tf" -chdir="$dir" validate -json -no-color >"$dir/validate.json" || true
  if ! node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const d = r.diagnostics || [];
    const n = (s) => d.filter((x) => x.severity === s).length;
    console.log(`${process.argv[2]}: ${r.valid ? "valid" : "INVALID"}, ${n("error")} error(s), ${n("warning")} warning(s)`);
    for (const x of d) {
      const at = x.range ? ` (${x.address || ""} ${x.range.filename}:${x.range.start.line})` : (x.address ? ` (${x.address})` : "");
      console.log(`  ${x.severity}: ${x.summary}${at}${x.detail ? "\n    " + x.detail.replace(/\n/g, "\n    ") : ""}`);
    }
    process.exit(r.valid ? 0 : 1);
  ' "$dir/validate.json" "$stack"; then failed=1; fi

  if $plan; then
    # With -refresh=false, an empty local state and no data sources, the provider's only request is
    # its identity lookup at configure time (GET openidconnect.googleapis.com/v1/userinfo), whose
    # failure it logs and ignores. A proxy on a closed local port makes that fail at once, so plan
    # runs offline (checked in a network namespace without network); without it, no network at all
    # leaves ConfigureProvider retrying until the timeout.
    dead_proxy=http://127.0.0.1:9
    echo '{"terraform":{"backend":{"local":{"path":"terraform.tfstate"}}}}' >"$dir/backend_override.tf.json"
    rm -rf "$dir/.terraform"
    if "$tf" -chdir="$dir" init -input=false -no-color -reconfigure >"$dir/init-plan.log" 2>&1 &&
      GOOGLE_OAUTH_ACCESS_TOKEN=dummy GOOGLE_CREDENTIALS= GOOGLE_APPLICATION_CREDENTIALS= \
        HTTPS_PROXY="$dead_proxy" https_proxy="$dead_proxy" HTTP_PROXY="$dead_proxy" http_proxy="$dead_proxy" \
        NO_PROXY= no_proxy= timeout 300 "$tf" -chdir="$dir" plan -refresh=false -lock=false -input=false -no-color \
        >"$dir/plan.log" 2>&1; then
      echo "$stack: plan OK: $(grep -E '^Plan:' "$dir/plan.log" || echo 'no Plan: line')"
    else
      echo "$stack: plan FAILED (first lines):"; cat "$dir/init-plan.log" "$dir/plan.log" 2>/dev/null | head -40 | sed 's/^/  /'
      failed=1
    fi
  fi
done
exit $failed
