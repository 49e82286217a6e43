#!/usr/bin/env bash
# Checks the committed OpenAPI document as a client would see it:
#  1. openapi-spec-validator accepts openapi/openapi.json;
#  2. openapi-python-client generates a Python client from it (warnings fail the step), and
#     scripts/openapi_client_check.py drives a real proxy with that client: the current
#     reading, readings with parameters, a 204 and problem+json errors with their `code`.
# The proxy has two accounts, each on its own Share simulator: `demo`, and `lost`, whose
# simulator withholds the last 30 minutes (a signal loss), so its current reading is a 204.
# Needs: pip install openapi-spec-validator openapi-python-client (CI does it).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT

echo "openapi-client-check: openapi-spec-validator"
openapi-spec-validator openapi/openapi.json

echo "openapi-client-check: openapi-python-client $(openapi-python-client --version | awk '{print $NF}')"
openapi-python-client generate --path openapi/openapi.json --meta none --fail-on-warning \
  --output-path "$work/dexcom_share_proxy_client"

bin="${CARGO_TARGET_DIR:-target}/debug"
cargo build --quiet --bin dexcom-share-proxy --bin share-simulator
mkdir -p "$work/demo" "$work/lost"
lib_start_simulator "$bin/share-simulator" "$work/demo"
demo_url="$SIM_URL"
lib_start_simulator "$bin/share-simulator" "$work/lost"
lost_url="$SIM_URL"
python3 - "$SIM_CONTROL/signal-loss" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], data=b'{"minutes": 30}', method="PUT",
                                 headers={"content-type": "application/json"})
assert urllib.request.urlopen(request).status == 204
PY

# Each account has its own token: the check reads `lost` with demo's token and expects a 403.
export PROXY_TOKEN="openapi-client-demo-token-3c81"
export LOST_TOKEN="openapi-client-lost-token-9e02"
lib_write_config "$work/proxy.toml" \
  --account name=demo "${LIB_DEMO_LOGIN[@]}" base_url="$demo_url" token="$PROXY_TOKEN" \
  --account name=lost "${LIB_DEMO_LOGIN[@]}" base_url="$lost_url" token="$LOST_TOKEN"
lib_start_proxy "$bin/dexcom-share-proxy" "$work" "$work/proxy.toml"
export PROXY_URL
echo "openapi-client-check: proxy at $PROXY_URL"

status=0
PYTHONPATH="$work" python3 scripts/openapi_client_check.py || status=$?
if [ "$status" -ne 0 ]; then
  echo "openapi-client-check: proxy log:" >&2
  tail -n 40 "$work/proxy.err" >&2
fi
exit "$status"
