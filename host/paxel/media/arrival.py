"""What a fetched piece must be before it counts as done: a key of 16 bytes; a segment that is
not empty, not a web page (an error page sent with status 200), not Common-Encryption
protected (a manifest that left its ContentProtection out) and media throughout by its container
(paxel.media.sniff: no text, no random bytes, no MPEG-TS cut inside a packet). ffmpeg would
skip a bad segment and make a shorter file with exit 0, so each is refused here, before the
resume state lists it.
An encrypted segment arrives as `X.enc` and is decrypted into `X` here.
"""

from __future__ import annotations

from pathlib import Path

from paxel import storage
from paxel.errors import PaxelError, ServerMisbehaved
from paxel.media import cenc, sniff
from paxel.media.detect import is_web_page
from paxel.media.model import DrmProtected, NotMedia


def accept(url: str, arrived: Path, size: int, final: Path, *, is_key: bool,
           decrypt: tuple[bytes, bytes] | None) -> int:
    """Check (and decrypt, given `(iv, key)`) the piece of `size` bytes fetched from `url`
    into `arrived`; it ends as `final`. The size of what is now at `final`."""
    if decrypt is not None or is_key:
        from paxel.media import crypto  # (the cipher library: only for an encrypted stream)
    if decrypt is not None:
        iv, key = decrypt
        data = crypto.decrypt(arrived.read_bytes(), key, iv)
        storage.write_atomic(final, data)
        arrived.unlink()
        size = len(data)
    elif arrived != final:
        raise PaxelError(f"{final} was taken by another file")
    if is_key:
        if size != crypto.KEY_SIZE:   # refused before it counts: a rerun fetches it again
            raise ServerMisbehaved(f"{url}: an AES-128 key is 16 bytes, the server sent {size}")
        return size
    with final.open("rb") as f:
        head = f.read(64)
        f.seek(0)
        if cenc.is_encrypted(f):
            raise DrmProtected(f"{url} is encrypted (Common Encryption) though the playlist "
                               "did not say so: paxel does not download DRM-protected media")
        if is_web_page(head):
            raise NotMedia(f"{url} is a web page, not media (an error page sent "
                           "with status 200?)")
        why = sniff.problem(f)
    if why is not None:
        raise NotMedia(f"{url} {why}")
    return size


__all__ = ["accept"]
