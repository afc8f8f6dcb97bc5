"""The Kubernetes manifests: valid against the pinned schema, offline, and safe to apply."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from catdetector.release import kubernetes, podresources
from catdetector.release.kubernetes import Options

OPTION_SETS = {
    "defaults": Options(),
    "ssh-namespace-claim-endpoint": Options(
        name="cats-prod",
        namespace="ml",
        image="registry.example.org/team/cats:lock-0123456789ab",
        registry="git@git.example.org:team/cats.git",
        replicas=3,
        max_replicas=10,
        cpu_target=60,
        s3_endpoint="https://minio.example.org:9000",
        git_auth="ssh",
        inputs_claim="cats-inputs",
    ),
    "one-replica-no-git-auth": Options(
        name="cats", replicas=1, max_replicas=1, git_auth="none", stage="staging"
    ),
    "no-shadow": Options(shadow=False),
    "no-canary": Options(canary=False),
    "no-shadow-no-canary": Options(shadow=False, canary=False),
}

_NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "urllib.Request", "http.client.connect")
_seen: list[str] = []
_recording = [False]


def _audit(event: str, _args: tuple[Any, ...]) -> None:
    if _recording[0] and event in _NETWORK_EVENTS:
        _seen.append(event)


sys.addaudithook(_audit)  # records only while a test turns it on (hooks cannot be removed)


@pytest.fixture
def no_network() -> Iterator[list[str]]:
    """The network events (connect, name lookups, URL opens) seen while the test runs."""
    _seen.clear()
    _recording[0] = True
    try:
        yield _seen
    finally:
        _recording[0] = False


def rendered(options: Options) -> dict[str, dict[str, Any]]:
    """Each manifest as a plain dict, read back from its YAML text."""
    return {
        name: yaml.safe_load(kubernetes.render(doc))
        for name, doc in kubernetes.manifests(options).items()
    }


def pod_spec(options: Options) -> dict[str, Any]:
    spec: dict[str, Any] = rendered(options)["deployment.yaml"]["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("label", sorted(OPTION_SETS))
def test_every_manifest_validates_offline_against_the_pinned_schema(
    label: str, no_network: list[str]
) -> None:
    manifests = rendered(OPTION_SETS[label])
    kinds = set()
    for name, manifest in manifests.items():
        version = kubernetes_validate.validate(manifest, kubernetes.KUBERNETES_VERSION, strict=True)
        assert version == kubernetes.KUBERNETES_VERSION, name
        kinds.add(manifest["kind"])
    assert kinds == {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    }
    assert no_network == [], "validation went to the network"


def test_the_validation_is_strict_enough_to_catch_a_mistake(no_network: list[str]) -> None:
    deployment = rendered(Options())["deployment.yaml"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["paht"] = "/readyz"  # a typo: an unknown field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes.KUBERNETES_VERSION, strict=True)
    container["readinessProbe"]["httpGet"].pop("paht")
    container["resources"]["limits"]["memory"] = ["1Gi"]  # wrong type
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes.KUBERNETES_VERSION, strict=True)
    assert no_network == []


@pytest.mark.parametrize("label", sorted(OPTION_SETS))
def test_non_root_read_only_root_and_every_written_path_is_a_volume(label: str) -> None:
    options = OPTION_SETS[label]
    pod = pod_spec(options)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == kubernetes.UID
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    args = container["args"]
    # the folders the server writes: bundle cache, kept inputs, HOME, DVC's site cache, /tmp
    written = [
        args[args.index("--cache-dir") + 1],
        args[args.index("--log-images") + 1],
        env["HOME"],
        env["DVC_SITE_CACHE_DIR"],
    ]
    for path in written:
        assert any(path == m or path.startswith(m + "/") for m in mounts), path
    assert "/tmp" in mounts
    assert all(mounts[m] in volumes for m in mounts)
    assert volumes["cache"] == {"name": "cache", "emptyDir": {}}
    if options.inputs_claim:
        assert volumes["inputs"]["persistentVolumeClaim"]["claimName"] == options.inputs_claim


def answers_get(path: str) -> bool:
    """Whether a route of the real app's route table takes ``GET path`` (starlette's match)."""
    from starlette.routing import Match

    from catdetector.core.config import build_serve_settings
    from catdetector.serve.app import create_app

    app = create_app(build_serve_settings(log_enabled=False), start_watcher=False)
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


def test_probes_and_scrape_path_are_routes_of_the_app() -> None:
    manifest = rendered(Options())["deployment.yaml"]
    template = manifest["spec"]["template"]
    (container,) = template["spec"]["containers"]
    probes = {
        k: container[k]["httpGet"] for k in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == "/healthz"
    for probe in probes.values():
        assert answers_get(probe["path"]), probe
        assert probe["port"] == container["ports"][0]["name"]
    assert answers_get(template["metadata"]["annotations"]["prometheus.io/path"])
    assert not answers_get("/no-such-probe")  # the check can fail


def test_the_container_runs_catdetector_serve_with_options_it_has() -> None:
    """Every ``--option`` of the container's command is one that `catdetector serve` takes."""
    import typer.main

    from catdetector.cli import app, load_commands

    load_commands(["serve"])
    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    known = {opt for param in serve.params for opt in (*param.opts, *param.secondary_opts)}
    (container,) = pod_spec(Options())["containers"]
    assert container["command"] == ["catdetector"]
    args = container["args"]
    assert args[0] == "serve"
    assert args[1:5] == ["--stage", "$(STAGE)", "--registry", "$(REGISTRY_URL)"]
    assert {a for a in args if a.startswith("--")} <= known
    no_shadow = pod_spec(Options(shadow=False))["containers"][0]["args"]
    assert "--no-shadow" in no_shadow and {a for a in no_shadow if a.startswith("--")} <= known
    no_canary = pod_spec(Options(canary=False))["containers"][0]["args"]
    assert "--no-canary" in no_canary and {a for a in no_canary if a.startswith("--")} <= known
    assert "--no-shadow" not in no_canary and "--no-canary" not in no_shadow
    # every $(VAR) in the arguments is defined in the ConfigMap the container reads
    config = rendered(Options())["configmap.yaml"]["data"]
    for arg in args:
        if arg.startswith("$("):
            assert arg[2:-1] in config, arg
    assert container["envFrom"] == [{"configMapRef": {"name": Options().name}}]


