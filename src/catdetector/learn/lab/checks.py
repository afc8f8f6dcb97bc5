"""How the lab checks each step: by inspecting the sandbox (git, DVC's files, the remotes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from catdetector.core import tools
from catdetector.core.errors import ExternalToolError
from catdetector.learn.lab.dvcfiles import (
    dvc_out,
    file_md5,
    has_default_remote,
    in_storage,
    is_initialised,
    lock_md5,
    stage,
)
from catdetector.learn.lab.sandbox import Sandbox


@dataclass(frozen=True)
class CheckResult:
    """Whether a step is done, and what the sandbox showed."""

    ok: bool
    detail: str


def _git(repo: Path, *args: str) -> tuple[int, str]:
    """Run a read-only git command; (returncode, stdout)."""
    try:
        proc = tools.run(["git", "-C", str(repo), *args], check=False)
    except ExternalToolError as exc:
        return 1, str(exc)
    return proc.returncode, proc.stdout.strip()


def check_git_init(s: Sandbox) -> CheckResult:
    """Bob's project is a git repository."""
    code, top = _git(s.repo, "rev-parse", "--show-toplevel")
    if code != 0 or Path(top).resolve() != s.repo.resolve():
        return CheckResult(False, f"{s.repo.name} is not a git repository yet (no .git)")
    return CheckResult(True, f"{s.repo.name}/.git exists: git can now keep every version")


def check_dvc_init(s: Sandbox) -> CheckResult:
    """DVC is initialised in it."""
    if not is_initialised(s.repo):
        return CheckResult(False, "no .dvc/config: DVC is not initialised")
    return CheckResult(True, ".dvc/ exists (config, cache); DVC rides on git")


def check_dvc_add_data(s: Sandbox) -> CheckResult:
    """data/ is tracked by data.dvc and ignored by git."""
    out = dvc_out(s.repo / "data.dvc")
    if not str(out.get("md5", "")).endswith(".dir"):
        return CheckResult(False, "no data.dvc with the hash of data/")
    code, _ = _git(s.repo, "check-ignore", "-q", "data")
    if code != 0:
        return CheckResult(False, "data/ is not in .gitignore: git would store the images")
    return CheckResult(True, f"data.dvc records data/ as {out['md5'][:12]}… "
                             f"({out.get('nfiles', '?')} files); git ignores data/")


def check_dvc_add_model(s: Sandbox) -> CheckResult:
    """model.h5 is tracked by model.h5.dvc, which matches it."""
    out = dvc_out(s.repo / "model.h5.dvc")
    if not out.get("md5"):
        return CheckResult(False, "no model.h5.dvc")
    if (s.repo / "model.h5").exists() and out["md5"] != file_md5(s.repo / "model.h5"):
        return CheckResult(False, "model.h5.dvc does not match model.h5 (run dvc add again)")
    return CheckResult(True, f"model.h5.dvc records the model as {out['md5'][:12]}…")


def check_commit(s: Sandbox) -> CheckResult:
    """The code and the .dvc files are committed; the data and model are not."""
    code, log = _git(s.repo, "log", "--oneline")
    if code != 0 or not log:
        return CheckResult(False, "no commit yet")
    _, files = _git(s.repo, "ls-files")
    tracked = set(files.splitlines())
    missing = [f for f in ("train.py", "data.dvc", "model.h5.dvc", ".dvc/config")
               if f not in tracked]
    if missing:
        return CheckResult(False, f"not committed: {', '.join(missing)}")
    leaked = [f for f in tracked if f == "model.h5" or f.startswith("data/")]
    if leaked:
        return CheckResult(False, f"large files went into git: {', '.join(leaked[:3])}")
    return CheckResult(True, f"commit {log.splitlines()[0]}: code and .dvc pointers, "
                             "not the data or model themselves")


def check_remotes(s: Sandbox) -> CheckResult:
    """A git remote and a committed default DVC remote."""
    code, url = _git(s.repo, "remote", "get-url", "origin")
    if code != 0:
        return CheckResult(False, "no git remote `origin`")
    if not (s.git_remote / "HEAD").exists():
        return CheckResult(False, f"{s.git_remote} is not a bare git repository")
    if not has_default_remote(s.repo):
        return CheckResult(False, "no default DVC remote in .dvc/config (dvc remote add -d)")
    code, _ = _git(s.repo, "diff", "--quiet", "HEAD", "--", ".dvc/config")
    if code != 0:
        return CheckResult(False, ".dvc/config has changes that are not committed")
    return CheckResult(True, f"git remote origin = {url}; DVC remote set in .dvc/config")


