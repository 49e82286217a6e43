# shellcheck shell=bash
# Sourced by the scripts beside it: write the proxy's and the simulator's configs, start the
# Share simulator and the proxy on free loopback ports, find their URLs in their output, and
# stop everything on exit.
# The variables set here (SIM_URL, PROXY_URL, WRK_RPS…) are for the scripts that source it:
# shellcheck disable=SC2034

LIB_PIDS=()

# Kills every process started through this file (call it from the script's EXIT trap).
lib_stop_all() {
  local pid
  for pid in "${LIB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${LIB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# lib_wait_for FILE SED_SCRIPT: prints the first line of FILE that SED_SCRIPT prints, waiting
# up to 10 s for it to appear.
lib_wait_for() {
  local file=$1 script=$2 found="" _
  for _ in $(seq 100); do
    found="$(sed -n "$script" "$file" 2>/dev/null | head -n1)"
    [ -n "$found" ] && { echo "$found"; return 0; }
    sleep 0.1
  done
  return 1
}

# The Share user of the stock simulator, which `share-simulator` without --config serves and
# `dexcom-share-proxy --demo` logs in as (src/simulator/config.rs). A proxy account that needs
# no Share account of its own logs in as it:
#   lib_write_config FILE --account name=alice "${LIB_DEMO_LOGIN[@]}" base_url="$SIM_URL"
LIB_DEMO_LOGIN=(username=demo@example.com password=demo-password)

# lib_write_config FILE ITEM...: the one writer of the proxy's and the simulator's TOML
# configs. Both refuse unknown keys, so a misspelt ITEM stops start-up with its name. FILE
# gets mode 600, as the proxy asks of a file holding passwords and tokens. ITEMs, in order:
#   KEY=VALUE   a setting; a dotted KEY is a section's, e.g. auth.failure_delay_max_ms=0
#   --account   starts an [[accounts]] table: the KEY=VALUEs after it are the account's
#   token=T     in a proxy account, one of its `tokens`; repeat it for more
# A VALUE is written bare when it is an integer or true/false, as a string otherwise;
# name, username, account_id, password and base_url are strings whatever they hold.
lib_write_config() {
  local file=$1 item key value lines=() tokens=()
  shift
  for item in "$@"; do
    if [ "$item" = --account ]; then
      _lib_config_tokens
      [ "${#lines[@]}" -eq 0 ] || lines+=("")
      lines+=("[[accounts]]")
      continue
    fi
    key=${item%%=*}
    value=${item#*=}
    if [[ $item != *=* || ! $key =~ ^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$ ]]; then
      echo "lib_write_config: not --account nor KEY=VALUE: $item" >&2
      return 1
    fi
    if [[ $value == *[[:cntrl:]]* ]]; then
      echo "lib_write_config: a control character in the value of $key" >&2
      return 1
    fi
    case $key in
      token) tokens+=("$(_lib_toml_string "$value")"); continue ;;
      name | username | account_id | password | base_url) value="$(_lib_toml_string "$value")" ;;
      *) [[ $value =~ ^-?[0-9]+$ || $value == true || $value == false ]] ||
           value="$(_lib_toml_string "$value")" ;;
    esac
    lines+=("$key = $value")
  done
  _lib_config_tokens
  (umask 077 && printf '%s\n' "${lines[@]}" >"$file")
}

# The account's collected token=T items as its `tokens` line (lib_write_config's locals).
_lib_config_tokens() {
  [ "${#tokens[@]}" -eq 0 ] && return 0
  local IFS=,
  lines+=("tokens = [${tokens[*]}]")
  tokens=()
}

# _lib_toml_string S: S as a TOML basic string.
_lib_toml_string() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# lib_start_simulator BIN DIR [CONFIG]: sets SIM_URL (the Share base URL) and SIM_CONTROL.
lib_start_simulator() {
  local bin=$1 dir=$2 config=${3:-}
  local args=(--listen 127.0.0.1:0)
  [ -n "$config" ] && args+=(--config "$config")
  "$bin" "${args[@]}" >"$dir/sim.out" 2>"$dir/sim.err" &
  LIB_PIDS+=($!)
  SIM_URL="$(lib_wait_for "$dir/sim.out" 's/^share-simulator listening on //p')" || {
    echo "the simulator did not start:" >&2; cat "$dir/sim.err" >&2; return 1; }
  SIM_CONTROL="${SIM_URL%/ShareWebServices/Services/}/simulator"
}

# lib_start_proxy BIN DIR CONFIG [ARG...]: sets PROXY_URL and PROXY_PID. ARGs go to the proxy
# too (e.g. --demo). Honours RUST_LOG, but keeps this crate's info lines, which announce the
# address; with RUST_LOG unset the proxy runs with its default logging (info, access log
# included), as in production.
lib_start_proxy() {
  local bin=$1 dir=$2 config=$3
  shift 3
  local args=(--config "$config" --listen 127.0.0.1:0 "$@")
  if [ -n "${RUST_LOG:-}" ]; then
    RUST_LOG="$RUST_LOG,dexcom_share_proxy=info" "$bin" "${args[@]}" \
      >"$dir/proxy.out" 2>"$dir/proxy.err" &
  else
    env -u RUST_LOG "$bin" "${args[@]}" >"$dir/proxy.out" 2>"$dir/proxy.err" &
  fi
  PROXY_PID=$!
  LIB_PIDS+=("$PROXY_PID")
  PROXY_URL="$(lib_wait_for "$dir/proxy.err" 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p')" || {
    echo "the proxy did not start:" >&2; cat "$dir/proxy.err" >&2; return 1; }
}

# lib_start_bare BIN DIR ARGS...: starts the bare baseline server (the `bare` example) with
# ARGS (its --serve PATH=FILE pairs); sets BARE_URL and BARE_PID.
lib_start_bare() {
  local bin=$1 dir=$2
  shift 2
  "$bin" --listen 127.0.0.1:0 "$@" >"$dir/bare.out" 2>"$dir/bare.err" &
  BARE_PID=$!
  LIB_PIDS+=("$BARE_PID")
  BARE_URL="$(lib_wait_for "$dir/bare.out" 's/^bare listening on //p')" || {
    echo "the bare server did not start:" >&2; cat "$dir/bare.err" >&2; return 1; }
}

# lib_wrk URL THREADS CONNECTIONS SECONDS: one wrk run; sets WRK_RPS, WRK_P99_MS (p99 latency
# in ms) and WRK_ERRORS (non-2xx answers plus socket errors).
lib_wrk() {
  local url=$1 threads=$2 connections=$3 seconds=$4 out
  out="$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$url")"
  WRK_RPS="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  WRK_P99_MS="$(awk '$1 == "99%" {
      v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v);
      if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000;
      printf "%.3f", v }' <<<"$out")"
  WRK_ERRORS="$(awk '/Non-2xx or 3xx responses:/ {n += $NF}
      /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")"
}
