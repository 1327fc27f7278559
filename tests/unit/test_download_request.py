"""One request model: a `download` or `probe` message becomes a DownloadRequest once (cookies as
Cookie values, headers merged), and the store keeps it in that form. The store is real SQLite
in a temporary folder, including a database written by the previous schema."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paxel.cookies import Cookie
from paxel.schema import validate_request
from paxel.service.request import DownloadRequest, merge_headers
from paxel.service.store import MIGRATIONS, Record, Store

WIRE_COOKIE = {"name": "sid", "value": "s3cret", "domain": ".Example.com", "path": "/dl", "secure": True,
               "http_only": True, "expiration_date": 1.9e9, "same_site": "lax", "store_id": "0"}
HOST_COOKIE = {"name": "h", "value": "1", "domain": "files.example.com"}


def request_of(kind: str, **fields: Any) -> DownloadRequest:
    return DownloadRequest.from_fields(validate_request({"id": 1, "type": kind, **fields}).fields)


def test_a_download_message_becomes_one_typed_request() -> None:
    request = request_of("download", url="https://files.example.com/a.iso", referrer="https://example.com/",
                         user_agent="UA/1", headers={"referer": "https://stale/", "X-Thing": "1"},
                         cookies=[WIRE_COOKIE, HOST_COOKIE], connections=4, source="click")
    assert request.cookies == (Cookie("sid", "s3cret", "example.com", False, "/dl", True, 1.9e9),
                               Cookie("h", "1", "files.example.com", True, "/", False, None))
    assert request.headers == {"X-Thing": "1", "Referer": "https://example.com/", "User-Agent": "UA/1"}
    assert (request.connections, request.source, request.folder) == (4, "click", None)


def test_probe_and_download_share_the_request() -> None:
    fields = {"url": "https://files.example.com/a.iso", "referrer": "https://example.com/",
              "cookies": [WIRE_COOKIE], "headers": {"Authorization": "Bearer t"}}
    probe, download = request_of("probe", **fields), request_of("download", **fields)
    assert probe == download
    assert probe.headers["Authorization"] == "Bearer t" and probe.cookies[0].name == "sid"


header_names = st.sampled_from(["Referer", "referer", "REFERER", "User-Agent", "user-agent", "X-A", "Accept"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(header_names, st.text(max_size=5)), st.none() | st.text(min_size=1, max_size=5),
       st.none() | st.text(min_size=1, max_size=5))
def test_merged_headers_carry_each_name_once_and_the_fields_win(
        headers: dict[str, str], referrer: str | None, user_agent: str | None) -> None:
    merged = merge_headers(headers, referrer, user_agent)
    for name, given_value in (("referer", referrer), ("user-agent", user_agent)):
        same = [k for k in merged if k.lower() == name]
        if given_value:
            assert [merged[k] for k in same] == [given_value]
        else:
            assert {k: merged[k] for k in same} == {k: v for k, v in headers.items() if k.lower() == name}
    others = {k: v for k, v in headers.items() if k.lower() not in ("referer", "user-agent")}
    assert {k: v for k, v in merged.items() if k.lower() not in ("referer", "user-agent")} == others


cookies = st.builds(Cookie, name=st.text("abc_-", min_size=1, max_size=5), value=st.text(max_size=8),
                    domain=st.sampled_from(["example.com", "a.example.org"]), host_only=st.booleans(),
                    path=st.sampled_from(["/", "/dl"]), secure=st.booleans(),
                    expiry=st.none() | st.floats(0, 4e9))


@settings(max_examples=50, deadline=None)
@given(st.lists(cookies, max_size=4))
def test_the_store_keeps_cookie_values(tmp_path_factory: Any, jar: list[Cookie]) -> None:
    store = Store(tmp_path_factory.mktemp("db") / "paxel.sqlite3")
    try:
        store.insert(Record(id="d-1", url="https://example.com/", folder="/tmp", connections=1,
                            cookies=tuple(jar), headers={"Referer": "https://example.com/"}))
        record = store.get("d-1")
        assert record is not None and record.cookies == tuple(jar)
        store.update("d-1", cookies=())
        assert store.get("d-1").cookies == ()  # type: ignore[union-attr]
    finally:
        store.close()


def test_rows_of_the_previous_schema_are_rewritten_as_cookie_values(tmp_path: Path) -> None:
    path = tmp_path / "paxel.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:2], start=1):
        db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")
    old = [{"name": "sid", "value": "v", "domain": ".Example.com", "host_only": False, "path": "/dl",
            "secure": True, "http_only": True, "expiration_date": 1.9e9},
           {"name": "h", "value": "1", "domain": "example.com"}]  # host_only, path, secure left out
    db.execute("INSERT INTO downloads (id, seq, url, folder, state, connections, cookies, created_at) "
               "VALUES ('d-1', 1, 'https://example.com/', '/tmp', 'queued', 1, ?, 0)", (json.dumps(old),))
    db.execute("INSERT INTO downloads (id, seq, url, folder, state, connections, created_at) "
               "VALUES ('d-2', 2, 'https://example.com/', '/tmp', 'completed', 1, 0)")
    db.close()
    store = Store(path)
    try:
        assert store.get("d-1").cookies == (  # type: ignore[union-attr]
            Cookie("sid", "v", "example.com", False, "/dl", True, 1.9e9),
            Cookie("h", "1", "example.com", True, "/", False, None))
        assert store.get("d-2").cookies == ()  # type: ignore[union-attr]
    finally:
        store.close()
