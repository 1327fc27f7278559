"""The browser table turned into manifest locations, for Linux, macOS and Windows on any machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

import pytest

from paxel.installer.browsers import BROWSERS, BY_NAME, PLATFORMS, Family, Places, Platform, Scope, detect
from paxel.installer.registration import launcher_path, plan
from support.installer_places import LINUX, MAC, PLACES, WIN


def paths(places: Places, scope: Scope, *names: str) -> list[str]:
    return [str(t.manifest) for t in plan(places, scope, [BY_NAME[n] for n in names])]


def test_linux_user_folders_follow_xdg_config_home_for_chromium_and_home_for_firefox() -> None:
    assert paths(LINUX, "user", "chrome", "chromium", "edge", "brave", "vivaldi", "opera") == [
        "/home/u/.config/google-chrome/NativeMessagingHosts/io.paxel.host.json",
        "/home/u/.config/chromium/NativeMessagingHosts/io.paxel.host.json",
        "/home/u/.config/microsoft-edge/NativeMessagingHosts/io.paxel.host.json",
        "/home/u/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts/io.paxel.host.json",
        "/home/u/.config/vivaldi/NativeMessagingHosts/io.paxel.host.json",
        "/home/u/.config/opera/NativeMessagingHosts/io.paxel.host.json",
    ]
    custom = Places("linux", home="/home/u", config="/elsewhere", paxel_data="/d")
    assert paths(custom, "user", "chromium") == [
        "/elsewhere/chromium/NativeMessagingHosts/io.paxel.host.json"
    ]
    assert paths(custom, "user", "firefox", "librewolf", "waterfox") == [
        "/home/u/.mozilla/native-messaging-hosts/io.paxel.host.json",
        "/home/u/.librewolf/native-messaging-hosts/io.paxel.host.json",
        "/home/u/.waterfox/native-messaging-hosts/io.paxel.host.json",
    ]


def test_linux_system_folders() -> None:
    assert paths(LINUX, "system", "chrome", "chromium", "edge", "firefox") == [
        "/etc/opt/chrome/native-messaging-hosts/io.paxel.host.json",
        "/etc/chromium/native-messaging-hosts/io.paxel.host.json",
        "/etc/opt/edge/native-messaging-hosts/io.paxel.host.json",
        "/usr/lib/mozilla/native-messaging-hosts/io.paxel.host.json",
        "/usr/lib64/mozilla/native-messaging-hosts/io.paxel.host.json",
    ]


def test_macos_user_and_system_folders() -> None:
    app = "/Users/u/Library/Application Support"
    assert paths(MAC, "user", "chrome", "chromium", "edge", "firefox") == [
        f"{app}/Google/Chrome/NativeMessagingHosts/io.paxel.host.json",
        f"{app}/Chromium/NativeMessagingHosts/io.paxel.host.json",
        f"{app}/Microsoft Edge/NativeMessagingHosts/io.paxel.host.json",
        f"{app}/Mozilla/NativeMessagingHosts/io.paxel.host.json",
    ]
    assert paths(MAC, "system", "chrome", "edge", "firefox") == [
        "/Library/Google/Chrome/NativeMessagingHosts/io.paxel.host.json",
        "/Library/Microsoft/Edge/NativeMessagingHosts/io.paxel.host.json",
        "/Library/Application Support/Mozilla/NativeMessagingHosts/io.paxel.host.json",
    ]


def test_windows_has_one_manifest_per_family_in_paxels_folder_and_one_key_per_browser_key() -> None:
    targets = plan(WIN, "user", list(BROWSERS))
    assert [(t.family, str(t.manifest)) for t in targets] == [
        (Family.CHROMIUM, r"C:\Users\u\AppData\Local\paxel\native-host\chromium\io.paxel.host.json"),
        (Family.FIREFOX, r"C:\Users\u\AppData\Local\paxel\native-host\firefox\io.paxel.host.json"),
    ]
    chromium, firefox = targets
    assert chromium.keys == (
        ("HKCU", r"Software\Google\Chrome\NativeMessagingHosts\io.paxel.host"),
        ("HKCU", r"Software\Chromium\NativeMessagingHosts\io.paxel.host"),
        ("HKCU", r"Software\Microsoft\Edge\NativeMessagingHosts\io.paxel.host"),
        ("HKCU", r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\io.paxel.host"),
    )
    assert firefox.keys == (
        ("HKCU", r"Software\Mozilla\NativeMessagingHosts\io.paxel.host"),
        ("HKCU", r"Software\LibreWolf\NativeMessagingHosts\io.paxel.host"),
        ("HKCU", r"Software\Waterfox\NativeMessagingHosts\io.paxel.host"),
    )
    system = plan(Places("win32", home="", paxel_data=r"C:\ProgramData\paxel"), "system", [BY_NAME["edge"]])
    assert system[0].keys == (("HKLM", r"Software\Microsoft\Edge\NativeMessagingHosts\io.paxel.host"),)
    assert str(launcher_path(WIN)) == r"C:\Users\u\AppData\Local\paxel\native-host\paxel-host.cmd"


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("scope", ["user", "system"])
def test_every_location_is_absolute_unique_and_named_after_the_host(platform: Platform, scope: Scope) -> None:
    places = PLACES[platform]
    targets = plan(places, scope, list(BROWSERS))
    assert targets
    manifests = [t.manifest for t in targets]
    assert len(set(manifests)) == len(manifests)
    for path in manifests:
        assert path.is_absolute(), path
        assert path.name == "io.paxel.host.json"
    assert launcher_path(places).is_absolute()


def test_browsers_sharing_a_place_share_one_target() -> None:
    targets = plan(WIN, "user", [BY_NAME["chrome"], BY_NAME["vivaldi"], BY_NAME["opera"]])
    assert len(targets) == 1
    assert targets[0].labels == ("Google Chrome", "Vivaldi", "Opera")
    assert len(targets[0].keys) == 1


def test_user_data_dir_adds_a_chromium_manifest_inside_the_profile() -> None:
    targets = plan(LINUX, "user", [], ["/tmp/profile"])
    assert [(t.family, str(t.manifest)) for t in targets] == [
        (Family.CHROMIUM, "/tmp/profile/NativeMessagingHosts/io.paxel.host.json")
    ]


def probes(
    present: set[str], on_path: dict[str, str]
) -> tuple[Callable[[PurePath], bool], Callable[[str], str | None]]:
    """What exists on a pretend machine: detection takes its probes as arguments."""
    return (lambda p: str(p) in present), on_path.get


def test_detection_by_config_folder_or_executable() -> None:
    exists, which = probes({"/home/u/.config/vivaldi"}, {"firefox-esr": "/usr/bin/firefox-esr"})
    found = {b.name for b in BROWSERS if detect(b, LINUX, exists, which).installed}
    assert found == {"vivaldi", "firefox"}
    exists, which = probes({"/Applications/Google Chrome.app"}, {"firefox": "/usr/bin/firefox"})
    assert {b.name for b in BROWSERS if detect(b, MAC, exists, which).installed} == {"chrome"}
    exists, which = probes({r"C:\Users\u\AppData\Roaming\Mozilla\Firefox"}, {})
    assert {b.name for b in BROWSERS if detect(b, WIN, exists, which).installed} == {"firefox"}


def test_flatpak_and_snap_browsers_are_reported_as_traps_with_a_workaround() -> None:
    exists, which = probes(
        {"/home/u/.var/app/org.chromium.Chromium", "/snap/firefox"}, {"firefox": "/snap/bin/firefox"}
    )
    chromium = detect(BY_NAME["chromium"], LINUX, exists, which)
    assert chromium.installed and [t.kind for t in chromium.traps] == ["flatpak"]
    assert "sandbox" in chromium.traps[0].message and "flatpak-spawn" in chromium.traps[0].fix
    firefox = detect(BY_NAME["firefox"], LINUX, exists, which)
    assert firefox.evidence == ()  # /snap/bin/firefox is the snap, not a normal install
    assert [t.kind for t in firefox.traps] == ["snap"] and ".deb" in firefox.traps[0].fix


def test_places_build_paths_of_the_platforms_flavour() -> None:
    assert isinstance(WIN.path("{localappdata}"), PurePath)
    assert WIN.path(r"{localappdata}\x").parts[-1] == "x"
    assert str(LINUX.path("{home}/a b")) == "/home/u/a b"
