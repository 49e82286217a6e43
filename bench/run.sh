#!/usr/bin/env bash
# The benchmark, in one command: builds the release binaries, then
#   1–2  throughput of cached /readings/current and full-day /readings against a bare
#        actix-web handler serving the same bytes (the `bare` example), wrk on loopback,
#        bare and proxy alternated, ratio of the medians;
#   3    start-up time and RSS with 1000 configured accounts (bench/many_accounts.py);
#   4–6  a simulated day in process (cargo bench --bench feed_day);
#   7–8  Server-Sent Events: RSS per idle subscriber with 1000 open streams, and the fan-out
#        of new readings to them (bench/sse_fanout.py; the fan-out on a 60× clock);
# and prints one markdown table, also written with the machine to bench/results/<time>.md.
# Every figure is a ratio against a baseline measured in the same run, or a count: the
# machines here are small and noisy.
#
#   bench/run.sh
#   SECONDS_EACH=30 ROUNDS=5 bench/run.sh
# Env: SECONDS_EACH (10), CONNECTIONS (64), THREADS (2, wrk), ROUNDS (3, per server and
# endpoint), ACCOUNTS (1000), STARTS (5), ATTRIBUTION (1: also load /readings/current of a
# second proxy run with RUST_LOG=warn, to tell the cost of logging from the rest),
# SUBSCRIBERS (1000, streams), SSE_SPEED (60, clock speed of the fan-out: a reading every
# 300/SSE_SPEED s), SSE_READINGS (5, new readings per client mode), and the FEED_DAY_* knobs of
# bench/feed_day.rs.
# Needs wrk (apt-get install -y wrk), curl, jq, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${SECONDS_EACH:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-3}"
ACCOUNTS="${ACCOUNTS:-1000}"
STARTS="${STARTS:-5}"
ATTRIBUTION="${ATTRIBUTION:-1}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
SSE_SPEED="${SSE_SPEED:-60}"
SSE_READINGS="${SSE_READINGS:-5}"
for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (wrk: apt-get install -y wrk)" >&2; exit 1; }
done
# Target 1 is about the service's default settings, its default logging included.
unset RUST_LOG

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
bin="$CARGO_TARGET_DIR/release"
echo "bench: building (release)" >&2
cargo build --quiet --release --bin dexcom-share-proxy --bin share-simulator --example bare \
  --example scaled_proxy
cargo bench --quiet --bench feed_day --no-run 2>/dev/null

. scripts/lib.sh
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT
rows="$work/rows.md"
details="$work/details.md"
: >"$rows"
: >"$details"

row() { # id target measured goal pass (1, 0, or info)
  local verdict=MISS
  [ "$5" = 1 ] && verdict=PASS
  [ "$5" = info ] && verdict="(info)"
  echo "| $1 | $2 | $3 | $4 | $verdict |" >>"$rows"
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
calc() { awk "BEGIN {print $1}"; }
holds() { awk "BEGIN {exit !($1)}" && echo 1 || echo 0; }

# --- 1–2: throughput against the bare handler --------------------------------------------
lib_start_simulator "$bin/share-simulator" "$work"
lib_write_config "$work/proxy.toml" --account name=demo "${LIB_DEMO_LOGIN[@]}" base_url="$SIM_URL"
lib_start_proxy "$bin/dexcom-share-proxy" "$work" "$work/proxy.toml"
proxy_url="$PROXY_URL"
proxy_pid="$PROXY_PID"
# For attribution only (not a target): the same proxy logging nothing below warnings.
quiet_url=""
if [ "$ATTRIBUTION" = 1 ]; then
  mkdir -p "$work/quiet"
  RUST_LOG=warn lib_start_proxy "$bin/dexcom-share-proxy" "$work/quiet" "$work/proxy.toml"
  quiet_url="$PROXY_URL"
  curl -sf "$quiet_url/readings/current" >/dev/null
  PROXY_URL="$proxy_url"
  PROXY_PID="$proxy_pid"
fi
curl -sf "$PROXY_URL/readings/current" -o "$work/current.json"
curl -sf "$PROXY_URL/readings" -o "$work/day.json"
day_count="$(jq length "$work/day.json")"
day_bytes="$(wc -c <"$work/day.json")"
[ "$day_count" = 288 ] || echo "bench: warning: /readings holds $day_count readings, not 288" >&2
lib_start_bare "$bin/examples/bare" "$work" \
  --serve "/readings/current=$work/current.json" --serve "/readings=$work/day.json"
proxy_rss_before="$(awk '/VmRSS/ {print $2}' "/proc/$PROXY_PID/status")"

echo "bench: $ROUNDS rounds × (bare, proxy) × 2 endpoints, ${SECONDS_EACH} s each, $CONNECTIONS connections, $THREADS wrk threads" >&2
{
  echo "### Throughput rounds (req/s, p99 ms, errors)"
  echo
  echo "| endpoint | round | server | req/s | p99 ms | errors |"
  echo "|---|---|---|---|---|---|"
} >>"$details"
for path in /readings/current /readings; do
  key="${path//\//_}"
  servers="bare proxy"
  [ "$path" = /readings/current ] && [ -n "$quiet_url" ] && servers="bare proxy quiet"
  for server in $servers; do : >"$work/$server$key"; done
  # Warm-up, not counted: connections, caches, CPU frequency.
  lib_wrk "$BARE_URL$path" "$THREADS" "$CONNECTIONS" 2
  lib_wrk "$PROXY_URL$path" "$THREADS" "$CONNECTIONS" 2
  for round in $(seq "$ROUNDS"); do
    for server in $servers; do
      case "$server" in
        bare) url="$BARE_URL$path" ;;
        proxy) url="$PROXY_URL$path" ;;
        quiet) url="$quiet_url$path" ;;
      esac
      lib_wrk "$url" "$THREADS" "$CONNECTIONS" "$SECONDS_EACH"
      echo "$WRK_RPS $WRK_P99_MS $WRK_ERRORS" >>"$work/$server$key"
      echo "| $path | $round | $server | $WRK_RPS | $WRK_P99_MS | $WRK_ERRORS |" >>"$details"
      echo "bench: $path round $round $server: $WRK_RPS req/s, p99 $WRK_P99_MS ms, $WRK_ERRORS errors" >&2
    done
  done