def check_push(s: Sandbox) -> CheckResult:
    """The git remote has Bob's last commit; the DVC remote has the data and model."""
    code, head = _git(s.repo, "rev-parse", "HEAD")
    rcode, remote_head = _git(s.git_remote, "rev-parse", "refs/heads/main")
    if code != 0 or rcode != 0 or head != remote_head:
        return CheckResult(False, "the git remote does not have Bob's last commit (git push)")
    wanted = {"data": dvc_out(s.repo / "data.dvc").get("md5", "")}
    model = dvc_out(s.repo / "model.h5.dvc").get("md5") or lock_md5(s.repo, "model.h5")
    wanted["model.h5"] = model or ""
    missing = [name for name, md5 in wanted.items() if not md5 or not in_storage(
        s.dvc_remote, md5)]
    if missing:
        return CheckResult(False, f"the DVC remote lacks {', '.join(missing)} (dvc push)")
    count = sum(1 for p in s.dvc_remote.rglob("*") if p.is_file())
    return CheckResult(True, f"GitHub has commit {head[:7]}; the DVC remote holds {count} "
                             "objects (data and model)")


def check_alice_pulls(s: Sandbox) -> CheckResult:
    """Alice's clone is at Bob's commit with Bob's model, byte for byte."""
    if not (s.clone / ".git").exists():
        return CheckResult(False, f"no clone at {s.clone} (git clone)")
    model = s.clone / "model.h5"
    if not model.exists():
        return CheckResult(False, "the clone has no model.h5 (dvc pull)")
    bob = s.repo / "model.h5"
    if bob.exists() and file_md5(model) != file_md5(bob):
        return CheckResult(False, "Alice's model.h5 differs from Bob's (git pull, dvc pull)")
    _, head = _git(s.clone, "rev-parse", "HEAD")
    _, bob_head = _git(s.repo, "rev-parse", "HEAD")
    if head != bob_head:
        return CheckResult(False, "Alice's clone is not at Bob's last commit (git pull)")
    return CheckResult(True, f"Alice's clone is at {head[:7]} and its model.h5 is Bob's, "
                             f"byte for byte ({file_md5(model)[:12]}…): nobody emailed anything")


def check_lock(s: Sandbox) -> CheckResult:
    """One pinned lock, installed by training and by serving, committed."""
    lock = s.repo / "requirements.lock"
    if not lock.exists():
        return CheckResult(False, "no requirements.lock")
    loose = [line for line in lock.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#") and "==" not in line]
    if loose:
        return CheckResult(False, f"requirements.lock has unpinned lines: {loose[0]}")
    for rel, include in (("requirements.txt", "requirements.lock"),
                         ("server/requirements.txt", "../requirements.lock")):
        text = (s.repo / rel).read_text(encoding="utf-8") if (s.repo / rel).exists() else ""
        if not re.search(rf"^-r\s+{re.escape(include)}\s*$", text, re.M):
            return CheckResult(False, f"{rel} does not install the lock (-r {include})")
    code, _ = _git(s.repo, "ls-files", "--error-unmatch", "requirements.lock")
    if code != 0:
        return CheckResult(False, "requirements.lock is not committed")
    return CheckResult(True, "training (requirements.txt) and serving (server/requirements.txt) "
                             "both install requirements.lock")


def check_pipeline(s: Sandbox) -> CheckResult:
    """A committed train stage in dvc.yaml, locked in dvc.lock; no model.h5.dvc."""
    train = stage(s.repo, "train")
    if train is None:
        return CheckResult(False, "no `train` stage in dvc.yaml")
    deps = {str(d) for d in train.get("deps", []) or []}
    outs = {str(o) for o in train.get("outs", []) or []}
    if "model.h5" not in outs or not {"train.py", "data"} <= deps:
        return CheckResult(False, "the train stage should depend on train.py and data "
                                  "and output model.h5")
    md5 = lock_md5(s.repo, "model.h5")
    if not md5:
        return CheckResult(False, "no dvc.lock for the train stage (dvc repro)")
    code, _ = _git(s.repo, "ls-files", "--error-unmatch", "dvc.yaml", "dvc.lock")
    if code != 0:
        return CheckResult(False, "dvc.yaml and dvc.lock are not committed")
    if (s.repo / "model.h5.dvc").exists():
        return CheckResult(False, "model.h5.dvc is still there (dvc remove model.h5.dvc)")
    return CheckResult(True, f"`dvc repro` rebuilds model.h5 ({md5[:12]}…) from "
                             f"{', '.join(sorted(deps))}; dvc.lock records every hash")


def check_share(s: Sandbox) -> CheckResult:
    """Pushed again, and Alice's clone has the pipeline, lock and model."""
    pushed = check_push(s)
    if not pushed.ok:
        return pushed
    if not (s.clone / "dvc.lock").exists():
        return CheckResult(False, "Alice's clone has no dvc.lock (git pull)")
    pulled = check_alice_pulls(s)
    if not pulled.ok:
        return pulled
    return CheckResult(True, "Alice pulled the pipeline, the lock and the model Bob's "
                             "pipeline built")
