"""Media streams (HLS, DASH) as one file: a job type over the engine's connection workers.

    from paxel.media.job import MediaJob
    result = MediaJob(DownloadOptions(url, folder=...), max_height=720).run()

Modules: `model` (values), `hls` / `dash` (playlists → values), `select` (variant choice),
`plan` (pieces, resume state), `crypto` (AES-128), `mux` (ffmpeg), `detect` (is it a playlist),
`job` (the whole). See docs/media.md. This file imports nothing heavy: `paxel URL` checks
`detect` on every download, and the playlist and cipher libraries load only for a stream.
"""
