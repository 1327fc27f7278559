"""Expected digests (`--checksum sha-256=HEX`) and hashing a finished file."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from paxel.headers import DIGEST_ALGORITHMS


def parse_checksum(text: str) -> tuple[str, str]:
    """`ALG=HEX` (md5, sha-1, sha-256, sha-512) -> (hashlib name, lowercase hex); ValueError else."""
    alg, sep, hexdigest = text.partition("=")
    name = DIGEST_ALGORITHMS.get(alg.strip().lower())
    if not sep or name is None:
        raise ValueError(f"unknown checksum {alg!r}: use md5, sha-1, sha-256 or sha-512 as ALG=HEX")
    hexdigest = hexdigest.strip().lower()
    if not re.fullmatch(r"[0-9a-f]+", hexdigest) or len(hexdigest) != hashlib.new(name).digest_size * 2:
        raise ValueError(f"{alg}= needs {hashlib.new(name).digest_size * 2} hex digits")
    return name, hexdigest


def file_digest(path: Path, name: str) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, name).hexdigest()
