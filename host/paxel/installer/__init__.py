"""Registering paxel's native host with browsers (`paxel install`, `uninstall`, `doctor`).

browsers      the table: manifest folders / registry keys per browser × OS × scope (pure)
manifest      manifest content, extension ids, validity checks (pure)
launcher      the absolute-path script a manifest points to (content is pure)
registry      the Windows registry seam: winreg, or an in-memory twin for tests
registration  plan (pure) → install / uninstall (files, keys, a record of what was created)
doctor        per-browser diagnosis, launching the host the way each browser does
local         this machine's platform, folders and registry
"""
