"""HLS AES-128 segment decryption (RFC 8216 §5.2): AES-128-CBC with PKCS#7 padding, the cipher
from `cryptography`. Pure: bytes in, bytes out."""

from __future__ import annotations

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from paxel.errors import ServerMisbehaved

KEY_SIZE = 16


def decrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    if len(key) != KEY_SIZE:
        raise ServerMisbehaved(f"an AES-128 key is 16 bytes, the server sent {len(key)}")
    if len(data) % 16:
        raise ServerMisbehaved(f"an AES-128 segment is a multiple of 16 bytes, this one is {len(data)}")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(plain) + unpadder.finalize()
    except ValueError:
        # a wrong key (or IV) almost always leaves invalid padding: never save that as media
        raise ServerMisbehaved("a segment does not decrypt with its key (wrong key or IV)") from None
