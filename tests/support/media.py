"""Media fixtures made by the system's ffmpeg (lavfi test picture + sine tone), written once per
test session into a folder nginx serves, and ffprobe helpers to check what paxel made.

Every variant is SECONDS (60) long at FPS frames per second with a keyframe every 2 s, so each cut is
exact and a correct download has exactly SECONDS*FPS video frames. Layout under the root:

  hls/master.m3u8        two variants (240p, 144p) of MPEG-TS, 2-s segments
  hls/v240/index.m3u8 …  the variants' media playlists
  aes/index.m3u8         AES-128 made by ffmpeg (key aes/key.bin, IV=0 in the playlist)
  aes-seq/index.m3u8     hls/v240's segments AES-128-encrypted here, no IV given: IV = media sequence
  disc/index.m3u8        hls/v240's first half twice, with EXT-X-DISCONTINUITY between
  short/index.m3u8       hls/v240's first 4 segments (8 s): tests that pause or kill at a slow rate
  alt/master.m3u8        a video-only variant with its audio as an EXT-X-MEDIA rendition
  fmp4/index.m3u8        fMP4 segments with an EXT-X-MAP init section
  range/index.m3u8       one file addressed with EXT-X-BYTERANGE
  dash/manifest.mpd      separate audio and video, SegmentTemplate + SegmentTimeline
  dashnum/manifest.mpd   the same with $Number$ and a fixed duration
  dashlist/manifest.mpd  one file per representation, SegmentList with mediaRange
  dashbase/manifest.mpd  the same files as SegmentBase (each fetched whole)
  drm/*.m3u8, drm/*.mpd  DRM-flagged copies (FairPlay key format, SAMPLE-AES, ContentProtection)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

SECONDS = 60
FPS = 25
FRAMES = SECONDS * FPS
AES_KEY = bytes(range(16))

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
FFPROBE = shutil.which("ffprobe") or "ffprobe"


def _ff(*args: str, cwd: Path) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL)


def _source(height: int, seconds: int = SECONDS, fps: int = FPS, bitrate: str | None = None) -> list[str]:
    width = height * 16 // 9 // 2 * 2
    video = ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * fps), "-keyint_min", str(2 * fps),
             "-sc_threshold", "0", "-pix_fmt", "yuv420p"]
    if bitrate:
        video += ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate]
    return ["-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate={fps}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            *video, "-c:a", "aac", "-b:a", "64k", "-shortest"]


HLS_VOD = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"]


def encode_source(path: Path, height: int) -> None:
    """One encode per picture size; every variant is cut from it with `-c copy` (the keyframes
    every 2 s make each cut exact), so a minute of fixtures costs two encodes, not a dozen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _ff(*_source(height), str(path), cwd=path.parent)


def make_hls_variant(folder: Path, height: int, extra: list[str] | None = None, seconds: int = SECONDS,
                     bitrate: str | None = None, source: Path | None = None) -> None:
    """An HLS VOD variant in `folder`: cut from `source` without re-encoding when given, else
    encoded here (the benchmark's own sizes and bitrates)."""
    folder.mkdir(parents=True, exist_ok=True)
    given = ["-i", str(source), "-c", "copy"] if source else _source(height, seconds, bitrate=bitrate)
    _ff(*given, *HLS_VOD, *(extra or []),
        "-hls_segment_filename", "seg%03d" + (".m4s" if extra and "fmp4" in extra else ".ts"),
        "index.m3u8", cwd=folder)


