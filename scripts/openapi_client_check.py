"""Drives the proxy with a Python client generated from the committed OpenAPI document.

Run by scripts/openapi-client-check.sh, which generates the client (openapi-python-client)
as the package `dexcom_share_proxy_client` on PYTHONPATH and starts the proxy with two
accounts: `demo` (fresh readings) and `lost` (a simulator withholding the last 30 minutes).
Environment: PROXY_URL, PROXY_TOKEN (the `demo` token), LOST_TOKEN (the `lost` token).

Every call goes through the generated functions and their typed models: the errors too, which
the generated code parses from `application/problem+json` into its `Problem` model.
"""

import os
import sys
from http import HTTPStatus

from dexcom_share_proxy_client import AuthenticatedClient
from dexcom_share_proxy_client.api.readings import (
    get_current_reading,
    get_latest_reading,
    list_readings,
)
from dexcom_share_proxy_client.api.service import get_health, list_accounts
from dexcom_share_proxy_client.models import Health, Problem, ReadingBody

BASE = os.environ["PROXY_URL"]


def client(token: str) -> AuthenticatedClient:
    # Undocumented statuses raise instead of passing silently as None.
    return AuthenticatedClient(
        base_url=BASE, token=token, raise_on_unexpected_status=True, timeout=20.0
    )


def check(ok: bool, what: str) -> None:
    if not ok:
        sys.exit(f"openapi_client_check: FAILED: {what}")
    print(f"openapi_client_check: ok: {what}")


def main() -> None:
    demo = client(os.environ["PROXY_TOKEN"])
    lost = client(os.environ["LOST_TOKEN"])

    health = get_health.sync(client=demo)
    check(isinstance(health, Health) and health.status == "ok", f"getHealth: {health!r}")

    accounts = list_accounts.sync_detailed(client=demo)
    check(accounts.status_code == HTTPStatus.OK, f"listAccounts: {accounts.status_code}")

    # The current reading, typed.
    current = get_current_reading.sync_detailed(client=demo)
    check(current.status_code == HTTPStatus.OK, f"getCurrentReading: {current.status_code}")
    reading = current.parsed
    check(
        isinstance(reading, ReadingBody) and 39 <= reading.mg_dl <= 401 and not reading.stale,
        f"getCurrentReading: mg_dl={getattr(reading, 'mg_dl', None)}",
    )

    latest = get_latest_reading.sync(client=demo)
    check(isinstance(latest, ReadingBody), f"getLatestReading: {type(latest).__name__}")

    # Readings with parameters: the last hour, at most 3.
    listed = list_readings.sync_detailed(client=demo, minutes=60, max_count=3)
    check(listed.status_code == HTTPStatus.OK, f"listReadings: {listed.status_code}")
    readings = listed.parsed
    check(
        isinstance(readings, list)
        and len(readings) == 3
        and all(isinstance(r, ReadingBody) for r in readings),
        f"listReadings(minutes=60, max_count=3): {len(readings or [])} readings",
    )
    ages = [r.age_seconds for r in readings]
    check(ages == sorted(ages) and ages[-1] <= 60 * 60, f"listReadings newest first: {ages}")
    everything = list_readings.sync(client=demo, minutes=60, max_count=288)
    check(
        isinstance(everything, list) and 11 <= len(everything) <= 13,
        f"listReadings(minutes=60): {len(everything)} readings",
    )

    # 204: the `lost` account's newest reading is 30 minutes old.
    gone = get_current_reading.sync_detailed(client=lost)
    check(
        gone.status_code == HTTPStatus.NO_CONTENT and gone.parsed is None and gone.content == b"",
        f"getCurrentReading on a signal loss: {gone.status_code}",
    )
    lost_latest = get_latest_reading.sync(client=lost)
    check(
        isinstance(lost_latest, ReadingBody) and lost_latest.stale,
        "getLatestReading on a signal loss: the stale reading",
    )

    # problem+json, typed: minutes=0 is refused with its stable code.
    refused = list_readings.sync_detailed(client=demo, minutes=0)
    problem = refused.parsed
    check(
        refused.status_code == HTTPStatus.BAD_REQUEST
        and refused.headers["content-type"].startswith("application/problem+json")
        and isinstance(problem, Problem)
        and problem.code == "minutes_invalid"
        and problem.status == 400
        and problem.type_ == "urn:dexcom-share-proxy:problem:minutes_invalid",
        f"listReadings(minutes=0): {refused.status_code} {problem!r}",
    )
    too_many = list_readings.sync_detailed(client=demo, max_count=0)
    check(
        isinstance(too_many.parsed, Problem) and too_many.parsed.code == "max_count_invalid",
        f"listReadings(max_count=0): {too_many.parsed!r}",
    )
    # Another account's token: 403 with its code.
    forbidden = get_current_reading.sync_detailed(client=demo, account="lost")
    check(
        forbidden.status_code == HTTPStatus.FORBIDDEN
        and isinstance(forbidden.parsed, Problem)
        and forbidden.parsed.code == "token_forbidden",
        f"getCurrentReading(account=lost) with demo's token: {forbidden.parsed!r}",
    )

    print("openapi_client_check: passed")


if __name__ == "__main__":
    main()
