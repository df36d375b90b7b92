from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.config.models import HttpRequestConfig, ShellConfig, ToolsConfig
from zeroclaw.tools import PolicyViolation, SecurityPolicy


def _policy(workspace: Path, **settings: object) -> SecurityPolicy:
    return SecurityPolicy(ToolsConfig.model_validate(settings), workspace)


# -- calls -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("autonomy", "mutating", "action"),
    [
        ("read_only", False, "allow"),
        ("read_only", True, "deny"),
        ("supervised", False, "allow"),
        ("supervised", True, "needs_approval"),
        ("full", False, "allow"),
        ("full", True, "allow"),
    ],
)
def test_autonomy_levels(workspace: Path, autonomy: str, mutating: bool, action: str) -> None:
    decision = _policy(workspace, autonomy=autonomy).check_call("file_write", mutating, 0)

    assert decision.action == action
    assert decision.allowed is (action == "allow")
    assert decision.reason


def test_only_listed_tools_may_be_called(workspace: Path) -> None:
    policy = _policy(workspace, autonomy="full", allowed=["file_read"])

    assert policy.check_call("file_read", False, 0).action == "allow"
    denied = policy.check_call("shell", True, 0)
    assert denied.action == "deny"
    assert "tools.allowed" in denied.reason


def test_star_allows_every_tool(workspace: Path) -> None:
    policy = _policy(workspace, autonomy="full", allowed=["*"])

    assert policy.check_call("anything_at_all", True, 0).action == "allow"


def test_calls_per_turn_are_capped(workspace: Path) -> None:
    policy = _policy(workspace, autonomy="full", max_calls_per_turn=3)

    assert policy.check_call("file_read", False, 2).action == "allow"
    capped = policy.check_call("file_read", False, 3)
    assert capped.action == "deny"
    assert "tools.max_calls_per_turn = 3" in capped.reason


def test_the_allowlist_is_checked_before_approval(workspace: Path) -> None:
    policy = _policy(workspace, autonomy="supervised", allowed=["file_read"])

    assert policy.check_call("shell", True, 0).action == "deny"


# -- paths -----------------------------------------------------------------------------


def test_inner_paths_resolve_inside_the_workspace(policy: SecurityPolicy, workspace: Path) -> None:
    (workspace / "notes").mkdir()

    assert policy.resolve_path("notes/a.txt") == workspace / "notes" / "a.txt"
    assert policy.resolve_path("./notes/../b.txt") == workspace / "b.txt"
    assert policy.resolve_path(str(workspace / "c.txt")) == workspace / "c.txt"
    assert policy.resolve_path("new/dir/deep.txt") == workspace / "new" / "dir" / "deep.txt"
    assert policy.resolve_path(".") == workspace


@pytest.mark.parametrize(
    "raw", ["..", "../outside.txt", "notes/../../outside.txt", "/etc/passwd", "missing/../../x"]
)
def test_paths_leaving_the_workspace_are_refused(policy: SecurityPolicy, raw: str) -> None:
    with pytest.raises(PolicyViolation, match="outside the workspace") as caught:
        policy.resolve_path(raw)
    assert caught.value.hint


def test_a_sibling_with_the_workspace_as_prefix_is_outside(
    policy: SecurityPolicy, workspace: Path
) -> None:
    sibling = workspace.parent / (workspace.name + "-evil")
    sibling.mkdir()

    with pytest.raises(PolicyViolation):
        policy.resolve_path(str(sibling / "x"))


