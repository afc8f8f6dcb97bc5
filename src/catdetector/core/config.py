"""Typed configuration: ``params.yaml`` (pydantic) and serving settings (pydantic-settings)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from catdetector.core import layout
from catdetector.core.errors import ConfigError

RUNGS = ("dummy", "heuristic", "linear", "nonlinear", "pretrained", "custom")
Rung = Literal["dummy", "heuristic", "linear", "nonlinear", "pretrained", "custom"]
# Rungs that need an optional extra: off by default, listed commented out in params.yaml.
OPTIONAL_RUNGS: dict[str, str] = {"pretrained": "needs catdetector[deep]"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageParams(_Strict):
    """Decode limits and the preprocessing every model input goes through."""

    size: int = Field(64, ge=16, le=512, description="square side after resize")
    min_side: int = Field(32, ge=2, description="smallest accepted width or height")
    max_pixels: int = Field(40_000_000, ge=1, description="decompression-bomb guard")
    max_bytes: int = Field(20_000_000, ge=1, description="largest accepted file")


class FeatureParams(_Strict):
    """HOG on the grey image plus a coarse HSV colour histogram."""

    hog_orientations: int = Field(9, ge=1, le=36)
    hog_cell: int = Field(8, ge=2)
    hog_block: int = Field(2, ge=1)
    color_bins: int = Field(8, ge=0, le=64, description="0 disables the colour histogram")


class SplitParams(_Strict):
    """Fractions of the content-hash split; test is the rest."""

    train: float = Field(0.7, gt=0, lt=1)
    val: float = Field(0.15, gt=0, lt=1)

    @model_validator(mode="after")
    def _leaves_test(self) -> SplitParams:
        if self.train + self.val >= 1:
            raise ValueError("split.train + split.val must be below 1 (the rest is test)")
        return self


class DataParams(_Strict):
    """How prepare treats the raw folder."""

    skip_bad_files: bool = False
    labels: list[str] = Field(default_factory=lambda: ["cat", "other"], min_length=2)
    raw: str = Field(str(layout.RAW), description="the folder of <label>/ images, DVC-tracked")
    prepared: str = Field(str(layout.PREPARED), description="prepare's output folder")

    @model_validator(mode="after")
    def _inside(self) -> DataParams:
        for key in ("raw", "prepared"):
            path = PurePosixPath(getattr(self, key))
            if path.is_absolute() or ".." in path.parts or not path.parts:
                raise ValueError(f"data.{key} must be a folder inside the project (relative)")
        return self


class CustomInputParams(_Strict):
    """How an image becomes the custom model's input (NCHW float32)."""

    size: int = Field(64, ge=8, le=1024, description="square side after resize")
    channels: Literal["RGB", "BGR"] = "RGB"
    scale: float = Field(255.0, gt=0, description="pixel values (0-255) divided by this first")
    mean: list[float] = Field(default_factory=lambda: [0.0, 0.0, 0.0], min_length=3, max_length=3)
    std: list[float] = Field(default_factory=lambda: [1.0, 1.0, 1.0], min_length=3, max_length=3)

    @model_validator(mode="after")
    def _std_positive(self) -> CustomInputParams:
        if any(s <= 0 for s in self.std):
            raise ValueError("every std must be above 0")
        return self


class CustomRungParams(_Strict):
    """The team's own model: a command that trains it and writes an ONNX file.

    ``command`` is split like a shell line (no shell runs it); ``{train}`` becomes a CSV
    file of the train split (``path,label`` rows, absolute paths), ``{output}`` the path
    the ONNX model must be written to, ``{labels}`` the labels, comma-separated.
    """

    command: str = Field(min_length=1)
    input: CustomInputParams = CustomInputParams()
    output: Literal["logits", "probabilities"] = "logits"
    timeout_seconds: float = Field(3600, gt=0)


def _default_rungs() -> list[Rung]:
    """The ladder without the pretrained rung (it needs the `deep` extra)."""
    return ["dummy", "heuristic", "linear", "nonlinear"]


class LadderParams(_Strict):
    """The ladder of model families, simplest first, and how the winner is chosen."""

    rungs: list[Rung] = Field(default_factory=_default_rungs)
    tolerance: float = Field(0.02, ge=0, le=1, description="simplest rung within this of the best")
    linear_c: float = Field(0.05, gt=0)
    nonlinear_trees: int = Field(200, ge=1)
    pretrained_c: float = Field(0.1, gt=0, description="head regularisation (pretrained rung)")
    custom: CustomRungParams | None = Field(None, description="the team's own model")

    @model_validator(mode="after")
    def _has_dummy(self) -> LadderParams:
        if "custom" in self.rungs and self.custom is None:
            raise ValueError("ladder.rungs lists custom: define it in ladder.custom (command)")
        if "dummy" not in self.rungs:
            raise ValueError("ladder.rungs must start from the dummy baseline")
        if len(set(self.rungs)) != len(self.rungs):
            raise ValueError("ladder.rungs lists a rung twice")
        return self


