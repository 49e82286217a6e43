#!/usr/bin/env bash
# Soak test (not in CI): a release proxy in front of the simulator for DURATION seconds
# (default 600) under steady client load, with a random upstream fault injected every few
# seconds. Ends with: panics (must be 0), whether the proxy still serves, Share logins per
# account (bounded by login.min_interval_seconds), and the proxy's memory over time.
#   scripts/soak.sh            # 10 minutes
#   DURATION=120 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-600}"
. scripts/lib.sh
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
trap lib_stop_all EXIT
echo "soak: logs and samples in $work"

cargo build --quiet --release --bin dexcom-share-proxy --bin share-simulator

# Two Share accounts, in two time zones: alice logs in by username, bob by account id (the
# faults include a stalled login by id).
lib_write_config "$work/sim.toml" \
  --account username=alice@example.com account_id=0b7c4f8e-2a1d-4c3b-9e5f-6a7b8c9d0e1f \
    password=alice-soak-password utc_offset_minutes=-240 \
  --account username=bob account_id=7f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b \
    password=bob-soak-password utc_offset_minutes=60
lib_start_simulator "$target/release/share-simulator" "$work" "$work/sim.toml"
control="$SIM_CONTROL"

# Short back-off cap, so that recoveries happen many times within the run. The feeds expect a
# reading every minute (the simulator makes one every 5), so they retry often and meet the
# injected faults many times.
lib_write_config "$work/proxy.toml" \
  feed.interval_seconds=60 feed.retry_every_seconds=2 feed.slow_poll_seconds=30 \
  upstream.timeout_seconds=2 upstream.retry_max_seconds=30 \
  --account name=alice username=alice@example.com password=alice-soak-password \
    base_url="$SIM_URL" \
  --account name=bob account_id=7f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b password=bob-soak-password \
    base_url="$SIM_URL"
RUST_LOG=warn lib_start_proxy "$target/release/dexcom-share-proxy" "$work" "$work/proxy.toml"
proxy="$PROXY_URL"
proxy_pid="$PROXY_PID"
echo "soak: proxy $proxy, simulator $SIM_URL, ${DURATION}s"

end=$(( $(date +%s) + DURATION ))
load() {
  local paths=("/readings?account=alice" "/readings/current?account=alice" "/readings/latest?account=bob"
               "/readings?account=bob&minutes=30" "/accounts" "/readings?account=alice&max_count=3")
  local n=0
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$proxy${paths[$((n % ${#paths[@]}))]}" || echo "000"
    n=$((n + 1))
  done
}
loaders=()
for i in 1 2 3 4; do load >"$work/codes.$i" & loaders+=($!); done

faults=(
  '{"endpoint":"read","times":2,"kind":{"kind":"stall","millis":3000}}'
  '{"endpoint":"read","times":1,"kind":{"kind":"drop_connection"}}'
  '{"endpoint":"read","times":1,"kind":{"kind":"malformed_json"}}'
  '{"endpoint":"read","times":3,"kind":{"kind":"http_status","status":503,"body":"<html>down</html>","content_type":"text/html"}}'
  '{"endpoint":"read","times":1,"kind":{"kind":"http_status","status":500,"body":"<html>error</html>","content_type":"text/html"}}'
  '{"endpoint":"read","times":1,"kind":{"kind":"error_code","code":"SessionNotValid"}}'
  '{"endpoint":"read","times":2,"kind":{"kind":"error_code","code":"SessionIdNotFound"}}'
  '{"endpoint":"read","times":1,"kind":{"kind":"error_code","code":"SomethingNew"}}'
  '{"endpoint":"login_by_id","times":1,"kind":{"kind":"stall","millis":3000}}'
  '{"endpoint":"read","times":1,"kind":{"kind":"http_status","status":200,"body":"{\"not\":\"an array\"}","content_type":"application/json"}}'
)
injected=0
echo "time_s rss_kb" >"$work/rss"
start=$(date +%s)
while [ "$(date +%s)" -lt "$end" ]; do
  # At most one fault pending: faults for calls the proxy does not make (it backs off) would
  # otherwise pile up and keep Share broken for the rest of the run.
  curl -s -X DELETE "$control/faults" >/dev/null
  choice=$((RANDOM % (${#faults[@]} + 1)))
  if [ "$choice" -eq "${#faults[@]}" ]; then
    curl -s -X POST "$control/expire-sessions" >/dev/null
  else
    curl -s -X POST -H 'content-type: application/json' -d "${faults[$choice]}" "$control/faults" >/dev/null
  fi
  injected=$((injected + 1))
  echo "$(( $(date +%s) - start )) $(awk '/VmRSS/ {print $2}' "/proc/$proxy_pid/status")" >>"$work/rss"
  sleep $((3 + RANDOM % 5))
done
curl -s -X DELETE "$control/faults" >/dev/null
wait "${loaders[@]}" 2>/dev/null || true

alive=no
curl -sf --max-time 5 "$proxy/health" >/dev/null && alive=yes
panics=$(grep -c "panicked" "$work/proxy.err" || true)
echo
echo "soak: faults injected: $injected"
echo "soak: responses by status: $(cat "$work"/codes.* | sort | uniq -c | tr '\n' ' ')"
echo "soak: stale answers (Cache-Status fwd=stale) in a final probe: $(curl -s -D - -o /dev/null "$proxy/readings?account=alice" | grep -i '^cache-status' | tr -d '\r')"
echo "soak: Share calls: $(curl -s "$control/calls")"
echo "soak: proxy alive at the end: $alive; panics: $panics"
echo "soak: proxy logins (one or two Share calls each), from its log: $(grep -c 'logged in to Share' "$work/proxy.err" || true)"
echo "soak: RSS (kB) first/last sample: $(awk 'NR==2 {print $2}' "$work/rss")/$(tail -n1 "$work/rss" | cut -d' ' -f2); min/median/max: $(awk 'NR>1 {print $2}' "$work/rss" | sort -n | awk '{a[NR]=$1} END {print a[1]"/"a[int((NR+1)/2)]"/"a[NR]}')"
echo "soak: RSS by minute: $(awk 'NR>1 {m=int($1/60); if (!(m in seen)) {seen[m]=1; printf "%dmin:%s ", m, $2}}' "$work/rss")"
curl -s "$proxy/accounts" | head -c 2000; echo
[ "$alive" = yes ] && [ "$panics" -eq 0 ]
