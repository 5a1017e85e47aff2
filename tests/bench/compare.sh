#!/usr/bin/env bash
# Keyward against panva/oidc-provider, same machine, same load generator (keyward-bench), same
# scenarios, in one run; prints a side-by-side table with the ratio. See docs/BENCHMARKS.md.
#
#   bash tests/bench/compare.sh [--duration S] [--warmup S] [--concurrency N] [--no-paced]
#                               [--only SCENARIO[,SCENARIO...]]
#
# Environment:
#   KEYWARD_TEST_DATABASE_URL  postgres://... of a server where this script may create and drop
#                              its own database `keyward_bench` (needs psql); unset: embedded SQLite
#   KEYWARD_TEST_REDIS_URL     redis://...; Keyward then uses logical database $BENCH_REDIS_DB
#                              (default 11), emptied at the end; unset: in-memory state
#   KEYWARD_BIN, BENCH_BIN     prebuilt binaries (skip `cargo build --release`)
#   BENCH_OUT                  where the JSON reports go (default target/bench/compare-<time>)
#
# Everything listens on 127.0.0.1; each run is bounded (--duration + --warmup); every process
# this script starts is stopped on exit. A Keyward scenario whose endpoint is not in its
# discovery document is skipped and reported as such.
#
# full-login (a whole browser sign-in through Keyward's hosted pages, scraped) runs against
# Keyward only: oidc-provider's interactive login is its development-only interaction UI
# (devInteractions), which takes any login name and checks no password at all, so it is not
# comparable with a sign-in that verifies an Argon2id hash.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

duration=10 warmup=2 concurrency=16 paced=1 only=
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --no-paced) paced=0; shift ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

for tool in curl jq node npm; do
  command -v "$tool" >/dev/null || { echo "compare.sh needs $tool" >&2; exit 2; }
done

