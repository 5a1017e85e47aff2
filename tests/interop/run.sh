#!/usr/bin/env bash
# The interoperability suite: certified third-party clients (panva's openid-client, Authlib)
# and a real browser (Debian's Chromium driven by playwright-core) against a live
# `keyward serve`, once on SQLite + memory and once more on PostgreSQL + Redis when
# KEYWARD_TEST_DATABASE_URL / KEYWARD_TEST_REDIS_URL are set.
#
#   bash tests/interop/run.sh
#
# Environment:
#   KEYWARD_BIN                a prebuilt keyward binary (otherwise `cargo build -p keyward`)
#   KEYWARD_TEST_DATABASE_URL  postgres://... of a server where this script may create and drop
#                              its own database keyward_interop_<random> (needs psql)
#   KEYWARD_TEST_REDIS_URL     redis://...; Keyward then uses logical database 12 (emptied at the end)
#   INTEROP_BACKENDS           "sqlite", "postgres" or "sqlite postgres" (default: what is available)
#
# Prints one line per check — `ok - name`, `not ok - name: reason` or
# `skip - name: not implemented (reason)` — and closes with `N passed, M failed, K skipped`;
# exits non-zero if any check failed. Screenshots of every browser step go to
# tests/interop/screenshots/<backend>/. Everything listens on 127.0.0.1 and is stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
here=$root/tests/interop

say() { echo "==> $*" >&2; }

work=$(mktemp -d)
results=$work/results.txt
: >"$results"
keyward_pid= db_name= redis_url=

