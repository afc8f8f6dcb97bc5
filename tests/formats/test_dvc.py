"""catdetector.formats.dvc and .dvcremote against the real `dvc` on real repositories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from catdetector.formats import dvc, dvcremote
from tests.support import git, run


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """git + dvc repo: data/ added, a stage writing out/, pushed to a relative local remote."""
    root = tmp_path_factory.mktemp("dvcfmt") / "repo"
    root.mkdir()
    git("init", "-q", cwd=root)
    run(["dvc", "init", "-q"], root)
    (root / "data" / "sub").mkdir(parents=True)
    (root / "data" / "a.txt").write_text("alpha\r\n")  # CRLF: DVC 3 hashes bytes as they are
    (root / "data" / "sub" / "b.bin").write_bytes(bytes(range(256)) * 9)
    (root / "data" / "empty").write_bytes(b"")
    run(["dvc", "add", "-q", "data"], root)
    command = "mkdir -p out && cp -r data/sub out/ && echo done > out/flag"
    run(["dvc", "stage", "add", "-q", "-n", "make", "-d", "data", "-o", "out", command], root)
    run(["dvc", "repro", "-q"], root)
    run(["dvc", "remote", "add", "-d", "store", "../storage"], root)
    run(["dvc", "remote", "modify", "--local", "store", "jobs", "3"], root)
    run(["dvc", "push", "-q"], root)
    return root


def test_dir_md5_and_listing_are_what_dvc_records(repo: Path) -> None:
    out = dvc.read_dvcfile_out(repo / "data.dvc")
    assert out is not None and out.path == "data" and out.is_dir and out.hash == "md5"
    assert dvc.dir_md5(repo / "data") == out.md5
    assert out.nfiles == 3
    cached = dvcremote.find_object(repo / ".dvc" / "cache", out.md5)
    assert cached is not None
    assert dvc.dir_entries(repo / "data") == json.loads(cached.read_text())
    for entry in dvc.dir_entries(repo / "data"):
        assert dvc.file_md5(repo / "data" / entry["relpath"]) == entry["md5"]
    with pytest.raises(FileNotFoundError):
        dvc.dir_md5(repo / "missing")


def test_lock_outputs_are_what_dvc_records(repo: Path) -> None:
    text = (repo / "dvc.lock").read_text()
    out = dvc.lock_out(text, "out", stage="make")
    assert out is not None and out.md5 == dvc.dir_md5(repo / "out")
    assert dvc.lock_out(text, Path("out")) == out
    assert dvc.lock_out(text, "out", stage="other") is None
    assert dvc.lock_out(text, "data") is None  # a dependency, not an output
    assert list(dvc.lock_outs(text)) == ["make"]
    for bad in ("", "stages: 3", ":\n - [", "outs: []"):
        assert dvc.lock_outs(bad) == {}
        assert dvc.dvcfile_outs(bad) == []


def test_default_remote_is_read_as_dvc_reads_it(repo: Path) -> None:
    remote = dvcremote.default_remote(repo)
    assert remote is not None and remote.name == "store"
    url = run(["dvc", "remote", "list"], repo).stdout.split()
    assert url[0] == "store" and Path(url[1]).resolve() == Path(remote.url).resolve()
    assert remote.local_path == (repo.parent / "storage").resolve()
    assert remote.options["jobs"] == "3"  # from .dvc/config.local
    assert dvcremote.local_remote(repo) == remote.local_path


def test_remote_config_errors_and_absence(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git("init", "-q", cwd=root)
    run(["dvc", "init", "-q"], root)
    assert dvcremote.default_remote(root) is None
    run(["dvc", "remote", "add", "-d", "s3r", "s3://bucket/prefix"], root)
    remote = dvcremote.default_remote(root)
    assert remote is not None and remote.local_path is None
    assert dvcremote.local_remote(root) is None
    (root / ".dvc" / "config").write_text("[core\nremote = x\n")
    with pytest.raises(dvcremote.RemoteConfigError):
        dvcremote.default_remote(root)
    assert dvcremote.local_remote(root) is None


def test_cache_layout_dvc3_and_dvc2(repo: Path, tmp_path: Path) -> None:
    storage = repo.parent / "storage"
    out = dvc.read_dvcfile_out(repo / "data.dvc")
    assert out is not None
    listing = dvcremote.object_path(storage, out.md5)
    assert listing.is_file()
    assert listing == storage / "files" / "md5" / out.md5[:2] / out.md5[2:]
    assert dvcremote.has_output(storage, out.md5)
    entries = dvcremote.dir_listing(storage, out.md5)
    assert entries is not None and len(entries) == 3
    assert dvcremote.has_output(storage, entries[0]["md5"])  # one file
    # DVC 2 kept the same objects at the top of the store (no files/md5/)
    old = tmp_path / "dvc2"
    shutil.copytree(storage / "files" / "md5", old)
    assert dvcremote.object_path(old, out.md5, layout=2) == old / out.md5[:2] / out.md5[2:]
    assert dvcremote.has_output(old, out.md5)
    first = dvcremote.find_object(old, entries[0]["md5"])
    assert first is not None
    first.unlink()
    assert not dvcremote.has_output(old, out.md5)
    assert dvcremote.dir_listing(old, "0" * 32 + ".dir") is None
