"""What is served is what was registered: a tampered DVC remote or cache is refused."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.serve import serving
from tests.serve.conftest import ADMIN_TOKEN
from tests.serve.serving import Registry, Server, tiny_png

MISMATCH = "is not what was registered"


def remote_objects(storage: Path, dir_md5: str) -> dict[str, Path]:
    """The files of a version's bundle in a local DVC remote (DVC 3 layout), by relpath."""
    store = storage / "files" / "md5"
    listing = json.loads((store / dir_md5[:2] / f"{dir_md5[2:]}.dir").read_text())
    return {e["relpath"]: store / e["md5"][:2] / e["md5"][2:] for e in listing}


def overwrite(path: Path, data: bytes) -> None:
    """Replace a file (DVC keeps remote objects read-only) by a new inode."""
    path.chmod(0o644)
    path.unlink()
    path.write_bytes(data)


def tamper_local(reg: Registry, victim: str, donor: str) -> dict[str, bytes]:
    """Put ``donor``'s bundle files in the remote where ``victim``'s are; the old bytes.

    The donor is a whole, self-consistent bundle (its model.json names its own
    model.skops, its golden samples are its own): every check of the bundle itself passes.
    """
    victim_objs = remote_objects(reg.storage, reg.bundle_md5(victim))
    donor_objs = remote_objects(reg.storage, reg.bundle_md5(donor))
    assert set(victim_objs) == set(donor_objs)
    saved = {rel: path.read_bytes() for rel, path in victim_objs.items()}
    for rel, path in victim_objs.items():
        overwrite(path, donor_objs[rel].read_bytes())
    return saved


def restore_local(reg: Registry, victim: str, saved: dict[str, bytes]) -> None:
    """Undo :func:`tamper_local`."""
    for rel, path in remote_objects(reg.storage, reg.bundle_md5(victim)).items():
        overwrite(path, saved[rel])


def refusals(server: Server, reason: str) -> float:
    """The refusal counter of ``reason`` (0 when absent)."""
    metrics = server.http.get("/metrics").text
    found = re.search(rf'catdetector_model_refusals_total\{{reason="{reason}"\}} (\S+)', metrics)
    return float(found.group(1)) if found else 0.0


@dataclass
class Tampered:
    """A private registry, and its own copy of the DVC remote with v2's files replaced."""

    reg: Registry
    storage: Path
    saved: dict[str, bytes]

    def args(self) -> list[str]:
        """serve options: follow prod, fetch from the tampered copy."""
        return ["--registry", self.reg.url, "--stage", "prod", "--remote-config", self.url]

    @property
    def url(self) -> str:
        return f"url={self.storage}"

    def repair(self) -> None:
        """Put v2's registered files back."""
        objs = remote_objects(self.storage, self.reg.bundle_md5(self.reg.c2))
        for rel, path in objs.items():
            overwrite(path, self.saved[rel])


@pytest.fixture
def tampered(private_registry: Registry, tmp_path: Path) -> Tampered:
    """The remote (a copy: the session's is shared) holds v1's bundle under v2's hash."""
    storage = tmp_path / "storage"
    shutil.copytree(private_registry.storage, storage)
    reg = replace(private_registry, storage=storage)
    return Tampered(reg, storage, tamper_local(reg, reg.c2, reg.c1))


def test_a_tampered_remote_is_refused_and_the_old_model_keeps_serving(
    tampered: Tampered, start_server: Callable[..., Server]
) -> None:
    reg = tampered.reg
    server = start_server(*tampered.args())
    assert server.model()["version"] == reg.v1
    server.wait_log(f"prefetch of {reg.v2} failed")  # not even prefetched into the cache
    assert not (server.cache_dir / "bundles" / reg.bundle_md5(reg.c2)).exists()

    reg.promote(reg.v2)
    info = server.wait_check(reg.v2)
    check = info["last_check"]
    assert check["ok"] is False and MISMATCH in check["error"], check
    assert reg.bundle_md5(reg.c2) in check["error"]  # names the registered hash
    assert info["version"] == reg.v1
    ready = server.http.get("/readyz")
    assert ready.status_code == 200
    assert MISMATCH in ready.json()["last_candidate_refused"]["error"]
    resp = server.predict(tiny_png())
    assert resp.status_code == 200 and resp.json()["version"] == reg.v1
    server.wait_log(f"refused {reg.v2}")
    assert f"still serving {reg.v1}" in server.log()
    assert refusals(server, "integrity") == 1
    assert not (server.cache_dir / "bundles" / reg.bundle_md5(reg.c2)).exists()


def test_a_bad_copy_in_the_cache_is_evicted_after_a_restart(
    tampered: Tampered,
    start_server: Callable[..., Server],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = tampered.reg
    reg.promote(reg.v2)
    # An older catdetector fetched v2 from the tampered remote and kept it: the cache holds
    # v1's files under v2's hash (complete and self-consistent, as that version left it).
    port = serving.free_port()
    bad = tmp_path / f"cache-{port}" / "bundles" / reg.bundle_md5(reg.c2)
    for rel, path in remote_objects(reg.storage, reg.bundle_md5(reg.c1)).items():
        (bad / rel).parent.mkdir(parents=True, exist_ok=True)
        (bad / rel).write_bytes(path.read_bytes())
    monkeypatch.setattr(serving, "free_port", lambda: port)

    server = start_server(*tampered.args(), ready=False, CATDETECTOR_ADMIN_TOKEN=ADMIN_TOKEN)
    assert server.cache_dir == bad.parent.parent
    server.wait_ready(path="/healthz")
    info = server.wait_check(reg.v2)
    assert info["last_check"]["ok"] is False and MISMATCH in info["last_check"]["error"]
    assert info["version"] is None  # nothing else to serve: not ready, and never v1 as v2
    ready = server.http.get("/readyz")
    assert ready.status_code == 503 and MISMATCH in ready.json()["detail"]
    assert server.predict(tiny_png()).status_code == 503
    assert f"the cached bundle {reg.bundle_md5(reg.c2)} {MISMATCH}" in server.log()
    assert "evicted from the cache" in server.log()
    assert not bad.exists()
    assert refusals(server, "integrity") == 1

    # the remote is repaired: a reload fetches the registered files and serves them
    tampered.repair()
    resp = server.http.post(
        "/v1/admin/reload", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=300
    )
    assert resp.status_code == 200 and resp.json()["version"] == reg.v2, resp.text
    info = server.model()
    assert info["last_check"]["ok"] is True
    assert info["last_check"]["checks"]["fetched_from_network"] is True
    assert bad.is_dir()  # the registered files, this time


def test_predict_from_the_registry_checks_the_content(tampered: Tampered, tmp_path: Path) -> None:
    from catdetector.core.errors import IntegrityError
    from tests.support import cli

    reg = tampered.reg
    image = tmp_path / "x.png"
    image.write_bytes(tiny_png())
    common = ["--registry", reg.url, "--remote-config", tampered.url]
    good = cli("predict", str(image), *common, "--stage", "prod", "--json", cwd=tmp_path)
    assert json.loads(good.stdout)[0]["version"] == reg.v1
    bad = cli("predict", str(image), *common, "--version", reg.v2, cwd=tmp_path, check=False)
    assert bad.returncode == IntegrityError.exit_code, bad.stderr
    assert MISMATCH in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
