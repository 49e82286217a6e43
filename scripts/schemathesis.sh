#!/usr/bin/env bash
# Fuzzes the live service's own OpenAPI document with schemathesis: a real proxy in front of
# a real Share simulator (--demo's, which it calls over HTTP on loopback), every operation,
# every check. Fails on any 5xx or any response that does not match the document. Needs
# `pip install schemathesis` (CI does it).
#   scripts/schemathesis.sh            # default budget
#   MAX_EXAMPLES=500 scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${MAX_EXAMPLES:-150}"
. scripts/lib.sh
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT

cargo build --quiet --bin dexcom-share-proxy
# The stock demo: one account, `demo`, without tokens. No slow-down for wrong tokens: the
# fuzzer sends thousands on purpose (tests/api/access.rs covers the slow-down).
lib_write_config "$work/proxy.toml" auth.failure_delay_max_ms=0
lib_start_proxy "$target/debug/dexcom-share-proxy" "$work" "$work/proxy.toml" --demo
proxy="$PROXY_URL"
echo "schemathesis.sh: proxy at $proxy, with --demo's simulator"

# A 200 stream never ends: the event stream is tested in tests/api/stream.rs.
status=0
schemathesis run "$proxy/openapi.json" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --generation-deterministic \
  --request-timeout 20 \
  --suppress-health-check all \
  --exclude-path /readings/stream \
  --no-color || status=$?

if grep -q "panicked" "$work/proxy.err"; then
  echo "schemathesis.sh: the proxy panicked" >&2
  grep -n "panicked" "$work/proxy.err" >&2
  status=1
fi
exit "$status"
