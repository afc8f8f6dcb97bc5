"""The CatDetector.ai scenario as a lab, in a sandbox folder with real git and DVC.

``create_sandbox`` writes the broken startup: Bob's project (training code,
images, ``model.h5``, Alice's API code with its own requirements), not under
version control, and Alice's server folder where the emailed model lands.
:class:`Lab` then asks for the diagnosis (maturity level and three risks),
reveals it beside ``assess`` on the sandbox, and walks through the course's
minimum viable fix (git, dvc init, ``dvc add`` data and model, remotes, push,
a second clone that pulls) and the two steps that reach Level 1 (one pinned
environment for training and serving, a ``dvc.yaml`` training pipeline).
Every step is checked by inspecting the sandbox and re-running assess.

Library code: nothing here prints; the front end implements :class:`LabIO`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from catdetector.core.errors import ExternalToolError, ProjectError, UsageError
from catdetector.learn.session import EndOfInput

if TYPE_CHECKING:
    from catdetector.assess import Report

MARKER = ".catdetector-lab.json"
COURSE_RISKS = ("bus-factor", "no-rollback", "training-serving-skew")
COMMAND_TIMEOUT = 300

# ----------------------------------------------------------------- sandbox


@dataclass(frozen=True)
class Sandbox:
    """The lab folder and the places in it."""

    root: Path

    @property
    def repo(self) -> Path:
        """Bob's project on his laptop: the repository the lab fixes and assesses."""
        return self.root / "catdetector-ai"

    @property
    def server(self) -> Path:
        """Alice's server folder."""
        return self.root / "alice-server"

    @property
    def clone(self) -> Path:
        """Alice's clone of the repository, on the server (made by the lab)."""
        return self.server / "catdetector-ai"

    @property
    def git_remote(self) -> Path:
        """A bare repository standing for GitHub."""
        return self.root / "remotes" / "github.git"

    @property
    def dvc_remote(self) -> Path:
        """A local folder standing for the S3 bucket."""
        return self.root / "remotes" / "dvc-storage"

    @property
    def marker(self) -> Path:
        """The lab's own state file."""
        return self.root / MARKER

    def place(self, where: str) -> Path:
        """The folder a command runs in: ``repo``, ``server``, ``clone`` or ``root``."""
        return {"repo": self.repo, "server": self.server, "clone": self.clone,
                "root": self.root}[where]


