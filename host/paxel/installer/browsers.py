"""Where each browser looks for native messaging host manifests: a data table, no I/O.

Every location is a template over a few base folders (`Places`), so the same table yields the
Linux, macOS and Windows layouts on any machine; tests pass the platform as a parameter.

Sources (the `# doc:` comments name which one each row follows):
  chrome    https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging#native-messaging-host-location
  edge      https://learn.microsoft.com/microsoft-edge/extensions-chromium/developer-guide/native-messaging
  mdn       https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/Native_manifests#manifest_location
  opera     https://dev.opera.com/extensions/message-passing/ (Opera on Windows reads Chrome's key)
  keepassxc keepassxc src/browser/NativeMessageInstaller.cpp (Brave/Vivaldi on Windows read Chrome's key)
  browserpass browserpass-native Makefile (Brave/Vivaldi folders, tested by its users)
  librewolf https://librewolf.net/docs/faq/ (its own ~/.librewolf folder since 2022)
  waterfox  BrowserWorks/waterfox issue 3241 (~/.waterfox/native-messaging-hosts)
Chromium-family user folders are `<user data dir>/NativeMessagingHosts`; on Linux the user data
dir honours $XDG_CONFIG_HOME. On Windows every browser reads a registry key whose default value
is the manifest's path; the manifest itself lives in paxel's own data folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Literal

Platform = Literal["linux", "darwin", "win32"]
Scope = Literal["user", "system"]
PLATFORMS: tuple[Platform, ...] = ("linux", "darwin", "win32")


class Family(StrEnum):
    """Decides the manifest's shape: `allowed_origins` (Chromium) or `allowed_extensions` (Firefox)."""

    CHROMIUM = "chromium"
    FIREFOX = "firefox"


@dataclass(frozen=True)
class Places:
    """The base folders the templates refer to, for one user on one platform.

    home, config (Linux $XDG_CONFIG_HOME), appdata/localappdata (Windows %APPDATA%,
    %LOCALAPPDATA%), paxel_data (paxel's data folder for this scope: launcher, Windows manifests).
    """

    platform: Platform
    home: str
    config: str = ""
    appdata: str = ""
    localappdata: str = ""
    paxel_data: str = ""

    def path(self, template: str) -> PurePath:
        """Expand `{home}`-style fields and build a path of this platform's flavour."""
        text = template.format(
            home=self.home,
            config=self.config,
            appdata=self.appdata,
            localappdata=self.localappdata,
            paxel_data=self.paxel_data,
        )
        return PureWindowsPath(text) if self.platform == "win32" else PurePosixPath(text)


@dataclass(frozen=True)
class Browser:
    """One row of the table. `dirs[(platform, scope)]` lists manifest folders (Linux, macOS);
    `registry` lists keys under HKCU/HKLM (Windows); `detect` lists folders whose presence means
    the browser is (or was) installed; `executables` are looked up on PATH (Linux)."""

    name: str
    label: str
    family: Family
    dirs: Mapping[tuple[Platform, Scope], tuple[str, ...]]
    registry: tuple[str, ...]
    detect: Mapping[Platform, tuple[str, ...]]
    executables: tuple[str, ...] = ()
    flatpak: tuple[str, ...] = ()
    snap: tuple[str, ...] = ()

    def manifest_dirs(self, places: Places, scope: Scope) -> list[PurePath]:
        return [places.path(t) for t in self.dirs.get((places.platform, scope), ())]


CHROME_KEY = r"Software\Google\Chrome\NativeMessagingHosts"
MAC = "{home}/Library/Application Support"