class PretrainedParams(_Strict):
    """The pretrained rung's backbone: its precision and the int8 calibration."""

    precision: Literal["int8", "float32"] = Field(
        "int8", description="int8: statically quantised backbone (faster); float32: as exported"
    )
    calibration_images: int = Field(
        50, ge=1, le=10_000, description="train images that calibrate the int8 backbone"
    )


class TrainParams(_Strict):
    """Training knobs, including the demo's deliberate corruption."""

    seed: int = 42
    label_noise: float = Field(0.0, ge=0, le=1, description="fraction of train labels shuffled")
    golden_samples: int = Field(4, ge=1, le=32)


class GateParams(_Strict):
    """Promotion gate thresholds (test-split accuracy)."""

    min_margin_over_dummy: float = Field(0.05, ge=0, le=1)
    max_regression: float = Field(0.02, ge=0, le=1)


class MonitorParams(_Strict):
    """Alarm thresholds of ``catdetector monitor report`` and ``monitor watch``.

    A statistic drifts when PSI is at or above ``psi`` and the KS p-value is below
    ``ks_p`` (see ``monitor.drift``). Below ``min_samples`` values there is no verdict:
    PSI over ten bins is biased upwards by about 9/n on n values.
    """

    psi: float = Field(0.25, gt=0, description="PSI at or above this is drift (0.25: major)")
    ks_p: float = Field(0.001, gt=0, lt=1, description="KS p-value below this is drift")
    min_accuracy: float = Field(
        0.5, ge=0, le=1, description="feedback or ATC-estimated accuracy below this alarms"
    )
    max_accuracy_drop: float = Field(
        0.1, ge=0, le=1, description="... as does accuracy this far below the test accuracy"
    )
    min_samples: int = Field(
        100, ge=1, description="fewer served predictions (or labels) than this: no verdict"
    )


class Params(_Strict):
    """All of ``params.yaml``."""

    image: ImageParams = ImageParams()
    features: FeatureParams = FeatureParams()
    split: SplitParams = SplitParams()
    data: DataParams = DataParams()
    ladder: LadderParams = LadderParams()
    pretrained: PretrainedParams = PretrainedParams()
    train: TrainParams = TrainParams()
    gate: GateParams = GateParams()
    monitor: MonitorParams = MonitorParams()

    def to_yaml_dict(self) -> dict[str, Any]:
        """Plain dict for writing ``params.yaml``."""
        return self.model_dump(mode="json", exclude_none=True)


def load_params(path: Path) -> Params:
    """Read and validate ``params.yaml``; a readable ConfigError on any problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} not found", hint="run inside a catdetector project") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping of sections")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_problems(exc)}") from exc


def _problems(exc: ValidationError) -> str:
    """A validation error as one line: ``where: what; ...``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )


def dump_params(params: Params) -> str:
    """YAML text of params, in section order; optional rungs not in use are listed commented
    out after the ladder's rungs, so enabling one is uncommenting one line."""
    lines = yaml.safe_dump(params.to_yaml_dict(), sort_keys=False).splitlines()
    start = lines.index("ladder:") + 1
    rungs = lines.index("  rungs:", start) + 1
    end = rungs
    while end < len(lines) and lines[end].startswith("  - "):
        end += 1
    hidden = [
        f"  # - {rung}  # {why}"
        for rung, why in OPTIONAL_RUNGS.items()
        if rung not in params.ladder.rungs
    ]
    return "\n".join(lines[:end] + hidden + lines[end:]) + "\n"


