"""Serving: deployment manifests, input validation, monitoring and feedback loops."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING

from catdetector.assess.ci import CIFacts
from catdetector.assess.code import CodeUnit, first_hit, paths_by_verb
from catdetector.assess.codepatterns import READ_RE, REQUEST_READ_RE, SERVE_RE, WRITE_RE
from catdetector.assess.model import Evidence
from catdetector.assess.text import Rx, line_numbers, snippet
from catdetector.assess.vocab import MONITOR_MODULES, VALIDATION_MODULES

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


SQL_INSERT_RE = Rx(
    r"INSERT\s+INTO\s+[`'\"]?(\w+)",
    re.I,
    ("insert",),
    lower=True,
)
SQL_FROM_RE = re.compile(r"\bFROM\s+[`'\"]?(\w+)", re.I)


K8S_KIND_RE = Rx(
    r"^kind:\s*(?:Deployment|StatefulSet|DaemonSet|Service|Pod|InferenceService|"
    r"SeldonDeployment|ServingRuntime|Rollout|Ingress|KnativeService)\b",
    re.M,
    ("kind:",),
)
MONITOR_KIND_RE = Rx(
    r"^kind:\s*(?:ServiceMonitor|PodMonitor|PrometheusRule)\b",
    re.M,
    ("kind:",),
)
MONITOR_CMD_RE = Rx(
    r"\bcatdetector\s+(?:serve|monitor)\b",
    0,
    ("catdetector",),
)
SERVE_CONFIG_RE = re.compile(
    r"^(?:ray_serve_config|applications|service_config|inferenceservice|endpoint_config):",
    re.M | re.I,
)
PRED_LOG_RE = Rx(
    # st.write, gr.Markdown and print show a prediction to the user; they do not log it
    r"(?:log(?:ger|ging)?\.\w+|(?<!\bst)(?<!\bconsole)\.write|\.execute|\.insert\w*|\.add|"
    r"(?<!\bst)\.append|(?<!\bst)\.info|\.log)\([^\n]*pred",
    re.I,
    ("pred",),
    lower=True,
)
VALIDATION_RE = Rx(
    r"\bBaseModel\b|\bvalidat\w*\(|HTTPException\(\s*(?:status_code\s*=\s*)?4\d\d|"
    r"abort\(\s*4\d\d|,\s*4\d\d\s*\)?\s*$|status(?:_code)?\s*=\s*4\d\d|MAX_CONTENT_LENGTH|"
    r"\.verify\(\)|content_type|mimetype|raise\s+(?:ValueError|TypeError|HTTPException)|"
    r"HTTPStatus\.(?:BAD_REQUEST|UNPROCESSABLE)",
    re.M,
)


class ServingFacts(CIFacts):
    """Deployment and monitoring."""

    @cached_property
    def deployment_manifests(self) -> list[Evidence]:
        """Deployment manifests: Dockerfiles, compose, Kubernetes, Helm, PaaS files."""
        found: list[Evidence] = []
        simple = {
            "containerfile": "container image",
            "chart.yaml": "Helm chart",
            "kustomization.yaml": "Kustomize",
            "kustomization.yml": "Kustomize",
            "procfile": "Procfile",
            "fly.toml": "Fly.io app",
            "render.yaml": "Render blueprint",
            "serverless.yml": "Serverless",
            "serverless.yaml": "Serverless",
            "bentofile.yaml": "BentoML",
            "skaffold.yaml": "Skaffold",
        }
        for info in self.index.files.values():
            name = info.name.lower()
            if name.startswith("dockerfile") or info.suffix == ".dockerfile":
                found.append(Evidence(info.path, None, "container image (Dockerfile)"))
            elif name in simple:
                found.append(Evidence(info.path, None, simple[name]))
            elif re.match(r"^(?:docker-)?compose[\w.-]*\.ya?ml$", name):
                found.append(Evidence(info.path, None, "compose file"))
            elif (
                info.suffix in (".yaml", ".yml")
                and info.text
                and info.path not in self.ci_paths
                and K8S_KIND_RE.search(info.text)
                and "apiVersion:" in info.text
            ):
                found.append(Evidence(info.path, None, "Kubernetes manifest"))
            elif (
                info.suffix in (".yaml", ".yml") and info.text and SERVE_CONFIG_RE.search(info.text)
            ):
                found.append(Evidence(info.path, None, "model service config (Ray Serve, ...)"))
        return found

    @cached_property
    def monitoring(self) -> list[Evidence]:
        """Signs of monitoring: metrics exporters, drift tools, prediction logs, alerts."""
        found: list[Evidence] = []
        for unit in self.source_units:
            modules = unit.top_imports & MONITOR_MODULES
            if modules:
                found.append(Evidence(unit.path, None, f"uses {', '.join(sorted(modules))}"))
        for unit in self.serving_units:
            for number, line in unit.find(PRED_LOG_RE, raw=True)[:1]:
                found.append(unit.evidence(number, f"logs predictions: {snippet(line)}"))
        for info in self.index.files.values():
            name = info.name.lower()
            lower = info.path.lower()
            if name in ("prometheus.yml", "prometheus.yaml", "alertmanager.yml") or (
                "grafana" in lower and info.suffix in (".json", ".yaml", ".yml")
            ):
                found.append(Evidence(info.path, None, "monitoring configuration"))
            elif (
                info.text and info.suffix in (".yaml", ".yml") and MONITOR_KIND_RE.search(info.text)
            ):
                found.append(Evidence(info.path, None, "Prometheus monitoring resource"))
        files = self.index.files
        manifests = [files[e.file] for e in self.deployment_manifests if e.file in files]
        for info in self.script_texts + manifests:
            if info.text and (m := MONITOR_CMD_RE.search(info.text)):
                found.append(Evidence(info.path, None, f"runs `{m.group(0)}` (logs and drift)"))
                break
        return found


def no_input_validation(f: Facts) -> list[Evidence]:
    """Serving code with no schema, limit or 4xx path."""
    ev: list[Evidence] = []
    for unit in f.serving_units:
        if not unit.handles_requests:
            continue
        if unit.top_imports & VALIDATION_MODULES or unit.matches(VALIDATION_RE):
            continue
        own = ("catdetector.features.images", "catdetector.images")
        if any(i.startswith(own) for i in unit.imports):
            continue
        if "streamlit" in unit.top_imports and _widgets_bounded(unit):
            continue
        if _reads_nothing(unit):
            continue
        hit = first_hit(unit, REQUEST_READ_RE) or first_hit(unit, SERVE_RE)
        detail = "request input reaches the model unchecked"
        if hit is None:  # nothing to point at: the file, not its first line (an import)
            ev.append(Evidence(unit.path, None, detail))
            continue
        ev.append(unit.evidence(hit[0], f"{detail}: {snippet(hit[1])}"))
    return ev


_ROUTES = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "websocket"})


def _reads_nothing(unit: CodeUnit) -> bool:
    """Only ``GET`` routes (``/metrics``, ``/health``) and no read of a body, form, file or
    query: the service takes no input there that could reach a model."""
    routes = [n for _, n in unit.py.decorators if n.rsplit(".", 1)[-1] in _ROUTES and "." in n]
    if not routes or not all(n.endswith(".get") for n in routes):
        return False
    path_params = any(
        c.name.endswith(".get") and c.strings and ("{" in c.strings[0] or "<" in c.strings[0])
        for c in unit.py.calls
    )  # `/predict/{x}` takes input in its path
    return not path_params and not unit.matches(REQUEST_READ_RE)


CLOSED_WIDGETS = frozenset(
    {"slider", "select_slider", "selectbox", "radio", "checkbox", "toggle", "multiselect",
     "color_picker", "pills", "segmented_control", "button", "form_submit_button"}
)  # fmt: skip: inputs that can only take values the app offers
INPUT_WIDGETS = CLOSED_WIDGETS | {"number_input", "text_input", "text_area", "file_uploader",
                                  "camera_input", "chat_input", "date_input", "time_input"}


def _widgets_bounded(unit: CodeUnit) -> bool:
    """Whether every Streamlit input of the app is bounded (read with ``ast``): closed choices,
    or ``number_input`` with ``min_value`` and ``max_value``, or ``file_uploader(type=...)``."""
    inputs = [
        c
        for c in unit.py.calls
        if c.name.rsplit(".", 1)[-1] in INPUT_WIDGETS
        and c.name.split(".", 1)[0] in ("st", "streamlit")
    ]
    if not inputs:
        return False
    for call in inputs:
        kind = call.name.rsplit(".", 1)[-1]
        if kind in CLOSED_WIDGETS:
            continue
        if kind == "number_input" and {"min_value", "max_value"} <= call.keywords:
            continue
        if kind == "file_uploader" and "type" in call.keywords:
            continue
        return False
    return True


def no_monitoring(f: Facts) -> list[Evidence]:
    """No metrics exporter, prediction log, drift tool or alerting configuration."""
    if f.monitoring or f.stack_hits.get("monitoring"):
        return []
    if f.serving_units:
        return [
            Evidence(u.path, None, "serving logs no predictions and exports no metrics")
            for u in f.serving_units
        ]
    return [Evidence(None, None, "no prediction log, metrics exporter or drift check")]


def no_deployment_manifest(f: Facts) -> list[Evidence]:
    """No Dockerfile, compose, Kubernetes, Helm or PaaS manifest."""
    if f.deployment_manifests:
        return []
    if f.serving_units:
        return [
            Evidence(u.path, None, "started by hand: no manifest deploys it")
            for u in f.serving_units
        ]
    return [Evidence(None, None, "no Dockerfile, compose, Kubernetes or PaaS manifest")]


def hidden_feedback_loop(f: Facts) -> list[Evidence]:
    """A path (or table) serving writes that training reads."""
    serving = [u for u in f.serving_units if not u.is_training]
    writes = paths_by_verb(serving, WRITE_RE, strip_globs=True)
    reads = paths_by_verb(f.training_units, READ_RE, strip_globs=True)
    for stage in f.training_stages:
        for dep in stage.deps:
            reads.setdefault(dep, (CodeUnit(stage.file, "yaml", ""), 0, f"stage {stage.name}"))
    ev: list[Evidence] = []
    for wpath, (wunit, wline, line) in sorted(writes.items()):
        for rpath, (runit, rline, _) in reads.items():
            if not rpath or not wpath:
                continue
            if wpath == rpath or wpath.startswith(rpath + "/") or rpath.startswith(wpath + "/"):
                where = f"{runit.path}:{rline}" if rline else runit.path
                ev.append(
                    wunit.evidence(
                        wline, f"writes {wpath}, which training reads ({where}): {snippet(line)}"
                    )
                )
                break
    tables: dict[str, tuple[CodeUnit, int]] = {}
    for unit in serving:
        for number, m in line_numbers(unit.text, SQL_INSERT_RE):
            tables.setdefault(m.group(1).lower(), (unit, number))
    for unit in f.training_units:
        for _number, m in line_numbers(unit.text, SQL_FROM_RE):
            hit = tables.pop(m.group(1).lower(), None)
            if hit:
                ev.append(
                    hit[0].evidence(
                        hit[1], f"inserts into table {m.group(1)}, which {unit.path} trains on"
                    )
                )
    return ev