def test_grace_period_covers_prestop_requests_and_the_log_flush() -> None:
    from catdetector.core.config import ServeSettings
    from catdetector.monitor.writer import LogWriter

    # the figure the manifests use is the one the writer's close waits for
    close_timeout = inspect.signature(LogWriter.close).parameters["timeout"].default
    assert close_timeout == kubernetes.LOG_FLUSH_SECONDS
    defaults = ServeSettings.model_fields
    longest_request = defaults["decode_wait"].default + defaults["decode_seconds"].default
    pod = pod_spec(Options())
    grace = pod["terminationGracePeriodSeconds"]
    (container,) = pod["containers"]
    prestop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert grace >= prestop + longest_request + close_timeout
    text = kubernetes.render(kubernetes.manifests(Options())["deployment.yaml"])
    assert f"terminationGracePeriodSeconds: {grace}  # preStop {prestop} +" in text


@pytest.mark.parametrize("canary", [True, False])
@pytest.mark.parametrize("shadow", [True, False])
def test_resources_name_the_bench_figures_they_come_from(shadow: bool, canary: bool) -> None:
    options = Options(shadow=shadow, canary=canary)
    text = kubernetes.render(kubernetes.manifests(options)["deployment.yaml"])
    bench = (Path(__file__).resolve().parents[2] / "bench" / "README.md").read_text()
    (request, request_why), (limit, limit_why) = podresources.memory(shadow, canary)
    for value, why in (
        (podresources.CPU_REQUEST, podresources.CPU_REQUEST_WHY),
        (podresources.CPU_LIMIT, podresources.CPU_LIMIT_WHY),
        (request, request_why),
        (limit, limit_why),
    ):
        assert re.search(rf": '?{re.escape(value)}'? +# {re.escape(why)}\n", text), value
    # the figures quoted are in bench/README.md
    for figure in ("5.73 ms", "| **349** |", "352 MB", "382 and 419 MB", "122.2, 121.7, 129.0"):
        assert figure in bench, figure
    assert "plus the shadow process 178 MiB" in bench and "beside the server's 190-194" in bench
    assert "## canary memory (`bench/canary_memory.py`)" in bench
    for figure in CANARY_FIGURES:
        assert figure in bench, figure


