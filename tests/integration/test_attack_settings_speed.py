"""A browser may change the speed limits (the options page), so a hostile page that controls it
can send any number JSON allows: one too large for a float must be refused like any bad value,
never written to the settings file (where it would stop the service from starting again) and
never leave the service's limits broken for every other client."""

from __future__ import annotations

import json

import pytest

from support.nginx import Nginx
from support.paxel_env import PaxelEnv

HUGE = 10 ** 400  # a valid JSON integer; float(HUGE) raises OverflowError


@pytest.mark.parametrize("change", [{"max_speed": HUGE}, {"max_speed": "9" * 400 + "G"},
                                    {"schedule": {"speeds": [{"start": "00:00", "stop": "00:00",
                                                              "max_speed": "9" * 400}]}}],
                         ids=["int", "text", "schedule"])
def test_a_speed_too_large_for_a_float_is_refused_and_the_service_keeps_working(
        paxel_env: PaxelEnv, nginx: Nginx, change: dict[str, object]) -> None:
    host = paxel_env.host("chrome")
    host.send({"id": 1, "type": "settings", "set": change})
    answer = host.reply(1, timeout=20.0)
    assert not answer["ok"] and answer["error"]["name"] == "BAD_FIELD", answer
    written = json.loads(paxel_env.settings_file.read_text()) if paxel_env.settings_file.exists() else {}
    assert "max_speed" not in written and "schedule" not in written, written
    host.send({"id": 2, "type": "settings"})
    assert host.reply(2)["ok"], "the service still answers"
    nginx.add_file("after-huge.bin", 64 * 1024)
    view = host.add(3, url=nginx.url("after-huge.bin"))
    assert view["download_id"]
    status = paxel_env.paxel("service", "status", check=False)
    assert status.returncode == 0, status.stderr