BROWSERS: tuple[Browser, ...] = (
    Browser(
        "chrome",
        "Google Chrome",
        Family.CHROMIUM,
        dirs={  # doc: chrome
            ("linux", "user"): ("{config}/google-chrome/NativeMessagingHosts",),
            ("linux", "system"): ("/etc/opt/chrome/native-messaging-hosts",),
            ("darwin", "user"): (f"{MAC}/Google/Chrome/NativeMessagingHosts",),
            ("darwin", "system"): ("/Library/Google/Chrome/NativeMessagingHosts",),
        },
        registry=(CHROME_KEY,),
        detect={
            "linux": ("{config}/google-chrome", "/opt/google/chrome"),
            "darwin": ("/Applications/Google Chrome.app", f"{MAC}/Google/Chrome"),
            "win32": (r"{localappdata}\Google\Chrome\User Data",),
        },
        executables=("google-chrome", "google-chrome-stable"),
        flatpak=("com.google.Chrome",),
    ),
    Browser(
        "chromium",
        "Chromium",
        Family.CHROMIUM,
        dirs={  # doc: chrome
            ("linux", "user"): ("{config}/chromium/NativeMessagingHosts",),
            ("linux", "system"): ("/etc/chromium/native-messaging-hosts",),
            ("darwin", "user"): (f"{MAC}/Chromium/NativeMessagingHosts",),
            ("darwin", "system"): ("/Library/Application Support/Chromium/NativeMessagingHosts",),
        },
        # doc: keepassxc (Chromium builds read their own product key, not Chrome's)
        registry=(r"Software\Chromium\NativeMessagingHosts",),
        detect={
            "linux": ("{config}/chromium",),
            "darwin": ("/Applications/Chromium.app", f"{MAC}/Chromium"),
            "win32": (r"{localappdata}\Chromium\User Data",),
        },
        executables=("chromium", "chromium-browser"),
        flatpak=("org.chromium.Chromium",),
        snap=("chromium",),
    ),
    Browser(
        "edge",
        "Microsoft Edge",
        Family.CHROMIUM,
        dirs={  # doc: edge
            ("linux", "user"): ("{config}/microsoft-edge/NativeMessagingHosts",),
            ("linux", "system"): ("/etc/opt/edge/native-messaging-hosts",),
            ("darwin", "user"): (f"{MAC}/Microsoft Edge/NativeMessagingHosts",),
            ("darwin", "system"): ("/Library/Microsoft/Edge/NativeMessagingHosts",),
        },
        registry=(r"Software\Microsoft\Edge\NativeMessagingHosts",),  # doc: edge
        detect={
            "linux": ("{config}/microsoft-edge", "/opt/microsoft/msedge"),
            "darwin": ("/Applications/Microsoft Edge.app", f"{MAC}/Microsoft Edge"),
            "win32": (r"{localappdata}\Microsoft\Edge\User Data",),
        },
        executables=("microsoft-edge", "microsoft-edge-stable"),
        flatpak=("com.microsoft.Edge",),
    ),
    Browser(
        "brave",
        "Brave",
        Family.CHROMIUM,
        dirs={  # doc: browserpass; packagers disagree on the system folder, so both are written
            ("linux", "user"): ("{config}/BraveSoftware/Brave-Browser/NativeMessagingHosts",),
            ("linux", "system"): (
                "/etc/opt/brave/native-messaging-hosts",
                "/etc/brave/native-messaging-hosts",
            ),
            ("darwin", "user"): (f"{MAC}/BraveSoftware/Brave-Browser/NativeMessagingHosts",),
            ("darwin", "system"): (
                "/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
            ),
        },
        # doc: keepassxc uses Chrome's key; Brave's own product key is written too.
        registry=(CHROME_KEY, r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts"),
        detect={
            "linux": ("{config}/BraveSoftware/Brave-Browser", "/opt/brave.com/brave"),
            "darwin": ("/Applications/Brave Browser.app", f"{MAC}/BraveSoftware/Brave-Browser"),
            "win32": (r"{localappdata}\BraveSoftware\Brave-Browser\User Data",),
        },
        executables=("brave-browser", "brave"),
        flatpak=("com.brave.Browser",),
        snap=("brave",),
    ),
    Browser(
        "vivaldi",
        "Vivaldi",
        Family.CHROMIUM,
        dirs={  # doc: browserpass
            ("linux", "user"): ("{config}/vivaldi/NativeMessagingHosts",),
            ("linux", "system"): ("/etc/opt/vivaldi/native-messaging-hosts",),
            ("darwin", "user"): (f"{MAC}/Vivaldi/NativeMessagingHosts",),
            ("darwin", "system"): ("/Library/Application Support/Vivaldi/NativeMessagingHosts",),
        },
        registry=(CHROME_KEY,),  # doc: keepassxc
        detect={
            "linux": ("{config}/vivaldi", "/opt/vivaldi"),
            "darwin": ("/Applications/Vivaldi.app", f"{MAC}/Vivaldi"),
            "win32": (r"{localappdata}\Vivaldi\User Data",),
        },
        executables=("vivaldi", "vivaldi-stable"),
        flatpak=("com.vivaldi.Vivaldi",),
    ),
    Browser(
        "opera",
        "Opera",
        Family.CHROMIUM,
        dirs={  # user data dirs of Opera; no documented system-wide folder on Linux/macOS
            ("linux", "user"): ("{config}/opera/NativeMessagingHosts",),
            ("darwin", "user"): (f"{MAC}/com.operasoftware.Opera/NativeMessagingHosts",),
        },
        registry=(CHROME_KEY,),  # doc: opera
        detect={
            "linux": ("{config}/opera", "/usr/lib/x86_64-linux-gnu/opera"),
            "darwin": ("/Applications/Opera.app", f"{MAC}/com.operasoftware.Opera"),
            "win32": (r"{appdata}\Opera Software\Opera Stable",),
        },
        executables=("opera",),
        flatpak=("com.opera.Opera",),
        snap=("opera",),
    ),
    Browser(
        "firefox",
        "Firefox",
        Family.FIREFOX,
        dirs={  # doc: mdn (a custom profile does not move the folder; Fedora reads lib64)
            ("linux", "user"): ("{home}/.mozilla/native-messaging-hosts",),
            ("linux", "system"): (
                "/usr/lib/mozilla/native-messaging-hosts",
                "/usr/lib64/mozilla/native-messaging-hosts",
            ),
            ("darwin", "user"): (f"{MAC}/Mozilla/NativeMessagingHosts",),
            ("darwin", "system"): ("/Library/Application Support/Mozilla/NativeMessagingHosts",),
        },
        registry=(r"Software\Mozilla\NativeMessagingHosts",),  # doc: mdn
        detect={
            "linux": ("{home}/.mozilla/firefox",),
            "darwin": ("/Applications/Firefox.app", f"{MAC}/Firefox"),
            "win32": (r"{appdata}\Mozilla\Firefox",),
        },
        executables=("firefox", "firefox-esr"),
        flatpak=("org.mozilla.firefox",),
        snap=("firefox",),
    ),
    Browser(
        "librewolf",
        "LibreWolf",
        Family.FIREFOX,
        dirs={  # doc: librewolf
            ("linux", "user"): ("{home}/.librewolf/native-messaging-hosts",),
            ("linux", "system"): ("/usr/lib/librewolf/native-messaging-hosts",),
            ("darwin", "user"): (f"{MAC}/LibreWolf/NativeMessagingHosts",),
            ("darwin", "system"): ("/Library/Application Support/LibreWolf/NativeMessagingHosts",),
        },
        registry=(r"Software\LibreWolf\NativeMessagingHosts",),  # doc: passff-host install_host_app.bat
        detect={
            "linux": ("{home}/.librewolf",),
            "darwin": ("/Applications/LibreWolf.app", f"{MAC}/librewolf"),
            "win32": (r"{appdata}\librewolf",),
        },
        executables=("librewolf",),
        flatpak=("io.gitlab.librewolf-community",),
    ),
    Browser(
        "waterfox",
        "Waterfox",
        Family.FIREFOX,
        dirs={  # doc: waterfox (no documented system-wide folder)
            ("linux", "user"): ("{home}/.waterfox/native-messaging-hosts",),
            ("darwin", "user"): (f"{MAC}/Waterfox/NativeMessagingHosts",),
        },
        registry=(r"Software\Waterfox\NativeMessagingHosts",),
        detect={
            "linux": ("{home}/.waterfox",),
            "darwin": ("/Applications/Waterfox.app", f"{MAC}/Waterfox"),
            "win32": (r"{appdata}\Waterfox",),
        },
        executables=("waterfox",),
        flatpak=("net.waterfox.waterfox",),
    ),
)

BY_NAME: dict[str, Browser] = {b.name: b for b in BROWSERS}


@dataclass(frozen=True)
class Trap:
    """A sandboxed install of a browser that cannot start paxel's host as installed."""

    kind: Literal["flatpak", "snap"]
    where: str
    message: str
    fix: str


@dataclass(frozen=True)
class Detection:
    installed: bool
    evidence: tuple[str, ...]
    traps: tuple[Trap, ...]


FLATPAK_FIX = (
    "install {label} from your distribution's packages or the vendor's .deb/.rpm (paxel then works "
    "as is), or give the Flatpak a way out: `flatpak override --user --talk-name=org.freedesktop.Flatpak "
    "{app}` and point the manifest at a script running `flatpak-spawn --host` + the launcher "
    "(see docs/install.md)"
)
SNAP_FIX = (
    "install {label} from the vendor's .deb (or your distribution's non-snap package); snap "
    "confinement only lets it start hosts through the desktop portal where the system supports it"
)


def detect(
    browser: Browser,
    places: Places,
    exists: Callable[[PurePath], bool],
    which: Callable[[str], str | None],
) -> Detection:
    """Is `browser` installed? Probes are passed in, so this runs for any platform anywhere."""
    evidence: list[str] = []
    for template in browser.detect.get(places.platform, ()):
        path = places.path(template)
        if exists(path):
            evidence.append(str(path))
    traps: list[Trap] = []
    if places.platform == "linux":
        for exe in browser.executables:
            found = which(exe)
            if found and not found.startswith("/snap/"):
                evidence.append(found)
        for app in browser.flatpak:
            for template in (
                f"{{home}}/.var/app/{app}",
                f"/var/lib/flatpak/app/{app}",
                f"{{home}}/.local/share/flatpak/app/{app}",
            ):
                path = places.path(template)
                if exists(path):
                    traps.append(
                        Trap(
                            "flatpak",
                            str(path),
                            f"{browser.label} is a Flatpak ({app}): its sandbox cannot start "
                            "programs installed outside it, so it never reaches paxel's host",
                            FLATPAK_FIX.format(label=browser.label, app=app),
                        )
                    )
                    break
        for name in browser.snap:
            path = places.path(f"/snap/{name}")
            if exists(path):
                traps.append(
                    Trap(
                        "snap",
                        str(path),
                        f"{browser.label} is a Snap ({name}): confinement blocks native "
                        "messaging hosts outside the snap",
                        SNAP_FIX.format(label=browser.label),
                    )
                )
    return Detection(bool(evidence or traps), tuple(evidence), tuple(traps))


__all__ = [
    "BROWSERS",
    "BY_NAME",
    "PLATFORMS",
    "Browser",
    "Detection",
    "Family",
    "Places",
    "Platform",
    "Scope",
    "Trap",
    "detect",
]
