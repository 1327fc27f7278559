"""Folder rules: where a download goes when its request names no folder. Pure: no I/O.

Two kinds, as IDM and FDM have them (settings key `folder_rules`, docs/settings.md):
- **by site**: a host name and the folder its downloads go to. `example.org` matches that host
  and every host under it (`cdn.example.org`), not `badexample.org`; `*.example.org` only the
  hosts under it. The longest matching pattern wins, so a rule for one mirror beats its domain's.
- **by file type**: categories of extensions (Compressed, Documents, Music, Programs, Video by
  default, IDM's lists brought up to date). Off until `by_type` is true: a browser's click then
  lands where the browser would put it. The longest matching extension wins (`tar.gz` before
  `gz`), compared without case.

A site rule beats a type rule (it says more about this download). A folder is a name relative
to the default folder (`Video` → `~/Downloads/Video`) or an absolute path; the scheduler still
checks the result lies under an allowed root (paxel.service.settings.allowed_folder), so a rule
can never send a download elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Compressed": ("zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "zst", "tar", "tar.gz", "tar.bz2",
                   "tar.xz", "tar.zst", "arj", "lz", "lzma", "cab", "z", "ace", "sit", "sitx"),
    "Documents": ("pdf", "doc", "docx", "odt", "rtf", "txt", "xls", "xlsx", "ods", "csv", "ppt",
                  "pptx", "pps", "odp", "epub", "djvu", "md"),
    "Music": ("mp3", "wav", "wma", "flac", "ogg", "oga", "opus", "aac", "m4a", "aif", "aiff", "mid",
              "ra", "mka"),
    "Programs": ("exe", "msi", "msix", "appimage", "deb", "rpm", "dmg", "pkg", "apk", "flatpakref",
                 "snap", "run", "iso", "img"),
    "Video": ("mp4", "m4v", "mkv", "webm", "avi", "mov", "qt", "wmv", "asf", "flv", "mpg", "mpeg",
              "mpe", "ts", "m2ts", "3gp", "ogv", "rm", "rmvb"),
}
_EXTENSION = re.compile(r"^[a-z0-9]{1,16}(\.[a-z0-9]{1,16})?$")
_HOST = re.compile(r"^(\*\.)?([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$")


@dataclass(frozen=True)
class Category:
    name: str
    extensions: frozenset[str]  # lower case, without the leading dot; `tar.gz` allowed
    folder: str  # relative to the default folder, or absolute


@dataclass(frozen=True)
class SiteRule:
    host: str  # `example.org` (it and its subdomains) or `*.example.org` (subdomains only)
    folder: str


@dataclass(frozen=True)
class FolderRules:
    by_type: bool = False
    categories: tuple[Category, ...] = tuple(Category(n, frozenset(e), n)
                                             for n, e in DEFAULT_CATEGORIES.items())
    sites: tuple[SiteRule, ...] = ()


def extension_of(name: str) -> tuple[str, ...]:
    """The candidate extensions of `name`, longest first: `a.tar.gz` → (`tar.gz`, `gz`)."""
    parts = name.lower().strip().rsplit("/", 1)[-1].split(".")
    if len(parts) < 2 or not parts[0]:
        return ()  # no dot, or a hidden file's name (`.bashrc`)
    return (".".join(parts[-2:]), parts[-1]) if len(parts) > 2 else (parts[-1],)


def category_of(name: str, categories: tuple[Category, ...]) -> Category | None:
    for extension in extension_of(name):
        for category in categories:
            if extension in category.extensions:
                return category
    return None


def host_matches(pattern: str, host: str) -> bool:
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern or host.endswith("." + pattern)


def name_in(url: str) -> str:
    """The file name a URL's path suggests (before the server names it), or ""."""
    try:
        return unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    except ValueError:
        return ""


def folder_for(url: str, filename: str | None, rules: FolderRules) -> str | None:
    """The rule folder for a download of `url` (named `filename` if known), or None: the default."""
    try:
        host = _ascii_host(urlsplit(url).hostname or "")
    except ValueError:
        host = ""
    sites = [r for r in rules.sites if host and host_matches(r.host, host)]
    if sites:
        return max(sites, key=lambda r: len(r.host.lstrip("*."))).folder
    if rules.by_type:
        category = category_of(filename or name_in(url), rules.categories)
        if category is not None:
            return category.folder
    return None