keyward_port=${KEYWARD_BENCH_PORT:-18080}
provider_port=${PROVIDER_BENCH_PORT:-13000}
out=${BENCH_OUT:-$root/target/bench/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
work=$(mktemp -d)
keyward_pid= provider_pid= db_created= redis_db=

say() { echo "==> $*" >&2; }

cleanup() {
  set +e
  [ -n "$keyward_pid" ] && kill "$keyward_pid" 2>/dev/null && wait "$keyward_pid" 2>/dev/null
  [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null && wait "$provider_pid" 2>/dev/null
  if [ -n "$db_created" ]; then
    psql "$KEYWARD_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS keyward_bench WITH (FORCE)" >/dev/null 2>&1 \
      && say "dropped database keyward_bench"
  fi
  if [ -n "$redis_db" ] && command -v redis-cli >/dev/null; then
    redis-cli -u "$redis_base/$redis_db" flushdb >/dev/null 2>&1 && say "emptied Redis database $redis_db"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$keyward_port" "$provider_port"; do
  port_free "$p" || { echo "port $p on 127.0.0.1 is in use; set KEYWARD_BENCH_PORT / PROVIDER_BENCH_PORT" >&2; exit 2; }
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- build
if [ -z "${KEYWARD_BIN:-}" ] || [ -z "${BENCH_BIN:-}" ]; then
  pkgs=()
  [ -z "${KEYWARD_BIN:-}" ] && pkgs+=(-p keyward)
  [ -z "${BENCH_BIN:-}" ] && pkgs+=(-p keyward-bench)
  say "cargo build --release ${pkgs[*]}"
  cargo build --release --quiet "${pkgs[@]}"
fi
keyward=${KEYWARD_BIN:-$root/target/release/keyward}
bench=${BENCH_BIN:-$root/target/release/keyward-bench}
if [ ! -d tests/bench/node_modules/oidc-provider ]; then
  say "npm ci (tests/bench)"
  (cd tests/bench && npm ci --no-audit --no-fund --silent)
fi

# ---------------------------------------------------------------- Keyward's storage
export KEYWARD_LISTEN=127.0.0.1:$keyward_port
export KEYWARD_PUBLIC_URL=http://127.0.0.1:$keyward_port
export KEYWARD_DATA_DIR=$work/keyward-data
# The load generator starts every sign-in from 127.0.0.1: lift the per-address limit on
# starting sign-in interactions (300 per 10 minutes by default) out of its way.
export KEYWARD_INTERACTION_LIMIT=1000000000
export RUST_LOG=${RUST_LOG:-warn}   # no per-request log lines: oidc-provider logs none either
unset KEYWARD_CONFIG KEYWARD_DATABASE_URL KEYWARD_REDIS_URL KEYWARD_MASTER_KEY
storage="embedded (SQLite + in-memory state)"
if [ -n "${KEYWARD_TEST_DATABASE_URL:-}" ]; then
  if command -v psql >/dev/null; then
    psql "$KEYWARD_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS keyward_bench WITH (FORCE)" >/dev/null
    psql "$KEYWARD_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE keyward_bench" >/dev/null
    db_created=1
    base=${KEYWARD_TEST_DATABASE_URL%%\?*}
    export KEYWARD_DATABASE_URL="${base%/*}/keyward_bench"
    KEYWARD_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
    export KEYWARD_MASTER_KEY
    storage="PostgreSQL (database keyward_bench)"
  else
    say "KEYWARD_TEST_DATABASE_URL is set but psql is missing: using the embedded database"
  fi
fi
if [ -n "${KEYWARD_TEST_REDIS_URL:-}" ]; then
  redis_base=${KEYWARD_TEST_REDIS_URL%/}
  case $redis_base in redis://*/*[0-9]) redis_base=${redis_base%/*} ;; esac
  redis_db=${BENCH_REDIS_DB:-11}
  export KEYWARD_REDIS_URL="$redis_base/$redis_db"
  storage="$storage + Redis (database $redis_db)"
fi
say "Keyward storage: $storage"

# ---------------------------------------------------------------- Keyward: set up, start, measure
say "keyward migrate; tenant, client and user 'bench'"
"$keyward" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; exit 1; }
"$keyward" tenant create bench --json >"$work/tenant.json"
"$keyward" client create --tenant bench --name bench \
  --grant-type client_credentials --grant-type password --grant-type refresh_token \
  --scope api --scope offline_access --scope openid --json >"$work/client.json"
kw_client_id=$(jq -r .client_id "$work/client.json")
kw_client_secret=$(jq -r .client_secret "$work/client.json")
# full-login: a first-party public client (no consent page), authorization code + PKCE. The
# redirect URI is never fetched: keyward-bench takes the code from the redirect's Location.
login_redirect_uri=http://127.0.0.1:9/cb
"$keyward" client create --tenant bench --name bench-login \
  --grant-type authorization_code --redirect-uri "$login_redirect_uri" \
  --public --first-party --scope openid --json >"$work/login-client.json"
kw_login_client_id=$(jq -r .client_id "$work/login-client.json")
kw_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$kw_password" | "$keyward" user create --tenant bench --username bench --password-stdin --json >"$work/user.json"

# The refresh scenario starts each chain with the password grant, which a Keyward tenant has off
# by default, and neither the CLI nor the admin API can switch it on yet: set the tenant setting
# directly in this script's own throw-away database, before the server starts (no cache to stale).
kw_refresh_blocker=
if [ -n "$db_created" ]; then
  rows=$(psql "$KEYWARD_DATABASE_URL" -qtAc "UPDATE tenants SET settings = jsonb_set(settings, '{password_grant_enabled}', 'true') WHERE slug = 'bench' RETURNING 1" 2>&1 || true)
elif command -v sqlite3 >/dev/null; then
  rows=$(sqlite3 "$KEYWARD_DATA_DIR/keyward.db" "UPDATE tenants SET settings = json_set(settings, '\$.password_grant_enabled', json('true')) WHERE slug = 'bench' RETURNING 1;" 2>&1 || true)
else
  rows="sqlite3 is missing"
fi
[ "$rows" = 1 ] || kw_refresh_blocker="cannot enable the tenant's password grant ($rows)"

say "starting keyward on $KEYWARD_LISTEN"
now_ms() { date +%s%3N; }
t0=$(now_ms)
"$keyward" serve >"$out/keyward.log" 2>&1 &
keyward_pid=$!
ready_ms=
deadline=$(( t0 + 30000 ))
while [ "$(now_ms)" -lt "$deadline" ]; do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$KEYWARD_LISTEN/readyz" 2>/dev/null)" = 200 ]; then
    ready_ms=$(( $(now_ms) - t0 )); break
  fi
  kill -0 "$keyward_pid" 2>/dev/null || { echo "keyward exited:" >&2; tail -20 "$out/keyward.log" >&2; exit 1; }
  sleep 0.005
done
[ -n "$ready_ms" ] || { echo "keyward not ready within 30 s" >&2; tail -20 "$out/keyward.log" >&2; exit 1; }
sleep 2
idle_rss_kb=$(ps -o rss= -p "$keyward_pid" | tr -d ' ')
say "keyward ready in ${ready_ms} ms (start → first 200 from /readyz, curl polling every ~5 ms); idle RSS ${idle_rss_kb} kB"
jq -n --argjson ready_ms "$ready_ms" --argjson idle_rss_kb "$idle_rss_kb" --arg storage "$storage" \
  '{ready_ms: $ready_ms, idle_rss_kb: $idle_rss_kb, storage: $storage}' >"$out/keyward-startup.json"

kw_issuer=http://$KEYWARD_LISTEN/t/bench
kw_meta=$work/keyward-metadata.json
if [ "$(curl -s -o "$kw_meta" -w '%{http_code}' "$kw_issuer/.well-known/openid-configuration")" != 200 ]; then
  echo '{}' >"$kw_meta"
  say "Keyward serves no discovery document yet at $kw_issuer/.well-known/openid-configuration"
fi
kw_has() { jq -e --arg k "$1" 'has($k) and (.[$k] | type == "string")' "$kw_meta" >/dev/null; }

# ---------------------------------------------------------------- oidc-provider
say "starting oidc-provider on 127.0.0.1:$provider_port"
node tests/bench/oidc-provider.mjs "$provider_port" >"$work/provider.out" 2>"$out/oidc-provider.log" &
provider_pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/provider.out" ] && break
  kill -0 "$provider_pid" 2>/dev/null || { cat "$out/oidc-provider.log" >&2; exit 1; }
  sleep 0.05
done
op_issuer=$(head -1 "$work/provider.out")
[ -n "$op_issuer" ] || { echo "oidc-provider did not start" >&2; exit 1; }

# ---------------------------------------------------------------- the runs
scenarios=(client-credentials introspection refresh discovery-jwks full-login)
if [ -n "$only" ]; then
  wanted=()
  for s in "${scenarios[@]}"; do
    case ",$only," in *",$s,"*) wanted+=("$s") ;; esac
  done
  [ ${#wanted[@]} -gt 0 ] || { echo "--only: no known scenario in '$only' (${scenarios[*]})" >&2; exit 2; }
  scenarios=("${wanted[@]}")
fi
scope_for() {
  case $1 in
    refresh) echo "openid offline_access" ;;
    full-login) echo openid ;;
    *) echo api ;;
  esac
}

