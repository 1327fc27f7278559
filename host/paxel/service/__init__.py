"""The per-user paxel service: queue, store, scheduler, IPC (see server.py)."""
