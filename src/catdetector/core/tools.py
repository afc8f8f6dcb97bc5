"""Run git and dvc as subprocesses with readable errors (no shell, no prompts, no ssh prompts).

Secrets never go on an argument list (``ps`` shows it to every user): a URL's
userinfo (``https://user:token@host/repo.git``) is taken off the URL and handed
to git by a credential helper that reads it from the child's environment, and
every error message is redacted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from catdetector.core import redact
from catdetector.core.errors import CatDetectorError, ExternalToolError

# Credentials by URL prefix (scheme://host[:port]): given to git through its environment.
_CREDENTIALS: dict[str, tuple[str, str]] = {}
_HELPER_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})  # where git asks a helper
_CRED_LOCK = threading.Lock()
_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'printf "username=%s\\npassword=%s\\n" "$CATDETECTOR_GIT_USERNAME_{n}" '
    '"$CATDETECTOR_GIT_PASSWORD_{n}"; }; f'
)


def executable(name: str) -> str:
    """Path of ``name``: next to this interpreter first (a venv's dvc/gto), then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise ExternalToolError(f"{name} is not installed or not on PATH")
    return found


def remember_credentials(url: str) -> str:
    """``url`` without its userinfo; the credentials are kept for git (and redacted).

    Only for the schemes where git asks a credential helper (http(s), ftp(s)); an
    ``ssh://user@host`` URL keeps its user (ssh needs it) and loses only a password.
    Every later git command run here that talks to the same scheme://host[:port]
    gets them from a credential helper reading its environment, never its arguments.
    """
    clean, user, password = redact.split_userinfo(url)
    if user is None and password is None:
        return url
    scheme, rest = clean.split("://", 1)
    if scheme.lower() not in _HELPER_SCHEMES:
        # ssh://git@host/...: the user is part of the address, not a secret, and git's
        # credential helpers never see it; a password there is never used: dropped.
        redact.register(password)
        return f"{scheme}://{quote(user, safe='')}@{rest}" if user else clean
    redact.register(password, url.split("://", 1)[1].split("@", 1)[0])
    prefix = f"{scheme}://{rest.split('/', 1)[0]}"
    with _CRED_LOCK:
        _CREDENTIALS[prefix] = (user or "", password or "")
    return clean


def _git_credential_env(env: dict[str, str]) -> None:
    """Add the remembered credentials as git config in ``env`` (GIT_CONFIG_COUNT entries)."""
    with _CRED_LOCK:
        creds = list(_CREDENTIALS.items())
    if not creds:
        return
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for n, (prefix, (user, password)) in enumerate(creds):
        # an empty helper first resets helpers configured elsewhere for this URL
        for value in ("", _HELPER.replace("{n}", str(n))):
            env[f"GIT_CONFIG_KEY_{count}"] = f"credential.{prefix}.helper"
            env[f"GIT_CONFIG_VALUE_{count}"] = value
            count += 1
        env[f"CATDETECTOR_GIT_USERNAME_{n}"] = user
        env[f"CATDETECTOR_GIT_PASSWORD_{n}"] = password
    env["GIT_CONFIG_COUNT"] = str(count)


# ssh as git runs it: never ask (a host key or password prompt on the terminal would hang
# a server's watcher thread), and no shared master connection holding our pipes open.
# The same choice as Go's module fetcher; a user's own GIT_SSH_COMMAND or GIT_SSH is kept.
GIT_SSH_COMMAND = "ssh -o BatchMode=yes -o ControlMaster=no"


def tool_env() -> dict[str, str]:
    """Environment for child tools: never prompt, find our own console scripts, and carry
    the remembered git credentials (see :func:`remember_credentials`)."""
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    if not env.get("GIT_SSH_COMMAND") and not env.get("GIT_SSH"):
        env["GIT_SSH_COMMAND"] = GIT_SSH_COMMAND
    bindir = str(Path(sys.executable).parent)
    if bindir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    _git_credential_env(env)
    return env


def _without_userinfo(args: Sequence[str]) -> list[str]:
    """``args`` with the userinfo of every URL moved to the credential store."""
    return [remember_credentials(a) if "://" in a and "@" in a else a for a in args]


def run(
    args: Sequence[str],
    cwd: Path | None = None,
    *,
    check: bool = True,
    timeout: float | None = 600,
    error: type[CatDetectorError] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a tool; on failure raise ``error`` (default ExternalToolError) with its stderr.

    URL credentials in ``args`` never reach the argument list (see the module doc).
    """
    args = _without_userinfo(args)
    argv = [executable(args[0]), *args[1:]]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=tool_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise (error or ExternalToolError)(
            f"`{' '.join(args)}` timed out after {timeout}s"
        ) from exc
    if check and proc.returncode != 0:
        raise (error or ExternalToolError)(f"`{' '.join(args)}` failed: {failure_text(proc)}")
    return proc


# Lines that say what went wrong: DVC's and git's, and ssh's own (the cause behind git's
# "Could not read from remote repository": connection refused, host key, permission).
_ERROR_STARTS = (
    "ERROR",
    "error:",
    "fatal:",
    "ssh:",
    "Host key verification failed",
    "Permission denied",
)


def failure_text(proc: subprocess.CompletedProcess[str]) -> str:
    """The useful part of a failed tool's output: its ERROR lines, else its last lines."""
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    lines = [ln for ln in lines if "Having any troubles?" not in ln]
    errors = [ln for ln in lines if ln.startswith(_ERROR_STARTS)]
    return " | ".join((errors or lines)[-4:]) or f"exit code {proc.returncode}"


def git(*args: str, cwd: Path, check: bool = True) -> str:
    """Run git and return its stripped stdout."""
    return run(["git", *args], cwd, check=check).stdout.strip()


def head_commit(cwd: Path) -> str | None:
    """HEAD's commit, or None outside a repository or before the first commit."""
    proc = run(["git", "rev-parse", "HEAD"], cwd, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def is_dirty(cwd: Path, paths: Sequence[str] = ()) -> bool:
    """True when tracked files (optionally only ``paths``) have uncommitted changes."""
    out = run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", *paths], cwd, check=False
    )
    return bool(out.stdout.strip())
