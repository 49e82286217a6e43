#!/usr/bin/env bash
# Opens the service's Swagger UI (/docs/) in Debian's headless Chromium, driven by
# playwright-core (scripts/browser/swagger-ui.mjs): every operation of /openapi.json is listed,
# "Try it out" on /readings/current answers 200 with a reading, and "Authorize" with a bearer
# token opens a token-protected account. Needs /usr/bin/chromium (`apt-get install chromium`)
# and node + npm; never downloads a browser.
#   scripts/swagger-ui-check.sh                       # screenshot to $TMPDIR (or /tmp)
#   SCREENSHOT=out.png scripts/swagger-ui-check.sh    # screenshot to out.png
#   UPDATE_SCREENSHOT=1 scripts/swagger-ui-check.sh   # refresh docs/swagger-ui.png
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
work="$(mktemp -d)"
trap 'lib_stop_all; rm -rf "$work"' EXIT

target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --bin dexcom-share-proxy --bin share-simulator

lib_start_simulator "$target/debug/share-simulator" "$work"

# Two proxy accounts, both logging in as the stock simulator's Share user: "demo" has no
# tokens (readable anonymously, as the proxy listens on loopback); "alice" needs a token. A
# fresh random one each run: 48 hex characters pass the strength rule.
token="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
lib_write_config "$work/proxy.toml" \
  --account name=demo "${LIB_DEMO_LOGIN[@]}" base_url="$SIM_URL" \
  --account name=alice "${LIB_DEMO_LOGIN[@]}" base_url="$SIM_URL" token="$token"
lib_start_proxy "$target/debug/dexcom-share-proxy" "$work" "$work/proxy.toml"
echo "swagger-ui-check.sh: proxy at $PROXY_URL, simulator at $SIM_URL"

# The lock file pins playwright-core with its integrity hash; npm ci installs exactly that.
(cd scripts/browser && npm ci --quiet --no-audit --no-fund >/dev/null)

# Outside $work, which is removed on exit: the picture is for looking at afterwards.
if [ "${UPDATE_SCREENSHOT:-}" = 1 ]; then
  screenshot="docs/swagger-ui.png"
else
  screenshot="${SCREENSHOT:-${TMPDIR:-/tmp}/dexcom-share-proxy-swagger-ui.png}"
fi

start=$SECONDS
# The token goes through the environment, not argv, where any local user could read it.
SWAGGER_UI_TOKEN="$token" node scripts/browser/swagger-ui.mjs \
  --url "$PROXY_URL" \
  --open-account demo \
  --protected-account alice \
  --screenshot "$screenshot"
echo "swagger-ui-check.sh: browser checks passed in $((SECONDS - start)) s; screenshot $screenshot"
