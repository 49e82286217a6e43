#!/usr/bin/env bash
# Fuzzes the live service's own OpenAPI document with schemathesis: a real proxy in front of
# a real Share simulator, every operation, every check. Fails on any 5xx or any response that
# does not match the document. Needs `pip install schemathesis` (CI does it).
#   scripts/schemathesis.sh            # default budget
#   MAX_EXAMPLES=500 scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${MAX_EXAMPLES:-150}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet --bin dexcom-share-proxy --bin share-simulator

# The simulator prints its URL as its first line.
./target/debug/share-simulator --listen 127.0.0.1:0 >"$work/sim.out" 2>"$work/sim.err" &
pids+=($!)
sim_url=""
for _ in $(seq 100); do
  sim_url="$(head -n1 "$work/sim.out" 2>/dev/null | sed -n 's/^share-simulator listening on //p')"
  [ -n "$sim_url" ] && break
  sleep 0.1
done
[ -n "$sim_url" ] || { echo "schemathesis.sh: the simulator did not start" >&2; cat "$work/sim.err" >&2; exit 1; }

cat >"$work/proxy.toml" <<TOML
[cache]
ttl_seconds = 5
[[accounts]]
name = "demo"
username = "demo@example.com"
password = "demo-password"
base_url = "$sim_url"
TOML

# The proxy logs "listening on http://ADDR" once it is bound.
RUST_LOG=info ./target/debug/dexcom-share-proxy --config "$work/proxy.toml" --listen 127.0.0.1:0 \
  >"$work/proxy.out" 2>"$work/proxy.err" &
pids+=($!)
proxy=""
for _ in $(seq 100); do
  proxy="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/proxy.err" | head -n1)"
  [ -n "$proxy" ] && break
  sleep 0.1
done
[ -n "$proxy" ] || { echo "schemathesis.sh: the proxy did not start" >&2; cat "$work/proxy.err" >&2; exit 1; }
echo "schemathesis.sh: proxy at $proxy, simulator at $sim_url"

status=0
schemathesis run "$proxy/openapi.json" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --seed "${SEED:-20261126}" \
  --generation-deterministic \
  --request-timeout 20 \
  --suppress-health-check all \
  --no-color || status=$?

if grep -q "panicked" "$work/proxy.err"; then
  echo "schemathesis.sh: the proxy panicked" >&2
  grep -n "panicked" "$work/proxy.err" >&2
  status=1
fi
exit "$status"
