"""Take credentials out of a line of text before it is logged. Pure: no I/O.

Log lines carry URLs (what was added, what failed, requests' exception messages) and, in an
exception's repr, headers and cookies. What goes:
- URL userinfo: `http://user:pass@host/` → `http://***@host/`;
- every query value, in absolute URLs and in bare paths (requests says `url: /f?token=x`):
  `?token=abc&x` → `?token=***&x=***`; keys stay, they help reading a log;
- the value of a Cookie, Set-Cookie, Authorization or Proxy-Authorization header, written as a
  header (`Cookie: a=b`, `cookie = a=b`), as a mapping entry (`'Authorization': 'Bearer x'`,
  bytes too) or as a header list's pair (`('Cookie', 'a=b')`), and the value of
  quoted `value`, `secret`, `password` and `token` entries (cookie objects, auth frames).
The rest of the line stays as it was, so a log is still worth reading. `redact` is idempotent.
"""

from __future__ import annotations

import re

MASK = "***"

# Characters that end a URL in free text. `'` may appear inside a URL (userinfo, query) and so
# does not end one: a repr's closing quote is then masked along with the value, harmlessly.
_URL_END = r"\s\"<>\\`"
# The lookbehind lets a scheme start only where a run of scheme characters starts: without it a
# long word would be tried from each of its letters (quadratic; 2 ms for a 1 KiB line).
_ABSOLUTE_URL = re.compile(rf"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^{_URL_END}]+")
# A path with a query outside an absolute URL: starts with "/" not preceded by a URL character.
_PATH_QUERY = re.compile(rf"(?<![\w/:.@%\-])/[^{_URL_END}?#]*\?[^{_URL_END}]*")
_HEADER_NAMES = r"(?:set-cookie|cookie|proxy-authorization|authorization)"
# `Cookie: a=b; c=d`, `cookie = a=b` (header or unquoted keyword form, value to the end of the line)
_HEADER_LINE = re.compile(rf"(?i)(?<![\w\-])({_HEADER_NAMES})(\s*[:=][ \t]*)(?!['\"])([^\r\n]+)")
# `'Cookie': 'a=b'`, `"value": "x"`, `cookie='x'` (mapping or keyword form, value to its quote),
# `('Cookie', 'a=b')` (a header list's repr) and `b'Cookie': b'a=b'` (bytes)
_QUOTED_ENTRY = re.compile(
    rf"(?i)(['\"]?)({_HEADER_NAMES}|value|secret|password|token)\1(\s*[:=,]\s*)(b?)(['\"])(.*?)(\5|$)")


def redact(text: str) -> str:
    """`text` with URL userinfo, query values and cookie/authorization values replaced by ***."""
    # Cheap tests first: most log lines hold no URL and no credential name at all.
    if "://" in text:
        text = _ABSOLUTE_URL.sub(lambda m: _redact_url(m.group(0)), text)
    if "?" in text:
        text = _PATH_QUERY.sub(lambda m: _redact_query_part(m.group(0)), text)
    lowered = text.lower()
    if any(name in lowered for name in _ENTRY_WORDS):
        text = _QUOTED_ENTRY.sub(_mask_entry, text)
    if "cookie" in lowered or "authorization" in lowered:
        text = _HEADER_LINE.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return text


_ENTRY_WORDS = ("cookie", "authorization", "value", "secret", "password", "token")


def without_userinfo(url: str | None) -> str | None:
    """`url` without its `user:password@` (for what clients are shown: DownloadView's URLs go to
    every client, the browser's extension included; the store keeps the URL the engine needs)."""
    if not url or "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    end = min((i for i in (rest.find(c) for c in "/?#") if i != -1), default=len(rest))
    authority = rest[:end]
    if "@" not in authority:
        return url
    return f"{scheme}://{authority.rsplit('@', 1)[1]}{rest[end:]}"


def without_userinfo_in(text: str) -> str:
    """`text` with every absolute URL's `user:password@` taken out and nothing else changed (an
    error message shown to clients still names the URL the client knows, query and all)."""
    if "://" not in text or "@" not in text:
        return text
    return _ABSOLUTE_URL.sub(lambda m: without_userinfo(m.group(0)) or "", text)


def _mask_entry(match: re.Match[str]) -> str:
    quote, name, sep, prefix, open_quote, _value, close = match.groups()
    return f"{quote}{name}{quote}{sep}{prefix}{open_quote}{MASK}{close}"


def _redact_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    authority_end = len(rest)
    for stop in "/?#":
        index = rest.find(stop)
        if index != -1:
            authority_end = min(authority_end, index)
    authority, tail = rest[:authority_end], rest[authority_end:]
    if "@" in authority:
        authority = MASK + "@" + authority.rsplit("@", 1)[1]
    return f"{scheme}://{authority}{_redact_query_part(tail)}"


def _redact_query_part(tail: str) -> str:
    """Mask every value of the query in `path?query#fragment` (the fragment as a whole too:
    some sites put tokens there)."""
    path, mark, query = tail.partition("?")
    if not mark:
        path, hash_mark, fragment = tail.partition("#")
        return path + (hash_mark + MASK if hash_mark and fragment else hash_mark)
    query, hash_mark, fragment = query.partition("#")
    masked = "&".join(_mask_param(p) for p in query.split("&"))
    return f"{path}?{masked}" + (hash_mark + MASK if hash_mark and fragment else hash_mark)


def _mask_param(param: str) -> str:
    if not param:
        return param
    key, eq, _value = param.partition("=")
    return f"{key}={MASK}" if eq else MASK


__all__ = ["MASK", "redact", "without_userinfo", "without_userinfo_in"]
