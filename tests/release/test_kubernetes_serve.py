"""The Deployment's container, run as a process: its command, its environment, its volumes.

No cluster here: the manifest's ``$(VAR)`` references are expanded from the ConfigMap as
the kubelet does, its Secret references get test values, its volumes become temporary
folders and its address a loopback port. What this proves: `catdetector serve` takes the
command line as written, finds the log and the registry's settings where the manifest
puts them, becomes ready on the readiness probe's path, and logs a prediction that a
SIGTERM (what Kubernetes sends after preStop) does not lose.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
import yaml

from catdetector.monitor import store
from catdetector.release import kubernetes
from catdetector.release.kubernetes import Options
from tests.serve.serving import Server, clean_env, tiny_png
from tests.support import cli, copy_project, git, publish, run

LOOPBACK = {"--host", "--port", "--cache-dir"}  # given by the test's Server: 127.0.0.1, a free port


def one_version_registry(trained_project: Path, work: Path) -> tuple[Path, str]:
    """A bare origin and a local DVC remote with v1 in prod."""
    proj = copy_project(trained_project, work)
    run(["dvc", "remote", "modify", "storage", "url", str(work / "storage")], proj)
    (proj / ".dvc" / "config.local").unlink(missing_ok=True)
    git("commit", "-qam", "remote: this test's storage", cwd=proj)
    origin = publish(proj, work)
    version = json.loads(cli("register", "--push", "--json", cwd=proj).stdout)["version"]
    cli("promote", version, "--stage", "prod", "--push", cwd=proj)
    return origin, version


def as_process(
    options: Options, secrets: dict[str, dict[str, str]], work: Path
) -> tuple[list[str], dict[str, str]]:
    """The container's arguments and environment, with volumes mapped into ``work``."""
    manifests = {
        name: yaml.safe_load(kubernetes.render(doc))
        for name, doc in kubernetes.manifests(options).items()
    }
    pod = manifests["deployment.yaml"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    volumes = {m["mountPath"]: work / m["name"] for m in container["volumeMounts"]}
    for folder in volumes.values():
        folder.mkdir(parents=True, exist_ok=True)

    def local(value: str) -> str:
        for mount, folder in volumes.items():
            if value == mount or value.startswith(mount + "/"):
                return str(folder) + value[len(mount) :]
        return value

    env = clean_env(**manifests["configmap.yaml"]["data"])  # envFrom: the ConfigMap
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = local(item["value"])
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
    argv = [*container["command"], *container["args"]]
    expanded = [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], local(a)) for a in argv]
    assert expanded[:2] == ["catdetector", "serve"]
    args: list[str] = []
    rest = iter(expanded[2:])
    for arg in rest:
        if arg in LOOPBACK:
            next(rest)
        else:
            args.append(arg)
    return args, env


@pytest.mark.slow
def test_the_container_command_serves_logs_and_stops_cleanly(
    trained_project: Path, tmp_path: Path
) -> None:
    origin, version = one_version_registry(trained_project, tmp_path / "registry")
    options = Options(registry=str(origin))
    log_db = tmp_path / "log.sqlite"  # the Secret's URL: a SQLite file will do for one server
    secrets = {
        options.secret("postgres"): {"url": str(log_db)},
        options.secret("s3"): {
            "AWS_ACCESS_KEY_ID": "AKIAK8STESTKEYID0001",
            "AWS_SECRET_ACCESS_KEY": "k8s-test-secret-access-key",
        },
        options.secret("registry-git"): {"username": "deploy-bot", "token": "k8s-test-git-token"},
    }
    args, env = as_process(options, secrets, tmp_path / "pod")
    assert "--registry" in args and str(origin) in args and "--stage" in args
    server = Server(args, tmp_path, env)
    try:
        ready = server.wait_ready(timeout=120, path="/readyz")
        assert ready["version"] == version
        resp = server.predict(tiny_png())
        assert resp.status_code == 200 and resp.json()["version"] == version
        # the Secrets' values are in the environment only, never on the command line
        cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().decode()
        for values in secrets.values():
            for value in values.values():
                assert value not in cmdline or value == str(log_db)
        assert str(log_db) not in cmdline  # the log's URL comes from CATDETECTOR_LOG_DB
    finally:
        server.stop()  # SIGTERM, as Kubernetes after preStop
    # uvicorn shuts down cleanly, then re-raises the signal (exit status: killed by SIGTERM)
    assert server.proc.returncode in (0, -signal.SIGTERM), server.log()
    assert "Application shutdown complete" in server.log()
    log = store.open(str(log_db))
    try:
        assert log.count_predictions() == 1
        assert log.request_ids() == {resp.headers["x-request-id"]}
    finally:
        log.close()
    kept = [p for p in (tmp_path / "pod" / "inputs").rglob("*") if p.is_file()]
    assert len(kept) == 1  # the input, in the inputs volume
    assert any((tmp_path / "pod" / "tmp").iterdir())  # HOME and DVC's site cache: the tmp volume