stop_keyward() {
  if [ -n "$keyward_pid" ]; then
    kill "$keyward_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$keyward_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$keyward_pid" 2>/dev/null
    wait "$keyward_pid" 2>/dev/null
    keyward_pid=
  fi
}
drop_backend_state() {
  if [ -n "$db_name" ]; then
    psql "$KEYWARD_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1 \
      && say "dropped database $db_name"
    db_name=
  fi
  if [ -n "$redis_url" ]; then
    redis-cli -u "$redis_url" flushdb >/dev/null 2>&1 && say "emptied Redis database 12"
    redis_url=
  fi
}
cleanup() {
  set +e
  stop_keyward
  drop_backend_state
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Records a check result that is not produced by the node or Python checks.
record() { echo "$1" | tee -a "$results"; }

# ---------------------------------------------------------------- tools
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium (apt-get)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$work/apt.log" 2>&1 \
    || { tail -20 "$work/apt.log" >&2; say "cannot install chromium"; }
fi
for tool in node npm curl jq python3; do
  command -v "$tool" >/dev/null || { echo "not ok - setup: $tool is missing"; echo "0 passed, 1 failed"; exit 1; }
done
if [ ! -d "$here/node_modules/openid-client" ] || [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/jose" ]; then
  say "npm ci (tests/interop)"
  (cd "$here" && timeout 300 npm ci --no-audit --no-fund --silent) || { echo "not ok - setup: npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
venv=$root/target/interop-venv
if ! "$venv/bin/python" -c 'import authlib, requests, httpx' 2>/dev/null; then
  say "Python venv with authlib, requests, httpx ($venv)"
  mkdir -p "$root/target"
  { python3 -m venv "$venv" && timeout 300 "$venv/bin/pip" install -q authlib requests httpx; } >"$work/pip.log" 2>&1 \
    || { tail -20 "$work/pip.log" >&2; echo "not ok - setup: Python venv failed"; echo "0 passed, 1 failed"; exit 1; }
fi

if [ -z "${KEYWARD_BIN:-}" ]; then
  say "cargo build -p keyward"
  cargo build -p keyward --quiet || { echo "not ok - setup: cargo build -p keyward failed"; echo "0 passed, 1 failed"; exit 1; }
fi
keyward=${KEYWARD_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/keyward}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rand() { head -c "$1" /dev/urandom | base64 | tr -d '/+=\n'; }

# run_checks BACKEND WHAT SECONDS STDERR_FILE COMMAND...: runs one checker, bounded in time, and
# tags its lines with the backend. A checker prints `# done` last: without it, it ended early.
run_checks() {
  local backend=$1 what=$2 secs=$3 err=$4; shift 4
  local out=$work/$backend-${what// /-}.out
  timeout -k 5 "$secs" "$@" 2>"$err" | sed -u "s/^\(ok\|not ok\|skip\) - /\1 - [$backend] /" | tee "$out" | grep --line-buffered -v '^# done$' | tee -a "$results"
  local rc=${PIPESTATUS[0]}
  if ! grep -q '^# done$' "$out"; then
    tail -15 "$err" >&2
    local last
    last=$(grep -v '^\s*$' "$err" | tail -1 | cut -c1-200)
    record "not ok - [$backend] $what: ended early with status $rc$( [ "$rc" = 124 ] && echo " (timed out after $secs s)")${last:+: $last}"
  fi
}

# ---------------------------------------------------------------- one backend
# run_backend NAME: sets up storage, creates tenants/clients/users, starts Keyward, runs the checks.
run_backend() {
  local backend=$1
  local dir=$work/$backend
  mkdir -p "$dir"
  local t0=$SECONDS
  local port rp_port py_port
  port=$(free_port) rp_port=$(free_port) py_port=$(free_port)
  export KEYWARD_LISTEN=127.0.0.1:$port
  export KEYWARD_PUBLIC_URL=http://127.0.0.1:$port
  export KEYWARD_DATA_DIR=$dir/data
  # The test relying parties (back-channel logout receivers) listen on loopback.
  export KEYWARD_OUTBOUND_ALLOW_PRIVATE=true
  export RUST_LOG=${INTEROP_RUST_LOG:-warn}
  unset KEYWARD_CONFIG KEYWARD_DATABASE_URL KEYWARD_REDIS_URL KEYWARD_MASTER_KEY KEYWARD_LOG_FORMAT
  local serve_args=(serve)
  if [ "$backend" = sqlite ]; then
    serve_args=(serve --dev)   # the embedded default, plus the seeded demo tenant
  else
    db_name=keyward_interop_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
    psql "$KEYWARD_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db_name" >/dev/null \
      || { record "not ok - [$backend] setup: cannot create database $db_name"; db_name=; return; }
    local base=${KEYWARD_TEST_DATABASE_URL%%\?*}
    export KEYWARD_DATABASE_URL="${base%/*}/$db_name"
    KEYWARD_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
    export KEYWARD_MASTER_KEY
    if [ -n "${KEYWARD_TEST_REDIS_URL:-}" ]; then
      local rbase=${KEYWARD_TEST_REDIS_URL%/}
      case $rbase in redis://*/*[0-9]|rediss://*/*[0-9]) rbase=${rbase%/*} ;; esac
      redis_url=$rbase/12
      redis-cli -u "$redis_url" flushdb >/dev/null 2>&1
      export KEYWARD_REDIS_URL=$redis_url
    fi
  fi
  local storage="SQLite + memory"
  [ -n "$db_name" ] && storage="PostgreSQL (database $db_name)${KEYWARD_REDIS_URL:+ + Redis (database 12)}"
  say "[$backend] Keyward on $KEYWARD_LISTEN, $storage"

  # Everything is created with the CLI before the server starts, so no cache can hold a stale copy.
  local kw=("$keyward")
  "${kw[@]}" migrate >"$dir/migrate.log" 2>&1 || { tail -5 "$dir/migrate.log" >&2; record "not ok - [$backend] setup: keyward migrate failed"; return; }
  local tenant=interop other=interop2
  local rp=http://127.0.0.1:$rp_port py=http://127.0.0.1:$py_port
  cli() { "${kw[@]}" "$@" 2>>"$dir/cli.log"; }
  if ! cli tenant create "$tenant" --name "Interop" --json >"$dir/tenant.json" \
     || ! cli tenant create "$other" --name "Interop two" --json >"$dir/tenant2.json"; then
    tail -5 "$dir/cli.log" >&2; record "not ok - [$backend] setup: keyward tenant create failed"; return
  fi
  client() { # NAME FLAGS...
    local name=$1; shift
    cli client create --tenant "$tenant" --name "$name" "$@" --json >"$dir/client-$name.json" \
      || { tail -3 "$dir/cli.log" >&2; record "not ok - [$backend] setup: client create $name failed"; return 1; }
  }
  local oidc_scopes=(--scope openid --scope profile --scope email --scope address --scope phone --scope offline_access)
  client web --redirect-uri "$rp/cb" --post-logout-redirect-uri "$rp/logged-out" \
    --grant-type authorization_code --grant-type refresh_token "${oidc_scopes[@]}" || return
  client spa --public --first-party --redirect-uri "$rp/cb" --post-logout-redirect-uri "$rp/logged-out" \
    --grant-type authorization_code --grant-type refresh_token "${oidc_scopes[@]}" || return
  client implicit --public --redirect-uri "$rp/form_post" --grant-type implicit \
    --scope openid --scope profile --scope email || return
  client service --grant-type client_credentials --scope api:read --scope api:write || return
  client poster --auth-method client_secret_post --grant-type client_credentials --scope api:read || return
  client legacy --first-party --grant-type password --grant-type refresh_token \
    --scope openid --scope profile --scope email --scope offline_access || return
  client bcl --first-party --redirect-uri "$rp/cb" --post-logout-redirect-uri "$rp/logged-out" \
    --grant-type authorization_code --grant-type refresh_token --scope openid --scope profile || return
  client tv --public --grant-type urn:ietf:params:oauth:grant-type:device_code --grant-type refresh_token \
    --scope openid --scope profile --scope offline_access || return
  client pyweb --redirect-uri "$py/cb" --grant-type authorization_code --grant-type refresh_token --first-party \
    --scope openid --scope profile --scope email --scope offline_access || return
  client pyservice --grant-type client_credentials --scope api:read || return
  cli client create --tenant "$other" --name other --redirect-uri "$rp/cb" --first-party --scope openid \
    --json >"$dir/client-other.json" || { record "not ok - [$backend] setup: client create other failed"; return; }

  local alice_pw bob_pw
  alice_pw=$(rand 18) bob_pw=$(rand 18)
  printf '%s\n' "$alice_pw" | cli user create --tenant "$tenant" --username alice --email alice@example.com --password-stdin --json >"$dir/alice.json" \
    && printf '%s\n' "$bob_pw" | cli user create --tenant "$tenant" --username bob --email bob@example.com --password-stdin --json >"$dir/bob.json" \
    || { tail -3 "$dir/cli.log" >&2; record "not ok - [$backend] setup: user create failed"; return; }
  if ! cli admin service-account --name interop-admin --json >"$dir/admin.json"; then
    echo '{}' >"$dir/admin.json"
    say "[$backend] no admin service account (admin API checks will say so)"
  fi

  "${kw[@]}" "${serve_args[@]}" >"$dir/serve.out" 2>"$dir/serve.log" &
  keyward_pid=$!
  local ready=
  for _ in $(seq 1 300); do
    if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$KEYWARD_PUBLIC_URL/readyz")" = 200 ]; then ready=1; break; fi
    kill -0 "$keyward_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    tail -20 "$dir/serve.log" | sed -E 's/(client_secret=)[^ ]+/\1***/g' >&2
    record "not ok - [$backend] setup: keyward serve did not become ready within 30 s"
    stop_keyward; drop_backend_state; return
  fi

  # The demo tenant's password client (serve --dev prints its fresh secret on stderr).
  local legacy_line demo_legacy_id= demo_legacy_secret=
  legacy_line=$(grep -E '^\s*Demo legacy' "$dir/serve.log" | head -1 || true)
  if [ -n "$legacy_line" ]; then
    demo_legacy_id=$(sed -E 's/.*client_id=([^ ]+).*/\1/' <<<"$legacy_line")
    demo_legacy_secret=$(sed -nE 's/.*client_secret=([^ ]+).*/\1/p' <<<"$legacy_line")
  fi

  local shots=$here/screenshots/$backend
  rm -rf "$shots"; mkdir -p "$shots"
  jq -n \
    --arg backend "$backend" --arg base "$KEYWARD_PUBLIC_URL" --arg tenant "$tenant" --arg other "$other" \
    --arg rp "$rp" --argjson rp_port "$rp_port" --arg py "$py" --argjson py_port "$py_port" \
    --arg shots "$shots" --arg alice_pw "$alice_pw" --arg bob_pw "$bob_pw" \
    --arg demo_legacy_id "$demo_legacy_id" --arg demo_legacy_secret "$demo_legacy_secret" \
    --slurpfile admin "$dir/admin.json" --slurpfile alice "$dir/alice.json" --slurpfile bob "$dir/bob.json" \
    --slurpfile web "$dir/client-web.json" --slurpfile spa "$dir/client-spa.json" \
    --slurpfile implicit "$dir/client-implicit.json" --slurpfile service "$dir/client-service.json" \
    --slurpfile poster "$dir/client-poster.json" --slurpfile legacy "$dir/client-legacy.json" \
    --slurpfile bcl "$dir/client-bcl.json" --slurpfile tv "$dir/client-tv.json" \
    --slurpfile pyweb "$dir/client-pyweb.json" --slurpfile pyservice "$dir/client-pyservice.json" \
    --slurpfile otherclient "$dir/client-other.json" \
    '{backend: $backend, base: $base, tenant: $tenant, other_tenant: $other,
      issuer: ($base + "/t/" + $tenant), rp: $rp, rp_port: $rp_port, py: $py, py_port: $py_port,
      screenshots: $shots,
      admin: $admin[0],
      users: {alice: {username: "alice", password: $alice_pw, email: "alice@example.com", id: ($alice[0].id // $alice[0].user_id)},
              bob: {username: "bob", password: $bob_pw, email: "bob@example.com", id: ($bob[0].id // $bob[0].user_id)}},
      clients: {web: $web[0], spa: $spa[0], implicit: $implicit[0], service: $service[0], poster: $poster[0],
                legacy: $legacy[0], bcl: $bcl[0], tv: $tv[0], pyweb: $pyweb[0], pyservice: $pyservice[0],
                other: $otherclient[0]},
      demo_legacy: (if $demo_legacy_id == "" then null else {client_id: $demo_legacy_id, client_secret: $demo_legacy_secret} end)}' \
    >"$dir/config.json"
  chmod 600 "$dir/config.json"

  say "[$backend] openid-client + jose + Chromium"
  run_checks "$backend" "openid-client checks" 240 "$dir/node.err" node "$here/checks.mjs" "$dir/config.json"
  say "[$backend] Authlib"
  run_checks "$backend" "Authlib checks" 120 "$dir/py.err" "$venv/bin/python" "$here/authlib_checks.py" "$dir/config.json"

  stop_keyward
  if grep -q "^not ok - \[$backend\]" "$results"; then
    say "[$backend] server warnings and errors (last 20):"
    grep -E 'WARN|ERROR|panicked' "$dir/serve.log" | grep -v 'client_secret' | tail -20 >&2
  fi
  drop_backend_state
  say "[$backend] done in $(( SECONDS - t0 )) s"
  if [ -n "${INTEROP_KEEP_LOGS:-}" ]; then mkdir -p "$INTEROP_KEEP_LOGS/$backend" && cp "$dir"/*.log "$dir"/*.err "$INTEROP_KEEP_LOGS/$backend/" 2>/dev/null; fi
}

backends=${INTEROP_BACKENDS:-}
if [ -z "$backends" ]; then
  backends=sqlite
  if [ -n "${KEYWARD_TEST_DATABASE_URL:-}" ]; then
    if command -v psql >/dev/null; then backends="$backends postgres"
    else record "not ok - [postgres] setup: KEYWARD_TEST_DATABASE_URL is set but psql is missing"; fi
  fi
fi
for b in $backends; do
  if [ "$b" = postgres ] && [ -z "${KEYWARD_TEST_DATABASE_URL:-}" ]; then
    record "not ok - [postgres] setup: KEYWARD_TEST_DATABASE_URL is not set"; continue
  fi
  run_backend "$b"
done

passed=$(grep -c '^ok - ' "$results")
failed=$(grep -c '^not ok - ' "$results")
skipped=$(grep -c '^skip - ' "$results")
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