done
stat_of() { awk "{print \$$2}" "$work/$1" | median; }
errors_of() { awk '{n += $3} END {print n + 0}' "$work/$1"; }

b_rps="$(stat_of bare_readings_current 1)"; p_rps="$(stat_of proxy_readings_current 1)"
b_p99="$(stat_of bare_readings_current 2)"; p_p99="$(stat_of proxy_readings_current 2)"
errs="$(( $(errors_of proxy_readings_current) + $(errors_of bare_readings_current) ))"
r="$(calc "$p_rps / $b_rps")"
row 1a "Cached /readings/current req/s vs bare handler (default logging)" \
  "$(printf '%.2f× (proxy %.0f vs bare %.0f req/s, medians of %s; %s errors)' "$r" "$p_rps" "$b_rps" "$ROUNDS" "$errs")" \
  "≥ 0.9×" "$(holds "$r >= 0.9 && $errs == 0")"
r="$(calc "$p_p99 / $b_p99")"
row 1b "Cached /readings/current p99 latency vs bare handler" \
  "$(printf '%.2f× (proxy %.2f vs bare %.2f ms)' "$r" "$p_p99" "$b_p99")" "≤ 1.5×" "$(holds "$r <= 1.5")"

if [ -n "$quiet_url" ]; then
  q_rps="$(stat_of quiet_readings_current 1)"; q_p99="$(stat_of quiet_readings_current 2)"
  row "1a·info" "… the same proxy with RUST_LOG=warn (nothing logged below warnings), for attribution" \
    "$(printf '%.2f× (%.0f req/s; p99 %.2f ms = %.2f× bare)' "$(calc "$q_rps / $b_rps")" "$q_rps" "$q_p99" "$(calc "$q_p99 / $b_p99")")" \
    "—" info
fi

b_rps="$(stat_of bare_readings 1)"; p_rps="$(stat_of proxy_readings 1)"
p_p99="$(stat_of proxy_readings 2)"; b_p99="$(stat_of bare_readings 2)"
errs="$(( $(errors_of proxy_readings) + $(errors_of bare_readings) ))"
r="$(calc "$p_rps / $b_rps")"
row 2 "Full-day /readings ($day_count readings, $((day_bytes / 1000)) kB) req/s vs bare handler" \
  "$(printf '%.2f× (proxy %.0f vs bare %.0f req/s; p99 %.2f vs %.2f ms; %s errors)' "$r" "$p_rps" "$b_rps" "$p_p99" "$b_p99" "$errs")" \
  "≥ 0.5×" "$(holds "$r >= 0.5 && $errs == 0")"