# run SERVER SCENARIO LABEL [extra keyward-bench args...]: writes $out/SERVER-SCENARIO[-LABEL].json
run() {
  local server=$1 scenario=$2 label=$3; shift 3
  local file=$out/$server-$scenario${label:+-$label}.json
  say "$server $scenario${label:+ ($label)}"
  if "$bench" --scenario "$scenario" --concurrency "$concurrency" --duration "$duration" --warmup "$warmup" \
      --scope "$(scope_for "$scenario")" --json "$@" >"$file" 2>"$file.err"; then
    jq -r '"    \(.requests_per_sec) \(if .unit == "login" then "logins" else "req" end)/s, p50 \(.latency_ms.p50) p95 \(.latency_ms.p95) p99 \(.latency_ms.p99) ms, errors \(.errors)"' "$file" >&2
  else
    jq -n --arg why "$(tail -1 "$file.err")" '{skipped: ("failed: " + $why)}' >"$file"
    say "  failed: $(tail -1 "$file.err")"
  fi
}
skip() { jq -n --arg why "$3" '{skipped: $why}' >"$out/$1-$2.json"; say "$1 $2: skipped — $3"; }

# A second pass at 70 % of the measured maximum: the latency a server shows below saturation.
paced_run() {
  local server=$1 scenario=$2; shift 2
  [ "$paced" = 1 ] || return 0
  local max
  max=$(jq -r '.ok_per_sec // 0' "$out/$server-$scenario.json")
  if [ "$(jq -n --argjson m "$max" '$m >= 10')" = true ]; then
    run "$server" "$scenario" p70 --rate "$(jq -n --argjson m "$max" '$m * 0.7 | floor')" "$@"
  fi
}