def parse(raw: Any, where: str = "folder_rules") -> FolderRules:
    """The settings' `folder_rules` object → FolderRules; ValueError naming the entry."""
    if raw is None:
        return FolderRules()
    if not isinstance(raw, Mapping) or set(raw) - {"by_type", "categories", "sites"}:
        raise ValueError(f"{where}: an object with `by_type`, `categories` and `sites`")
    by_type = raw.get("by_type", False)
    if not isinstance(by_type, bool):
        raise ValueError(f"{where}.by_type: true or false")
    categories = FolderRules().categories
    if "categories" in raw:
        categories = tuple(_category(name, value, f"{where}.categories.{name}")
                           for name, value in _mapping(raw["categories"], f"{where}.categories").items())
        _one_type_each(categories, f"{where}.categories")
    sites = raw.get("sites", [])
    if not isinstance(sites, list):
        raise ValueError(f"{where}.sites: a list of {{\"host\": ..., \"folder\": ...}}")
    return FolderRules(by_type, categories,
                       tuple(_site(item, f"{where}.sites[{i}]") for i, item in enumerate(sites)))


def to_raw(rules: FolderRules) -> dict[str, Any]:
    """The settings form of `rules` (what `parse` reads back)."""
    return {"by_type": rules.by_type,
            "categories": {c.name: {"extensions": sorted(c.extensions), "folder": c.folder}
                           for c in rules.categories},
            "sites": [{"host": s.host, "folder": s.folder} for s in rules.sites]}


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: an object")
    return value


def _category(name: str, value: Any, where: str) -> Category:
    if not re.fullmatch(r"[\w .-]{1,64}", name) or name.strip(". ") != name:
        raise ValueError(f"{where}: a category name of letters, digits, space, `.`, `_`, `-`")
    item = _mapping(value, where)
    if set(item) - {"extensions", "folder"}:
        raise ValueError(f"{where}: an object with `extensions` and optional `folder`")
    extensions = item.get("extensions")
    if not isinstance(extensions, list) or not all(isinstance(e, str) for e in extensions):
        raise ValueError(f"{where}.extensions: a list of extensions like \"zip\" or \"tar.gz\"")
    cleaned = frozenset(e.lower().lstrip(".") for e in extensions)
    bad = sorted(e for e in cleaned if not _EXTENSION.match(e))
    if not cleaned:
        raise ValueError(f"{where}.extensions: at least one, like \"zip\" or \"tar.gz\"")
    if bad:
        raise ValueError(f"{where}.extensions: not an extension: {bad[0]!r}")
    return Category(name, cleaned, _folder(item.get("folder", name), f"{where}.folder"))


def _one_type_each(categories: tuple[Category, ...], where: str) -> None:
    """An extension names one folder: in two types, the second would never apply (the panel and
    the options page say the same, lib/servicesettings.js)."""
    owner: dict[str, str] = {}
    for category in categories:
        for extension in sorted(category.extensions):
            if extension in owner:
                raise ValueError(f"{where}.{category.name}.extensions: {extension} is in "
                                 f"{owner[extension]} already; a type has one folder")
            owner[extension] = category.name


def _ascii_host(host: str) -> str:
    """`bücher.example` → `xn--bcher-kva.example` (a URL's host is the ASCII form); `*.` kept.
    Anything the IDNA codec refuses comes back as is, for the host check to refuse."""
    if host.isascii():
        return host.lower()
    wild, name = ("*.", host[2:]) if host.startswith("*.") else ("", host)
    try:
        return wild + name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host


def _site(item: Any, where: str) -> SiteRule:
    rule = _mapping(item, where)
    host = _ascii_host(rule["host"]) if isinstance(rule.get("host"), str) else None
    if set(rule) - {"host", "folder"} or not isinstance(host, str) or not _HOST.match(host):
        raise ValueError(f"{where}: an object with `host` (\"example.org\" or \"*.example.org\") "
                         "and `folder`")
    return SiteRule(host, _folder(rule.get("folder"), f"{where}.folder"))


def _folder(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or "\x00" in value or len(value) > 4096:
        raise ValueError(f"{where}: a folder name or absolute path")
    return value


__all__ = ["DEFAULT_CATEGORIES", "Category", "FolderRules", "SiteRule", "category_of", "extension_of",
           "folder_for", "host_matches", "name_in", "parse", "to_raw"]