def test_a_symlink_pointing_out_is_refused(
    policy: SecurityPolicy, workspace: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (workspace / "link.txt").symlink_to(secret)
    (workspace / "dangling").symlink_to(tmp_path / "not-yet-there.txt")

    with pytest.raises(PolicyViolation):
        policy.resolve_path("link.txt")
    # A link to a file that does not exist yet would be created outside on write.
    with pytest.raises(PolicyViolation):
        policy.resolve_path("dangling")


def test_a_symlinked_parent_pointing_out_is_refused(
    policy: SecurityPolicy, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "escape").symlink_to(outside, target_is_directory=True)

    with pytest.raises(PolicyViolation):
        policy.resolve_path("escape/new-file.txt")
    with pytest.raises(PolicyViolation):
        policy.resolve_path("escape/deeper/new-file.txt")


def test_a_symlink_inside_the_workspace_is_followed(
    policy: SecurityPolicy, workspace: Path
) -> None:
    (workspace / "real").mkdir()
    (workspace / "alias").symlink_to(workspace / "real", target_is_directory=True)

    assert policy.resolve_path("alias/file.txt") == workspace / "real" / "file.txt"


def test_a_symlink_loop_is_refused(policy: SecurityPolicy, workspace: Path) -> None:
    (workspace / "a").symlink_to(workspace / "b")
    (workspace / "b").symlink_to(workspace / "a")

    with pytest.raises(PolicyViolation):
        policy.resolve_path("a/file")


def test_a_workspace_given_through_a_symlink_still_confines(tmp_path: Path) -> None:
    real = tmp_path / "real-ws"
    real.mkdir()
    alias = tmp_path / "ws-alias"
    alias.symlink_to(real, target_is_directory=True)
    policy = SecurityPolicy(ToolsConfig(), alias)

    assert policy.resolve_path("x.txt") == real / "x.txt"
    with pytest.raises(PolicyViolation):
        policy.resolve_path("../real-ws-sibling")


def test_nul_in_a_path_is_refused(policy: SecurityPolicy) -> None:
    with pytest.raises(PolicyViolation, match="NUL"):
        policy.resolve_path("a\x00b")


# -- commands --------------------------------------------------------------------------


def _shell_policy(workspace: Path, allowed: list[str]) -> SecurityPolicy:
    return SecurityPolicy(ToolsConfig(shell=ShellConfig(allowed_commands=allowed)), workspace)


def test_allowed_commands_split_into_argv(workspace: Path) -> None:
    policy = _shell_policy(workspace, ["grep", "echo"])

    assert policy.check_command('grep -n "two words" notes.txt') == [
        "grep",
        "-n",
        "two words",
        "notes.txt",
    ]
    # Quoted operator characters are plain arguments: there is no shell to read them.
    assert policy.check_command("echo 'a;b' \"c|d\" e\\&f") == ["echo", "a;b", "c|d", "e&f"]


@pytest.mark.parametrize("command", ["rm -rf x", "/bin/rm x", "python3 -c 1", "sudo echo"])
def test_programs_not_allowed_are_refused(workspace: Path, command: str) -> None:
    policy = _shell_policy(workspace, ["echo", "ls"])

    with pytest.raises(PolicyViolation, match="allowed_commands"):
        policy.check_command(command)


def test_an_allowed_program_may_be_named_by_its_system_path(workspace: Path) -> None:
    policy = _shell_policy(workspace, ["ls"])

    assert policy.check_command("/bin/ls -l") == ["/bin/ls", "-l"]


def test_a_program_inside_the_workspace_is_refused_even_with_an_allowed_name(
    workspace: Path,
) -> None:
    policy = _shell_policy(workspace, ["ls"])
    fake = workspace / "ls"
    fake.write_text("#!/bin/sh\necho pwned\n")
    fake.chmod(0o755)

    for command in ["./ls", str(fake), "sub/../ls"]:
        with pytest.raises(PolicyViolation, match="inside the workspace"):
            policy.check_command(command)


@pytest.mark.parametrize(
    "command",
    [
        "ls; rm -rf /",
        "ls | grep x",
        "ls && echo hi",
        "ls || echo hi",
        "ls & echo hi",
        "echo hi > out.txt",
        "grep x < in.txt",
        "echo `whoami`",
        "echo $(whoami)",
        'echo "$(whoami)"',
        "ls\necho hi",
    ],
)
def test_shell_operators_are_refused(workspace: Path, command: str) -> None:
    policy = _shell_policy(workspace, ["ls", "echo", "grep"])

    with pytest.raises(PolicyViolation, match=r"without a shell|newline"):
        policy.check_command(command)


@pytest.mark.parametrize("command", ["", "   ", "echo 'unterminated"])
def test_empty_or_unparsable_commands_are_refused(workspace: Path, command: str) -> None:
    with pytest.raises(PolicyViolation):
        _shell_policy(workspace, ["echo"]).check_command(command)


# -- URLs ------------------------------------------------------------------------------


def _url_policy(workspace: Path, hosts: list[str]) -> SecurityPolicy:
    return SecurityPolicy(
        ToolsConfig(http_request=HttpRequestConfig(allowed_hosts=hosts)), workspace
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v1",
        "http://API.Example.com./x",
        "https://deep.sub.example.org/",
        "http://127.0.0.1:8080/health",
    ],
)
def test_allowed_hosts_pass(workspace: Path, url: str) -> None:
    _url_policy(workspace, ["api.example.com", "*.example.org", "127.0.0.1"]).check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/",  # the wildcard means subdomains only
        "https://evil.com/",
        "https://api.example.com.evil.com/",
        "https://evilexample.org/",
        "http://api.example.com@evil.com/",
        "ftp://api.example.com/",
        "file:///etc/passwd",
        "http:///nohost",
        "not a url",
    ],
)
def test_other_hosts_and_schemes_are_refused(workspace: Path, url: str) -> None:
    with pytest.raises(PolicyViolation):
        _url_policy(workspace, ["api.example.com", "*.example.org"]).check_url(url)


def test_an_empty_allowlist_allows_nothing(workspace: Path) -> None:
    with pytest.raises(PolicyViolation) as caught:
        _url_policy(workspace, []).check_url("https://example.com/")
    assert caught.value.hint is not None
    assert "empty" in caught.value.hint


def test_the_workspace_is_held_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    policy = SecurityPolicy(ToolsConfig(), Path("relative-ws"))

    assert policy.workspace == (tmp_path / "relative-ws").resolve()


@pytest.mark.parametrize(
    "command",
    [
        "cat /etc/passwd",
        "cat ../outside.txt",
        "grep -r secret /",
        "head --file=/etc/hosts",
        "cat ~/x",
    ],
)
def test_shell_arguments_may_not_leave_the_workspace(workspace: Path, command: str) -> None:
    policy = _policy(workspace, autonomy="full")
    with pytest.raises(PolicyViolation, match="outside the workspace"):
        policy.check_command(command)


def test_shell_arguments_through_a_symlink_out_are_refused(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("x")
    (workspace / "link").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(PolicyViolation, match="outside the workspace"):
        _policy(workspace, autonomy="full").check_command("cat link")


def test_shell_arguments_inside_the_workspace_pass(workspace: Path) -> None:
    policy = _policy(workspace, autonomy="full")
    assert policy.check_command("grep -n hello notes/a.txt") == [
        "grep",
        "-n",
        "hello",
        "notes/a.txt",
    ]
    assert policy.check_command("echo hello world") == ["echo", "hello", "world"]