for scenario in "${scenarios[@]}"; do
  if [ "$scenario" = full-login ]; then
    skip oidc-provider full-login "not comparable: its interactive login is the development-only devInteractions UI, which checks no password"
    kw_has authorization_endpoint && kw_has token_endpoint || {
      skip keyward full-login "endpoint not implemented (discovery has no authorization_endpoint or token_endpoint)"
      continue
    }
    kw_args=(--issuer "$kw_issuer" --client-id="$kw_login_client_id" --auth-method none
      --username bench --password="$kw_password" --redirect-uri "$login_redirect_uri")
    run keyward full-login "" "${kw_args[@]}"
    paced_run keyward full-login "${kw_args[@]}"
    continue
  fi
  # oidc-provider
  op_args=(--issuer "$op_issuer" --client-id bench --client-secret bench-secret --username bench --password bench)
  run oidc-provider "$scenario" "" "${op_args[@]}"
  paced_run oidc-provider "$scenario" "${op_args[@]}"

  # Keyward: only what its discovery document names
  kw_args=(--issuer "$kw_issuer" --client-id="$kw_client_id" --client-secret="$kw_client_secret" --username bench --password="$kw_password")
  case $scenario in
    client-credentials|refresh) need=(token_endpoint) ;;
    introspection) need=(token_endpoint introspection_endpoint) ;;
    *) need=() ;;
  esac
  missing=
  for k in "${need[@]}"; do kw_has "$k" || missing="$missing $k"; done
  if [ -n "$missing" ]; then
    skip keyward "$scenario" "endpoint not implemented (discovery has no${missing})"
    continue
  fi
  if [ "$scenario" = refresh ] && [ -n "$kw_refresh_blocker" ]; then
    skip keyward "$scenario" "$kw_refresh_blocker"
    continue
  fi
  if [ "$scenario" = discovery-jwks ] && ! kw_has jwks_uri; then
    # No discovery document yet: measure the JWKS alone, and say so.
    kw_args=(--jwks-uri "$kw_issuer/jwks")
    run keyward "$scenario" "" "${kw_args[@]}"
    jq '. + {note: "JWKS only: no discovery document yet"}' "$out/keyward-$scenario.json" >"$work/n.json" && mv "$work/n.json" "$out/keyward-$scenario.json"
  else
    run keyward "$scenario" "" "${kw_args[@]}"
  fi
  paced_run keyward "$scenario" "${kw_args[@]}"
done

# ---------------------------------------------------------------- the table
cell() { # FILE -> "req/s p99 p99@70% errors" or the reason it was skipped
  local f=$1 p=${1%.json}-p70.json
  if jq -e '.skipped' "$f" >/dev/null 2>&1; then jq -r '.skipped' "$f"; return; fi
  local p70="-"
  [ -f "$p" ] && ! jq -e '.skipped' "$p" >/dev/null 2>&1 && p70=$(jq -r '.latency_ms.p99' "$p")
  jq -r --arg p70 "$p70" '"\(.requests_per_sec | floor) \(if .unit == "login" then "logins" else "req" end)/s  " + (if .unit == "login" then "p50 \(.latency_ms.p50) p95 \(.latency_ms.p95) " else "" end) + "p99 \(.latency_ms.p99) ms  p99@70% \($p70) ms  errors \(.errors)" + (if .note then "  (" + .note + ")" else "" end)' "$f"
}
{
  echo
  echo "keyward-bench: concurrency $concurrency, ${duration} s measured after ${warmup} s warm-up, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "load average (1/5/15 min) before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg) — other work on the machine lowers every figure"
  echo "Keyward: $storage; ready in ${ready_ms} ms; idle RSS $(( idle_rss_kb / 1024 )) MB (${idle_rss_kb} kB)"
  echo
  printf '%-20s | %-62s | %-62s | %s\n' scenario Keyward oidc-provider "ratio (Keyward/oidc-provider req/s)"
  printf '%s\n' "$(printf '%.0s-' $(seq 1 170))"
  for scenario in "${scenarios[@]}"; do
    kw=$out/keyward-$scenario.json op=$out/oidc-provider-$scenario.json
    ratio=$(jq -rn --slurpfile k "$kw" --slurpfile o "$op" \
      'if ($k[0].requests_per_sec and $o[0].requests_per_sec and $o[0].requests_per_sec > 0)
       then (($k[0].requests_per_sec / $o[0].requests_per_sec) * 100 | round / 100 | tostring) + "x" else "-" end')
    printf '%-20s | %-62s | %-62s | %s\n' "$scenario" "$(cell "$kw")" "$(cell "$op")" "$ratio"
  done
  echo
  echo "JSON reports: $out"
} | tee "$out/summary.txt"
