"""Media benchmark (issue 14): a 720p HLS stream at a realistic bitrate, served by nginx with a
per-connection cap, fetched into one MP4 by paxel, `ffmpeg -i URL -c copy` (one connection) and
`yt-dlp -N 16` (concurrent fragments), interleaved round by round; every output is checked with
ffprobe (one 720p video stream with every frame of the source, the audio, the duration).

    .venv/bin/pip install yt-dlp          # the bench's comparison only, not a paxel dependency
    .venv/bin/python bench/media.py [--rounds 3] [--seconds 120] [--rate 2m] [-n 16]

The stream (lavfi testsrc2 + sine, 1280x720 25 fps, x264 CBR 4 Mbit/s with filler so the bytes
are what a real 4 Mbit/s stream sends, AAC 128k, 2-s segments, MPEG-TS) is made once and kept
in /dev/shm (or $TMPDIR) under a name with its parameters. CPU seconds are the child's user+sys
(os.wait4), so ffmpeg's mux counts for paxel and yt-dlp alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))

from timing import run_timed  # noqa: E402 - bench/, the script's own folder

from support.nginx import Nginx  # noqa: E402 - the tests' nginx, shared on purpose

FPS = 25
PY = sys.executable
YTDLP = str(Path(sys.executable).with_name("yt-dlp"))


def make_stream(folder: Path, seconds: int, bitrate: str) -> None:
    """The HLS fixture (kept between runs: encoding 2 minutes of 720p takes a while)."""
    if (folder / "index.m3u8").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent))
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate={FPS}:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * FPS), "-keyint_min", str(2 * FPS),
         "-sc_threshold", "0", "-pix_fmt", "yuv420p",
         "-b:v", bitrate, "-minrate", bitrate, "-maxrate", bitrate, "-bufsize", bitrate,
         "-x264-params", "nal-hrd=cbr:force-cfr=1", "-c:a", "aac", "-b:a", "128k",
         "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%04d.ts",
         "index.m3u8"], cwd=tmp, check=True, stdin=subprocess.DEVNULL)
    for p in tmp.iterdir():
        p.chmod(0o644)
        p.replace(folder / p.name)
    tmp.rmdir()


def probe(path: Path) -> dict[str, object]:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-show_entries",
                          "format=duration:stream=codec_type,height,nb_read_packets",
                          "-of", "json", str(path)],
                         check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(out)
    return result


def validate(path: Path, seconds: int) -> None:
    info = probe(path)
    streams = info["streams"]
    assert isinstance(streams, list)
    video = [s for s in streams if s["codec_type"] == "video"]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    fmt = info["format"]
    assert isinstance(fmt, dict)
    problems = []
    if len(video) != 1 or video[0]["height"] != 720:
        problems.append(f"video streams {video}")
    elif int(video[0]["nb_read_packets"]) != seconds * FPS:
        problems.append(f"{video[0]['nb_read_packets']} frames, want {seconds * FPS}")
    if len(audio) != 1:
        problems.append(f"audio streams {audio}")
    if abs(float(fmt["duration"]) - seconds) > 0.5:
        problems.append(f"duration {fmt['duration']}")
    if problems:
        raise RuntimeError(f"{path}: {'; '.join(problems)}")


def timed(argv: list[str], out: Path, seconds: int, timeout: float = 300) -> tuple[float, float]:
    """Run a tool to completion: (wall s, CPU s of it and its children), output validated."""
    wall, cpu, code, err = run_timed(argv, timeout, stdin=subprocess.DEVNULL)
    if code != 0:
        raise RuntimeError(f"{argv[:3]} exited {code}: {err.strip()[-500:]}")
    validate(out, seconds)
    return wall, cpu


def tools(url: str, out: Path, n: int) -> dict[str, list[str]]:
    return {
        "paxel": [PY, "-m", "paxel", url, "-o", str(out), "-n", str(n), "-q"],
        "ffmpeg -c copy": ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", url,
                           "-c", "copy", str(out)],
        f"yt-dlp -N {n}": [YTDLP, "--ignore-config", "--no-cache-dir", "--no-part", "--no-mtime", "-q",
                           "--no-progress", "-N", str(n), "-o", str(out), url],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--bitrate", default="4M", help="video bitrate (x264 CBR)")
    ap.add_argument("--rate", default="2m", help="nginx limit_rate per connection")
    ap.add_argument("-n", type=int, default=16, help="connections for paxel and yt-dlp")
    args = ap.parse_args(argv)
    if not Path(YTDLP).exists():
        print(f"yt-dlp not found at {YTDLP}: .venv/bin/pip install yt-dlp", file=sys.stderr)
        return 2
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    www = base / "paxel-bench-media"
    stream = www / f"hls-720p-{args.seconds}s-{args.bitrate}"
    make_stream(stream, args.seconds, args.bitrate)
    for d in (base, www):
        if d == www:
            d.chmod(0o755)
    size = sum(p.stat().st_size for p in stream.glob("*.ts"))
    server = Nginx(rate=args.rate, root=www)
    work = Path(tempfile.mkdtemp(prefix="paxel-bench-media-out-", dir=base))
    url = server.url(f"{stream.name}/index.m3u8", "capped")
    results: dict[str, list[tuple[float, float]]] = {}
    try:
        subprocess.run([PY, "-m", "compileall", "-q", str(TOP / "host" / "paxel")], check=False)
        for r in range(args.rounds):
            for name, cmd in tools(url, work / "out.mp4", args.n).items():
                (work / "out.mp4").unlink(missing_ok=True)
                wall, cpu = timed(cmd, work / "out.mp4", args.seconds)
                results.setdefault(name, []).append((wall, cpu))
                print(f"round {r + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    mbit = size * 8 / args.seconds / 1e6
    print(f"\n#### HLS 720p, {args.seconds} s, {size / 2**20:.1f} MiB ({mbit:.1f} Mbit/s), 2-s segments, "
          f"nginx limit_rate {args.rate} per connection, {args.rounds} interleaved rounds (medians)\n")
    print("| tool | wall s | CPU s | wall ÷ yt-dlp |")
    print("|---|---:|---:|---:|")
    ytdlp = statistics.median(w for w, _ in results[f"yt-dlp -N {args.n}"])
    for name, samples in results.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / ytdlp:.2f} |")
    paxel = statistics.median(w for w, _ in results["paxel"])
    verdict = "met" if paxel / ytdlp <= 0.6 else "NOT met"
    print(f"\npaxel ÷ yt-dlp = {paxel / ytdlp:.2f} (target ≤ 0.6: {verdict}); "
          f"every output validated with ffprobe ({args.seconds * FPS} frames, 720p, audio, duration)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
