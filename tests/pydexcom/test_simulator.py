"""Fidelity check: the real pydexcom 0.5.1 client against the Share simulator.

Run through scripts/pydexcom-check.sh, which starts the simulator and exports
SHARE_SIMULATOR_URL plus the account details of the config it wrote.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

import pydexcom.const
import pydexcom.dexcom
from pydexcom import Dexcom, Region
from pydexcom.const import DEXCOM_TREND_DIRECTIONS
from pydexcom.errors import (
    AccountError,
    AccountErrorEnum,
    ArgumentError,
    ArgumentErrorEnum,
    ServerError,
    ServerErrorEnum,
)

URL = os.environ.get("SHARE_SIMULATOR_URL")
if not URL:
    pytest.skip(
        "SHARE_SIMULATOR_URL not set; run scripts/pydexcom-check.sh",
        allow_module_level=True,
    )

ROOT = URL.split("/ShareWebServices/", 1)[0]
USERNAME = os.environ["SHARE_SIMULATOR_USERNAME"]
PASSWORD = os.environ["SHARE_SIMULATOR_PASSWORD"]
ACCOUNT_ID = os.environ["SHARE_SIMULATOR_ACCOUNT_ID"]
OFFSET = timedelta(minutes=int(os.environ["SHARE_SIMULATOR_UTC_OFFSET_MINUTES"]))
LOCKED_USERNAME = os.environ["SHARE_SIMULATOR_LOCKED_USERNAME"]
LOCKED_PASSWORD = os.environ["SHARE_SIMULATOR_LOCKED_PASSWORD"]
LEGACY_ACCOUNT_ID = os.environ["SHARE_SIMULATOR_LEGACY_ACCOUNT_ID"]
LEGACY_PASSWORD = os.environ["SHARE_SIMULATOR_LEGACY_PASSWORD"]
LOCKOUT_AFTER = int(os.environ["SHARE_SIMULATOR_LOCKOUT_AFTER_FAILURES"])
TIMEOUT = 10
DIRECTIONAL = {
    "DoubleUp",
    "SingleUp",
    "FortyFiveUp",
    "Flat",
    "FortyFiveDown",
    "SingleDown",
    "DoubleDown",
}


@pytest.fixture(scope="session", autouse=True)
def pydexcom_points_at_simulator():
    """Replace the US base URL; dexcom.py imported the same dict object."""
    dicts = {id(d): d for d in (pydexcom.const.DEXCOM_BASE_URLS, pydexcom.dexcom.DEXCOM_BASE_URLS)}
    saved = [(d, d[Region.US]) for d in dicts.values()]
    for d in dicts.values():
        d[Region.US] = URL
    yield
    for d, original in saved:
        d[Region.US] = original


def control(method: str, path: str, body: dict | None = None) -> requests.Response:
    resp = requests.request(method, f"{ROOT}/simulator/{path}", json=body, timeout=TIMEOUT)
    resp.raise_for_status()
    return resp


def calls() -> dict[str, int]:
    return control("GET", "calls").json()


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


@pytest.fixture(autouse=True)
def clean_knobs():
    yield
    control("DELETE", "faults")
    control("PUT", "signal-loss", {"minutes": 0})


def test_login_by_username_authenticates_then_logs_in():
    before = calls()
    dexcom = Dexcom(username=USERNAME, password=PASSWORD)
    assert dexcom.account_id == ACCOUNT_ID
    assert delta(before, calls()) == {"authenticate": 1, "login_by_id": 1, "read": 0}


def test_login_by_account_id_skips_authenticate():
    before = calls()
    Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    assert delta(before, calls()) == {"authenticate": 0, "login_by_id": 1, "read": 0}


def test_glucose_readings_cover_the_last_day_every_five_minutes():
    dexcom = Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    readings = dexcom.get_glucose_readings()
    assert 287 <= len(readings) <= 288
    now = datetime.now(timezone.utc)
    assert timedelta(0) <= now - readings[0].datetime < timedelta(minutes=5, seconds=5)
    for reading in readings:
        assert isinstance(reading.value, int)
        assert 40 <= reading.value <= 400
        assert reading.trend_direction in DIRECTIONAL
        assert reading.trend == DEXCOM_TREND_DIRECTIONS[reading.trend_direction]
        assert reading.datetime.tzinfo is not None
        assert reading.datetime.utcoffset() == OFFSET
    for newer, older in zip(readings, readings[1:]):
        gap = (newer.datetime - older.datetime).total_seconds()
        assert 299 <= gap <= 301, gap
    assert len({r.trend_direction for r in readings}) >= 3


def test_current_and_latest_reading_agree():
    dexcom = Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    for _ in range(2):  # a new reading may land between the two calls
        current = dexcom.get_current_glucose_reading()
        latest = dexcom.get_latest_glucose_reading()
        assert current is not None and latest is not None
        if current.json == latest.json:
            break
    assert current.json == latest.json
    assert current.datetime.utcoffset() == OFFSET
    assert 40 <= current.mg_dl <= 400


def test_expired_session_costs_exactly_one_extra_login():
    dexcom = Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    assert dexcom.get_current_glucose_reading() is not None
    before = calls()
    control("POST", "expire-sessions")
    assert dexcom.get_current_glucose_reading() is not None
    assert delta(before, calls()) == {"authenticate": 0, "login_by_id": 1, "read": 2}
    before = calls()
    assert dexcom.get_current_glucose_reading() is not None
    assert delta(before, calls()) == {"authenticate": 0, "login_by_id": 0, "read": 1}


def test_forgotten_session_is_not_found_and_relogged():
    dexcom = Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    control("POST", "reset")  # forgets sessions → SessionIdNotFound
    assert dexcom.get_latest_glucose_reading() is not None
    assert calls() == {"authenticate": 0, "login_by_id": 1, "read": 2}


def test_wrong_password_raises_account_error():
    with pytest.raises(AccountError) as by_name:
        Dexcom(username=USERNAME, password="not-the-password")
    assert by_name.value.enum == AccountErrorEnum.FAILED_AUTHENTICATION
    with pytest.raises(AccountError) as by_id:
        Dexcom(account_id=ACCOUNT_ID, password="not-the-password")
    assert by_id.value.enum == AccountErrorEnum.FAILED_AUTHENTICATION
    Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)  # a success resets the count


def test_lockout_code_is_unknown_to_pydexcom_051():
    for _ in range(LOCKOUT_AFTER):
        with pytest.raises(AccountError):
            Dexcom(username=LOCKED_USERNAME, password="wrong")
    # Three-e spelling on the wire; pydexcom 0.5.1 compares the two-e one.
    with pytest.raises(ServerError) as locked:
        Dexcom(username=LOCKED_USERNAME, password=LOCKED_PASSWORD)
    assert locked.value.enum == ServerErrorEnum.UNKNOWN_CODE


def test_signal_loss_empties_the_current_reading():
    dexcom = Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    control("PUT", "signal-loss", {"minutes": 30})
    assert dexcom.get_current_glucose_reading() is None
    latest = dexcom.get_latest_glucose_reading()
    assert latest is not None
    assert datetime.now(timezone.utc) - latest.datetime >= timedelta(minutes=30)
    control("PUT", "signal-loss", {"minutes": 2000})
    assert dexcom.get_glucose_readings() == []


def test_cloudflare_html_page_is_invalid_json():
    dexcom = Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    control(
        "POST",
        "faults",
        {
            "endpoint": "read",
            "times": 1,
            "kind": {
                "kind": "http_status",
                "status": 503,
                "body": "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                "content_type": "text/html",
            },
        },
    )
    with pytest.raises(ServerError) as err:
        dexcom.get_current_glucose_reading()
    assert err.value.enum == ServerErrorEnum.INVALID_JSON
    assert dexcom.get_current_glucose_reading() is not None


def test_zero_uuid_login_is_rejected_client_side():
    control(
        "POST",
        "faults",
        {"endpoint": "login_by_id", "times": 1, "kind": {"kind": "zero_uuid"}},
    )
    with pytest.raises(ArgumentError) as err:
        Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    assert err.value.enum == ArgumentErrorEnum.SESSION_ID_DEFAULT


def test_stall_is_survived():
    dexcom = Dexcom(account_id=ACCOUNT_ID, password=PASSWORD)
    control("POST", "faults", {"endpoint": "read", "times": 1, "kind": {"kind": "stall", "millis": 300}})
    started = time.monotonic()
    assert dexcom.get_current_glucose_reading() is not None
    assert time.monotonic() - started >= 0.3


def test_legacy_records_are_rejected_by_pydexcom_05():
    dexcom = Dexcom(account_id=LEGACY_ACCOUNT_ID, password=LEGACY_PASSWORD)
    with pytest.raises(ArgumentError) as err:
        dexcom.get_latest_glucose_reading()
    assert err.value.enum == ArgumentErrorEnum.GLUCOSE_READING_INVALID
