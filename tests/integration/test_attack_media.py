"""What a hostile or broken streaming server does to `paxel PLAYLIST` (issue 14's attack): error
pages in place of segments, live playlists that stall or go backwards, byte ranges past the end,
keys of the wrong size, names with path separators. Real nginx serving playlists written here
beside the ffmpeg-made fixtures (support/media.py), a real `paxel` process, ffprobe on the output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paxel.errors import ErrorCode
from support.faultserver import FaultServer
from support.media import FRAMES, check_output, probe
from support.nginx import Nginx
from support.tmpfs import tmpfs

pytestmark = pytest.mark.media
PAXEL = [sys.executable, "-m", "paxel"]
CLEAR = "hls/v240"          # 2-s segments (seg000.ts …), 240p with audio


def paxel(*args: str, timeout: float = 60,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAXEL, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def folder(media_root: Path) -> Path:
    """A fresh folder nginx serves (its workers run as nobody: world-readable)."""
    made = media_root / f"attack-{os.getpid()}-{time.monotonic_ns()}"
    made.mkdir()
    made.chmod(0o755)
    return made


def publish(where: Path, text: str, name: str = "index.m3u8") -> None:
    """Replace a file atomically (a live playlist is read while it is rewritten)."""
    tmp = where / (name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o644)
    tmp.replace(where / name)


def playlist(segments: list[str], *, sequence: int = 0, target: int = 2, end: bool = True,
             extra: str = "") -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:4", f"#EXT-X-TARGETDURATION:{target}",
             f"#EXT-X-MEDIA-SEQUENCE:{sequence}", *([extra] if extra else [])]
    for seg in segments:
        lines += ["#EXTINF:2.000000,", seg]
    return "\n".join([*lines, *(["#EXT-X-ENDLIST"] if end else [])]) + "\n"


def clear_segments(n: int = 4) -> list[str]:
    return [f"../{CLEAR}/seg{i:03}.ts" for i in range(n)]


def wait_recorded(work: Path, count: int, run: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Until the recording's resume state lists `count` pieces (a loaded machine starts paxel
    slowly: a playlist changed before it read the first one would test something else)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and run.poll() is None:
        try:
            if len(json.loads((work / "state.json").read_bytes())["done"]) >= count:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    pytest.fail(f"the recording never listed {count} pieces")


def video_frames(path: Path) -> int:
    streams = probe(path)["streams"]
    assert isinstance(streams, list)
    return int(next(s for s in streams if s["codec_type"] == "video")["nb_read_packets"])


@pytest.mark.parametrize(("name", "body", "says"), [
    # A CDN that answers an expired or rate-limited segment with an HTML page and status 200:
    # ffmpeg skips the garbage and makes a shorter file with exit 0.
    ("seg001.html", "<!DOCTYPE html><html><body><h1>Access denied</h1>Your session expired.</body></html>\n",
     "not media"),
    # A CDN whose origin lost a segment answers 200 with Content-Length: 0: no media is 0 bytes,
    # and ffmpeg would make a file 2 s short with exit 0.
    ("seg001.ts", "", "empty"),
], ids=["html-error-page", "empty-body"])
def test_a_segment_answered_200_with_no_media_is_never_muxed(media: Nginx, media_root: Path, tmp_path: Path,
                                                            name: str, body: str, says: str) -> None:
    """A segment answered 200 with something that is not media: paxel must refuse it, naming
    the segment, rather than mux a shorter file."""
    where = folder(media_root)
    publish(where, body, name)
    segs = clear_segments()
    segs[1] = name
    publish(where, playlist(segs))
    out = tmp_path / "out.mp4"
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q")
    assert done.returncode != 0, f"made a file of {video_frames(out)} frames of {FRAMES}"
    assert name in done.stderr and says in done.stderr, done.stderr
    assert not out.exists()


def test_a_live_playlist_that_stops_growing_ends_the_recording_with_what_it_has(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    """A live playlist that never gets EXT-X-ENDLIST and never grows (the encoder died): paxel used
    to re-read it forever. After STALL_TARGETS target durations without a new segment the
    recording ends and the file is made from what was recorded. The stall limit (8 targets, 8 s
    here) is shortened to 2.5 s (paxel.deadlines)."""
    stall = 2.5
    where = folder(media_root)
    publish(where, playlist(clear_segments(2), target=1, end=False))
    out = tmp_path / "live.mp4"
    started = time.monotonic()
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q", timeout=stall + 40,
                 env={**os.environ, "PAXEL_LIVE_STALL_S": str(stall)})
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= stall
    assert f"no new segment for {stall:g} s" in done.stderr, done.stderr
    check_output(out, 240, seconds=4)


def test_a_live_playlist_whose_media_sequence_goes_backwards_keeps_the_recorded_part(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    """The origin restarts and its playlist begins again at media sequence 0 with other segments:
    their names would clash with what is recorded (pieces are named by sequence). The recording
    ends with the part recorded so far, not a mix and not a hang."""
    where = folder(media_root)
    publish(where, playlist(clear_segments(3)[1:], sequence=5, target=1, end=False))
    out = tmp_path / "live.mp4"
    run = subprocess.Popen([*PAXEL, media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q"],
                           stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_recorded(tmp_path / "live.mp4.paxel-media", 2, run)
    publish(where, playlist(clear_segments(1), sequence=0, target=1, end=False))
    try:
        _, err = run.communicate(timeout=20)
    finally:
        run.kill()
    assert run.returncode == 0, err
    assert "went back" in err, err
    assert video_frames(out) == 2 * 2 * 25     # seg001 and seg002, not seg000 between or after


def test_a_key_of_15_bytes_is_refused_and_a_rerun_fetches_the_key_again(media: Nginx, media_root: Path,
                                                                         tmp_path: Path) -> None:
    """A key server that answers 15 bytes (a truncated key): a clear error; once it is mended,
    the same command must not reuse the bad key the first run kept for resuming."""
    where = folder(media_root)
    key = (media_root / "aes-seq" / "key.bin").read_bytes()
    publish(where, "", "key.bin")
    (where / "key.bin").write_bytes(key[:15])
    text = (media_root / "aes-seq" / "index.m3u8").read_text()
    text = text.replace('URI="key.bin"', 'URI="key.bin"').replace("\nseg", "\n../aes-seq/seg")
    publish(where, text)
    out = tmp_path / "out.mp4"
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q")
    assert done.returncode == 8, done.stderr
    assert "16 bytes" in done.stderr and "15" in done.stderr, done.stderr
    (where / "key.bin").write_bytes(key)
    again = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q")
    assert again.returncode == 0, again.stderr
    check_output(out, 240)


@pytest.mark.parametrize(("length", "past"), [(100, -12), (1000, 46_388)])   # from the file's end
def test_a_byte_range_past_the_end_of_the_file_is_an_error_not_a_short_segment(
        media: Nginx, media_root: Path, tmp_path: Path, length: int, past: int) -> None:
    """EXT-X-BYTERANGE beyond the resource (nginx: 416 from past the end, or a 206 cut at the end)."""
    where = folder(media_root)
    data = b"".join((media_root / CLEAR / f"seg{i:03}.ts").read_bytes() for i in range(4))
    spec = f"{length}@{len(data) + past}"
    (where / "all.ts").write_bytes(data)
    (where / "all.ts").chmod(0o644)
    publish(where, "\n".join(["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:2",
                               "#EXTINF:2.0,", "#EXT-X-BYTERANGE:1000@0", "all.ts",
                               "#EXTINF:2.0,", f"#EXT-X-BYTERANGE:{spec}", "all.ts", "#EXT-X-ENDLIST", ""]))
    out = tmp_path / "out.mp4"
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q")
    assert done.returncode != 0, done.stderr
    assert "all.ts" in done.stderr, done.stderr
    assert not out.exists()


@pytest.mark.parametrize("uri", ["file:///etc/passwd", "ftp://127.0.0.1/seg.ts", "gopher://127.0.0.1:70/x"])
def test_a_segment_uri_of_another_scheme_is_refused_before_anything_is_fetched(
        media: Nginx, media_root: Path, tmp_path: Path, uri: str) -> None:
    where = folder(media_root)
    segs = clear_segments()
    segs[2] = uri
    publish(where, playlist(segs))
    media.clear_log()
    out = tmp_path / "out.mp4"
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q")
    assert done.returncode != 0
    assert "http(s)" in done.stderr, done.stderr
    assert [line.request for line in media.log()] == [f"/files/{where.name}/index.m3u8"]
    assert not out.exists() and not list(tmp_path.iterdir())


def test_a_master_playlist_whose_variant_is_itself_is_a_clear_error(media: Nginx, media_root: Path,
                                                                      tmp_path: Path) -> None:
    where = folder(media_root)
    publish(where, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nindex.m3u8\n")
    media.clear_log()
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-d", str(tmp_path), "-q", timeout=30)
    assert done.returncode == 8, done.stderr
    assert "master playlist" in done.stderr, done.stderr
    assert len(media.log()) == 2


@pytest.mark.parametrize("name", ["disc/index.m3u8",      # muxed after the fetch (runs joined first)
                                  "hls/v240/index.m3u8"])  # muxed through pipes while fetching
def test_a_disk_that_fills_during_the_mux_is_a_disk_error_and_the_segments_stay(
        media: Nginx, tmp_path: Path, name: str) -> None:
    """The segments fit, the MP4 (or the runs joined for it) does not: the error says the
    disk is full (not that the server misbehaved), the fetched segments stay, and once there is
    room the same command makes the file without fetching a segment again."""
    fetched = sum(p.stat().st_size for p in (media.data / CLEAR).glob("seg*.ts"))   # (disc: as many)
    with tmpfs(tmp_path / "disk", f"size={fetched * 126 // 100 // 4096 * 4}k,mode=0755") as disk:
        out = disk / "out.mp4"
        done = paxel(media.url(name), "-o", str(out), "-q")
        assert done.returncode == ErrorCode.DISK, done.stderr
        assert "disk full" in done.stderr, done.stderr
        assert not out.exists()
        subprocess.run(["mount", "-o", f"remount,size={fetched * 4 // 1024}k", str(disk)], check=True,
                       capture_output=True)
        media.clear_log()
        again = paxel(media.url(name), "-o", str(out), "-q")
        assert again.returncode == 0, again.stderr
        check_output(out, 240)
        assert [p.name for p in disk.iterdir()] == ["out.mp4"]
        refetched = [line.request for line in media.log() if line.request.endswith(".ts")]
        assert len(refetched) <= 1, refetched     # at most the one that hit the full disk


def test_a_disk_that_fills_during_the_fetch_keeps_the_record_of_the_segments_it_has(
        media: Nginx, tmp_path: Path) -> None:
    """The segments themselves do not fit (the MP4 is made through pipes meanwhile): the error
    is DISK and the segments that are in stay recorded, so once there is room the same command
    fetches only the others. (A clean-clone run under load refetched 29 of 30 segments after a
    disk that filled with the MP4 unfinished: the final state was written while that MP4 still
    took the room: test_media_disk_after_fetch makes that order. This guards the record when the
    disk fills early.)"""
    fetched = sum(p.stat().st_size for p in (media.data / CLEAR).glob("seg*.ts"))
    with tmpfs(tmp_path / "disk", f"size={fetched * 60 // 100 // 4096 * 4}k,mode=0755") as disk:
        out = disk / "out.mp4"
        done = paxel(media.url(f"{CLEAR}/index.m3u8"), "-o", str(out), "-q")
        assert done.returncode == ErrorCode.DISK, done.stderr
        kept = [p for p in disk.glob("*.paxel-media/*.seg")]
        assert kept, "no segment stayed"
        subprocess.run(["mount", "-o", f"remount,size={fetched * 4 // 1024}k", str(disk)], check=True,
                       capture_output=True)
        media.clear_log()
        again = paxel(media.url(f"{CLEAR}/index.m3u8"), "-o", str(out), "-q")
        assert again.returncode == 0, again.stderr
        check_output(out, 240)
        refetched = [line.request for line in media.log() if line.request.endswith(".ts")]
        segments = len(list((media.data / CLEAR).glob("seg*.ts")))
        assert len(refetched) <= segments - len(kept) + 1, (len(kept), refetched)


def test_an_encrypted_mp4_behind_a_manifest_without_content_protection_is_refused(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    """A DASH manifest that leaves out its ContentProtection while its MP4 is CENC-encrypted
    (`encv` sample entries): ffmpeg 5.1 says "Invalid data found when processing input", exits 0
    and leaves a 262-byte MP4 without a stream, which paxel called saved."""
    where = folder(media_root)
    clear = where / "clear.ts"
    clear.write_bytes(b"".join((media_root / CLEAR / f"seg{i:03}.ts").read_bytes() for i in range(4)))
    key = "00112233445566778899aabbccddeeff"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(clear), "-map", "0:v",
                    "-c", "copy", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
                    "-encryption_scheme", "cenc-aes-ctr", "-encryption_key", key, "-encryption_kid", key,
                    str(where / "enc.mp4")], check=True, stdin=subprocess.DEVNULL)
    (where / "enc.mp4").chmod(0o644)
    publish(where, '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
                   'mediaPresentationDuration="PT8S"><Period><AdaptationSet contentType="video">'
                   '<Representation id="v" mimeType="video/mp4" bandwidth="150000" width="426" height="240">'
                   '<BaseURL>enc.mp4</BaseURL><SegmentBase indexRange="0-0"/></Representation>'
                   '</AdaptationSet></Period></MPD>\n', "manifest.mpd")
    out = tmp_path / "out.mp4"
    done = paxel(media.url(f"{where.name}/manifest.mpd"), "-o", str(out), "-q")
    assert done.returncode == 8, done.stderr
    assert "encrypted" in done.stderr or "DRM" in done.stderr, done.stderr
    assert not out.exists()


def _aes(data: bytes, key: bytes, iv: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padder.update(data) + padder.finalize()) + enc.finalize()


def test_fmp4_under_aes_128_decrypts_its_init_section_too(media: Nginx, media_root: Path,
                                                          tmp_path: Path) -> None:
    """RFC 8216 §4.3.2.5: an EXT-X-MAP under an AES-128 EXT-X-KEY is encrypted with it (its IV
    given); paxel decrypted only the segments and handed ffmpeg an encrypted init section."""
    where = folder(media_root)
    key, iv = bytes(range(16, 32)), bytes(15) + b"\x01"
    (where / "key.bin").write_bytes(key)
    names = ["init.mp4", *(f"seg{i:03}.m4s" for i in range(4))]
    for name in names:
        (where / name).write_bytes(_aes((media_root / "fmp4" / name).read_bytes(), key, iv))
    for p in where.iterdir():
        p.chmod(0o644)
    publish(where, "\n".join(["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2",
                              f'#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x{iv.hex()}',
                              '#EXT-X-MAP:URI="init.mp4"', *(f"#EXTINF:2.000000,\n{n}" for n in names[1:]),
                              "#EXT-X-ENDLIST", ""]))
    out = tmp_path / "out.mp4"
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    check_output(out, 240, seconds=8)


def test_a_live_segment_gone_before_it_is_fetched_is_skipped_not_the_end_of_the_recording(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    """A live window slides on while a fetch is slow (or the origin drops a segment): the segment
    answers 404. A recording is what could be recorded: it goes on without it and says so; the
    whole recording used to fail with no file (a VOD segment's 404 stays an error)."""
    where = folder(media_root)
    segs = clear_segments(2)
    publish(where, playlist([segs[0], "gone.ts", segs[1]], target=1, end=False))
    out = tmp_path / "live.mp4"
    run = subprocess.Popen([*PAXEL, media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q"],
                           stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_recorded(tmp_path / "live.mp4.paxel-media", 2, run)   # (written once the 404 is in)
    publish(where, playlist([segs[0], "gone.ts", segs[1]], target=1, end=True))
    try:
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 0, err
    assert "gone.ts" in err and "skipped" in err, err
    check_output(out, 240, seconds=4)


def test_a_live_recording_killed_and_run_again_keeps_what_it_had_recorded(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    """kill -9 during a live recording, the window slides on meanwhile, the same command again:
    the segments recorded before the kill are no longer in the playlist, and the rerun deleted
    them as strangers (the file had only what came after). A recording resumes like any download."""
    where = folder(media_root)
    segs = clear_segments(4)
    publish(where, playlist(segs[:2], target=1, end=False))
    out = tmp_path / "live.mp4"
    work = tmp_path / "live.mp4.paxel-media"
    run = subprocess.Popen([*PAXEL, media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q"],
                           stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_recorded(work, 2, run)
        assert run.poll() is None
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    finally:
        run.kill()
    publish(where, playlist(segs[2:], sequence=2, target=1, end=True))   # the window slid on
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    check_output(out, 240, seconds=8)


def test_a_segment_that_changes_while_it_is_fetched_is_taken_whole_from_one_answer(
        media: Nginx, media_root: Path, faultserver: FaultServer, tmp_path: Path) -> None:
    """The first answer for a segment dies after 50 KB and the retry gets other bytes (the CDN
    swapped the object): the piece must be the second answer whole, never 50 KB of the first
    followed by the rest of the second (no ffmpeg: the .ts is the pieces' bytes, compared)."""
    a = faultserver.url("a.ts", size=188 * 1064, drop=50_000, change_after=1, seed=71, ts=1)
    b = faultserver.url("b.ts", size=188 * 532, seed=72, ts=1)
    where = folder(media_root)
    publish(where, playlist([a, b]))
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    done = paxel(media.url(f"{where.name}/index.m3u8"), "-d", str(tmp_path / "out"), "-q", env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "index.ts").read_bytes() == faultserver.content(a, 1) + faultserver.content(b)
    assert len([r for r in faultserver.requests("GET") if r.path.endswith("a.ts")]) == 2


def test_segments_on_another_host_get_that_hosts_cookies_and_only_those(
        media: Nginx, media_root: Path, tmp_path: Path) -> None:
    """A playlist on one host whose segments are on a CDN that checks its own cookie (nginx's
    /private/). A browser sends each host its own cookies, never host A's to host B: so must paxel.
    The CDN's segments used to go without any cookie (403), because only the playlist's host got
    credentials, even those the cookies file gives for the CDN."""
    from support.nginx import PRIVATE_COOKIE

    where = folder(media_root)
    cdn = f"http://127.0.0.1:{media.port}/private/{CLEAR}"
    publish(where, playlist([f"{cdn}/seg{i:03}.ts" for i in range(4)]))
    name, value = PRIVATE_COOKIE
    jar = tmp_path / "cookies.txt"
    jar.write_text("# Netscape HTTP Cookie File\n"
                   f"127.0.0.1\tFALSE\t/\tFALSE\t0\t{name}\t{value}\n"
                   f"localhost\tFALSE\t/\tFALSE\t0\tpage\tPAGESECRET\n")
    media.clear_log()
    out = tmp_path / "out.mp4"
    done = paxel(f"http://localhost:{media.port}/files/{where.name}/index.m3u8", "-o", str(out), "-q",
                 "--cookies", str(jar))
    assert done.returncode == 0, done.stderr
    check_output(out, 240, seconds=8)
    log = media.log()
    segments = [line for line in log if line.request.startswith("/private/")]
    assert len(segments) == 4 and all(line.cookie == f"{name}={value}" for line in segments), segments
    listed = [line for line in log if line.request.endswith("index.m3u8")]
    assert listed and all(line.cookie == "page=PAGESECRET" for line in listed), listed
