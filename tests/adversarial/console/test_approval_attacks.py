"""Approvals on the console attacked: a real `zeroclaw gateway` process with plugins whose
new grants wait for approval (tests/console's fixtures), driven with httpx.

What must hold: an approval covers the grant set the operator was shown, so a plugin
folder that asks for more between the page and the click gets nothing approved; replayed
and concurrent approvals and refusals record one approval at most and never a 500; a name
with path tricks approves nothing.
"""

from __future__ import annotations

import re
import threading
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from console_support import AUTH, TOKEN, write_manifest

from zeroclaw.plugins.contract.permissions import ApprovalStore

pytestmark = pytest.mark.slow

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SHOWN = re.compile(r'<input type="hidden" name="grant" value="([^"]+)">')


def _login(base: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    assert client.post("/ui/login", data={"secret": TOKEN}).status_code == 303
    found = CSRF.search(client.get("/ui").text)
    assert found is not None
    return client, found[1]


def _pending(base: str) -> list[str]:
    answer = httpx.post(f"{base}/api/plugins/reload", headers=AUTH).json()
    awaiting: list[str] = answer["awaiting_approval"]
    return awaiting


def test_an_approval_covers_what_was_shown_not_what_the_folder_says_later(
    gateway: str, plugins_dir: Path, tmp_path: Path
) -> None:
    write_manifest(plugins_dir / "grower", capabilities=["hooks.modify", "kv"])
    assert _pending(gateway) == ["grower"]
    client, csrf = _login(gateway)
    with closing(client):
        page = client.get("/ui/approvals").text
        shown = SHOWN.findall(page)
        assert shown == ["hooks.modify", "kv"]
        # between the page and the click, the plugin's folder asks for one grant more
        write_manifest(plugins_dir / "grower", capabilities=["hooks.modify", "kv", "log"])
        clicked = client.post(
            "/ui/approvals/grower/approve", data={"csrf_token": csrf, "grant": shown}
        )
        notice = client.get(clicked.headers["location"]).text
        assert "not approved: " in notice
        assert "now asks for grants hooks.modify, kv, log" in notice
        store = ApprovalStore.for_data_dir(tmp_path / "data")
        assert not store.is_approved("grower", ["hooks.modify", "kv"])
        assert not store.is_approved("grower", ["hooks.modify", "kv", "log"])
        # a form without the shown set (an old page, a hand-made POST) approves nothing
        bare = client.post("/ui/approvals/grower/approve", data={"csrf_token": csrf})
        assert "not approved: " in client.get(bare.headers["location"]).text
        assert not store.is_approved("grower", ["hooks.modify", "kv", "log"])


def test_replayed_and_concurrent_approvals_record_one_and_never_fail(
    gateway: str, plugins_dir: Path, tmp_path: Path
) -> None:
    write_manifest(plugins_dir / "grower", capabilities=["hooks.modify", "kv"])
    assert _pending(gateway) == ["grower"]
    client, csrf = _login(gateway)
    statuses: list[int] = []
    lock = threading.Lock()

    def click(action: str) -> None:
        with httpx.Client(base_url=gateway, timeout=30, cookies=client.cookies) as http:
            data = {"csrf_token": csrf, "grant": ["hooks.modify", "kv"]}
            status = http.post(f"/ui/approvals/grower/{action}", data=data).status_code
        with lock:
            statuses.append(status)

    with closing(client):
        threads = [
            threading.Thread(target=click, args=("approve" if i % 3 else "refuse",))
            for i in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [303] * 12
        # replayed after the fact: still a page, never a 5xx
        for action in ("approve", "refuse"):
            again = client.post(
                f"/ui/approvals/grower/{action}",
                data={"csrf_token": csrf, "grant": ["hooks.modify", "kv"]},
            )
            assert again.status_code == 303
        assert client.get("/ui/approvals").status_code == 200
    # One decision per grant set, the last one's: the replay ended with a refusal, which
    # withdrew the approval before it (docs/console.md).
    store = ApprovalStore.for_data_dir(tmp_path / "data")
    approvals = (tmp_path / "data" / "plugins" / "approvals.json").read_text()
    assert approvals.count('"grower"') == 1
    assert not store.is_approved("grower", ["hooks.modify", "kv"])
    assert store.refusal("grower", ["hooks.modify", "kv"]) is not None


@pytest.mark.parametrize(
    "name", ["..%2f..%2fetc%2fpasswd", "grower%00", "grower%2f..%2fcompaction-floor", "*"]
)
def test_a_name_with_path_tricks_approves_nothing(gateway: str, tmp_path: Path, name: str) -> None:
    client, csrf = _login(gateway)
    with closing(client):
        answer = client.post(f"/ui/approvals/{name}/approve", data={"csrf_token": csrf})
        assert answer.status_code in (303, 404)
        if answer.status_code == 303:
            assert "not approved: " in client.get(answer.headers["location"]).text
    assert not (tmp_path / "data" / "plugins" / "approvals.json").exists()
