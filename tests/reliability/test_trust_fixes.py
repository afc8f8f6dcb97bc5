"""Small trust fixes of issue 21: tags are never overwritten, git never prompts, one redactor.

Real git (and OpenSSH's client) in temporary repositories with an isolated HOME.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from catdetector.core import redact, tools
from catdetector.core.errors import RegistryError, RemoteError
from catdetector.monitor import store
from catdetector.monitor.watch import fetch_tags
from tests.serve.serving import clean_env
from tests.support import BIN, free_port, git, run, system_program

TAG = "catdetector#prod#1"


def _clone(origin: Path, dest: Path) -> Path:
    run(["git", "clone", "-q", str(origin), str(dest)], dest.parent)
    return dest


@pytest.fixture
def origin_and_clones(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare origin with one commit, and two clones of it (Alice's and Bob's)."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git("init", "-q", cwd=seed)
    (seed / "README").write_text("registry\n")
    git("add", "-A", cwd=seed)
    git("commit", "-qm", "first", cwd=seed)
    origin = tmp_path / "origin.git"
    run(["git", "clone", "-q", "--bare", str(seed), str(origin)], tmp_path)
    return origin, _clone(origin, tmp_path / "alice"), _clone(origin, tmp_path / "bob")


def test_watch_never_overwrites_a_diverged_tag(origin_and_clones: tuple[Path, Path, Path]) -> None:
    _, alice, bob = origin_and_clones
    git("tag", "-a", TAG, "-m", "bob's assignment", cwd=bob)
    git("push", "-q", "origin", TAG, cwd=bob)
    git("tag", "-a", TAG, "-m", "alice's, never pushed", cwd=alice)  # same name, other tag
    mine = git("rev-parse", f"refs/tags/{TAG}", cwd=alice)
    assert mine != git("rev-parse", f"refs/tags/{TAG}", cwd=bob)

    with pytest.raises(RegistryError) as refused:
        fetch_tags(alice)
    message = str(refused.value)
    assert f"tags here differ from origin's tags of the same name: {TAG}" in message
    assert f"git tag -d {TAG}" in (refused.value.hint or "")
    assert git("rev-parse", f"refs/tags/{TAG}", cwd=alice) == mine  # kept, not overwritten

    # once the stray tag is gone, the next fetch brings origin's (and nothing is refused)
    git("tag", "-d", TAG, cwd=alice)
    fetch_tags(alice)
    assert git("rev-parse", f"refs/tags/{TAG}", cwd=alice) == git(
        "rev-parse", f"refs/tags/{TAG}", cwd=bob
    )


def test_watch_fetch_of_an_unreachable_origin_is_a_remote_error(
    origin_and_clones: tuple[Path, Path, Path],
) -> None:
    origin, alice, _ = origin_and_clones
    origin.rename(origin.with_name("gone.git"))
    with pytest.raises(RemoteError) as failed:
        fetch_tags(alice)
    assert "cannot fetch the tags of origin" in str(failed.value)


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    port = free_port()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
    return port


def test_git_over_ssh_never_prompts_and_keeps_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system_program("openssh-client", "ssh")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")  # a user's environment cannot turn it on
    monkeypatch.delenv("GIT_SSH_COMMAND", raising=False)
    monkeypatch.delenv("GIT_SSH", raising=False)
    monkeypatch.setenv("GIT_TRACE", "1")  # git shows the ssh command it runs
    port = _closed_port()
    proc = tools.run(
        ["git", "ls-remote", f"ssh://git@127.0.0.1:{port}/registry.git"], tmp_path, check=False
    )
    assert proc.returncode != 0
    ssh_runs = [ln for ln in proc.stderr.splitlines() if "run_command" in ln and "ssh" in ln]
    assert ssh_runs, proc.stderr
    assert all("BatchMode=yes" in ln for ln in ssh_runs), ssh_runs  # no host-key prompt
    assert all("git@127.0.0.1" in ln for ln in ssh_runs), ssh_runs  # ssh's user is not a secret
    env = tools.tool_env()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    monkeypatch.setenv("GIT_SSH_COMMAND", "ssh -i /keys/deploy")
    assert tools.tool_env()["GIT_SSH_COMMAND"] == "ssh -i /keys/deploy"  # the user's own kept


def test_an_ssh_registry_on_a_closed_port_is_one_line(tmp_path: Path) -> None:
    system_program("openssh-client", "ssh")
    url = f"ssh://git@127.0.0.1:{_closed_port()}/registry.git"
    proc = subprocess.run(
        [str(BIN / "catdetector"), "serve", "--registry", url, "--port", str(free_port())],
        cwd=tmp_path,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == RegistryError.exit_code, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot reach the registry" in errors[0] and "Connection refused" in errors[0], errors


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:PLANTED-pw1@db.example/log",  # userinfo
        "postgresql://db.example/log?password=PLANTED-pw2",  # libpq's query parameter
        "postgresql://bob@db.example/log?sslpassword=PLANTED-pw3&application_name=x",
        "postgresql://bob:PLANTED-pw4@db.example:notaport/log",  # SQLAlchemy cannot parse it
    ],
)
def test_database_urls_go_through_the_one_redactor(url: str) -> None:
    shown = store.redacted(url)
    assert "PLANTED" not in shown, shown
    assert "db.example" in shown and shown == redact.redact(shown)
