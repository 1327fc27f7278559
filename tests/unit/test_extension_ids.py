"""The extension's manifest and paxel.ids agree, so the installer registers the ids that load."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from paxel import ids

MANIFEST = Path(__file__).resolve().parents[2] / "extension" / "manifest.json"


def chromium_id(public_key_b64: str) -> str:
    """Chromium's rule: sha256 of the DER key, first 32 hex digits, 0-f mapped to a-p."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def test_manifest_key_gives_the_chromium_dev_id() -> None:
    manifest = json.loads(MANIFEST.read_text())
    assert manifest["key"] == ids.CHROMIUM_EXTENSION_PUBLIC_KEY
    assert chromium_id(manifest["key"]) == ids.CHROMIUM_DEV_EXTENSION_ID


def test_manifest_gecko_id_is_the_firefox_id() -> None:
    manifest = json.loads(MANIFEST.read_text())
    assert manifest["browser_specific_settings"]["gecko"]["id"] == ids.FIREFOX_EXTENSION_ID


def test_host_name_in_the_extension_matches() -> None:
    host_js = (MANIFEST.parent / "lib" / "host.js").read_text()
    assert f'HOST_NAME = "{ids.HOST_NAME}"' in host_js