proxy_rss_after="$(awk '/VmRSS/ {print $2}' "/proc/$PROXY_PID/status")"
log_lines="$(wc -l <"$work/proxy.err")"
log_bytes="$(wc -c <"$work/proxy.err")"
log_problems="$(grep -c -E ' (WARN|ERROR) ' "$work/proxy.err" || true)"
{
  echo
  echo "Proxy (1 account): RSS $proxy_rss_before kB before the load, $proxy_rss_after kB after;"
  echo "default log: $log_lines lines, $log_bytes bytes on stderr, $log_problems WARN/ERROR lines."
  grep -E ' (WARN|ERROR) ' "$work/proxy.err" | head -5 | sed 's/^/    /' || true
  echo "Share calls during the throughput runs: $(curl -s "$SIM_CONTROL/calls")"
} >>"$details"
lib_stop_all
LIB_PIDS=()

# --- 3: many accounts ---------------------------------------------------------------------
echo "bench: $ACCOUNTS accounts: start-up and memory" >&2
python3 bench/many_accounts.py --sim "$bin/share-simulator" --proxy "$bin/dexcom-share-proxy" \
  --work "$work" --accounts "$ACCOUNTS" --starts "$STARTS" >"$work/many.json"
m() { jq -r "$1" "$work/many.json"; }
rss_mb="$(calc "$(m .rss_after_kb) / 1024")"
ok="$(holds "$(m .answered_200) == $ACCOUNTS && $(m .accounts_with_reads) == $ACCOUNTS")"
row 3a "RSS with $ACCOUNTS accounts, each holding a full day" \
  "$(printf '%.1f MB (before any read %.1f MB; 2 s later %.1f MB; peak %.1f MB); %s/%s answered 200 in %s s' \
     "$rss_mb" "$(calc "$(m .rss_before_kb) / 1024")" "$(calc "$(m .rss_settled_kb) / 1024")" \
     "$(calc "$(m .hwm_kb) / 1024")" "$(m .answered_200)" "$ACCOUNTS" "$(m .ask_all_seconds)")" \
  "< 32 MB" "$(holds "$rss_mb < 32 && $ok == 1")"
row 3b "Start-up to serving with $ACCOUNTS accounts (spawn → first 200 on /health)" \
  "$(printf '%.1f ms median, %.1f ms max over %s starts' "$(m .startup_median_ms)" "$(m .startup_max_ms)" "$STARTS")" \
  "< 100 ms" "$(holds "$(m .startup_median_ms) < 100")"
{
  echo
  echo "### $ACCOUNTS accounts"
  echo
  echo '```json'
  jq . "$work/many.json"
  echo '```'
  grep -h -E ' (WARN|ERROR) ' "$work"/proxy-many-*.err | head -5 | sed 's/^/    /' || true
} >>"$details"

# --- 4–6: the simulated day ---------------------------------------------------------------
echo "bench: the simulated day (cargo bench --bench feed_day)" >&2
FEED_DAY_TABLE="$work/feed_day_rows.md" cargo bench --quiet --bench feed_day >"$work/feed_day.log"
cat "$work/feed_day_rows.md" >>"$rows"
{
  echo
  echo "### Simulated day (feed_day)"
  echo
  echo '```'
  sed -n '/^per account/,/^  bench process RSS/p' "$work/feed_day.log"
  echo '```'
} >>"$details"

# --- 7–8: Server-Sent Events ----------------------------------------------------------------
echo "bench: $SUBSCRIBERS SSE subscribers: memory, then fan-out at ${SSE_SPEED}× (about 3 minutes)" >&2
python3 bench/sse_fanout.py --sim "$bin/share-simulator" --proxy "$bin/dexcom-share-proxy" \
  --scaled-proxy "$bin/examples/scaled_proxy" --work "$work" --subscribers "$SUBSCRIBERS" \
  --speed "$SSE_SPEED" --readings "$SSE_READINGS" >"$work/sse.json"
sse() { jq -r "$1" "$work/sse.json"; }
mem_ok="$(holds "$(sse .memory.answered_200) == $SUBSCRIBERS && $(sse .memory.open_until_the_end) == $SUBSCRIBERS")"
row 7a "RSS per idle SSE subscriber ($SUBSCRIBERS streams, after their first events and a keep-alive)" \
  "$(printf '%.1f kB ((%.1f − %.1f MB) / %s; 2 s after the first events %.1f kB); an idle keep-alive connection alone %.1f kB; %s/%s answered 200' \
     "$(sse .memory.per_subscriber_kb)" "$(calc "$(sse .memory.rss_after_keep_alive_kb) / 1024")" \
     "$(calc "$(sse .memory.rss_before_kb) / 1024")" "$SUBSCRIBERS" "$(sse .memory.per_subscriber_settled_kb)" \
     "$(sse .memory.plain_connection_kb)" "$(sse .memory.answered_200)" "$SUBSCRIBERS")" \
  "< 30 kB" "$(holds "$(sse .memory.per_subscriber_kb) < 30 && $mem_ok == 1")"
