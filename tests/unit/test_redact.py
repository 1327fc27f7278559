"""paxel.redact: what may never reach a log file, and what must stay readable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxel.redact import MASK, redact, without_userinfo, without_userinfo_in

# Secrets are drawn from characters a URL may carry raw, with a marker no other part contains,
# so "the secret is not in the output" cannot pass or fail by coincidence.
SECRET = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*+,;%", min_size=1, max_size=20).map(
    lambda s: "Zq" + s)
PLAIN = st.text("abcdefghijklmnop", min_size=1, max_size=10)
PROSE = st.sampled_from(["", "added ", "download 3 failed: ", "GET ", "(", "url: ", "'", "\""])
END = st.sampled_from(["", " answered 404", ")", "'", "\" next", " (Caused by NewConnectionError)"])


@st.composite
def urls_with_secrets(draw: st.DrawFn) -> tuple[str, list[str]]:
    secrets: list[str] = []
    userinfo = ""
    if draw(st.booleans()):
        user = draw(st.one_of(PLAIN, SECRET))
        password = draw(SECRET)
        userinfo = f"{user}:{password}@"
        secrets.append(password)
    host = draw(st.sampled_from(["127.0.0.1:8080", "example.com", "[::1]:9", "cdn.a-b.org"]))
    path = "/" + "/".join(draw(st.lists(PLAIN, max_size=3)))
    params = []
    for _ in range(draw(st.integers(1, 4))):
        value = draw(SECRET)
        secrets.append(value)
        params.append(f"{draw(PLAIN)}={value}" if draw(st.booleans()) or params else value)
    fragment = ""
    if draw(st.booleans()):
        fragment = "#" + draw(SECRET)
        secrets.append(fragment[1:])
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp"]))
    absolute = draw(st.booleans()) or bool(userinfo)
    url = (f"{scheme}://{userinfo}{host}" if absolute else "") + f"{path}?{'&'.join(params)}{fragment}"
    return url, secrets


@given(urls_with_secrets(), PROSE, END)
def test_no_url_secret_survives(case: tuple[str, list[str]], before: str, after: str) -> None:
    url, secrets = case
    out = redact(f"{before}{url}{after}")
    assert [s for s in secrets if s in out] == []
    assert redact(out) == out


@given(st.sampled_from(["Cookie", "cookie", "Set-Cookie", "Authorization", "PROXY-Authorization"]),
       SECRET, st.sampled_from(["{!r}: {!r}", "{}: {}", '"{}": "{}"', "{}={!r}", "({!r}, {!r})",
                                "{}={}", "{} = {}", "b{!r}: b{!r}"]), PROSE, END)
def test_no_cookie_or_authorization_value_survives(name: str, secret: str, form: str, before: str,
                                                   after: str) -> None:
    if form in ("{}: {}", "{}={}", "{} = {}") and after.strip():  # runs to the end of the line
        after = "\n" + after
    value = f"Bearer {secret}" if "auth" in name.lower() else f"a={secret}; b=2"
    out = redact(before + form.format(name, value) + after)
    assert secret not in out
    assert name in out, "the header name stays, for reading the log"
    assert redact(out) == out


def test_cookie_objects_in_a_repr() -> None:
    out = redact("Cookie(name='sess', value='Zq-1', domain='x') {\"name\": \"s\", \"value\": \"Zq-2\"}")
    assert "Zq-" not in out and "name='sess'" in out and "domain='x'" in out


@given(st.text(st.characters(blacklist_characters="/?#:@=", blacklist_categories=("Cs",))))
def test_text_without_urls_or_credentials_is_unchanged(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(("line", "expected"), [
    ("added ab12 (http://u:p@h/f.bin?t=1&x, 8 connections)",
     f"added ab12 (http://{MASK}@h/f.bin?t={MASK}&{MASK} 8 connections)"),  # "," may end a value
    ("Max retries exceeded with url: /a/b.bin?sig=Zq9 (Caused by X)",
     f"Max retries exceeded with url: /a/b.bin?sig={MASK} (Caused by X)"),
    ("https://example.com/plain/file.iso completed", "https://example.com/plain/file.iso completed"),
    ("download 7 completed: /home/u/Downloads/a b.bin", "download 7 completed: /home/u/Downloads/a b.bin"),
])
def test_examples_stay_readable(line: str, expected: str) -> None:
    assert redact(line) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("http://u:p@h/f?a=1", "http://h/f?a=1"),
    ("HTTPS://u:p%40x@h:8/f", "HTTPS://h:8/f"),
    ("http://u:p@ss@h", "http://h"),
    ("http://h/f?mail=a@b.c", "http://h/f?mail=a@b.c"),
    ("http://h/f#x@y", "http://h/f#x@y"),
    ("http://h/", "http://h/"),
    (None, None),
])
def test_without_userinfo(url: str | None, expected: str | None) -> None:
    assert without_userinfo(url) == expected


@given(urls_with_secrets())
def test_without_userinfo_keeps_everything_but_the_password(case: tuple[str, list[str]]) -> None:
    url, _ = case
    out = without_userinfo(url)
    assert out is not None and "@" not in out.split("?")[0].split("#")[0]
    assert out.endswith(url.split("@", 1)[-1] if "@" in url.split("?")[0] else url)


def test_without_userinfo_in_a_message_keeps_the_rest() -> None:
    message = "http://u:Zq1@h/f?t=2 answered 404; moved to HTTPS://a:Zq2@b/g#x"
    assert without_userinfo_in(message) == "http://h/f?t=2 answered 404; moved to HTTPS://b/g#x"