def _encrypt_by_sequence(clear: Path, folder: Path, first_sequence: int) -> None:
    """AES-128 segments whose IV is their media sequence number and a playlist that gives no IV
    (ffmpeg 5.1 always writes IV=0 for every segment, so this path needs its own fixture)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    folder.mkdir()
    (folder / "key.bin").write_bytes(AES_KEY)
    lines = (clear / "index.m3u8").read_text().splitlines()
    out, n = [], first_sequence
    for line in lines:
        if line.startswith("#EXT-X-MEDIA-SEQUENCE"):
            line = f"#EXT-X-MEDIA-SEQUENCE:{first_sequence}"
        elif line.startswith("#EXT-X-PLAYLIST-TYPE"):
            out.append(line)
            line = '#EXT-X-KEY:METHOD=AES-128,URI="key.bin"'
        elif line.endswith(".ts"):
            padder = padding.PKCS7(128).padder()
            data = padder.update((clear / line).read_bytes()) + padder.finalize()
            enc = Cipher(algorithms.AES(AES_KEY), modes.CBC(n.to_bytes(16, "big"))).encryptor()
            (folder / line).write_bytes(enc.update(data) + enc.finalize())
            n += 1
        out.append(line)
    (folder / "index.m3u8").write_text("\n".join(out) + "\n")


def make_fixtures(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    src = {h: root / "src" / f"{h}.mp4" for h in (240, 144)}
    for h, path in src.items():
        encode_source(path, h)
    hls = root / "hls"
    for h in (240, 144):
        make_hls_variant(hls / f"v{h}", h, source=src[h])
    (hls / "master.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=256x144,CODECS="avc1.42c00c,mp4a.40.2"\nv144/index.m3u8\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=426x240,CODECS="avc1.42c015,mp4a.40.2"\nv240/index.m3u8\n')
    aes = root / "aes"
    aes.mkdir()
    (aes / "key.bin").write_bytes(AES_KEY)
    (aes / "keyinfo").write_text("key.bin\nkey.bin\n")   # no IV line: IV = media sequence number
    make_hls_variant(aes, 240, ["-hls_key_info_file", "keyinfo"], source=src[240])
    _encrypt_by_sequence(hls / "v240", root / "aes-seq", first_sequence=7)
    disc = root / "disc"          # the first half twice, the second run's timestamps starting again
    disc.mkdir()
    half = [f"#EXTINF:2.000000,\n../hls/v240/seg{i:03}.ts" for i in range(SECONDS // 4)]
    (disc / "index.m3u8").write_text("\n".join(["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2",
                                                "#EXT-X-PLAYLIST-TYPE:VOD", *half, "#EXT-X-DISCONTINUITY",
                                                *half, "#EXT-X-ENDLIST"]) + "\n")
    short = root / "short"        # the first 8 s: for tests that pause or kill at a slow rate
    short.mkdir()
    head = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"]
    (short / "index.m3u8").write_text("\n".join([*head, *half[:4], "#EXT-X-ENDLIST"]) + "\n")
    alt = root / "alt"            # video-only variant + an EXT-X-MEDIA audio rendition
    make_hls_variant(alt / "video", 240, ["-an"], source=src[240])
    make_hls_variant(alt / "audio", 240, ["-vn"], source=src[240])
    (alt / "master.m3u8").write_text(
        "#EXTM3U\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="main",DEFAULT=YES,AUTOSELECT=YES,URI="audio/index.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=426x240,AUDIO="aud"\nvideo/index.m3u8\n')
    make_hls_variant(root / "fmp4", 240, ["-hls_segment_type", "fmp4"], source=src[240])
    rng = root / "range"
    rng.mkdir()
    copy = ["-i", str(src[240]), "-c", "copy"]
    _ff(*copy, *HLS_VOD, "-hls_flags", "single_file", "index.m3u8", cwd=rng)
    for name, timeline in (("dash", "1"), ("dashnum", "0")):
        d = root / name
        d.mkdir()
        _ff(*copy, "-map", "0:v", "-map", "0:a", "-f", "dash", "-seg_duration", "2",
            "-use_template", "1", "-use_timeline", timeline,
            "-adaptation_sets", "id=0,streams=v id=1,streams=a",
            "manifest.mpd", cwd=d)
    dl = root / "dashlist"        # one file per representation: SegmentList with mediaRange
    dl.mkdir()
    _ff(*copy, "-map", "0:v", "-map", "0:a", "-f", "dash", "-seg_duration", "2",
        "-use_template", "0", "-use_timeline", "0", "-single_file", "1",
        "-adaptation_sets", "id=0,streams=v id=1,streams=a", "manifest.mpd", cwd=dl)
    db = root / "dashbase"        # the same files as SegmentBase (each representation one file)
    db.mkdir()
    listed = (dl / "manifest.mpd").read_text()
    based = re.sub(r"<SegmentList.*?</SegmentList>", '<SegmentBase indexRange="0-0"/>', listed, flags=re.S)
    (db / "manifest.mpd").write_text(based.replace("<BaseURL>", "<BaseURL>../dashlist/"))
    drm = root / "drm"
    drm.mkdir()
    clear = (hls / "v240" / "index.m3u8").read_text()
    for name, key in (
            ("fairplay.m3u8", '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key",KEYFORMAT="com.apple.streamingkeydelivery",'
                              'KEYFORMATVERSIONS="1"'),
            ("widevine.m3u8", '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="data:text/plain;base64,AAAA",'
                              'KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"'),
            ("sample-aes.m3u8", '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="../aes/key.bin"')):
        text = clear.replace("#EXTINF", key + "\n#EXTINF", 1).replace("seg", "../hls/v240/seg")
        (drm / name).write_text(text)
    mpd = (root / "dash" / "manifest.mpd").read_text()
    (drm / "cenc.mpd").write_text(mpd.replace(
        "<Representation ", '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"/>'
        "\n<Representation ", 1).replace('media="', 'media="../dash/')
        .replace('initialization="', 'initialization="../dash/'))
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    root.chmod(0o755)


def probe(path: Path) -> dict[str, object]:
    """ffprobe's view: format duration, and per stream its type, size and packet count."""
    out = subprocess.run([FFPROBE, "-v", "error", "-count_packets", "-show_entries",
                          "format=duration,format_name:stream=codec_type,width,height,nb_read_packets",
                          "-of", "json", str(path)], check=True, capture_output=True, text=True).stdout
    data: dict[str, object] = json.loads(out)
    return data


def check_output(path: Path, height: int, audio: bool = True, seconds: float = SECONDS) -> None:
    """The file plays as the source did: the streams, the picture size, every frame, the length."""
    info = probe(path)
    streams = info["streams"]
    assert isinstance(streams, list)
    video = [s for s in streams if s["codec_type"] == "video"]
    sound = [s for s in streams if s["codec_type"] == "audio"]
    assert len(video) == 1, streams
    assert len(sound) == (1 if audio else 0), streams
    assert video[0]["height"] == height
    assert int(video[0]["nb_read_packets"]) == round(seconds * FPS), video[0]
    fmt = info["format"]
    assert isinstance(fmt, dict)
    assert abs(float(fmt["duration"]) - seconds) < 0.2, fmt
