"""The hashed environment lock and catdetector's source, as `init` writes them (offline)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tomllib
import zipfile
from pathlib import Path

import pytest

from catdetector.core.errors import ConfigError
from catdetector.release import envlock
from tests.support import cli, git

REPO = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _constraints() -> dict[str, str | None]:
    text = (REPO / "constraints.txt").read_text()
    return {n: p.version for n, p in envlock.parse_lock(text, "constraints.txt").items()}


def test_packaged_lock_is_in_sync_with_constraints_and_the_installed_closure() -> None:
    pins = envlock.parse_lock(envlock.packaged_lock_text(), "third-party.lock")
    needed = envlock.closure()
    assert needed.pop("catdetector") == "0.1.0"
    for tool in envlock.CI_TOOLS:
        needed.update(envlock.closure(tool))
    assert set(pins) == set(needed), "regenerate with scripts/lock.py"
    constraints = _constraints()
    assert {n: p.version for n, p in pins.items()} == {n: constraints.get(n) for n in pins}
    for pin in pins.values():
        assert pin.hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes)


def test_build_backend_is_pinned_to_the_constraints_version() -> None:
    build = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]
    pins = dict(req.split("==") for req in build["requires"])
    assert pins == {"setuptools": _constraints()["setuptools"]}


def test_default_init_vendors_a_hashed_wheel_of_this_catdetector(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    cli("init", str(root), cwd=tmp_path)
    wheel = root / "vendor" / "catdetector-0.1.0-py3-none-any.whl"
    assert git("ls-files", "vendor", cwd=root) == "vendor/catdetector-0.1.0-py3-none-any.whl"
    lock = (root / "requirements.lock").read_text()
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f"./vendor/{wheel.name} \\\n    --hash=sha256:{digest}\n" in lock
    pins = envlock.read_lock(root / "requirements.lock")
    assert pins["catdetector"].version == "0.1.0" and "scikit-learn" in pins
    assert all(p.hashes for p in pins.values())  # pip's --require-hashes mode accepts it
    assert set(envlock.CI_TOOLS) <= set(pins)  # the CI script's `test` step runs pytest
    assert not (root / "requirements-catdetector.txt").exists()

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        record = zf.read("catdetector-0.1.0.dist-info/RECORD").decode()
        entry_points = zf.read("catdetector-0.1.0.dist-info/entry_points.txt").decode()
        for line in record.splitlines():
            name, digest_field, _ = line.split(",")
            if digest_field:
                raw = hashlib.sha256(zf.read(name)).digest()
                assert (
                    digest_field == "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
                )
    assert "catdetector/cli/__init__.py" in names
    assert "catdetector/resources/third-party.lock" in names
    assert not any("__pycache__" in n for n in names)
    assert "catdetector = catdetector.cli:main" in entry_points

    other = tmp_path / "other"
    cli("init", str(other), cwd=tmp_path)
    assert (other / "vendor" / wheel.name).read_bytes() == wheel.read_bytes()  # deterministic
    report = json.loads(cli("env", "check", "--json", cwd=root).stdout)
    assert report["ok"] and report["differences"] == []


def test_init_copies_a_given_wheel(tmp_path: Path) -> None:
    cli("init", str(tmp_path / "a"), cwd=tmp_path)
    given = tmp_path / "catdetector-0.1.0-py3-none-any.whl"
    given.write_bytes((tmp_path / "a/vendor" / given.name).read_bytes())
    root = tmp_path / "b"
    cli("init", str(root), "--catdetector-source", str(given), cwd=tmp_path)
    assert (root / "vendor" / given.name).read_bytes() == given.read_bytes()


def test_init_with_an_index_version(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    out = cli("init", str(root), "--catdetector-source", "0.1.0", "--json", cwd=tmp_path)
    assert json.loads(out.stdout)["catdetector_source"] == "index"
    assert not (root / "vendor").exists()
    lock = envlock.read_lock(root / "requirements.lock")
    assert lock["catdetector"].version == "0.1.0"
    assert "catdetector" not in envlock.parse_lock((root / "requirements.lock").read_text(), "x")
    assert "catdetector==0.1.0" in (root / "requirements-catdetector.txt").read_text()
    assert "requirements-catdetector.txt" in git("ls-files", cwd=root)
    assert json.loads(cli("env", "check", "--json", cwd=root).stdout)["differences"] == []


def test_init_with_a_git_commit(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    url = f"git+https://example.invalid/catdetector.git@{COMMIT}"
    cli("init", str(root), "--catdetector-source", url, cwd=tmp_path)
    assert f"catdetector @ {url}" in (root / "requirements-catdetector.txt").read_text()
    report = json.loads(cli("env", "check", "--json", cwd=root).stdout)
    # this editable install came from no commit: reported, not needed by the model
    assert report["ok"]
    assert [(d["name"], d["expected"]) for d in report["differences"]] == [
        ("catdetector", f"commit {COMMIT}")
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("git+https://example.invalid/c.git@main", "full commit"),
        ("git+https://example.invalid/c.git", "full commit"),
        ("not a version", "is not 'wheel'"),
        ("numpy-2.0.0-py3-none-any.whl", "not catdetector"),
        ("catdetector-0.1.0-py3-none-any.whl", "no such wheel"),
        ("catdetector.whl", "Invalid wheel filename"),
    ],
)
def test_init_rejects_bad_sources(tmp_path: Path, source: str, message: str) -> None:
    proc = cli(
        "init", str(tmp_path / "p"), "--catdetector-source", source, cwd=tmp_path, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "p").exists()


def test_lock_parser_errors_name_the_line(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    lock.write_text("# c\nnumpy==2.0 \\\n    --hash=sha256:00\nscipy>=1\n")
    with pytest.raises(ConfigError, match=r"x.lock:4: expected 'name==version'"):
        envlock.read_lock(lock)
    lock.write_text(f"catdetector @ git+https://h/c.git@{COMMIT[:7]}\n")
    with pytest.raises(ConfigError, match="pins no commit"):
        envlock.read_lock(lock)