# bench/README.md 'canary memory', quoted in podresources.CANARY_MB's comment
CANARY_FIGURES = (
    "284 MB with the canary against 258 MB",
    "379 MB with the canary against 258 MB",
    "194 MB with the canary against 191 MB",
    "**+121 MB**",
)
MEBI = 1024 * 1024
UNITS = {"Mi": MEBI, "Gi": 1024 * MEBI}


def quantity(value: str) -> int:
    """Bytes of a Kubernetes memory quantity in Mi or Gi."""
    return int(value[:-2]) * UNITS[value[-2:]]


def memory_of(options: Options) -> tuple[int, int]:
    """(request, limit) in bytes of the server container."""
    (container,) = pod_spec(options)["containers"]
    resources = container["resources"]
    return quantity(resources["requests"]["memory"]), quantity(resources["limits"]["memory"])


def test_the_memory_counts_the_shadow_process_when_the_servers_follow_a_shadow() -> None:
    from catdetector.core.config import ServeSettings
    from catdetector.registry.state import SHADOW

    assert podresources.SHADOW_STAGE == SHADOW
    mb = 1_000_000
    server, hostile = podresources.SERVER_MB * mb, podresources.HOSTILE_MB * mb
    shadow, decode = podresources.SHADOW_MB * mb, podresources.DECODE_MB * mb
    assert decode == ServeSettings.model_fields["decode_memory"].default
    # the shadow process with the pretrained rung is taken as large as the server; with
    # the linear rung it was measured smaller than the server (178 against 194 MiB)
    assert shadow >= server

    # the default: `serve` follows the shadow stage, one more process per pod
    request, limit = memory_of(Options())
    assert "--no-shadow" not in pod_spec(Options())["containers"][0]["args"]
    assert request >= server + shadow
    assert limit >= server + hostile + shadow + decode
    # without a shadow (told so, or following the shadow stage itself): the server only
    for options in (Options(shadow=False), Options(stage="shadow")):
        alone_request, alone_limit = memory_of(options)
        assert server <= alone_request < request and server + hostile <= alone_limit < limit
    assert "--no-shadow" in pod_spec(Options(shadow=False))["containers"][0]["args"]
    assert "--no-shadow" not in pod_spec(Options(stage="shadow"))["containers"][0]["args"]


