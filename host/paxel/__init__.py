"""paxel: a browser-integrated segmented download accelerator."""

__version__ = "0.1.0"
