"""paxel: a browser-integrated segmented download accelerator."""

__version__ = "0.1.0"

# The engine is imported lazily so `import paxel` (and `paxel --version`) stays cheap.
__all__ = ["Download", "DownloadOptions", "download"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from paxel import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'paxel' has no attribute {name!r}")
