"""Expected digests (`--checksum sha-256=HEX`) and hashing a finished file."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from paxel.headers import DIGEST_ALGORITHMS

_BLOCK = 1 << 20


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


def file_digests(path: Path, names: Iterable[str]) -> dict[str, str]:
    """hashlib name -> hex digest of the file, every algorithm fed by one read of it (a 20 GB
    file with a server digest and a user checksum is read once, not twice)."""
    hashes = {name: hashlib.new(name) for name in names}
    if not hashes:
        return {}
    buf = memoryview(bytearray(_BLOCK))
    with path.open("rb", buffering=0) as f:
        while n := f.readinto(buf):
            for h in hashes.values():
                h.update(buf[:n])
    return {name: h.hexdigest() for name, h in hashes.items()}
