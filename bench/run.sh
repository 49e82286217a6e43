#!/usr/bin/env bash
# Throughput and memory of the cached read path, rerunnable: a release proxy in front of the
# simulator, loaded by wrk on loopback. Figures are reported as ratios to /health measured in
# the same run, because machines here are noisy.
#   bench/run.sh                 # 10 s per endpoint, 64 connections
#   SECONDS_EACH=30 CONNECTIONS=128 bench/run.sh
# Needs wrk (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${SECONDS_EACH:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install -y wrk)" >&2; exit 1; }

. scripts/lib.sh
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT

cargo build --quiet --release --bin dexcom-share-proxy --bin share-simulator
lib_start_simulator ./target/release/share-simulator "$work"
cat >"$work/proxy.toml" <<TOML
[[accounts]]
name = "demo"
username = "demo@example.com"
password = "demo-password"
base_url = "$SIM_URL"
TOML
RUST_LOG=warn lib_start_proxy ./target/release/dexcom-share-proxy "$work" "$work/proxy.toml"
curl -sf "$PROXY_URL/readings/current" >/dev/null   # fills the cache

rss() { awk '/VmRSS/ {print $2}' "/proc/$PROXY_PID/status"; }
rss_before=$(rss)
echo "bench: $SECONDS_EACH s per endpoint, $CONNECTIONS connections, 2 wrk threads, proxy RSS ${rss_before} kB"
printf '%-32s %12s %10s %14s\n' endpoint "req/s" "vs /health" "p99 latency"
base=""
for path in /health /readings/current "/readings?max_count=12" /readings /accounts; do
  out="$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency "$PROXY_URL$path")"
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx|Socket errors/' <<<"$out")"
  [ -z "$base" ] && base="$rps"
  printf '%-32s %12s %10s %14s %s\n' "$path" "$rps" "$(awk -v a="$rps" -v b="$base" 'BEGIN {printf "%.2f", a / b}')" "$p99" "$errors"
done
echo "bench: proxy RSS after: $(rss) kB (before: $rss_before kB)"
echo "bench: Share calls during the run: $(curl -s "$SIM_CONTROL/calls")"
