#!/usr/bin/env bash
# A second opinion on the synthesized infrastructure: checkov's terraform_json framework over every
# cdktf.out/stacks/orchestra-*/cdk.tf.json, configured by environments/scripts/checkov.yaml (each skip there carries
# its reason). Prints passed/failed/skipped per stack and exits non-zero on any failed check.
#
#   bash environments/scripts/scan.sh              synthesize, then scan
#   bash environments/scripts/scan.sh --no-synth   scan the cdktf.out already there (e.g. right after `npm run synth`)
#
# checkov comes from PyPI, pinned, in a virtualenv cached under ~/.cache/orchestra (keyed by the
# version, reused across runs). The scan itself is offline: no platform API key, no mapping or
# guideline download, no update check, no upload.
set -euo pipefail
cd "$(dirname "$0")/../.."

CHECKOV_VERSION=3.3.30
CONFIG=environments/scripts/checkov.yaml
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/orchestra/checkov-$CHECKOV_VERSION"
RUN_TIMEOUT=300
synth=true
case "${1:-}" in
  "") ;;
  --no-synth) synth=false ;;
  *) echo "usage: bash environments/scripts/scan.sh [--no-synth]" >&2; exit 2 ;;
esac

start=$(date +%s)
if [ ! -f "$VENV/.installed" ]; then
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input "checkov==$CHECKOV_VERSION"
  touch "$VENV/.installed"
  echo "checkov $CHECKOV_VERSION installed in $(( $(date +%s) - start )) s"
fi
got=$("$VENV/bin/checkov" --version)
if [ "$got" != "$CHECKOV_VERSION" ]; then
  echo "expected checkov $CHECKOV_VERSION in $VENV, found $got; delete the directory and rerun" >&2
  exit 1
fi

# Synthesize by default: a scan of a stale cdktf.out says nothing about the code being checked in.
if $synth; then npm run --silent synth >/dev/null; fi

shopt -s nullglob
stacks=(cdktf.out/stacks/orchestra-*/cdk.tf.json)
if [ ${#stacks[@]} -eq 0 ]; then
  echo "no cdktf.out/stacks/orchestra-*/cdk.tf.json after synth" >&2
  exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

checkov() {
  env -u BC_API_KEY -u PRISMA_API_URL \
    BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE CHECKOV_CREATE_MARKDOWN_HYPERLINKS=FALSE \
    timeout "$RUN_TIMEOUT" "$VENV/bin/checkov" --config-file "$CONFIG" --skip-download --skip-results-upload \
    --framework terraform_json -o json "$@"
}

# Per stack, two runs in parallel: the gate (the config's skips applied) and an audit run with the
# skips overridden, whose extra results are what the skips hide.
pids=()
for f in "${stacks[@]}"; do
  s=$(basename "$(dirname "$f")")
  ( set +e; checkov -f "$f" >"$out/$s.gate.json" 2>"$out/$s.gate.err"; echo $? >"$out/$s.gate.rc" ) &
  pids+=($!)
  ( set +e; checkov -f "$f" --skip-check CKV_ORCHESTRA_NONE >"$out/$s.all.json" 2>"$out/$s.all.err"; echo $? >"$out/$s.all.rc" ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

status=0
"$VENV/bin/python" - "$CONFIG" "$out" "${stacks[@]}" <<'PY' || status=$?
import fnmatch, json, os, re, sys

config, out, stacks = sys.argv[1], sys.argv[2], sys.argv[3:]

# Skip entries and the reason written after each: `  - ID[:regex]  # reason`.
skips, in_list, bad = [], False, []
for n, line in enumerate(open(config), 1):
    if re.match(r'^skip-check:\s*$', line):
        in_list = True
        continue
    if in_list:
        m = re.match(r'^\s+-\s+(\S+)\s*(?:#\s*(.*))?$', line)
        if m:
            if not (m.group(2) or '').strip():
                bad.append(f'{config}:{n}: skip "{m.group(1)}" has no reason')
            pattern, _, path = m.group(1).partition(':')
            skips.append({'entry': m.group(1), 'id': pattern, 'path': path or None, 'reason': (m.group(2) or '').strip(), 'used': 0})
        elif line.strip() and not line.lstrip().startswith('#'):
            in_list = False

def skip_for(check_id, file_path):
    for s in skips:
        if fnmatch.fnmatch(check_id, s['id']) and (s['path'] is None or re.search(s['path'], file_path)):
            return s
    return None

def load(path):
    with open(path) as fh:
        text = fh.read().strip()
    data = json.loads(text) if text else {}
    reports = data if isinstance(data, list) else [data]
    passed, failed, errors = [], [], 0
    for r in reports:
        res = r.get('results', {})
        passed += res.get('passed_checks', [])
        failed += res.get('failed_checks', [])
        errors += r.get('summary', {}).get('parsing_errors', 0)
    return passed, failed, errors

key = lambda c: (c['check_id'], c['resource'])
ok = not bad
for b in bad:
    print(b)
rows = []
for f in stacks:
    stack = os.path.basename(os.path.dirname(f))
    try:
        rc = int(open(f'{out}/{stack}.gate.rc').read())
        passed, failed, errors = load(f'{out}/{stack}.gate.json')
        all_passed, all_failed, _ = load(f'{out}/{stack}.all.json')
    except Exception as e:  # checkov crashed or printed no report
        print(f'{stack}: no checkov report ({e}); stderr:')
        print(open(f'{out}/{stack}.gate.err').read()[-4000:])
        ok = False
        continue
    gated = {key(c) for c in passed + failed}
    skipped = [(c, 'failed') for c in all_failed if key(c) not in gated] + \
              [(c, 'passed') for c in all_passed if key(c) not in gated]
    rows.append((stack, len(passed), len(failed), len(skipped)))
    print(f'== {stack}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped')
    for c in failed:
        print(f'   FAILED  {c["check_id"]} {c["resource"]}: {c["check_name"]}')
    for c, would in sorted(skipped, key=lambda x: key(x[0])):
        s = skip_for(c['check_id'], c['file_path'])
        if s:
            s['used'] += 1
        print(f'   skipped {c["check_id"]} {c["resource"]} (would have {would}): {s["reason"] if s else "?"}')
    if errors or rc not in (0, 1) or (rc == 1) != bool(failed) or not (passed or failed):
        print(f'   checkov exit {rc}, {errors} parsing errors, {len(passed) + len(failed)} results: not a clean scan')
        print(open(f'{out}/{stack}.gate.err').read()[-4000:])
        ok = False
    if failed:
        ok = False
for s in skips:
    if not s['used']:
        print(f'note: skip "{s["entry"]}" in {config} matched nothing; remove it if it is obsolete')
print()
print(f'{"stack":<20} {"passed":>6} {"failed":>6} {"skipped":>7}')
for r in rows:
    print(f'{r[0]:<20} {r[1]:>6} {r[2]:>6} {r[3]:>7}')
sys.exit(0 if ok else 1)
PY
echo "scan: $(( $(date +%s) - start )) s"
exit "$status"
