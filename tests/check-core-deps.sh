#!/usr/bin/env bash
# The core crates must stay free of frameworks and adapters (docs/ARCHITECTURE.md):
# none of actix-web, sea-orm, redis, lettre or leptos may appear in their dependency tree.
set -euo pipefail
cd "$(dirname "$0")/.."
forbidden='^(actix-web|sea-orm|redis|lettre|leptos)$'
status=0
for crate in keyward-core keyward-oauth keyward-identity keyward-federation keyward-authz keyward-admin; do
  found=$(cargo tree -q -p "$crate" -e no-dev --prefix none 2>/dev/null | awk '{print $1}' | sort -u | grep -E "$forbidden" || true)
  if [ -z "$(cargo tree -q -p "$crate" -e no-dev --prefix none 2>/dev/null | head -1)" ]; then
    echo "core-deps: cannot read the dependency tree of $crate"; status=1; continue
  fi
  if [ -n "$found" ]; then
    echo "core-deps: $crate depends on forbidden crate(s): $(echo $found | tr '\n' ' ')"
    cargo tree -q -p "$crate" -e no-dev -i "$(echo "$found" | head -1)" 2>/dev/null | head -20
    status=1
  else
    echo "core-deps: $crate ok"
  fi
done
# Authentication and authorization stay apart: keyward-authz never uses keyward-oauth or keyward-identity.
apart=$(cargo tree -q -p keyward-authz -e no-dev --prefix none 2>/dev/null | awk '{print $1}' | sort -u | grep -E '^keyward-(oauth|identity)$' || true)
if [ -n "$apart" ]; then
  echo "core-deps: keyward-authz depends on $(echo $apart | tr '\n' ' ')(authentication and authorization must stay apart)"
  status=1
else
  echo "core-deps: keyward-authz is apart from keyward-oauth and keyward-identity"
fi
exit $status
