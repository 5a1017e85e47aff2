#!/usr/bin/env bash
# Fuzzes the admin API with schemathesis (PyPI) against its own OpenAPI document: no 5xx and
# no response that breaks the documented schema. Starts `keyward serve --dev` on a free
# loopback port in a fresh data directory, signs in with the dev platform-admin service
# account, and exits non-zero on any finding.
#
# SCHEMATHESIS_MAX_EXAMPLES (default 20) and SCHEMATHESIS_MAX_TIME (seconds, default 240) bound
# the run.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/schemathesis-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==4.32.5" "hypothesis==6.170.17"
fi

cargo build --quiet -p keyward
bin=${CARGO_TARGET_DIR:-target}/debug/keyward
data=$(mktemp -d)
log="$data/serve.log"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

KEYWARD_DATA_DIR="$data" KEYWARD_LISTEN="127.0.0.1:$port" KEYWARD_PUBLIC_URL="$base" RUST_LOG=warn \
  "$bin" serve --dev >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

for _ in $(seq 1 300); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "$base/healthz" >/dev/null || { echo "schemathesis: the server did not start"; cat "$log"; exit 1; }

line=$(grep -m1 'Admin service account (dev)' "$log")
id=$(sed -E 's/.*client_id=([^ ]+).*/\1/' <<<"$line")
secret=$(sed -E 's/.*client_secret=([^ ]+).*/\1/' <<<"$line")
token=$(curl -fs -u "$id:$secret" -d grant_type=client_credentials -d scope=keyward:admin "$base/t/system/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# A token lives for the system tenant's access-token lifetime (10 minutes): enough for a run.

# The tenant, client, user and identity provider the fuzzer aims at (tests/schemathesis.toml).
post() {
  curl -fs -H "Authorization: Bearer $token" -H 'content-type: application/json' -d "$2" "$base/admin/api/v1$1"
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
post /tenants '{"slug":"fuzz","display_name":"Fuzz"}' >/dev/null
FUZZ_CLIENT_ID=$(post /tenants/fuzz/clients '{"name":"fuzzed"}' | field client_id)
FUZZ_USER_ID=$(post /tenants/fuzz/users '{"username":"fuzzed"}' | field id)
post /tenants/fuzz/identity-providers \
  '{"alias":"upstream","display_name":"Upstream","issuer_url":"https://idp.test","client_id":"rp"}' >/dev/null
export FUZZ_CLIENT_ID FUZZ_USER_ID

# The admin API allows 600 requests a minute per principal: stay under it. One worker: with two,
# hypothesis parses lambda sources from two threads and CPython 3.11's ast module can crash
# ("AST constructor recursion depth mismatch") — a tool error, not a finding.
# Run from the throw-away directory: schemathesis keeps its cache in ./.schemathesis.
root=$PWD
cd "$data"
"$root/$venv/bin/schemathesis" --config-file "$root/tests/schemathesis.toml" run "$base/admin/api/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-20}" \
  --max-time "${SCHEMATHESIS_MAX_TIME:-240}" \
  --phases examples,coverage,fuzzing \
  --rate-limit 540/m \
  --workers 1 \
  --no-color \
  --generation-database none \
  --report-dir "$data/report"
