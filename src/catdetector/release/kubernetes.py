"""Kubernetes manifests of a project's server (``release.deploy`` writes them, and the image's
build file).

The manifests are Python data rendered by ruamel.yaml (which keeps the comments that say
where each figure comes from). Secrets are referenced by name only: the files hold no
credential, and ``docs/deploy.md`` says how to create each Secret with ``kubectl``.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from catdetector.core.config import ServeSettings
from catdetector.release import podresources

GitAuth = Literal["token", "ssh", "none"]
GIT_AUTHS: tuple[GitAuth, ...] = ("token", "ssh", "none")

KUBERNETES_VERSION = "1.33"  # the schema the manifests are written and tested for
OUT = Path("deploy/kubernetes")
# Python of the project's lock (templates.CI_SCRIPT's LOCKED_PYTHON), an exact tag.
BASE_IMAGE = "python:3.11.14-slim-bookworm"
UID = 10001  # the image's user and the pod's runAsUser/runAsGroup/fsGroup
PORT = 8000
CACHE_DIR = "/var/cache/catdetector"
INPUTS_DIR = "/var/lib/catdetector/inputs"
GIT_SECRET_DIR = "/etc/catdetector/git"
REGISTRY_PLACEHOLDER = "https://git.example.com/REPLACE-ME/{name}.git"
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?")

# Shutdown. The pod leaves the Service's endpoints while preStop sleeps; then SIGTERM:
# the server stops accepting, finishes its requests, and its lifespan writes every
# queued prediction record (monitor.writer.LogWriter.close, a test checks the figure).
PRESTOP_SECONDS = 5
LOG_FLUSH_SECONDS = 10.0
MARGIN_SECONDS = 5
# Start: the registry check (--wait-for-registry), a bare clone of the registry and the
# model's `dvc get` (serve.fetch gives each up to 300 s) happen before the port opens.
WAIT_FOR_REGISTRY = 60
FETCH_SECONDS = 300
PROBE_PERIOD = 5


def _default(name: str) -> Any:
    return ServeSettings.model_fields[name].default


def drain_seconds() -> float:
    """The longest an accepted request runs: waiting for decode memory, then decoding."""
    return float(_default("decode_wait")) + float(_default("decode_seconds"))


def grace_seconds() -> int:
    """terminationGracePeriodSeconds: preStop, the requests' drain, the log's last write."""
    flush = LOG_FLUSH_SECONDS + float(_default("log_interval"))
    return math.ceil(PRESTOP_SECONDS + drain_seconds() + flush + MARGIN_SECONDS)


@dataclass(frozen=True)
class Options:
    """What a platform team chooses; every field has a default that applies as is."""

    name: str = "catdetector"
    image: str = "catdetector:latest"
    registry: str = ""
    stage: str = "prod"
    replicas: int = 2
    max_replicas: int = 6
    cpu_target: int = 70  # HPA: average CPU utilization of the requests, in per cent
    s3_endpoint: str = ""
    git_auth: GitAuth = "token"
    inputs_claim: str = ""  # a ReadWriteMany PVC for kept inputs; empty: an emptyDir per pod
    namespace: str = ""
    log_level: str = "info"
    shadow: bool = True  # follow the registry's shadow stage (a process more per pod)
    canary: bool = True  # follow the registry's canary stage (a second model in the server)

    def follows_shadow(self) -> bool:
        """The server runs a shadow process: it follows shadow, and its stage is not it."""
        return self.shadow and self.stage != podresources.SHADOW_STAGE

    def follows_canary(self) -> bool:
        """The server may hold a canary: it follows canary, and its stage is not it."""
        return self.canary and self.stage != podresources.CANARY_STAGE

    def secret(self, what: str) -> str:
        """The name of a Secret the manifests reference (never create)."""
        return f"{self.name}-{what}"

    def secrets(self) -> list[str]:
        """Every Secret the manifests reference."""
        git = [self.secret("registry-git")] if self.git_auth != "none" else []
        return [self.secret("postgres"), self.secret("s3"), *git]


def _meta(options: Options) -> CommentedMap:
    namespace = {"namespace": options.namespace} if options.namespace else {}
    return CommentedMap(name=options.name, **namespace, labels=_labels(options))


def _labels(options: Options) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "catdetector",
        "app.kubernetes.io/instance": options.name,
        "app.kubernetes.io/component": "server",
    }


def _doc(kind: str, api: str, options: Options, header: str, **body: Any) -> CommentedMap:
    doc = CommentedMap(apiVersion=api, kind=kind, metadata=_meta(options))
    doc.update(body)
    doc.yaml_set_start_comment(header)
    return doc


def config_map(options: Options) -> CommentedMap:
    """Settings that are not secret: the registry, the stage, S3's endpoint, the log's settings."""
    endpoint = f"endpointurl={options.s3_endpoint}" if options.s3_endpoint else ""
    data = CommentedMap(
        REGISTRY_URL=options.registry,
        STAGE=options.stage,
        CATDETECTOR_REMOTE_CONFIG=endpoint,
        CATDETECTOR_POLL_INTERVAL=str(_default("poll_interval")),
        CATDETECTOR_LOG_QUEUE=str(_default("log_queue")),
        CATDETECTOR_LOG_BATCH=str(_default("log_batch")),
        CATDETECTOR_LOG_INTERVAL=str(_default("log_interval")),
        LOG_LEVEL=options.log_level,
    )
    data.yaml_add_eol_comment("git URL without credentials (they are a Secret)", "REGISTRY_URL")
    data.yaml_add_eol_comment(
        "S3 endpoint (empty: AWS's own), no keys", "CATDETECTOR_REMOTE_CONFIG"
    )
    header = (
        "Server settings that are not secret. Credentials come from Secrets referenced by\n"
        "name in deployment.yaml; docs/deploy.md says how to create them."
    )
    return _doc("ConfigMap", "v1", options, header, data=data)


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


# git asks this helper for the registry's credentials: it prints them from the
# environment (the Secret), so they are never in an argument list, a file or the ConfigMap.
GIT_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'printf "username=%s\\npassword=%s\\n" "$GIT_USERNAME" "$GIT_TOKEN"; }; f'
)


def _git_env(options: Options) -> list[dict[str, Any]]:
    secret = options.secret("registry-git")
    if options.git_auth == "token":
        return [
            _secret_env("GIT_USERNAME", secret, "username"),
            _secret_env("GIT_TOKEN", secret, "token"),
            {"name": "GIT_CONFIG_COUNT", "value": "1"},
            {"name": "GIT_CONFIG_KEY_0", "value": "credential.helper"},
            {"name": "GIT_CONFIG_VALUE_0", "value": GIT_HELPER},
        ]
    if options.git_auth == "ssh":
        ssh = (
            f"ssh -i {GIT_SECRET_DIR}/ssh-privatekey -o IdentitiesOnly=yes "
            f"-o UserKnownHostsFile={GIT_SECRET_DIR}/known_hosts -o StrictHostKeyChecking=yes"
        )
        return [{"name": "GIT_SSH_COMMAND", "value": ssh}]
    return []


def _probe(path: str, period: int, failures: int, timeout: int = 3) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failures,
    }


def serve_args(shadow: bool = True, canary: bool = True) -> list[str]:
    """The arguments of ``catdetector serve`` in the container (``$(VAR)``: the ConfigMap)."""
    no_shadow = [] if shadow else ["--no-shadow"]
    no_canary = [] if canary else ["--no-canary"]
    return [
        "serve",
        "--stage", "$(STAGE)",
        "--registry", "$(REGISTRY_URL)",
        "--host", "0.0.0.0",
        "--port", str(PORT),
        "--workers", "1",
        "--cache-dir", CACHE_DIR,
        "--log-images", INPUTS_DIR,
        "--wait-for-registry", str(WAIT_FOR_REGISTRY),
        "--log-level", "$(LOG_LEVEL)",
        *no_shadow,
        *no_canary,
    ]  # fmt: skip


def _container(options: Options) -> CommentedMap:
    mounts: list[dict[str, Any]] = [
        {"name": "cache", "mountPath": CACHE_DIR},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "inputs", "mountPath": INPUTS_DIR},
    ]
    if options.git_auth == "ssh":
        mounts.append({"name": "registry-git", "mountPath": GIT_SECRET_DIR, "readOnly": True})
    env = [
        {"name": "HOME", "value": "/tmp"},  # git and platformdirs write under HOME
        {"name": "DVC_SITE_CACHE_DIR", "value": "/tmp/dvc"},  # else /var/tmp/dvc: read-only
        _secret_env("CATDETECTOR_LOG_DB", options.secret("postgres"), "url"),
        _secret_env("AWS_ACCESS_KEY_ID", options.secret("s3"), "AWS_ACCESS_KEY_ID"),
        _secret_env("AWS_SECRET_ACCESS_KEY", options.secret("s3"), "AWS_SECRET_ACCESS_KEY"),
        *_git_env(options),
    ]
    container = CommentedMap(
        name="server",
        image=options.image,
        command=["catdetector"],
        args=serve_args(options.shadow, options.canary),
        ports=[{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        envFrom=[{"configMapRef": {"name": options.name}}],
        env=env,
        resources=podresources.resources(options.follows_shadow(), options.follows_canary()),
        startupProbe=_probe(
            "/healthz", PROBE_PERIOD, math.ceil((WAIT_FOR_REGISTRY + FETCH_SECONDS) / PROBE_PERIOD)
        ),
        readinessProbe=_probe("/readyz", PROBE_PERIOD, 2),
        livenessProbe=_probe("/healthz", 10, 3, timeout=5),
        lifecycle={"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}},
        securityContext={
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        volumeMounts=mounts,
    )
    container.yaml_add_eol_comment(
        f"the port opens once the model is fetched and checked: up to "
        f"{WAIT_FOR_REGISTRY} + {FETCH_SECONDS} s",
        "startupProbe",
    )
    return container


def _volumes(options: Options) -> list[dict[str, Any]]:
    inputs: dict[str, Any] = (
        {"persistentVolumeClaim": {"claimName": options.inputs_claim}}
        if options.inputs_claim
        else {"emptyDir": {}}
    )
    volumes: list[dict[str, Any]] = [
        {"name": "cache", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "inputs", **inputs},
    ]
    if options.git_auth == "ssh":
        secret = CommentedMap(secretName=options.secret("registry-git"), defaultMode=0o440)
        secret.yaml_add_eol_comment("0440: the key readable by fsGroup only", "defaultMode")
        volumes.append({"name": "registry-git", "secret": secret})
    return volumes


def deployment(options: Options) -> CommentedMap:
    """The server's Deployment: N stateless replicas following one registry stage."""
    selector = {"matchLabels": _labels(options)}
    spec = CommentedMap(
        terminationGracePeriodSeconds=grace_seconds(),
        securityContext={
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        containers=[_container(options)],
        volumes=_volumes(options),
    )
    spec.yaml_add_eol_comment(
        f"preStop {PRESTOP_SECONDS} + requests {drain_seconds():.0f} (decode wait + decode) + "
        f"log flush {LOG_FLUSH_SECONDS:.0f} + {MARGIN_SECONDS}",
        "terminationGracePeriodSeconds",
    )
    template = {
        "metadata": {
            "labels": _labels(options),
            "annotations": {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(PORT),
                "prometheus.io/path": "/metrics",
            },
        },
        "spec": spec,
    }
    header = (
        f"catdetector serve: {options.replicas} stateless replicas following the registry's\n"
        "stage (configmap.yaml), one shared PostgreSQL prediction log. Apply with\n"
        "`kubectl apply -f` on this folder once the Secrets exist (docs/deploy.md)."
    )
    return _doc(
        "Deployment",
        "apps/v1",
        options,
        header,
        spec={
            "replicas": options.replicas,
            "selector": selector,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": template,
        },
    )


def service(options: Options) -> CommentedMap:
    """A ClusterIP Service on port 80 in front of the replicas."""
    return _doc(
        "Service",
        "v1",
        options,
        "The replicas behind one address; only ready pods (/readyz) get requests.",
        spec={
            "type": "ClusterIP",
            "selector": _labels(options),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    )


def disruption_budget(options: Options) -> CommentedMap:
    """At most one replica down at a time for voluntary disruptions (drains, upgrades)."""
    return _doc(
        "PodDisruptionBudget",
        "policy/v1",
        options,
        "Node drains and upgrades take one replica at a time.",
        spec={"maxUnavailable": 1, "selector": {"matchLabels": _labels(options)}},
    )


def autoscaler(options: Options) -> CommentedMap:
    """CPU-based autoscaling between ``replicas`` and ``max_replicas``."""
    target = {"type": "Utilization", "averageUtilization": options.cpu_target}
    return _doc(
        "HorizontalPodAutoscaler",
        "autoscaling/v2",
        options,
        "Replicas follow CPU (predictions are CPU-bound: bench/README.md 'serve').",
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": options.name},
            "minReplicas": options.replicas,
            "maxReplicas": options.max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
        },
    )


def manifests(options: Options) -> dict[str, CommentedMap]:
    """Every manifest, by file name."""
    return {
        "configmap.yaml": config_map(options),
        "deployment.yaml": deployment(options),
        "service.yaml": service(options),
        "poddisruptionbudget.yaml": disruption_budget(options),
        "horizontalpodautoscaler.yaml": autoscaler(options),
    }


def render(doc: CommentedMap) -> str:
    """YAML text of one manifest, comments included."""
    yaml = YAML()
    yaml.width = 4096  # one line per comment and value
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
