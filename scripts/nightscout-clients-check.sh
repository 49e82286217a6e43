#!/usr/bin/env bash
# Drives the Nightscout facade with real client libraries from PyPI (py-nightscout 1.3.3 and
# python-nightscout), with the simulator behind the proxy.
# Needs: pip install "py-nightscout==1.3.3" python-nightscout pytest (CI does it).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
target="${CARGO_TARGET_DIR:-target}"
# The clients authenticate as Nightscout clients do: api-secret = SHA-1 of this token.
export NS_TOKEN="nightscout-client-token-5f2a9c71"
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT

cargo build --quiet --bin dexcom-share-proxy --bin share-simulator
lib_start_simulator "$target/debug/share-simulator" "$work"
# A token-protected account: the tests check that a missing or wrong api-secret is refused.
lib_write_config "$work/proxy.toml" \
  --account name=alice "${LIB_DEMO_LOGIN[@]}" base_url="$SIM_URL" token="$NS_TOKEN"
lib_start_proxy "$target/debug/dexcom-share-proxy" "$work" "$work/proxy.toml"
export NS_URL="$PROXY_URL/ns/alice"
export NS_ROOT_URL="$PROXY_URL"
echo "nightscout-clients-check: facade at $NS_URL"

status=0
python3 -m pytest -q -p no:cacheprovider tests/nightscout || status=$?
if [ "$status" -ne 0 ]; then
  echo "nightscout-clients-check: proxy log:" >&2
  tail -n 40 "$work/proxy.err" >&2
fi
exit "$status"
