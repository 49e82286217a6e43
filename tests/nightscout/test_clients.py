"""Real Nightscout client libraries from PyPI against the facade, backed by the simulator.

Run by scripts/nightscout-clients-check.sh, which starts both servers and exports
NS_URL (http://host:port/ns/<account>) and NS_ROOT_URL (the root alias).
"""

import asyncio
import datetime
import os

import pytest

NS_URL = os.environ.get("NS_URL")
NS_TOKEN = os.environ.get("NS_TOKEN")
pytestmark = pytest.mark.skipif(not NS_URL, reason="needs scripts/nightscout-clients-check.sh")


def run(coroutine):
    return asyncio.run(coroutine)


def test_py_nightscout_reads_status_sgvs_and_empty_collections():
    import py_nightscout

    async def session():
        api = py_nightscout.Api(NS_URL, api_secret=NS_TOKEN)
        status = await api.get_server_status()
        sgvs = await api.get_sgvs()
        treatments = await api.get_treatments()
        profiles = await api.get_profiles()
        devices = await api.get_devices_status()
        return status, sgvs, treatments, profiles, devices

    status, sgvs, treatments, profiles, devices = run(session())

    assert status.status == "ok"
    assert status.version
    assert isinstance(status.settings, dict)
    assert len(sgvs) == 10
    newest = sgvs[0]
    assert 40 <= newest.sgv <= 400
    assert isinstance(newest.delta, (int, float))
    assert newest.direction
    assert newest.date.tzinfo is not None
    assert abs(datetime.datetime.now(datetime.timezone.utc) - newest.date) < datetime.timedelta(minutes=6)
    assert treatments == [] and devices == []
    assert profiles is not None  # py-nightscout wraps even an empty list in a ProfileDefinitionSet


def test_py_nightscout_works_on_the_root_alias():
    import py_nightscout

    sgvs = run(py_nightscout.Api(os.environ["NS_ROOT_URL"], api_secret=f"token={NS_TOKEN}").get_sgvs())
    assert len(sgvs) == 10


def test_py_nightscout_without_the_secret_is_refused():
    import aiohttp
    import py_nightscout

    with pytest.raises(aiohttp.ClientResponseError) as refused:
        run(py_nightscout.Api(NS_URL).get_sgvs())
    assert refused.value.status == 401

    with pytest.raises(aiohttp.ClientResponseError):
        run(py_nightscout.Api(NS_URL, api_secret="not-the-token-at-all").get_sgvs())


def test_python_nightscout_reads_entries_with_count_and_a_date_filter():
    import nightscout

    api = nightscout.Api(NS_URL, api_secret=NS_TOKEN)
    last_three = api.get_sgvs({"count": 3})
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=30)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    recent = api.get_sgvs({"count": 0, "find[dateString][$gte]": since})

    assert len(last_three) == 3
    assert [s.sgv for s in last_three] == [s.sgv for s in recent[:3]]
    assert 5 <= len(recent) <= 7
    assert all(40 <= s.sgv <= 400 for s in recent)
    assert recent[0].date > recent[-1].date
