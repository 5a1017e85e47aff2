#!/usr/bin/env bash
# The whole test suite — the README's test command and what CI runs.
#
# Without KEYWARD_TEST_DATABASE_URL / KEYWARD_TEST_REDIS_URL the storage and cache suites run
# on SQLite and memory only; with them they also run on PostgreSQL and Redis (.ci/run sets them).
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
interop_log=$(mktemp)
trap 'rm -f "$log" "$interop_log"' EXIT
failed_steps=()

step() {
  local name=$1; shift
  echo "==> $name"
  if ! "$@"; then
    failed_steps+=("$name")
  fi
}

step "core crates stay free of frameworks and adapters" bash tests/check-core-deps.sh
step "cargo fmt" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "==> cargo test (database: ${KEYWARD_TEST_DATABASE_URL:-sqlite only}, cache: ${KEYWARD_TEST_REDIS_URL:-memory only})"
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed_steps+=("cargo test")
# openid-client, Authlib and headless Chromium against a live keyward serve (tests/interop/run.sh)
step "interop suite" bash -c 'bash tests/interop/run.sh | tee "$1"; exit "${PIPESTATUS[0]}"' interop "$interop_log"

step "schemathesis against the admin API's OpenAPI document" bash tests/schemathesis.sh

passed=$(grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
read -r i_passed i_failed i_skipped < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/p' "$interop_log" | tail -1)
passed=$(( passed + ${i_passed:-0} )) failed=$(( failed + ${i_failed:-0} ))
if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "failed steps: ${failed_steps[*]}"
  [ "${failed:-0}" -gt 0 ] || failed=$(( ${failed:-0} + ${#failed_steps[@]} ))
fi
echo "${passed:-0} passed, ${failed:-0} failed${i_skipped:+, $i_skipped skipped}"
[ ${#failed_steps[@]} -eq 0 ]