row "7b·info" "… after the client closed the $SUBSCRIBERS streams, and $SUBSCRIBERS new ones" \
  "$(printf 'the proxy closed them %s s after the client did (it notices at its second write); RSS then %.1f MB; with %s new streams %.1f MB (%s answered 200)' \
     "$(sse .memory.release_seconds)" "$(calc "$(sse .memory.rss_released_kb) / 1024")" "$SUBSCRIBERS" \
     "$(calc "$(sse .memory.rss_second_round_kb) / 1024")" "$(sse .memory.second_round_answered_200)")" \
  "—" info
fan() { jq -r ".fanout.$1" "$work/sse.json"; }
fan_ok="$(holds "$(fan eager.missing) == 0 && $(fan eager.published_seen) == $SSE_READINGS && $(fan answered_200) == $SUBSCRIBERS")"
row 8 "Fan-out of a new reading to $SUBSCRIBERS subscribers: proxy's publish → last arrival (client reading as events come)" \
  "$(printf 'median %.1f ms, max %.1f ms over %s readings (first → last arrival: median %.1f, max %.1f ms; publish → first %.2f ms); %s missed; client busy %.0f %% of the window; other jobs took %.0f %% of the CPUs meanwhile' \
     "$(fan eager.publish_to_last_median_ms)" "$(fan eager.publish_to_last_max_ms)" "$SSE_READINGS" \
     "$(fan eager.spread_median_ms)" "$(fan eager.spread_max_ms)" "$(fan eager.publish_to_first_median_ms)" \
     "$(fan eager.missing)" "$(calc "$(fan eager.client_busy_share_median) * 100")" \
     "$(calc "$(fan eager.others_cpu_share) * 100")")" \
  "< 50 ms (max)" "$(holds "$(fan eager.publish_to_last_max_ms) < 50 && $fan_ok == 1")"
row "8·info" "… the same streams, the client reading all sockets only twice a second (no CPU taken from the proxy during the fan-out)" \
  "$(printf 'median %.1f ms, max %.1f ms over %s readings (first → last: median %.1f, max %.1f ms); %s missed, %s unstamped; other jobs took %.0f %% of the CPUs meanwhile' \
     "$(fan quiet.publish_to_last_median_ms)" "$(fan quiet.publish_to_last_max_ms)" "$SSE_READINGS" \
     "$(fan quiet.spread_median_ms)" "$(fan quiet.spread_max_ms)" "$(fan quiet.missing)" "$(fan quiet.unstamped)" \
     "$(calc "$(fan quiet.others_cpu_share) * 100")")" \
  "—" info
{
  echo
  echo "### $SUBSCRIBERS SSE subscribers (bench/sse_fanout.py)"
  echo
  echo '```json'
  jq . "$work/sse.json"
  echo '```'
  grep -h -E ' (WARN|ERROR) ' "$work"/proxy-sse-*.err | head -5 | sed 's/^/    /' || true
} >>"$details"

# --- the table ----------------------------------------------------------------------------
table="$(printf '| # | Target | Measured | Goal | Result |\n|---|---|---|---|---|\n'; cat "$rows")"
echo
echo "$table"
mkdir -p bench/results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="bench/results/$stamp.md"
{
  echo "# Benchmark $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM"
  echo "- Commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "- wrk: $THREADS threads, $CONNECTIONS connections, ${SECONDS_EACH} s per run, $ROUNDS rounds alternating bare and proxy (2 s warm-up each), on the same host"
  echo "- Day: FEED_DAY_SPEED=${FEED_DAY_SPEED:-288} FEED_DAY_HOURS=${FEED_DAY_HOURS:-24} FEED_DAY_POLL_MS=${FEED_DAY_POLL_MS:-3}"
  echo "- SSE: SUBSCRIBERS=$SUBSCRIBERS SSE_SPEED=$SSE_SPEED SSE_READINGS=$SSE_READINGS (per client mode)"
  echo
  echo "$table"
  echo
  cat "$details"
} >"$out"
echo
echo "bench: written to $out"