class ServeSettings(BaseSettings):
    """Settings of ``catdetector serve``; env prefix ``CATDETECTOR_``."""

    model_config = SettingsConfigDict(env_prefix="CATDETECTOR_", extra="ignore")

    registry: str | None = None
    stage: str = "prod"
    bundle: Path | None = None
    artifact: str = "catdetector"
    host: str = "127.0.0.1"
    port: int = 8000
    poll_interval: float = Field(2.0, gt=0)
    cache_dir: Path | None = None
    allow_env_mismatch: bool = False
    admin_token: str | None = None
    max_body_bytes: int = Field(10_000_000, ge=1)
    max_pixels: int = Field(40_000_000, ge=1)
    max_batch: int = Field(32, ge=1)
    max_json_bytes: int = Field(65_536, ge=1, description="largest JSON body (413 above)")
    decode_memory: int = Field(
        400_000_000, ge=1, description="bytes of decoded images one worker holds at once"
    )
    decode_seconds: float = Field(10.0, gt=0, description="longest decode of one image (413)")
    decode_wait: float = Field(
        30.0, ge=0, description="longest wait for decode memory before a 503 with Retry-After"
    )
    wait_for_registry: float = Field(
        0.0, ge=0, description="seconds to wait at start for an unreachable registry"
    )
    golden_tolerance: float = Field(1e-6, ge=0)
    workers: int = Field(1, ge=1)
    batching: Literal["auto", "on", "off"] = Field(
        "auto", description="group concurrent requests: auto = when the model says batches pay"
    )
    batching_max_size: int = Field(8, ge=1, le=256, description="images per batched predict")
    batching_max_wait_ms: float = Field(
        5.0, ge=0, le=1000, description="longest wait for requests still being decoded"
    )
    onnx_threads: int = Field(
        0,
        ge=0,
        le=256,
        description="onnxruntime threads of one backbone predict; 0: one, with as many "
        "predicts at once as the worker has cores",
    )
    remote_config: str | None = Field(
        None, description="comma-separated DVC remote options, e.g. endpointurl=http://host:9000"
    )
    log_enabled: bool = Field(True, description="record every prediction (--no-log: off)")
    log_db: str | None = Field(
        None, description="prediction log: a SQLite file path or a postgresql:// URL"
    )
    log_images: Path | None = Field(None, description="keep inputs here, content-addressed")
    keep_images: bool = Field(
        True, description="keep inputs (for feedback); in the user data folder unless log_images"
    )
    log_queue: int = Field(10_000, ge=1, description="records held while the DB is slow or down")
    log_batch: int = Field(500, ge=1, description="records per insert")
    log_interval: float = Field(0.2, gt=0, description="seconds between writes when idle")
    follow_shadow: bool = Field(True, description="follow the registry's shadow stage too")
    follow_canary: bool = Field(True, description="follow the registry's canary stage too")
    shadow_queue: int = Field(
        64, ge=1, le=100_000, description="shadow requests waiting; past it they are shed"
    )
    client_key_header: str = Field(
        "x-client-id", description="request header whose value pins a client to one version"
    )

    def cores_per_worker(self) -> int:
        """The cores this process may use, shared out over the workers.

        joblib's count (loky) is the CPU affinity capped by the cgroup's CPU quota, so in a
        pod with a CPU limit it is the limit, not the node's cores; ``LOKY_MAX_CPU_COUNT``
        caps it further. Imported here: joblib costs ~0.2 s and only serving needs it.
        """
        from joblib import cpu_count

        return max(1, cpu_count() // self.workers)

    def threads_per_predict(self) -> int:
        """onnxruntime intra-op threads of one backbone predict: the setting, else one.

        Measured here (bench/README.md): two predicts of one thread each at once give
        about 1.7x the throughput of one predict of two threads, at batch 1.
        """
        return self.onnx_threads or 1

    def predict_lanes(self) -> int:
        """How many backbone predicts (or batches) one worker runs at once."""
        return max(1, self.cores_per_worker() // self.threads_per_predict())

    def remote_config_items(self) -> list[str]:
        """``remote_config`` as ``name=value`` items for ``dvc get --remote-config``."""
        items = [i.strip() for i in (self.remote_config or "").split(",") if i.strip()]
        for item in items:
            if "=" not in item:
                raise ConfigError(f"remote config item {item!r} is not name=value")
        return items


def default_log_db() -> Path:
    """Where the prediction log is kept unless ``--log-db`` says otherwise.

    A SQLite file in the user data folder (not the bundle cache, which may be wiped),
    so ``feedback export`` and ``monitor report`` find it without options.
    """
    import platformdirs

    return Path(platformdirs.user_data_dir("catdetector")) / "predictions.sqlite"


def default_images_dir() -> Path:
    """Where the server keeps its inputs unless ``--log-images DIR`` says otherwise."""
    import platformdirs

    return Path(platformdirs.user_data_dir("catdetector")) / "inputs"


def log_db_url(log_db: str | None) -> str:
    """The prediction log's location: ``log_db``, else $CATDETECTOR_LOG_DB, else the default."""
    return log_db or os.environ.get(layout.LOG_DB_ENV) or str(default_log_db())


def build_serve_settings(**overrides: Any) -> ServeSettings:
    """Settings from the environment, with explicit (non-None) overrides on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return ServeSettings(**clean)
    except ValidationError as exc:
        raise ConfigError(f"invalid serve settings: {_problems(exc)}") from exc
