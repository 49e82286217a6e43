#!/usr/bin/env bash
# Fuzzes the live service's own OpenAPI document with schemathesis: a real proxy in front of
# a real Share simulator, every operation, every check. Fails on any 5xx or any response that
# does not match the document. Needs `pip install schemathesis` (CI does it).
#   scripts/schemathesis.sh            # default budget
#   MAX_EXAMPLES=500 scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${MAX_EXAMPLES:-150}"
. scripts/lib.sh
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT

cargo build --quiet --bin dexcom-share-proxy --bin share-simulator
lib_start_simulator "$target/debug/share-simulator" "$work"
# No slow-down for wrong tokens: the fuzzer sends thousands on purpose (tests/api/access.rs
# covers the slow-down).
cat >"$work/proxy.toml" <<TOML
[auth]
failure_delay_max_ms = 0
[[accounts]]
name = "demo"
username = "demo@example.com"
password = "demo-password"
base_url = "$SIM_URL"
TOML
lib_start_proxy "$target/debug/dexcom-share-proxy" "$work" "$work/proxy.toml"
proxy="$PROXY_URL"
echo "schemathesis.sh: proxy at $proxy, simulator at $SIM_URL"

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