def test_the_memory_counts_the_canary_when_the_servers_follow_a_canary() -> None:
    from catdetector.registry.state import CANARY, SHADOW

    assert podresources.CANARY_STAGE == CANARY
    mb = 1_000_000
    server, hostile = podresources.SERVER_MB * mb, podresources.HOSTILE_MB * mb
    shadow, decode = podresources.SHADOW_MB * mb, podresources.DECODE_MB * mb
    canary = podresources.CANARY_MB * mb
    # above the largest canary measured (bench/README.md: a float32 backbone, +121 MB)
    assert canary >= 121 * mb
    # every combination: the request holds what runs, the limit adds the decode budgets
    for shadowed in (True, False):
        for canaried in (True, False):
            options = Options(shadow=shadowed, canary=canaried)
            request, limit = memory_of(options)
            assert request >= server + shadowed * shadow + canaried * canary, options
            assert limit >= server + hostile + shadowed * (shadow + decode) + canaried * canary
            args = pod_spec(options)["containers"][0]["args"]
            assert ("--no-canary" in args) is not canaried
            assert ("--no-shadow" in args) is not shadowed
            assert options.follows_canary() is canaried
    # the default of `deploy kubernetes`: both, and more than without the canary
    assert memory_of(Options()) == memory_of(Options(shadow=True, canary=True))
    assert memory_of(Options())[0] > memory_of(Options(canary=False))[0]
    assert memory_of(Options())[1] > memory_of(Options(canary=False))[1]
    # a server whose stage is canary itself holds no second model: the figures without one
    for shadowed in (True, False):
        canary_stage = Options(shadow=shadowed, stage=CANARY)
        assert not canary_stage.follows_canary()
        assert memory_of(canary_stage) == memory_of(Options(shadow=shadowed, canary=False))
        assert "--no-canary" not in pod_spec(canary_stage)["containers"][0]["args"]
    # following the shadow stage: no shadow process, the canary still counted
    assert memory_of(Options(stage=SHADOW)) == memory_of(Options(shadow=False))


def test_autoscaler_and_disruption_budget_follow_the_options() -> None:
    options = OPTION_SETS["ssh-namespace-claim-endpoint"]
    manifests = rendered(options)
    hpa = manifests["horizontalpodautoscaler.yaml"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    assert hpa["scaleTargetRef"]["name"] == options.name
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert manifests["deployment.yaml"]["spec"]["replicas"] == 3
    pdb = manifests["poddisruptionbudget.yaml"]["spec"]
    selector = manifests["deployment.yaml"]["spec"]["selector"]["matchLabels"]
    assert pdb["selector"]["matchLabels"] == selector
    assert manifests["service.yaml"]["spec"]["selector"] == selector
    assert all(m["metadata"]["namespace"] == "ml" for m in manifests.values())
    config = manifests["configmap.yaml"]["data"]
    assert config["CATDETECTOR_REMOTE_CONFIG"] == "endpointurl=https://minio.example.org:9000"
    assert config["REGISTRY_URL"] == options.registry


@pytest.mark.parametrize("label", sorted(OPTION_SETS))
def test_secrets_are_referenced_by_name_and_none_is_made(label: str) -> None:
    options = OPTION_SETS[label]
    manifests = rendered(options)
    assert "Secret" not in {m["kind"] for m in manifests.values()}
    (container,) = pod_spec(options)["containers"]
    referenced = {
        e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e
    }
    referenced |= {v["secret"]["secretName"] for v in pod_spec(options)["volumes"] if "secret" in v}
    assert referenced == set(options.secrets())
    names = {e["name"] for e in container["env"]}
    assert "CATDETECTOR_LOG_DB" in names and "AWS_SECRET_ACCESS_KEY" in names


def test_the_token_helper_gives_git_the_secret_from_the_environment(tmp_path: Path) -> None:
    """Real git, the manifest's credential helper, the Secret's values in the environment."""
    (container,) = pod_spec(Options(git_auth="token"))["containers"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG")}
    env.update({e["name"]: e["value"] for e in container["env"] if "value" in e})
    env.update(
        {
            "GIT_USERNAME": "deploy-bot",
            "GIT_TOKEN": "s3cr3t-t0ken-value",
            "GIT_TERMINAL_PROMPT": "0",
            "HOME": str(tmp_path),
        }
    )
    proc = subprocess.run(
        ["git", "credential", "fill"],
        input="protocol=https\nhost=git.example.org\npath=team/cats.git\n\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=True,
    )
    assert "username=deploy-bot\n" in proc.stdout
    assert "password=s3cr3t-t0ken-value\n" in proc.stdout
