#!/usr/bin/env bash
# Fidelity check: drives the Share simulator with the real pydexcom 0.5.1 client.
# Needs: pip install pydexcom==0.5.1 pytest
# Builds share-simulator, starts it on 127.0.0.1:0 with a small config, runs
# tests/pydexcom with SHARE_SIMULATOR_URL (and the account details) exported,
# and always stops the simulator.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

cargo build --quiet --bin share-simulator
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
bin="$target_dir/debug/share-simulator"

. scripts/lib.sh
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT

export SHARE_SIMULATOR_USERNAME="pydexcom@example.com"
export SHARE_SIMULATOR_PASSWORD="pydexcom-Pa55word"
export SHARE_SIMULATOR_ACCOUNT_ID="3f2c5a1e-8b7d-4c6e-9a0f-1e2d3c4b5a69"
export SHARE_SIMULATOR_UTC_OFFSET_MINUTES="330"
export SHARE_SIMULATOR_LOCKED_USERNAME="lockout@example.com"
export SHARE_SIMULATOR_LOCKED_PASSWORD="lockout-password"
export SHARE_SIMULATOR_LEGACY_ACCOUNT_ID="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
export SHARE_SIMULATOR_LEGACY_PASSWORD="legacy-password"
export SHARE_SIMULATOR_LOCKOUT_AFTER_FAILURES="3"

# Three Share accounts: one for the happy paths (a non-whole-hour UTC offset), one for the
# tests to lock out, and one answering in the legacy format.
lib_write_config "$work/simulator.toml" \
  session_lifetime_minutes=1440 \
  lockout_after_failures="$SHARE_SIMULATOR_LOCKOUT_AFTER_FAILURES" \
  lockout_minutes=15 \
  --account username="$SHARE_SIMULATOR_USERNAME" account_id="$SHARE_SIMULATOR_ACCOUNT_ID" \
    password="$SHARE_SIMULATOR_PASSWORD" utc_offset_minutes="$SHARE_SIMULATOR_UTC_OFFSET_MINUTES" \
  --account username="$SHARE_SIMULATOR_LOCKED_USERNAME" \
    account_id=2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901 \
    password="$SHARE_SIMULATOR_LOCKED_PASSWORD" utc_offset_minutes=-240 \
  --account username=legacy@example.com account_id="$SHARE_SIMULATOR_LEGACY_ACCOUNT_ID" \
    password="$SHARE_SIMULATOR_LEGACY_PASSWORD" utc_offset_minutes=-240 legacy_format=true

lib_start_simulator "$bin" "$work" "$work/simulator.toml"
url="$SIM_URL"
echo "pydexcom-check: simulator at $url"
export SHARE_SIMULATOR_URL="$url"

status=0
python3 -m pytest -q tests/pydexcom || status=$?
if [[ $status -ne 0 ]]; then
    echo "pydexcom-check: simulator log:" >&2
    tail -n 50 "$work/sim.err" >&2
fi
exit "$status"
