"""The lab's folder: Bob's broken project, Alice's server, and the lab's own state.

``create_sandbox`` writes the broken startup from the file templates shipped in
``templates/`` (package data): Bob's project (training code, images,
``model.h5``, Alice's API code with its own requirements), not under version
control, and Alice's server folder where the emailed model lands.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from catdetector.core.errors import ProjectError, UsageError
from catdetector.core.fsutil import write_bytes, write_json

MARKER = ".catdetector-lab.json"


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


def template(name: str) -> str:
    """The text of one of the lab's file templates (package data)."""
    return (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")


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


def broken_files() -> dict[str, bytes]:
    """Relative path -> content of Bob's project, before any fix."""
    files: dict[str, bytes] = {
        "README.md": template("README-repo.md").encode(),
        "train.py": template("train.py.tmpl").encode(),
        "features.py": template("features.py.tmpl").encode(),
        "requirements.txt": template("requirements-bob.txt").encode(),
        "server/app.py": template("app.py.tmpl").encode(),
        "server/requirements.txt": template("requirements-alice.txt").encode(),
    }
    for label, colours in (("cat", _CATS), ("dog", _DOGS)):
        for i, rgb in enumerate(colours, start=1):
            files[f"data/{label}/{label}{i:02d}.ppm"] = _ppm(rgb)
    return files


def model_bytes(files: dict[str, bytes]) -> bytes:
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
    write_json(sandbox.marker, asdict(state))


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
        files = broken_files()
        for rel, data in files.items():
            write_bytes(sandbox.repo / rel, data)
        model = model_bytes(files)
        write_bytes(sandbox.repo / "model.h5", model)
        write_bytes(sandbox.server / "models" / "model.h5", model)
        write_bytes(sandbox.server / "README.txt", template("README-server.txt").encode())
        write_bytes(sandbox.root / "LAB.md",
                    template("LAB.md").format(root=sandbox.root).encode())
    except OSError as exc:
        raise UsageError(f"cannot create the lab in {root}: {exc.strerror}") from None
    save_state(sandbox, LabState(created=datetime.now(UTC).isoformat(timespec="seconds")))
    return sandbox, False
