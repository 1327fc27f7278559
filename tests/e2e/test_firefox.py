"""paxel's add-on in a real Firefox ESR: click, private window cookies, popup, and the fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from browser_firefox import Firefox

from conftest import (
    MiB,
    browser_finished,
    link_page,
    paxel_download,
    paxel_list,
    paxel_view,
    settled,
    sha256,
    wait_for,
)
from support.nginx import Nginx
from support.paxel_env import PaxelEnv


def open_with_cookie(firefox: Firefox, page_url: str, cookie: str) -> None:
    firefox.client.navigate(page_url)
    firefox.client.execute_script(f"document.cookie = '{cookie}; path=/'")


def assert_browser_kept_nothing(firefox: Firefox, url: str) -> None:
    wait_for(lambda: not any(d["url"] == url for d in firefox.downloads_listed()), 10,
             "Firefox to erase its own entry")
    assert list(firefox.downloads.iterdir()) == []


def test_click_on_cookie_protected_link_goes_to_paxel(firefox: Firefox, paxel_env: PaxelEnv,
                                                      nginx: Nginx) -> None:
    # Firefox keeps its copy until paxel has taken the download: served slowly, it cannot finish first.
    digest = nginx.add_file("ff-click.bin", 16 * MiB)
    url = nginx.url("ff-click.bin", "private") + "?slow=2m"
    open_with_cookie(firefox, link_page(nginx, "ff-click.html", url), "paxel_session=letmein")

    firefox.click("#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    assert_browser_kept_nothing(firefox, url)

    # The popup, opened as a page, lists it from the background's state with its buttons.
    firefox.client.navigate(f"{firefox.extension_base}popup/popup.html")
    buttons = wait_for(lambda: firefox.client.execute_script(
        "const row = document.querySelector(`li.download[data-id='${arguments[0]}']`);"
        "return row && row.dataset.state === 'completed' &&"
        " [...row.querySelectorAll('button')].map(b => b.dataset.action)", [view["download_id"]]),
        10, "the popup to show the completed download")
    assert buttons == ["open", "reveal", "remove"]
    assert firefox.client.execute_script(
        "return document.getElementById('host-status').dataset.state") == "connected"


# Counts the list's changes while a pointer is down on it (`pressed`), and those made between
# the release and its click (`released`).
LIST_CHANGES = """
    const list = document.getElementById("downloads");
    window.paxelChanges = {down: false, up: false, pressed: 0, released: 0};
    new MutationObserver(() => {
        const c = window.paxelChanges;
        if (c.down) c.pressed += 1;
        else if (c.up) c.released += 1;
    }).observe(list, {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener("pointerdown", () => { window.paxelChanges.down = true; }, true);
    document.addEventListener("pointerup",
        () => Object.assign(window.paxelChanges, {down: false, up: true}), true);
    document.addEventListener("click", () => { window.paxelChanges.up = false; }, true);"""


def test_popup_pause_and_resume_act_in_the_service(firefox: Firefox, paxel_env: PaxelEnv,
                                                  nginx: Nginx) -> None:
    firefox.set_settings(connections=2)
    digest = nginx.add_file("ff-slow.bin", 64 * MiB)
    url = nginx.url("ff-slow.bin", "capped")  # 2 connections at 8 MiB/s: ~4 s
    firefox.client.navigate(link_page(nginx, "ff-slow.html", url))
    firefox.click("#dl")
    running = wait_for(lambda: paxel_download(paxel_env, url, "running"), 15, "paxel to start it")
    firefox.client.navigate(f"{firefox.extension_base}popup/popup.html")
    row = f"li.download[data-id='{running['download_id']}']"
    present = "return document.querySelector(arguments[0]) !== null"
    pause = f"{row}[data-state=running] button[data-action=pause]"
    wait_for(lambda: firefox.client.execute_script(present, [pause]), 10, "the popup to offer pause")
    assert firefox.client.execute_script(
        "return document.getElementById('host-status').dataset.state") == "connected"

    # Held for 0.6 s while progress comes 4 times a second: the list is not redrawn under a press
    # (the row would grow its bar and segment map at its first progress and push the button down,
    # and the release would land on the text above it: a click on the row, nothing paused).
    firefox.client.execute_script(LIST_CHANGES, sandbox="changes", new_sandbox=False)
    firefox.click(pause, hold=0.6)
    changes = firefox.client.execute_script(
        "return [window.paxelChanges.pressed, window.paxelChanges.released]", sandbox="changes",
        new_sandbox=False)
    assert changes == [0, 0], f"the list changed under the press: {changes}"

    paused = wait_for(lambda: paxel_download(paxel_env, url, "paused"), 10, "the service to pause it")
    done = settled(lambda: paxel_view(paxel_env, paused["download_id"], "paused")["done"], "paused bytes")
    assert done < 64 * MiB
    resume = f"{row}[data-state=paused] button[data-action=resume]"
    wait_for(lambda: firefox.client.execute_script(present, [resume]), 5, "the popup to offer resume")

    firefox.click(resume)

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    wait_for(lambda: firefox.client.execute_script(present, [f"{row}[data-state=completed]"]), 5,
             "the popup to show it completed")
    assert not firefox.client.execute_script(present, [f"{row} .refusal"])


def test_private_window_uses_its_own_cookies(firefox: Firefox, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    firefox.set_settings(privateWindows=True)
    digest = nginx.add_file("ff-private.bin", 16 * MiB)
    url = nginx.url("ff-private.bin", "private") + "?slow=2m"
    page = link_page(nginx, "ff-private.html", url)
    # The regular store holds a wrong value: taking cookies from it would get a 403.
    open_with_cookie(firefox, page, "paxel_session=wrong")
    window = firefox.client.open(type="window", private=True)
    firefox.client.switch_to_window(window["handle"])
    open_with_cookie(firefox, page, "paxel_session=letmein")
    nginx.clear_log()

    firefox.click("#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    sent = [line.cookie for line in nginx.log() if line.request.startswith("/private/ff-private.bin")]
    assert sent and all(cookie == "paxel_session=letmein" for cookie in sent), sent
    assert_browser_kept_nothing(firefox, url)


def test_host_not_registered_browser_downloads_itself(firefox_factory: Callable[..., Firefox],
                                                      paxel_env: PaxelEnv, nginx: Nginx) -> None:
    firefox = firefox_factory(register=False)
    digest = nginx.add_file("ff-nohost.bin", 2 * MiB)
    url = nginx.url("ff-nohost.bin")
    firefox.client.navigate(link_page(nginx, "ff-nohost.html", url))

    firefox.click("#dl")

    done = browser_finished(firefox, "Firefox to finish the download itself")
    assert [d["url"] for d in done] == [url]
    assert sha256(Path(done[0]["filename"])) == digest
    assert Path(done[0]["filename"]).parent == firefox.downloads
    status = firefox.in_extension("return browser.storage.session.get('hostStatus').then(s => s.hostStatus)")
    assert status["state"] == "not_installed"
    assert status["message"] == "No such native application io.paxel.host"
    assert paxel_env.service_pid() is None


def test_refused_by_paxel_stays_with_the_browser(
        firefox: Firefox, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    # Firefox cannot hold a download, but it is removed only once paxel has taken it. A folder
    # outside paxel's roots makes paxel refuse (FOLDER_NOT_ALLOWED) after its first request.
    firefox.set_settings(folder="/proc/not-a-paxel-root")
    digest = nginx.add_file("ff-refused.bin", 2 * MiB)
    url = nginx.url("ff-refused.bin")
    firefox.client.navigate(link_page(nginx, "ff-refused.html", url))

    firefox.click("#dl")

    done = browser_finished(firefox, "Firefox to download it again itself")
    assert [d["url"] for d in done] == [url]
    assert sha256(Path(done[0]["filename"])) == digest
    assert [p.name for p in firefox.downloads.iterdir()] == ["ff-refused.bin"]
    assert paxel_download(paxel_env, url) is None


def test_container_tab_uses_the_container_cookies(firefox: Firefox, paxel_env: PaxelEnv,
                                                  nginx: Nginx) -> None:
    digest = nginx.add_file("ff-container.bin", 16 * MiB)
    url = nginx.url("ff-container.bin", "private") + "?slow=2m"
    page = link_page(nginx, "ff-container.html", url)
    open_with_cookie(firefox, page, "paxel_session=wrong")  # the default store must not be used
    firefox.open_container_tab(page, 1)
    wait_for(lambda: firefox.client.execute_script("return document.readyState") == "complete", 10,
             "the container tab's page")
    firefox.client.execute_script("document.cookie = 'paxel_session=letmein; path=/'")
    nginx.clear_log()

    firefox.click("#dl")

    view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
    assert sha256(Path(view["path"])) == digest
    sent = [line.cookie for line in nginx.log() if line.request.startswith("/private/ff-container.bin")]
    assert sent and all(cookie == "paxel_session=letmein" for cookie in sent), sent
    stores = firefox.in_extension(
        "return browser.cookies.getAll({url: arguments[0]}).then(a => a.map(c => c.value))", [url])
    assert stores == ["wrong"]


def test_tiny_file_is_in_exactly_one_place(firefox: Firefox, paxel_env: PaxelEnv, nginx: Nginx) -> None:
    # 10 KiB is on disk long before paxel can take it: Firefox's copy wins, paxel lets go. Should
    # paxel be first after all, Firefox's copy goes. Either way: one copy, the exact bytes.
    firefox.set_settings(minSize=0)
    digest = nginx.add_file("ff-tiny.bin", 10 * 1024)
    url = nginx.url("ff-tiny.bin")
    firefox.client.navigate(link_page(nginx, "ff-tiny.html", url))
    # Firefox's own list says when it started the download (the add-on's decision may come later).
    firefox.chrome("""
        const { Downloads } = ChromeUtils.importESModule("resource://gre/modules/Downloads.sys.mjs");
        window.paxelTestSeen = [];
        return Downloads.getList(Downloads.ALL).then((list) => list.addView(
            { onDownloadAdded: (d) => { window.paxelTestSeen.push(d.source.url); } }));""")

    firefox.click("#dl")

    wait_for(lambda: url in firefox.chrome("return window.paxelTestSeen"), 30, "Firefox to start it")
    decision = wait_for(lambda: firefox.in_extension(
        "return browser.storage.session.get('trace').then(s => (s.trace || [])[0])"), 30, "a decision")
    if decision["to"] == "browser":
        # Usually "browser-first"; on a loaded machine the 10 s deadline may come first ("timeout"),
        # and a late `taken` is then removed: either way paxel ends with nothing.
        assert decision["reason"] in ("browser-first", "timeout"), decision
        wait_for(lambda: not [v for v in paxel_list(paxel_env) if v["url"] == url], 20, "paxel to let go")
        assert [sha256(p) for p in firefox.downloads.iterdir()] == [digest]
    else:
        view = wait_for(lambda: paxel_download(paxel_env, url, "completed"), 30, "paxel to complete it")
        assert sha256(Path(view["path"])) == digest
        assert_browser_kept_nothing(firefox, url)
