"""Windows registration through the registry seam, with the in-memory registry: exact keys and values."""

from __future__ import annotations

from paxel.installer.browsers import BROWSERS, BY_NAME, Places
from paxel.installer.registration import Outcome, plan, register_keys, unregister_keys
from paxel.installer.registry import MemoryRegistry
from support.installer_places import WIN

CHROMIUM_MANIFEST = r"C:\Users\u\AppData\Local\paxel\native-host\chromium\io.paxel.host.json"
FIREFOX_MANIFEST = r"C:\Users\u\AppData\Local\paxel\native-host\firefox\io.paxel.host.json"


def test_memory_registry_keys_are_case_insensitive_like_windows() -> None:
    registry = MemoryRegistry()
    registry.set_default("HKCU", r"Software\A\B", "one")
    registry.set_default("HKCU", r"SOFTWARE\a\b", "two")
    assert registry.values == {("HKCU", r"Software\A\B"): "two"}
    assert registry.get_default("HKCU", r"software\a\B") == "two"
    assert registry.get_default("HKLM", r"Software\A\B") is None
    registry.delete_key("HKCU", r"SOFTWARE\A\B")
    registry.delete_key("HKCU", r"Software\missing")
    assert registry.values == {}


def test_user_install_sets_exactly_these_hkcu_keys_to_the_manifest_paths() -> None:
    registry = MemoryRegistry()
    out = Outcome()
    for target in plan(WIN, "user", list(BROWSERS)):
        register_keys(target, registry, force=False, out=out)
    assert out.problems == []
    assert registry.values == {
        ("HKCU", r"Software\Google\Chrome\NativeMessagingHosts\io.paxel.host"): CHROMIUM_MANIFEST,
        ("HKCU", r"Software\Chromium\NativeMessagingHosts\io.paxel.host"): CHROMIUM_MANIFEST,
        ("HKCU", r"Software\Microsoft\Edge\NativeMessagingHosts\io.paxel.host"): CHROMIUM_MANIFEST,
        (
            "HKCU",
            r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\io.paxel.host",
        ): CHROMIUM_MANIFEST,
        ("HKCU", r"Software\Mozilla\NativeMessagingHosts\io.paxel.host"): FIREFOX_MANIFEST,
        ("HKCU", r"Software\LibreWolf\NativeMessagingHosts\io.paxel.host"): FIREFOX_MANIFEST,
        ("HKCU", r"Software\Waterfox\NativeMessagingHosts\io.paxel.host"): FIREFOX_MANIFEST,
    }


def test_system_install_uses_hklm() -> None:
    registry = MemoryRegistry()
    system = Places("win32", home="", paxel_data=r"C:\ProgramData\paxel")
    for target in plan(system, "system", [BY_NAME["firefox"]]):
        register_keys(target, registry, force=False, out=Outcome())
    assert registry.values == {
        (
            "HKLM",
            r"Software\Mozilla\NativeMessagingHosts\io.paxel.host",
        ): r"C:\ProgramData\paxel\native-host\firefox\io.paxel.host.json",
    }


def test_reinstall_is_harmless_and_uninstall_removes_only_keys_naming_paxel_manifests() -> None:
    registry = MemoryRegistry()
    foreign_key = r"Software\Google\Chrome\NativeMessagingHosts\com.other.host"
    registry.set_default("HKCU", foreign_key, r"C:\other\manifest.json")
    targets = plan(WIN, "user", [BY_NAME["chrome"], BY_NAME["firefox"]])
    for _ in range(2):
        for target in targets:
            register_keys(target, registry, force=False, out=Outcome())
    assert len(registry.values) == 3
    keys = [k for t in plan(WIN, "user", list(BROWSERS)) for k in t.keys]
    out = Outcome()
    unregister_keys(keys, [CHROMIUM_MANIFEST, FIREFOX_MANIFEST], registry, out)
    assert registry.values == {("HKCU", foreign_key): r"C:\other\manifest.json"}
    assert out.lines == [
        r"removed HKCU\Software\Google\Chrome\NativeMessagingHosts\io.paxel.host",
        r"removed HKCU\Software\Mozilla\NativeMessagingHosts\io.paxel.host",
    ]


def test_a_key_naming_another_programs_manifest_is_left_alone_on_uninstall() -> None:
    registry = MemoryRegistry()
    key = r"Software\Mozilla\NativeMessagingHosts\io.paxel.host"
    registry.set_default("HKCU", key, r"D:\someone\else.json")
    out = Outcome()
    unregister_keys([("HKCU", key)], [FIREFOX_MANIFEST], registry, out)
    assert registry.get_default("HKCU", key) == r"D:\someone\else.json"
    assert "left" in out.lines[0]
