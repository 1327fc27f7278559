"""Fixed per-OS user folders, so installer layouts are checked for every platform on this machine."""

from paxel.installer.browsers import Places

LINUX = Places("linux", home="/home/u", config="/home/u/.config", paxel_data="/home/u/.local/share/paxel")
MAC = Places("darwin", home="/Users/u", paxel_data="/Users/u/Library/Application Support/paxel")
WIN = Places(
    "win32",
    home=r"C:\Users\u",
    appdata=r"C:\Users\u\AppData\Roaming",
    localappdata=r"C:\Users\u\AppData\Local",
    paxel_data=r"C:\Users\u\AppData\Local\paxel",
)
PLACES = {"linux": LINUX, "darwin": MAC, "win32": WIN}
