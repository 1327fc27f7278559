"""A download request in the one form the service uses: built once from a validated `download`
or `probe` message, stored in this form (paxel.service.store) and handed to the engine as is.

paxel.schema has already checked every field and turned the wire's cookie objects into
`paxel.cookies.Cookie` values; this module only merges what the browser sent into one header
map. `referrer` and `user_agent` are the browser's Referer and User-Agent and win over a header
of the same name in `headers`, whatever its case, so a request never carries two of either.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from paxel.cookies import Cookie
from paxel.filenames import safe_filename
from paxel.media.detect import kind_from_url


@dataclass(frozen=True)
class DownloadRequest:
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: tuple[Cookie, ...] = ()
    filename: str | None = None
    folder: str | None = None       # None: the settings' default folder
    connections: int | None = None  # None: the settings' default
    checksum: str | None = None
    source: str | None = None
    media: Mapping[str, Any] | None = None   # a stream: {"quality": max height or None}
    queue: str | None = None        # None: the default queue, `main`

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> DownloadRequest:
        """From the fields paxel.schema.validate_request returned for `download` or `probe`."""
        return cls(
            url=str(fields["url"]),
            headers=merge_headers(fields.get("headers", {}), fields.get("referrer"),
                                  fields.get("user_agent")),
            cookies=tuple(fields.get("cookies", ())),
            # the page's choice (a tab's title, a link's decoded path): shown to every client
            # and terminal before the engine names the file, so made safe as that name would be
            filename=safe_filename(fields.get("filename"), fallback="") or None,
            folder=fields.get("folder"),
            connections=fields.get("connections"),
            checksum=fields.get("checksum"),
            source=fields.get("source"),
            media=media_of(fields),
            queue=fields.get("queue"),
        )


def media_of(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stream request: the `media` field, else `{"quality": None}` (the best) for a URL
    that names a playlist or manifest (`.m3u8`, `.mpd`), else None (a plain file)."""
    if fields.get("media") is not None:
        return {"quality": fields["media"].get("quality")}
    return {"quality": None} if kind_from_url(str(fields["url"])) else None


def merge_headers(headers: Mapping[str, str], referrer: str | None, user_agent: str | None) -> dict[str, str]:
    """`headers` plus Referer and User-Agent from their own fields, which replace any header of
    that name in any case."""
    merged = dict(headers)
    for name, value in (("Referer", referrer), ("User-Agent", user_agent)):
        if value:
            for key in [k for k in merged if k.lower() == name.lower()]:
                del merged[key]
            merged[name] = value
    return merged


__all__ = ["DownloadRequest", "media_of", "merge_headers"]
