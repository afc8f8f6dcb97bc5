"""`catdetector init` and `deploy kubernetes`: the files they write, what they refuse."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from catdetector.release import kubernetes, podresources
from tests.support import cli, git

MANIFESTS = (
    "configmap.yaml",
    "deployment.yaml",
    "service.yaml",
    "poddisruptionbudget.yaml",
    "horizontalpodautoscaler.yaml",
)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory, isolated_home: Path) -> Path:
    """A project just made by `catdetector init` (read-only: copy it to change it)."""
    root = tmp_path_factory.mktemp("k8s") / "cats"
    cli("init", str(root), cwd=root.parent)
    return root


@pytest.fixture
def project(initialised: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "cats"
    shutil.copytree(initialised, dest, symlinks=True)
    return dest


def test_init_writes_and_commits_valid_deployment_files(initialised: Path) -> None:
    out = initialised / kubernetes.OUT
    assert sorted(p.name for p in out.iterdir()) == sorted(MANIFESTS)
    for name in MANIFESTS:
        manifest = yaml.safe_load((out / name).read_text())
        kubernetes_validate.validate(manifest, kubernetes.KUBERNETES_VERSION, strict=True)
    tracked = git("ls-files", cwd=initialised).splitlines()
    assert {"Dockerfile", ".dockerignore", *(f"deploy/kubernetes/{n}" for n in MANIFESTS)} <= set(
        tracked
    )
    assert git("status", "--porcelain", cwd=initialised) == ""
    config = yaml.safe_load((out / "configmap.yaml").read_text())["data"]
    assert "REPLACE-ME" in config["REGISTRY_URL"]  # no origin yet: a placeholder to replace


def test_the_container_file_parses_and_builds_from_the_lock(initialised: Path) -> None:
    text = (initialised / "Dockerfile").read_text()
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    assert parser.baseimage == kubernetes.BASE_IMAGE
    instructions = [(i["instruction"], i["value"]) for i in parser.structure]
    users = [v for k, v in instructions if k == "USER"]
    assert users == [f"{kubernetes.UID}:{kubernetes.UID}"]  # the manifests' runAsUser
    runs = " ".join(v for k, v in instructions if k == "RUN")
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in runs
    assert f"--uid {kubernetes.UID}" in runs
    copies = [v for k, v in instructions if k == "COPY"]
    assert copies == ["requirements.lock vendor/ ./"]  # the vendored wheel the lock pins
    assert any(k == "ENTRYPOINT" and "catdetector" in v for k, v in instructions)
    # the image the manifests name is the one the file's comment builds
    deployment = yaml.safe_load((initialised / kubernetes.OUT / "deployment.yaml").read_text())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert f"docker build -t {image} ." in text
    assert image.startswith("cats:lock-")
    ignore = (initialised / ".dockerignore").read_text().splitlines()
    assert "*" in ignore and "!requirements.lock" in ignore and "!vendor/" in ignore


def test_assess_reads_the_generated_files_as_deployment_files(initialised: Path) -> None:
    from catdetector.assess.api import assess_repository
    from catdetector.assess.facts import Facts
    from catdetector.assess.scan import scan

    facts = Facts(scan(initialised))
    found = {(e.file, e.detail) for e in facts.deployment_manifests}
    assert ("Dockerfile", "container image (Dockerfile)") in found
    assert ("deploy/kubernetes/deployment.yaml", "Kubernetes manifest") in found
    (spec,) = [s for s in facts.env_specs if s.kind == "dockerfile"]
    assert spec.path == "Dockerfile"
    assert spec.includes == ["requirements.lock"]  # installs the lock ...
    assert "requirements.lock" in facts.lock_files  # ... which assess reads as a lock
    assert spec.python is not None and spec.python[0] == "3.11"
    report = assess_repository(initialised)
    assert "no-deployment-manifest" not in {f.id for f in report.findings}


def test_deploy_kubernetes_writes_the_platform_choices(project: Path, tmp_path: Path) -> None:
    git(
        "remote",
        "add",
        "origin",
        "https://bob:hunter2-token@git.example.org/team/cats.git",
        cwd=project,
    )
    out = tmp_path / "gitops" / "cats"
    proc = cli(
        "deploy", "kubernetes", str(project), "--out", str(out), "--replicas", "3",
        "--max-replicas", "9", "--image", "registry.example.org/cats:v1", "--git-auth", "ssh",
        "--namespace", "ml", "--s3-endpoint", "https://minio.example.org", "--force",
        cwd=tmp_path,
    )  # fmt: skip
    assert "docs/deploy.md" in proc.stdout
    manifests = {n: yaml.safe_load((out / n).read_text()) for n in MANIFESTS}
    for manifest in manifests.values():
        kubernetes_validate.validate(manifest, kubernetes.KUBERNETES_VERSION, strict=True)
    config = manifests["configmap.yaml"]["data"]
    assert config["REGISTRY_URL"] == "https://git.example.org/team/cats.git"  # no userinfo
    spec = manifests["deployment.yaml"]["spec"]
    assert spec["replicas"] == 3
    assert spec["template"]["spec"]["containers"][0]["image"] == "registry.example.org/cats:v1"
    assert "docker build -t registry.example.org/cats:v1 ." in (project / "Dockerfile").read_text()
    everything = "".join(p.read_text() for p in [*out.iterdir(), project / "Dockerfile"])
    assert "hunter2-token" not in everything and "bob:" not in everything


def test_deploy_kubernetes_counts_the_shadow_process_unless_told_no_shadow(
    project: Path, tmp_path: Path
) -> None:
    cases: tuple[tuple[list[str], str], ...] = (
        ([], podresources.SHADOW_MEMORY_LIMIT),
        (["--no-shadow"], "1Gi"),
    )
    for flags, limit in cases:
        out = tmp_path / ("alone" if flags else "shadow")
        args = ["--out", str(out), "--force", "--json", "--no-canary", *flags]
        proc = cli("deploy", "kubernetes", str(project), *args, cwd=tmp_path)
        assert json.loads(proc.stdout)["shadow_process"] is not bool(flags)
        deployment = yaml.safe_load((out / "deployment.yaml").read_text())
        kubernetes_validate.validate(deployment, kubernetes.KUBERNETES_VERSION, strict=True)
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["resources"]["limits"]["memory"] == limit
        assert ("--no-shadow" in container["args"]) is bool(flags)


def test_deploy_kubernetes_counts_the_canary_unless_told_no_canary(
    project: Path, tmp_path: Path
) -> None:
    cases: tuple[tuple[list[str], tuple[bool, bool]], ...] = (
        ([], (True, True)),
        (["--no-canary"], (True, False)),
        (["--no-shadow"], (False, True)),
        (["--no-shadow", "--no-canary"], (False, False)),
    )
    for flags, (shadow, canary) in cases:
        out = tmp_path / ("-".join(flags) or "default")
        args = ["--out", str(out), "--force", "--json", *flags]
        proc = cli("deploy", "kubernetes", str(project), *args, cwd=tmp_path)
        used = json.loads(proc.stdout)
        assert (used["shadow_process"], used["canary"]) == (shadow, canary)
        deployment = yaml.safe_load((out / "deployment.yaml").read_text())
        kubernetes_validate.validate(deployment, kubernetes.KUBERNETES_VERSION, strict=True)
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        (request, _), (limit, _) = podresources.memory(shadow, canary)
        assert container["resources"]["requests"]["memory"] == request
        assert container["resources"]["limits"]["memory"] == limit
        assert ("--no-canary" in container["args"]) is not canary
        assert ("--no-shadow" in container["args"]) is not shadow


def test_no_secret_of_the_environment_reaches_a_file(project: Path, tmp_path: Path) -> None:
    secrets = {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID0001",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-example-secret-key",
        "CATDETECTOR_LOG_DB": "postgresql://catdetector:pg-pass-1234@db.example.org/log",
        "CATDETECTOR_REGISTRY": "https://bot:registry-token-5678@git.example.org/cats.git",
        "CATDETECTOR_ADMIN_TOKEN": "admin-token-9012",
        "GIT_TOKEN": "git-token-3456",
    }
    env = {**os.environ, **secrets}
    cli("deploy", "kubernetes", "--force", cwd=project, env=env)
    written = [project / "Dockerfile", project / ".dockerignore"]
    written += [project / kubernetes.OUT / n for n in MANIFESTS]
    for path in written:
        text = path.read_text()
        assert [v for v in secrets.values() if v in text] == [], path
        assert "pg-pass" not in text and "registry-token" not in text
    deployment = (project / kubernetes.OUT / "deployment.yaml").read_text()
    assert "secretKeyRef" in deployment and "kind: Secret" not in deployment


def test_deploy_refuses_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("mine")
    proc = cli("deploy", "kubernetes", str(plain), cwd=tmp_path, check=False)
    assert proc.returncode == 4
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "is not a catdetector project" in lines[0] and "Traceback" not in proc.stderr
    assert sorted(p.name for p in plain.iterdir()) == ["notes.txt"]


def test_deploy_refuses_to_overwrite_without_force(project: Path) -> None:
    deployment = project / kubernetes.OUT / "deployment.yaml"
    deployment.write_text("# edited by the platform team\n")
    proc = cli("deploy", "kubernetes", "--replicas", "4", cwd=project, check=False)
    assert proc.returncode == 2
    assert "deployment file(s) exist" in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert deployment.read_text() == "# edited by the platform team\n"  # nothing lost
    cli("deploy", "kubernetes", "--replicas", "4", "--force", cwd=project)
    assert yaml.safe_load(deployment.read_text())["spec"]["replicas"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage", "qa"], "the registry's stages are"),
        (["--registry", "https://u:tok@git.example.org/r.git"], "put them in a Secret"),
        (["--registry", "https://tok3n@git.example.org/r.git"], "put them in a Secret"),
        (["--name", "Cats_Prod"], "lower-case letters"),
        (["--replicas", "5", "--max-replicas", "2"], "--replicas must be"),
        (["--git-auth", "password"], "--git-auth: choose token, ssh, none"),
    ],
)
def test_deploy_refuses_bad_options_in_one_line(
    project: Path, args: list[str], message: str
) -> None:
    before = (project / kubernetes.OUT / "deployment.yaml").read_text()
    proc = cli("deploy", "kubernetes", "--force", *args, cwd=project, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert "tok" not in proc.stderr.replace("token", "")
    assert (project / kubernetes.OUT / "deployment.yaml").read_text() == before


def test_a_project_installing_catdetector_from_an_index_builds_it_after_the_lock(
    tmp_path: Path,
) -> None:
    from catdetector.release.deploy import containerfile

    (tmp_path / "requirements.lock").write_text("dvc==3.0.0 --hash=sha256:" + "0" * 64 + "\n")
    (tmp_path / "requirements-catdetector.txt").write_text("catdetector==0.1.0\n")
    text = containerfile(tmp_path, "cats:v1")
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    copies = [i["value"] for i in parser.structure if i["instruction"] == "COPY"]
    assert copies == ["requirements.lock requirements-catdetector.txt ./"]
    runs = " ".join(i["value"] for i in parser.structure if i["instruction"] == "RUN")
    hashed = runs.index("--require-hashes -r requirements.lock")
    assert runs.index("--no-deps -r requirements-catdetector.txt") > hashed


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://bob:tok3n-value@git.example.org/team/cats.git", "https://git.example.org/team/cats.git"),
        ("git@git.example.org:team/cats.git", "git@git.example.org:team/cats.git"),
        ("ssh://git@git.example.org/team/cats.git", "ssh://git@git.example.org/team/cats.git"),
        ("/srv/git/cats.git", ""),
        ("file:///srv/git/cats.git", ""),
        (None, ""),
    ],
)  # fmt: skip
def test_the_registry_url_defaults_to_origin_without_credentials(
    tmp_path: Path, origin: str | None, expected: str
) -> None:
    from catdetector.release.deploy import origin_url

    git("init", "-q", str(tmp_path), cwd=tmp_path)
    if origin is not None:
        git("remote", "add", "origin", origin, cwd=tmp_path)
    assert origin_url(tmp_path) == expected
