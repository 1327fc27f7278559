"""A real HLS SAMPLE-AES stream (identity key format), made here because ffmpeg's HLS muxer writes
AES-128 only. Apple's "MPEG-2 Stream Encryption Format for HTTP Live Streaming": in each H.264 NAL
unit of type 1 or 5 longer than 48 bytes, the first 32 bytes stay clear, then one 16-byte block in
ten is AES-128-CBC encrypted (the IV restarting in every NAL unit; a block with no more than 16
bytes left stays clear), and start-code emulation prevention is applied to the result. Video only:
enough to show whether a demuxer decrypts every frame.

The cipher comes from `cryptography`; the NAL walking is the few lines the format needs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
START = re.compile(b"\x00\x00\x01")


def escape(nal: bytes) -> bytes:
    """Start-code emulation prevention: 0x03 after two zeros before any byte <= 3."""
    out, zeros = bytearray(), 0
    for byte in nal:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def encrypt_nal(nal: bytes, key: bytes, iv: bytes) -> bytes:
    if nal[0] & 0x1F not in (1, 5) or len(nal) <= 48:
        return nal
    data, pos = bytearray(nal), 32
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    while len(data) - pos > 0:
        if len(data) - pos > 16:
            data[pos:pos + 16] = cipher.update(bytes(data[pos:pos + 16]))
            pos += 16
        pos += min(144, len(data) - pos)
    return escape(bytes(data))


def encrypt_annexb(stream: bytes, key: bytes, iv: bytes) -> bytes:
    """Every NAL unit of an Annex B stream, each after a 3-byte start code (a 4-byte code's
    leading zero is kept as the previous unit's trailing zero, which Annex B allows)."""
    starts = [m.start() for m in START.finditer(stream)]
    out = bytearray()
    for i, at in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(stream)
        nal, trail = stream[at + 3:end], b""
        if i + 1 < len(starts) and nal.endswith(b"\x00"):
            nal, trail = nal[:-1], b"\x00"
        out += b"\x00\x00\x01" + encrypt_nal(nal, key, iv) + trail
    return bytes(out)


def make_sample_aes(source: Path, folder: Path, key: bytes, iv: bytes, seconds: int = 8) -> Path:
    """`folder/index.m3u8`: the first `seconds` of `source`'s video as 2-s MPEG-TS segments under
    `#EXT-X-KEY:METHOD=SAMPLE-AES` (identity key format, `key.bin` beside it, the IV given); and
    `folder/clear.h264`, the same frames unencrypted, to compare with. Returns the playlist."""
    folder.mkdir(parents=True, exist_ok=True)
    quiet = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*quiet, "-i", str(source), "-t", str(seconds), "-an", "-c:v", "copy",
                    "-bsf:v", "h264_mp4toannexb", "-f", "h264", "clear.h264"],
                   cwd=folder, check=True, stdin=subprocess.DEVNULL)
    (folder / "enc.h264").write_bytes(encrypt_annexb((folder / "clear.h264").read_bytes(), key, iv))
    # the slice headers are in the clear 32 bytes, so ffmpeg still cuts frames and segments
    # (it complains about the frames it decodes while probing: they are encrypted)
    subprocess.run([*quiet, "-loglevel", "fatal", "-framerate", "25", "-i", "enc.h264", "-c", "copy",
                    "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
                    "-hls_segment_filename", "seg%03d.ts", "index.m3u8"],
                   cwd=folder, check=True, stdin=subprocess.DEVNULL)
    (folder / "enc.h264").unlink()
    (folder / "key.bin").write_bytes(key)
    playlist = folder / "index.m3u8"
    playlist.write_text(playlist.read_text().replace(
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f'#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="key.bin",IV=0x{iv.hex()}'))
    for p in [folder, *folder.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return playlist
