"""The fault server's own checks: if it lied differently than asked, every fault test would lie too."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from support.faultserver import PERIOD, FaultServer, body


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), a=st.integers(0, 3 * PERIOD), n=st.integers(0, 2 * PERIOD))
def test_any_range_is_the_slice_of_the_whole(seed: int, a: int, n: int) -> None:
    whole = body(seed, 0, a + n)
    assert body(seed, a, a + n) == whole[a:]
    assert len(whole) == a + n


def test_periods_differ_so_misplaced_ranges_show() -> None:
    assert body(1, 0, 4096) != body(1, PERIOD, PERIOD + 4096)


def test_ranges_redirect_drop_and_if_range(faultserver: FaultServer) -> None:
    url = faultserver.url("a.bin", size=300_000, drop=1000, change_after=3)
    with requests.Session() as s:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            s.get(url).content  # noqa: B018 - reading the body is what fails
        r = s.get(url, headers={"Range": "bytes=10-19"})
        assert (r.status_code, r.headers["Content-Range"]) == (206, "bytes 10-19/300000")
        assert r.content == faultserver.content(url)[10:20]
        etag = r.headers["ETag"]
        r = s.get(url, headers={"Range": "bytes=10-19", "If-Range": etag})
        assert r.status_code == 206
        r = s.get(url, headers={"Range": "bytes=10-19", "If-Range": etag})  # 4th GET: content changed
        assert r.status_code == 200 and r.content == faultserver.content(url, version=1)
        assert r.headers["ETag"] != etag

        r = s.get(faultserver.url("b.bin", redirect="other"), cookies={"k": "v"})
        assert r.url.startswith(faultserver.other_base)
    recs = faultserver.requests()
    assert [r.server for r in recs[-2:]] == ["primary", "other"]
    assert recs[-1].host == faultserver.other_base.removeprefix("http://")
    assert recs[0].sent == 1000 and recs[1].range == "bytes=10-19"


def test_stop_joins_threads_even_mid_trickle(faultserver: FaultServer) -> None:
    before = set(threading.enumerate())
    url = faultserver.url("slow.bin", trickle=1000)
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            requests.get(url, timeout=10).content  # noqa: B018
        except requests.RequestException as exc:
            errors.append(exc)

    client = threading.Thread(target=fetch)
    client.start()
    while not faultserver.requests():
        threading.Event().wait(0.01)
    faultserver.stop()
    client.join(5)
    assert errors and not client.is_alive()
    leaked = [t for t in threading.enumerate() if t not in before]
    assert not leaked


def test_signed_links_expire_by_time_uses_or_on_demand_and_name_the_same_file(
        faultserver: FaultServer) -> None:
    def get(url: str) -> requests.Response:
        return requests.get(url, timeout=5)

    by_uses = faultserver.signed_url("s.bin", gets=2, size=1000)
    assert [get(by_uses).status_code for _ in range(3)] == [200, 200, 403]
    fresh = faultserver.signed_url("s.bin", gets=2, size=1000)
    answer = get(fresh)
    assert answer.status_code == 200 and answer.content == faultserver.content(fresh)
    assert answer.headers["ETag"] == get(faultserver.signed_url("s.bin", size=1000, ttl=5)).headers["ETag"]

    by_time = faultserver.signed_url("t.bin", ttl=0.3, size=1000, exp_status=410)
    assert get(by_time).status_code == 200
    time.sleep(0.4)
    assert get(by_time).status_code == 410

    forged = by_uses.replace("exp_gets=2", "exp_gets=200")
    assert get(forged).status_code == 403 and get(forged).text == "bad signature\n"

    cut = faultserver.signed_url("c.bin", ttl=60, size=4 << 20, trickle=1 << 20, exp_cut=1)
    with requests.get(cut, stream=True, timeout=5) as stream:
        first = next(stream.iter_content(65536))
        faultserver.expire(cut)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            b"".join(stream.iter_content(65536))
    assert first and get(cut).status_code == 403

    page = get(faultserver.signed_page("p.bin", ttl=60, size=1000))
    href = page.text.split('href="')[1].split('"')[0]
    assert page.headers["Content-Type"].startswith("text/html") and href.startswith("/p.bin?")
    assert get(faultserver.base + href).content == faultserver.content(faultserver.base + href)