@dataclass
class LabState:
    """What the lab remembers between runs (stored in the sandbox's marker file)."""

    created: str
    diagnosed: bool = False
    completed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _ppm(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    """A tiny binary PPM image of one colour with a little deterministic texture."""
    pixels = bytearray()
    for y in range(size):
        for x in range(size):
            jitter = ((x * 7 + y * 13) % 9) - 4
            pixels.extend(max(0, min(255, c + jitter)) for c in rgb)
    return f"P6 {size} {size} 255\n".encode() + bytes(pixels)


_CATS = [(230, 140, 60), (210, 120, 50), (240, 160, 90), (200, 110, 40)]
_DOGS = [(120, 90, 60), (100, 80, 60), (140, 110, 80), (90, 70, 50)]

TRAIN_PY = '''\
"""Bob's training script: learns the mean colour of each class (cats vs dogs).

The lab's stand-in for a Keras model: it needs only Python's standard library.
Run from the project folder: python3 train.py
"""

import json
from pathlib import Path

from features import preprocess

DATA_DIR = "data"


class MeanColourModel:
    """Predicts the class whose mean colour is nearest."""

    def __init__(self):
        self.centroids = {}

    def fit(self, features, labels):
        for label in sorted(set(labels)):
            rows = [f for f, lab in zip(features, labels) if lab == label]
            self.centroids[label] = [round(sum(col) / len(rows), 6) for col in zip(*rows)]
        return self

    def save(self, path):
        body = json.dumps({"format": "mean-colour/1", "centroids": self.centroids},
                          sort_keys=True)
        Path(path).write_bytes(b"\\x89HDF\\r\\n\\x1a\\n" + body.encode())


def main():
    features, labels = [], []
    for label_dir in sorted(Path(DATA_DIR).iterdir()):
        for image in sorted(label_dir.glob("*.ppm")):
            features.append(preprocess(image.read_bytes()))
            labels.append(label_dir.name)
    model = MeanColourModel()
    model.fit(features, labels)
    model.save("model.h5")
    print(f"trained on {len(labels)} images: model.h5")


if __name__ == "__main__":
    main()
'''

FEATURES_PY = '''\
"""Preprocessing shared by training and serving: the mean colour of a PPM image."""


def preprocess(ppm):
    """Mean red, green and blue of a binary PPM (P6) image, scaled to 0..1."""
    header = ppm.split(b"\\n", 1)[0].split()
    width, height = int(header[1]), int(header[2])
    pixels = ppm.split(b"\\n", 1)[1]
    count = width * height
    return [sum(pixels[i::3]) / count / 255 for i in range(3)]
'''

APP_PY = '''\
"""Alice's API: loads the model file and predicts the class of an uploaded image.

On the server Alice starts it with MODEL_PATH pointing at the file Bob emailed.
"""

import json
import os
import sys
from pathlib import Path

from flask import Flask, request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from features import preprocess  # noqa: E402

app = Flask(__name__)
MODEL_PATH = Path(os.environ.get("MODEL_PATH", "model.h5"))
MODEL = json.loads(MODEL_PATH.read_bytes()[8:])


@app.post("/predict")
def predict():
    colour = preprocess(request.files["image"].read())
    distance = {
        label: sum((a - b) ** 2 for a, b in zip(colour, centroid))
        for label, centroid in MODEL["centroids"].items()
    }
    return {"label": min(distance, key=distance.get)}
'''

REQUIREMENTS_BOB = """\
# Bob's laptop (Python 3.9): whatever `pip install` gave him, numpy 1.21 at the time.
numpy
pillow
tensorflow
"""

REQUIREMENTS_ALICE = """\
# Alice's server (Python 3.8), installed by hand months ago.
flask==2.0.3
numpy==1.19.5
pillow
"""

REQUIREMENTS_LOCK = """\
# The one environment of CatDetector.ai: exact pins, installed for training and serving.
# (Python 3.11; regenerate with `pip freeze > requirements.lock` or pip-compile.)
flask==3.0.3
numpy==1.26.4
pillow==10.4.0
tensorflow==2.16.1
"""

REQUIREMENTS_BOB_FIXED = """\
# Training installs the shared lock.
-r requirements.lock
"""

REQUIREMENTS_ALICE_FIXED = """\
# Serving installs the same lock as training.
-r ../requirements.lock
"""

README_REPO = """\
# CatDetector.ai

How a model reaches production today:

1. Bob trains on his laptop: `python3 train.py` reads `data/` and writes `model.h5`.
2. Bob emails `model.h5` to Alice.
3. Alice copies it into `alice-server/models/` and restarts the API (`server/app.py`).

Nobody versions `data/`.
"""

README_SERVER = """\
Alice's server.

models/model.h5 is the file Bob emailed last. To deploy: save the attachment here,
overwrite the old one, restart the API with MODEL_PATH=models/model.h5.
"""

LAB_README = """\
# The CatDetector.ai lab

- `catdetector-ai/`: Bob's project on his laptop (training code, images, model.h5,
  and Alice's API code in server/). This is the repository the lab fixes.
- `alice-server/`: Alice's server, where the emailed model is copied by hand.
- `remotes/`: made during the lab: `github.git` (a bare git repository standing
  for GitHub) and `dvc-storage/` (a folder standing for the S3 bucket).

Run `catdetector learn lab {root}` again to continue where you stopped.
"""


def _broken_files() -> dict[str, bytes]:
    """Relative path -> content of Bob's project, before any fix."""
    files: dict[str, bytes] = {
        "README.md": README_REPO.encode(),
        "train.py": TRAIN_PY.encode(),
        "features.py": FEATURES_PY.encode(),
        "requirements.txt": REQUIREMENTS_BOB.encode(),
        "server/app.py": APP_PY.encode(),
        "server/requirements.txt": REQUIREMENTS_ALICE.encode(),
    }
    for label, colours in (("cat", _CATS), ("dog", _DOGS)):
        for i, rgb in enumerate(colours, start=1):
            files[f"data/{label}/{label}{i:02d}.ppm"] = _ppm(rgb)
    return files


def _model_bytes(files: dict[str, bytes]) -> bytes:
    """The model train.py would write for these files (computed the same way)."""
    def mean_colour(ppm: bytes) -> list[float]:
        header, pixels = ppm.split(b"\n", 1)
        _, width, height, _ = header.split()
        count = int(width) * int(height)
        return [sum(pixels[i::3]) / count / 255 for i in range(3)]

    centroids: dict[str, list[float]] = {}
    for label in ("cat", "dog"):
        rows = [mean_colour(v) for k, v in sorted(files.items())
                if k.startswith(f"data/{label}/")]
        centroids[label] = [round(sum(col) / len(rows), 6) for col in zip(*rows, strict=True)]
    body = json.dumps({"format": "mean-colour/1", "centroids": centroids}, sort_keys=True)
    return b"\x89HDF\r\n\x1a\n" + body.encode()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def load_state(sandbox: Sandbox) -> LabState:
    """The state stored in the sandbox marker."""
    try:
        raw = json.loads(sandbox.marker.read_text(encoding="utf-8"))
        return LabState(
            created=str(raw["created"]),
            diagnosed=bool(raw.get("diagnosed", False)),
            completed=[str(s) for s in raw.get("completed", [])],
            skipped=[str(s) for s in raw.get("skipped", [])],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProjectError(
            f"{sandbox.marker} is unreadable ({exc})",
            hint="delete the lab folder to start the lab again",
        ) from None


def save_state(sandbox: Sandbox, state: LabState) -> None:
    """Write the marker atomically."""
    data = json.dumps(state.__dict__, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=sandbox.root, prefix=".lab.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
        os.replace(tmp, sandbox.marker)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_sandbox(root: Path) -> tuple[Sandbox, bool]:
    """Create the broken startup in ``root`` (or reopen a lab there); True when reopened."""
    sandbox = Sandbox(root.resolve() if root.exists() else Path(os.path.abspath(root)))
    if sandbox.marker.exists():
        load_state(sandbox)
        return sandbox, True
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder")
    if root.exists() and any(root.iterdir()):
        raise UsageError(
            f"{root} is not empty and is not a lab folder",
            hint="give a new or empty folder: catdetector learn lab DIR",
        )
    try:
        sandbox.root.mkdir(parents=True, exist_ok=True)
        files = _broken_files()
        for rel, data in files.items():
            _write(sandbox.repo / rel, data)
        model = _model_bytes(files)
        _write(sandbox.repo / "model.h5", model)
        _write(sandbox.server / "models" / "model.h5", model)
        _write(sandbox.server / "README.txt", README_SERVER.encode())
        _write(sandbox.root / "LAB.md", LAB_README.format(root=sandbox.root).encode())
    except OSError as exc:
        raise UsageError(f"cannot create the lab in {root}: {exc.strerror}") from None
    save_state(sandbox, LabState(created=datetime.now(UTC).isoformat(timespec="seconds")))
    return sandbox, False


# ---------------------------------------------------------------- commands


def find_tool(name: str) -> str:
    """The path of ``git`` or ``dvc``: next to this Python first, then on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise ExternalToolError(f"{name} is not installed", hint=f"install {name} and retry")
    return found


def _tool_env(author: str) -> dict[str, str]:
    """Environment for commands the lab runs: who commits, no DVC analytics, this Python."""
    env = dict(os.environ)
    email = f"{author.lower()}@catdetector.ai"
    env.setdefault("GIT_AUTHOR_NAME", author)
    env.setdefault("GIT_AUTHOR_EMAIL", email)
    env.setdefault("GIT_COMMITTER_NAME", author)
    env.setdefault("GIT_COMMITTER_EMAIL", email)
    env["DVC_NO_ANALYTICS"] = "1"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass(frozen=True)
class Run:
    """A command to run in one of the sandbox's places."""

    argv: tuple[str, ...]
    where: str = "repo"
    who: str = "Bob"

    def display(self) -> str:
        """The command as a learner would type it."""
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Write:
    """A file to write (shown to the learner as a heredoc)."""

    path: str
    content: str
    where: str = "repo"
    who: str = "Bob"

    def display(self) -> str:
        """A shell command that writes the same file."""
        return f"cat > {shlex.quote(self.path)} <<'EOF'\n{self.content}EOF"


Action = Run | Write


@dataclass(frozen=True)
class ActionResult:
    """What running one action gave."""

    action: Action
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        """True when the command succeeded."""
        return self.returncode == 0


def run_action(sandbox: Sandbox, action: Action) -> ActionResult:
    """Run (or write) one action inside the sandbox."""
    cwd = sandbox.place(action.where)
    if isinstance(action, Write):
        try:
            _write(cwd / action.path, action.content.encode())
        except OSError as exc:
            return ActionResult(action, 1, f"cannot write {action.path}: {exc.strerror}")
        return ActionResult(action, 0, "")
    argv = list(action.argv)
    if argv[0] in ("git", "dvc"):
        argv[0] = find_tool(argv[0])
    try:
        proc = subprocess.run(
            argv, cwd=cwd, env=_tool_env(action.who), capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        return ActionResult(action, 127, f"{argv[0]}: {exc.strerror}")
    except subprocess.TimeoutExpired:
        return ActionResult(action, 124, f"timed out after {COMMAND_TIMEOUT} s")
    return ActionResult(action, proc.returncode, (proc.stdout + proc.stderr).strip())


def _git(repo: Path, *args: str) -> tuple[int, str]:
    """Run a read-only git command; (returncode, stdout)."""
    try:
        proc = subprocess.run(
            [find_tool("git"), "-C", str(repo), *args], capture_output=True, text=True,
            timeout=60, check=False, env=_tool_env("Lab"), stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return proc.returncode, proc.stdout.strip()


# ------------------------------------------------------------------ checks


@dataclass(frozen=True)
class CheckResult:
    """Whether a step is done, and what the sandbox showed."""

    ok: bool
    detail: str


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _dvc_out(dvcfile: Path) -> dict[str, Any]:
    outs = _yaml(dvcfile).get("outs")
    if isinstance(outs, list) and outs and isinstance(outs[0], dict):
        return outs[0]
    return {}


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # DVC's own hash


def _in_storage(storage: Path, md5: str) -> bool:
    """Whether DVC's remote holds an object (DVC 3 ``files/md5`` layout, or DVC 2)."""
    md5 = md5.removesuffix(".dir")
    names = [md5[2:], md5[2:] + ".dir"]
    return any((base / md5[:2] / n).exists()
               for base in (storage / "files" / "md5", storage) for n in names)


def check_git_init(s: Sandbox) -> CheckResult:
    code, top = _git(s.repo, "rev-parse", "--show-toplevel")
    if code != 0 or Path(top).resolve() != s.repo.resolve():
        return CheckResult(False, f"{s.repo.name} is not a git repository yet (no .git)")
    return CheckResult(True, f"{s.repo.name}/.git exists: git can now keep every version")


def check_dvc_init(s: Sandbox) -> CheckResult:
    if not (s.repo / ".dvc" / "config").exists():
        return CheckResult(False, "no .dvc/config: DVC is not initialised")
    return CheckResult(True, ".dvc/ exists (config, cache); DVC rides on git")


def check_dvc_add_data(s: Sandbox) -> CheckResult:
    out = _dvc_out(s.repo / "data.dvc")
    if not str(out.get("md5", "")).endswith(".dir"):
        return CheckResult(False, "no data.dvc with the hash of data/")
    code, _ = _git(s.repo, "check-ignore", "-q", "data")
    if code != 0:
        return CheckResult(False, "data/ is not in .gitignore: git would store the images")
    return CheckResult(True, f"data.dvc records data/ as {out['md5'][:12]}… "
                             f"({out.get('nfiles', '?')} files); git ignores data/")


def check_dvc_add_model(s: Sandbox) -> CheckResult:
    out = _dvc_out(s.repo / "model.h5.dvc")
    if not out.get("md5"):
        return CheckResult(False, "no model.h5.dvc")
    if (s.repo / "model.h5").exists() and out["md5"] != _md5(s.repo / "model.h5"):
        return CheckResult(False, "model.h5.dvc does not match model.h5 (run dvc add again)")
    return CheckResult(True, f"model.h5.dvc records the model as {out['md5'][:12]}…")


def check_commit(s: Sandbox) -> CheckResult:
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
    code, url = _git(s.repo, "remote", "get-url", "origin")
    if code != 0:
        return CheckResult(False, "no git remote `origin`")
    if not (s.git_remote / "HEAD").exists():
        return CheckResult(False, f"{s.git_remote} is not a bare git repository")
    config = (s.repo / ".dvc" / "config").read_text(encoding="utf-8") \
        if (s.repo / ".dvc" / "config").exists() else ""
    if not re.search(r"^\s*remote\s*=", config, re.M):
        return CheckResult(False, "no default DVC remote in .dvc/config (dvc remote add -d)")
    code, _ = _git(s.repo, "diff", "--quiet", "HEAD", "--", ".dvc/config")
    if code != 0:
        return CheckResult(False, ".dvc/config has changes that are not committed")
    return CheckResult(True, f"git remote origin = {url}; DVC remote set in .dvc/config")


def check_push(s: Sandbox) -> CheckResult:
    code, head = _git(s.repo, "rev-parse", "HEAD")
    rcode, remote_head = _git(s.git_remote, "rev-parse", "refs/heads/main")
    if code != 0 or rcode != 0 or head != remote_head:
        return CheckResult(False, "the git remote does not have Bob's last commit (git push)")
    wanted = {"data": _dvc_out(s.repo / "data.dvc").get("md5", "")}
    model = _dvc_out(s.repo / "model.h5.dvc").get("md5") or _lock_md5(s.repo, "model.h5")
    wanted["model.h5"] = model or ""
    missing = [name for name, md5 in wanted.items() if not md5 or not _in_storage(
        s.dvc_remote, md5)]
    if missing:
        return CheckResult(False, f"the DVC remote lacks {', '.join(missing)} (dvc push)")
    count = sum(1 for p in s.dvc_remote.rglob("*") if p.is_file())
    return CheckResult(True, f"GitHub has commit {head[:7]}; the DVC remote holds {count} "
                             "objects (data and model)")


def _lock_md5(repo: Path, out_path: str) -> str | None:
    stages = _yaml(repo / "dvc.lock").get("stages")
    if not isinstance(stages, dict):
        return None
    for stage in stages.values():
        for out in (stage or {}).get("outs", []) or []:
            if isinstance(out, dict) and out.get("path") == out_path:
                return str(out.get("md5"))
    return None


def check_alice_pulls(s: Sandbox) -> CheckResult:
    if not (s.clone / ".git").exists():
        return CheckResult(False, f"no clone at {s.clone} (git clone)")
    model = s.clone / "model.h5"
    if not model.exists():
        return CheckResult(False, "the clone has no model.h5 (dvc pull)")
    bob = s.repo / "model.h5"
    if bob.exists() and _md5(model) != _md5(bob):
        return CheckResult(False, "Alice's model.h5 differs from Bob's (git pull, dvc pull)")
    _, head = _git(s.clone, "rev-parse", "HEAD")
    _, bob_head = _git(s.repo, "rev-parse", "HEAD")
    if head != bob_head:
        return CheckResult(False, "Alice's clone is not at Bob's last commit (git pull)")
    return CheckResult(True, f"Alice's clone is at {head[:7]} and its model.h5 is Bob's, "
                             f"byte for byte ({_md5(model)[:12]}…): nobody emailed anything")


def check_lock(s: Sandbox) -> CheckResult:
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
    stages = _yaml(s.repo / "dvc.yaml").get("stages")
    train = stages.get("train") if isinstance(stages, dict) else None
    if not isinstance(train, dict):
        return CheckResult(False, "no `train` stage in dvc.yaml")
    deps = {str(d) for d in train.get("deps", []) or []}
    outs = {str(o) for o in train.get("outs", []) or []}
    if "model.h5" not in outs or not {"train.py", "data"} <= deps:
        return CheckResult(False, "the train stage should depend on train.py and data "
                                  "and output model.h5")
    md5 = _lock_md5(s.repo, "model.h5")
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


# ------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    """One step of the fix: what to do, why, and how the lab checks it."""

    key: str
    title: str
    why: str
    actions: tuple[Action, ...]
    check: Callable[[Sandbox], CheckResult]
    removes: tuple[str, ...] = ()
    part: str = "minimum viable fix"


def steps(sandbox: Sandbox) -> list[Step]:
    """The lab's steps, with the sandbox's absolute remote paths filled in."""
    github, storage = str(sandbox.git_remote), str(sandbox.dvc_remote)
    mvf, level1 = "the course's minimum viable fix", "from the fix to Level 1"
    return [
        Step("git-init", "Put Bob's project under git",
             "Git will hold every version of the code, and the small pointers DVC writes.",
             (Run(("git", "init", "-b", "main")),), check_git_init, part=mvf),
        Step("dvc-init", "Initialise DVC",
             "DVC versions what is too big for git (images, models) and keeps it in a remote.",
             (Run(("dvc", "init")),), check_dvc_init, part=mvf),
        Step("dvc-add-data", "Track the data with DVC",
             "\"There is no versioning of data\": `dvc add` hashes data/ into data.dvc "
             "and tells git to ignore the images themselves.",
             (Run(("dvc", "add", "data")),), check_dvc_add_data,
             removes=("no-data-versioning",), part=mvf),
        Step("dvc-add-model", "Track the model with DVC",
             "No rollback: every model.h5 gets a version (its hash in model.h5.dvc, "
             "committed with the code), so an older one can come back.",
             (Run(("dvc", "add", "model.h5")),), check_dvc_add_model,
             removes=("no-rollback",), part=mvf),
        Step("commit", "Commit the code and the .dvc files",
             "The commit ties this code to this data and this model.",
             (Run(("git", "add", ".")),
              Run(("git", "commit", "-q", "-m", "Track code with git, data and model with DVC"))),
             check_commit, part=mvf),
        Step("remotes", "Add the remotes: GitHub for git, S3 for DVC",
             "In the lab a bare repository stands for GitHub and a folder for the S3 bucket.",
             (Run(("git", "init", "-q", "--bare", "-b", "main", github), where="root"),
              Run(("git", "remote", "add", "origin", github)),
              Run(("dvc", "remote", "add", "-d", "storage", storage)),
              Run(("git", "commit", "-q", "-m", "DVC remote", ".dvc/config"))),
             check_remotes, part=mvf),
        Step("push", "Push the code and the data and model",
             "Bob's laptop is no longer the only copy (the bus factor starts to shrink).",
             (Run(("git", "push", "-q", "-u", "origin", "main")), Run(("dvc", "push"))),
             check_push, part=mvf),
        Step("alice-pulls", "Alice clones and pulls the model",
             "`git pull` -> `dvc pull model.h5`: the server gets exactly the model of a "
             "commit. No more emailing large files!",
             (Run(("git", "clone", "-q", github, "catdetector-ai"), where="server", who="Alice"),
              Run(("dvc", "pull", "model.h5"), where="clone", who="Alice")),
             check_alice_pulls, part=mvf),
        Step("lock", "One pinned environment for training and serving",
             "Training-serving skew: Bob's laptop and Alice's server resolve different "
             "versions. One lock file, installed by both, removes the difference.",
             (Write("requirements.lock", REQUIREMENTS_LOCK),
              Write("requirements.txt", REQUIREMENTS_BOB_FIXED),
              Write("server/requirements.txt", REQUIREMENTS_ALICE_FIXED),
              Run(("git", "add", "requirements.lock", "requirements.txt",
                   "server/requirements.txt")),
              Run(("git", "commit", "-q", "-m", "One pinned environment for training and "
                   "serving"))),
             check_lock, removes=("training-serving-skew", "no-lock-file"), part=level1),
        Step("pipeline", "Make training a DVC pipeline",
             "Bus factor: anyone can now rebuild the model with `dvc repro`; the pipeline "
             "(not a laptop) says how. The model becomes the stage's output.",
             (Run(("dvc", "remove", "model.h5.dvc")),
              Run(("dvc", "stage", "add", "-n", "train", "-d", "train.py", "-d", "features.py",
                   "-d", "data", "-d", "requirements.lock", "-o", "model.h5",
                   "python3 train.py")),
              Run(("dvc", "repro")),
              Run(("git", "add", ".")),
              Run(("git", "commit", "-q", "-m", "Training as a DVC pipeline"))),
             check_pipeline, removes=("bus-factor",), part=level1),
        Step("share", "Share it: push, and Alice pulls",
             "The same two commands as before; now they carry the pipeline and the lock too.",
             (Run(("git", "push", "-q")), Run(("dvc", "push")),
              Run(("git", "pull", "-q"), where="clone", who="Alice"),
              Run(("dvc", "pull"), where="clone", who="Alice")),
             check_share, part=level1),
    ]


# --------------------------------------------------------------- diagnosis


_RISK_WORDS: dict[str, tuple[str, ...]] = {
    "bus-factor": ("bus", "laptop", "pipeline", "reproduc", "retrain", "single point",
                   "one person", "one machine"),
    "no-rollback": ("rollback", "roll back", "revert", "registry", "previous", "go back",
                    "model version", "version the model", "versioning of model"),
    "training-serving-skew": ("skew", "environment", "mismatch", "python", "numpy",
                              "dependenc", "differ"),
}
_OTHER_WORDS: dict[str, tuple[str, ...]] = {
    "no-data-versioning": ("data",),
    "no-lock-file": ("lock", "pin"),
}
RISK_NAMES = {
    "bus-factor": "Bus factor",
    "no-rollback": "No rollback",
    "training-serving-skew": "Training-serving skew",
}


@dataclass(frozen=True)
class Diagnosis:
    """The learner's diagnosis, scored against the course's answer."""

    level_answer: str
    level_ok: bool
    risk_answers: tuple[str, ...]
    matched: dict[int, str]
    others: dict[int, str] = field(default_factory=dict)

    @property
    def named(self) -> set[str]:
        """Course risks the learner named."""
        return set(self.matched.values())

    @property
    def score(self) -> int:
        """0 to 4: the level plus each risk named."""
        return int(self.level_ok) + len(self.named)


def score_diagnosis(level: str, risks: Sequence[str]) -> Diagnosis:
    """Match the learner's words to Level 0 and to the course's three risks."""
    lowered = level.lower()
    level_ok = bool(re.search(r"\b0\b|zero|manual", lowered)) and not re.search(
        r"\b[12]\b", lowered)
    matched: dict[int, str] = {}
    others: dict[int, str] = {}
    for i, answer in enumerate(risks):
        text = answer.lower()
        for risk, words in _RISK_WORDS.items():
            if risk not in matched.values() and any(w in text for w in words):
                matched[i] = risk
                break
        else:
            for finding, words in _OTHER_WORDS.items():
                if any(w in text for w in words):
                    others[i] = finding
                    break
    return Diagnosis(level, level_ok, tuple(risks), matched, others)


# --------------------------------------------------------------------- run


class Choice(StrEnum):
    """What the learner does at a step."""

    RUN = "run"
    CHECK = "check"
    SKIP = "skip"
    QUIT = "quit"


_CHOICES = {"run": Choice.RUN, "r": Choice.RUN, "check": Choice.CHECK, "c": Choice.CHECK,
            "": Choice.CHECK, "done": Choice.CHECK, "skip": Choice.SKIP, "s": Choice.SKIP,
            "quit": Choice.QUIT, "q": Choice.QUIT}


def parse_choice(text: str) -> Choice | None:
    """``run``/``check`` (or empty)/``skip``/``quit`` and their first letters."""
    return _CHOICES.get(text.strip().lower())


@dataclass(frozen=True)
class StepOutcome:
    """A step's check after the learner (or the lab) acted, and assess's new view."""

    step: Step
    check: CheckResult
    report: Report
    gone: tuple[str, ...]
    appeared: tuple[str, ...]


class LabIO(Protocol):
    """What the lab needs from a front end."""

    def show_intro(self, sandbox: Sandbox, resumed: bool) -> None:
        """Present the story and the sandbox."""

    def ask(self, prompt: str) -> str:
        """One line from the learner; raise EndOfInput when input ends."""

    def show_diagnosis(self, diagnosis: Diagnosis, report: Report) -> None:
        """Reveal the course's answer beside assess on the sandbox."""

    def show_step(self, step: Step, number: int, total: int, sandbox: Sandbox) -> None:
        """Present a step: why, and the commands (with the folder they run in)."""

    def choose(self, step: Step) -> Choice:
        """Run / check / skip / quit; raise EndOfInput when input ends."""

    def show_action(self, result: ActionResult) -> None:
        """One command the lab ran, with its outcome."""

    def show_outcome(self, outcome: StepOutcome) -> None:
        """The step's check and the risks that went (or stayed)."""


class LabEnded(StrEnum):
    """Why the lab stopped."""

    DONE = "done"
    QUIT = "quit"
    END_OF_INPUT = "end-of-input"
    INTERRUPTED = "interrupted"


@dataclass
class LabResult:
    """Where the lab stopped."""

    sandbox: Sandbox
    ended: LabEnded
    completed: list[str]
    skipped: list[str]
    report: Report | None
    diagnosis: Diagnosis | None = None


def assess_sandbox(sandbox: Sandbox) -> Report:
    """``catdetector assess`` on Bob's repository."""
    from catdetector.assess import assess_repository

    return assess_repository(sandbox.repo)


class Lab:
    """Runs the lab in a sandbox, through a LabIO; ``auto`` runs every step itself."""

    def __init__(self, sandbox: Sandbox, io: LabIO, *, auto: bool = False,
                 resumed: bool = False) -> None:
        self.sandbox = sandbox
        self.io = io
        self.auto = auto
        self.resumed = resumed
        self.state = load_state(sandbox)

    def run(self) -> LabResult:
        """Diagnosis, then every step not done yet; stops cleanly on EOF or Ctrl-C."""
        result = LabResult(self.sandbox, LabEnded.DONE, self.state.completed,
                           self.state.skipped, None)
        try:
            self.io.show_intro(self.sandbox, self.resumed)
            report = assess_sandbox(self.sandbox)
            if not self.state.diagnosed:
                result.diagnosis = self._diagnose(report)
                self.state.diagnosed = True
                save_state(self.sandbox, self.state)
            all_steps = steps(self.sandbox)
            for number, step in enumerate(all_steps, start=1):
                if step.key in self.state.completed:
                    continue  # a step skipped in an earlier run is offered again
                report, stop = self._step(step, number, len(all_steps), report)
                if stop:
                    result.ended = LabEnded.QUIT
                    break
            result.report = report
        except EndOfInput:
            result.ended = LabEnded.END_OF_INPUT
        except KeyboardInterrupt:
            result.ended = LabEnded.INTERRUPTED
        save_state(self.sandbox, self.state)
        if result.report is None and result.ended is not LabEnded.INTERRUPTED:
            result.report = assess_sandbox(self.sandbox)
        return result

    def _diagnose(self, report: Report) -> Diagnosis:
        answers: list[str] = []
        prompts = ["What is CatDetector.ai's MLOps maturity level?",
                   "Critical risk 1?", "Critical risk 2?", "Critical risk 3?"]
        for prompt in prompts:
            try:
                answers.append(self.io.ask(prompt))
            except EndOfInput:
                if not self.auto:
                    raise
                answers.append("")
        diagnosis = score_diagnosis(answers[0], answers[1:])
        self.io.show_diagnosis(diagnosis, report)
        return diagnosis

    def _step(self, step: Step, number: int, total: int, before: Report) -> tuple[Report, bool]:
        """Do one step until its check passes (or it is skipped); True to stop."""
        self.io.show_step(step, number, total, self.sandbox)
        while True:
            choice = Choice.RUN if self.auto else self.io.choose(step)
            if choice is Choice.QUIT:
                return before, True
            if choice is Choice.SKIP:
                if step.key not in self.state.skipped:
                    self.state.skipped.append(step.key)
                save_state(self.sandbox, self.state)
                return before, False
            if choice is Choice.RUN and not self._run_actions(step):
                continue
            check = step.check(self.sandbox)
            report = assess_sandbox(self.sandbox)
            old, new = set(before.ids), set(report.ids)
            outcome = StepOutcome(
                step, check, report,
                gone=tuple(i for i in before.ids if i not in new),
                appeared=tuple(i for i in report.ids if i not in old),
            )
            self.io.show_outcome(outcome)
            if check.ok:
                self.state.completed.append(step.key)
                if step.key in self.state.skipped:
                    self.state.skipped.remove(step.key)
                save_state(self.sandbox, self.state)
                return report, False
            if self.auto:
                raise ProjectError(f"lab step {number} ({step.title}): {check.detail}",
                                   hint=f"see {self.sandbox.root}")
            before = report

    def _run_actions(self, step: Step) -> bool:
        """Run a step's actions in order; False (after showing it) when one fails."""
        for action in step.actions:
            result = run_action(self.sandbox, action)
            self.io.show_action(result)
            if not result.ok:
                if self.auto:
                    last = result.output.splitlines()[-1] if result.output else "no output"
                    raise ExternalToolError(
                        f"lab step {step.key}: `{action.display()}` failed "
                        f"(exit {result.returncode}): {last}"
                    )
                return False
        return True
