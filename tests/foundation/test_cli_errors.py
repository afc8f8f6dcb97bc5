"""Every user mistake is one line and an exit code of the table; secrets never print."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from catdetector.core import errors, redact
from tests.support import BIN, cli


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single error line of a failed command (no traceback, nothing else)."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("command", [["init", "/proc/x"], ["sample", "/proc/x", "--n", "4"]])
def test_os_errors_are_one_line_with_their_exit_code(command: list[str], tmp_path: Path) -> None:
    proc = cli(*command, cwd=tmp_path, check=False)
    assert proc.returncode == errors.PathNotFoundError.exit_code == 21
    assert "/proc/x" in one_line(proc)


def test_os_error_table() -> None:
    with pytest.raises(OSError) as full, open("/dev/full", "wb") as handle:  # a real ENOSPC
        handle.write(b"x")
    assert full.value.errno == errno.ENOSPC
    assert isinstance(errors.from_os_error(full.value), errors.DiskFullError)
    with pytest.raises(OSError) as missing:
        Path("/proc/x/y").read_text()
    err = errors.from_os_error(missing.value)
    assert isinstance(err, errors.PathNotFoundError) and "/proc/x/y" in str(err)
    denied = PermissionError(errno.EACCES, "Permission denied", "/root/secret")
    assert errors.from_os_error(denied).exit_code == 20
    codes = [
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.CatDetectorError)
    ]
    assert 70 in codes and {20, 21, 22, 23} <= set(codes)


BOOM = """
import sys
from catdetector import cli

@cli.app.command("boom")
def boom() -> None:
    raise RuntimeError("kaput while using secret_access_key=sk-PLANTED-1 at https://u:tok-PLANTED-2@h/r")

sys.argv = ["catdetector", "boom"]
cli.main()
"""


def test_an_unexpected_error_is_one_line_and_the_traceback_on_request(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", BOOM], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert proc.returncode == errors.InternalError.exit_code == 70
    line = one_line(proc)
    assert "unexpected RuntimeError: kaput" in line and "CATDETECTOR_TRACEBACK=1" in line
    assert "PLANTED" not in proc.stderr
    env = {"CATDETECTOR_TRACEBACK": "1", "PATH": str(BIN), "HOME": str(tmp_path)}
    shown = subprocess.run(
        [sys.executable, "-c", BOOM], capture_output=True, text=True, env=env, check=False
    )
    assert shown.returncode == 1 and "Traceback" in shown.stderr


def test_serve_refuses_a_missing_bundle_before_starting(tmp_path: Path) -> None:
    proc = cli(
        "serve", "--bundle", str(tmp_path / "nowhere"), "--port", "0", cwd=tmp_path, check=False
    )
    assert proc.returncode == errors.BundleError.exit_code
    assert "no model bundle at" in one_line(proc)


def test_serve_checks_its_port_before_loading_anything(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = cli(
            "serve", "--registry", str(tmp_path / "no-registry"), "--port", str(port),
            "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path, check=False,
        )  # fmt: skip
    assert proc.returncode == errors.UsageError.exit_code
    assert f"cannot listen on 127.0.0.1:{port}" in one_line(proc)
    assert not (tmp_path / "cache").exists()  # nothing fetched, nothing loaded


def test_redaction_masks_every_kind_of_credential() -> None:
    text = (
        "dvc get --remote-config secret_access_key=AbC/1+x endpointurl=http://h:9 "
        "access_key_id=AKIA1 fatal: 'https://bob:tok3n@127.0.0.1:555/r.git' "
        '{"password": "hunter2", "session_token": "st-1"} api-token: zz9 '
        "Authorization: Bearer xyzzy9 sort_keys=True"
    )
    out = redact.redact(text)
    for secret in ("AbC/1+x", "AKIA1", "bob:tok3n", "hunter2", "st-1", "zz9", "xyzzy9"):
        assert secret not in out, out
    assert "endpointurl=http://h:9" in out and "sort_keys=True" in out
    assert "https://***@127.0.0.1:555/r.git" in out
    assert redact.redact(out) == out
    redact.register("plain-value-42")
    assert redact.redact("anything plain-value-42 here") == "anything *** here"
    err = errors.RemoteError("failed with password=pw-77", hint="token=tk-88")
    assert "pw-77" not in str(err) and "tk-88" not in str(err)
    assert redact.split_userinfo("https://u:p%40ss@h:8/r.git") == ("https://h:8/r.git", "u", "p@ss")


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    import io
    import logging

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("catdetector.test_redaction")
    logger.addHandler(handler)
    logger.propagate = False
    redact.install_log_filter(logger)
    redact.install_log_filter(logger)  # once is enough: no second filter
    assert len(handler.filters) == 1
    logger.warning("fetching %s", "https://bob:tok-LOG-1@h/r.git", extra={"color_message": "%s"})
    try:
        raise ValueError("secret_access_key=sk-LOG-2")
    except ValueError:
        logger.exception("failed with token=%s", "tk-LOG-3")
    text = out.getvalue()
    assert "LOG-" not in text and "Traceback" in text and "https://***@h/r.git" in text
