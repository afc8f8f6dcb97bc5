"""The Bob-and-Alice story, end to end, on real git, dvc, gto and a real server.

Every step runs the same ``catdetector``/``git``/``dvc`` command a person would
type, in its own workspace: Bob's, Alice's server (which reads only the git
registry and the DVC remote), and Alice's rebuild. Library code: it reports
steps through a callback and returns the checks; the CLI narrates.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from catdetector.core import layout, tools
from catdetector.core.errors import CatDetectorError, ExternalToolError


@dataclass
class Step:
    """One narrated step."""

    actor: str
    text: str
    seconds: float = 0.0
    ok: bool = True
    detail: str = ""


@dataclass
class Check:
    """One verified claim of the story."""

    name: str
    ok: bool
    detail: str


@dataclass
class DemoResult:
    """Every check, every step, and where the workspaces are."""

    workdir: Path
    checks: list[Check] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Demo:
    """Runs the story; ``on_step`` is called after every step."""

    def __init__(
        self,
        workdir: Path,
        remote: str | None = None,
        endpoint_url: str | None = None,
        on_step: Callable[[Step], None] | None = None,
        n_images: int = 200,
    ) -> None:
        self.workdir = workdir
        self.bob = workdir / "bob"
        self.alice = workdir / "alice"
        self.origin = workdir / "github.git"
        self.remote = remote or str(workdir / "dvc-remote")
        self.endpoint_url = endpoint_url
        self.on_step = on_step or (lambda step: None)
        self.n_images = n_images
        self.result = DemoResult(workdir)
        self.server: subprocess.Popen[bytes] | None = None
        self.server_log = workdir / "alice-server.log"
        self.port = free_port()
        gitconfig = workdir / "demo.gitconfig"
        self.env = {
            **tools.tool_env(),
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "DVC_NO_ANALYTICS": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
        self._gitconfig_text = (
            "[user]\n\tname = Bob (catdetector demo)\n\temail = bob@catdetector.demo\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        )

    # ------------------------------------------------------------ plumbing

    def sh(
        self, actor: str, text: str, args: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> str:
        """Run one command as a narrated step; raise on failure."""
        start = time.perf_counter()
        argv = [tools.executable(args[0]), *args[1:]]
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env or self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
        step = Step(actor, text, time.perf_counter() - start, proc.returncode == 0)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            step.detail = lines[-1] if lines else f"exit {proc.returncode}"
        self._record(step)
        if proc.returncode != 0:
            raise ExternalToolError(f"{text}: `{' '.join(args)}` failed: {step.detail}")
        return proc.stdout

    def try_sh(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run a command that is expected to fail sometimes (no raise)."""
        argv = [tools.executable(args[0]), *args[1:]]
        return subprocess.run(
            argv,
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )

    def _record(self, step: Step) -> None:
        self.result.steps.append(step)
        self.on_step(step)

    def note(
        self, actor: str, text: str, seconds: float = 0.0, ok: bool = True, detail: str = ""
    ) -> None:
        """A step that is not a single command."""
        self._record(Step(actor, text, seconds, ok, detail))

    def check(self, name: str, ok: bool, detail: str) -> bool:
        """Record a check."""
        self.result.checks.append(Check(name, ok, detail))
        return ok

    def predict(self, image: Path) -> tuple[int, dict[str, Any], str]:
        """POST an image to Alice's server."""
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10) as client:
            resp = client.post(
                "/v1/predict", content=image.read_bytes(), headers={"content-type": "image/png"}
            )
        body = (
            resp.json()
            if resp.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        return resp.status_code, body, resp.headers.get("x-model-version", "")

    def wait_for_version(self, version: str, timeout: float, image: Path) -> tuple[float, int, int]:
        """Predict without pause until the answer is by ``version``: (seconds, ok, failed)."""
        start = time.perf_counter()
        ok = failed = 0
        while time.perf_counter() - start < timeout:
            try:
                status, body, header = self.predict(image)
            except httpx.HTTPError:
                failed += 1
                continue
            if status != 200 or body.get("version") != header:
                failed += 1
                continue
            ok += 1
            if body["version"] == version:
                return time.perf_counter() - start, ok, failed
        return float("inf"), ok, failed

    # ------------------------------------------------------------ the story

    def run(self) -> DemoResult:
        """Run every act; checks record what held. Always stops the server."""
        start = time.perf_counter()
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "demo.gitconfig").write_text(self._gitconfig_text)
        try:
            self.act_bob_v1()
            self.act_alice_serves()
            self.act_bad_v2_and_rollback()
            self.act_bus_factor()
        except CatDetectorError as exc:
            self.check("the story ran to the end", False, str(exc))
        finally:
            self.stop_server()
            self.result.seconds = time.perf_counter() - start
        return self.result

    def act_bob_v1(self) -> None:
        """Bob: init, sample, dvc add, repro, register, promote, push."""
        bob, cd = self.bob, self.workdir
        init = ["catdetector", "init", str(bob), "--remote", self.remote]
        if self.endpoint_url:
            init += ["--endpoint-url", self.endpoint_url]
        self.sh("Bob", f"catdetector init bob (DVC remote {self.remote})", init, cd)
        self.sh(
            "Bob",
            f"catdetector sample data/raw --n {self.n_images} (SYNTHETIC images)",
            ["catdetector", "sample", "data/raw", "--n", str(self.n_images), "--seed", "0"],
            bob,
        )
        self.sh("Bob", "dvc add data/raw", ["dvc", "add", "-q", "data/raw"], bob)
        self.sh("Bob", "git add data/raw.dvc data/.gitignore", ["git", "add", "-A"], bob)
        self.sh(
            "Bob", "git commit -m 'data'", ["git", "commit", "-qm", "data: synthetic sample"], bob
        )
        self.sh(
            "Bob", "dvc repro (prepare -> train ladder -> evaluate)", ["dvc", "repro", "-q"], bob
        )
        self.sh("Bob", "git add -A", ["git", "add", "-A"], bob)
        self.sh("Bob", "git commit -m 'train v1'", ["git", "commit", "-qm", "train v1"], bob)
        self.sh(
            "Bob",
            "git init --bare github.git (stands in for GitHub)",
            ["git", "init", "-q", "--bare", str(self.origin)],
            cd,
        )
        self.sh(
            "Bob",
            "git remote add origin",
            ["git", "remote", "add", "origin", str(self.origin)],
            bob,
        )
        self.sh("Bob", "git push", ["git", "push", "-q", "-u", "origin", "main"], bob)
        self.sh("Bob", "dvc push (data and model to the remote)", ["dvc", "push", "-q"], bob)
        self.v1 = self.register()
        self.sh(
            "Bob",
            f"catdetector promote {self.v1} --stage prod --push",
            ["catdetector", "promote", self.v1, "--stage", "prod", "--push"],
            bob,
        )
        metrics = json.loads((bob / layout.TEST_METRICS).read_text())
        self.v1_metrics = metrics
        self.v1_model = (bob / layout.MODEL_DIR / "model.skops").read_bytes()
        self.check(
            "Bob's model beats the dummy baseline",
            metrics["accuracy"] > metrics["ladder_test_accuracy"]["dummy"],
            f"test accuracy {metrics['accuracy']:.3f} vs dummy "
            f"{metrics['ladder_test_accuracy']['dummy']:.3f} ({metrics['chosen_rung']} rung)",
        )
        self.check(
            "gto show agrees: prod holds v1",
            self.gto_prod(bob) == self.v1,
            f"gto show: prod = {self.gto_prod(bob)}",
        )

    def register(self) -> str:
        """Bob: `catdetector register --push`; the new version."""
        cmd = ["catdetector", "register", "--push", "--json"]
        out = self.sh("Bob", "catdetector register --push", cmd, self.bob)
        return str(json.loads(out)["version"])

    def gto_prod(self, repo: Path) -> str | None:
        """What plain `gto show` says prod holds."""
        data = json.loads(self.try_sh(["gto", "show", "--json"], repo).stdout or "{}")
        return data.get(layout.ARTIFACT, {}).get("stage", {}).get("prod")

    def act_alice_serves(self) -> None:
        """Alice: serve from the registry alone, predict a few images."""
        self.alice.mkdir(parents=True, exist_ok=True)
        self.sh(
            "Alice",
            "catdetector sample inbox --n 8 --seed 99 (her own SYNTHETIC test images)",
            ["catdetector", "sample", "inbox", "--n", "8", "--seed", "99"],
            self.alice,
        )
        cmd = [
            tools.executable("catdetector"),
            "serve",
            "--registry",
            str(self.origin),
            "--stage",
            "prod",
            "--port",
            str(self.port),
            "--poll-interval",
            "0.5",
            "--cache-dir",
            str(self.alice / "cache"),
            "--log-level",
            "warning",
        ]
        if self.endpoint_url:
            cmd += ["--remote-config", f"endpointurl={self.endpoint_url}"]
        start = time.perf_counter()
        with self.server_log.open("wb") as log_file:
            self.server = subprocess.Popen(
                cmd,
                cwd=self.alice,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        ready = self._wait_ready(60)
        self.note(
            "Alice",
            "catdetector serve --registry github.git --stage prod",
            time.perf_counter() - start,
            ready,
            "" if ready else self.server_log.read_text()[-300:],
        )
        self.server_pid = self.server.pid
        images = sorted((self.alice / "inbox").rglob("*.png"))
        answers = [self.predict(p) for p in images]
        good = all(s == 200 and b.get("version") == self.v1 for s, b, _ in answers)
        labels = [b.get("label") for _, b, _ in answers]
        self.alice_image = images[0]
        self.note("Alice", f"POST /v1/predict x{len(images)}: {labels}", ok=good)
        self.check(
            "Alice serves v1 from the registry and the DVC remote alone",
            ready and good,
            f"{len(images)} predictions by {self.v1}; she never read Bob's folder",
        )

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.server is not None and self.server.poll() is not None:
                return False
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return False

    def act_bad_v2_and_rollback(self) -> None:
        """Bob trains a worse v2; the gate refuses; he forces; Alice swaps; he rolls back."""
        bob = self.bob
        params_path = bob / layout.PARAMS
        params = yaml.safe_load(params_path.read_text())
        params["train"]["label_noise"] = 1.0
        params_path.write_text(yaml.safe_dump(params, sort_keys=False))
        self.note("Bob", "params.yaml: train.label_noise = 1.0 (every training label shuffled)")
        self.sh("Bob", "dvc repro (v2 on corrupted labels)", ["dvc", "repro", "-q"], bob)
        self.sh("Bob", "git add -A", ["git", "add", "-A"], bob)
        self.sh(
            "Bob",
            "git commit -m 'train v2'",
            ["git", "commit", "-qm", "train v2 (labels shuffled)"],
            bob,
        )
        self.sh("Bob", "git push", ["git", "push", "-q"], bob)
        self.sh("Bob", "dvc push", ["dvc", "push", "-q"], bob)
        v2 = self.register()
        refused = self.try_sh(["catdetector", "promote", v2, "--stage", "prod", "--push"], bob)
        reason = " ".join(refused.stderr.split())
        self.note(
            "Bob",
            f"catdetector promote {v2} --stage prod -> refused",
            ok=refused.returncode != 0,
            detail=reason[:160],
        )
        self.check(
            "the gate refuses the worse v2",
            refused.returncode == 9 and "gate refused" in reason,
            reason[:200] or f"exit {refused.returncode}",
        )
        self.sh(
            "Bob",
            f"catdetector promote {v2} --force --reason ... --push",
            [
                "catdetector",
                "promote",
                v2,
                "--stage",
                "prod",
                "--force",
                "--reason",
                "demo: Bob overrides the gate",
                "--push",
            ],
            bob,
        )
        seconds, ok, failed = self.wait_for_version(v2, 60, self.alice_image)
        same_pid = (
            self.server is not None
            and self.server.poll() is None
            and self.server.pid == self.server_pid
        )
        self.note("Alice", f"server swapped to {v2} in {seconds:.2f}s", seconds, seconds < 60)
        self.check(
            "Alice's server swaps to v2 with no restart",
            seconds < 60 and same_pid and failed == 0,
            f"{seconds:.2f}s after the push, same process, {ok} answered, {failed} failed",
        )
        self.check(
            "gto show agrees: prod holds v2",
            self.gto_prod(bob) == v2,
            f"gto show: prod = {self.gto_prod(bob)}",
        )
        start = time.perf_counter()
        self.sh(
            "Bob",
            "catdetector rollback --stage prod --push",
            ["catdetector", "rollback", "--stage", "prod", "--push"],
            bob,
        )
        seconds, ok, failed = self.wait_for_version(self.v1, 30, self.alice_image)
        total = time.perf_counter() - start
        self.note(
            "Alice",
            f"server back on {self.v1} {total:.2f}s after the rollback command started",
            total,
            seconds < 30,
        )
        self.check(
            "rollback: the server is back on v1 with no restart",
            seconds < 30
            and failed == 0
            and self.server is not None
            and self.server.pid == self.server_pid,
            f"{seconds:.2f}s after the rollback tag was pushed; {failed} failed requests",
        )
        self.check(
            "gto show agrees: prod holds v1 again",
            self.gto_prod(bob) == self.v1,
            f"gto show: prod = {self.gto_prod(bob)}",
        )

    def act_bus_factor(self) -> None:
        """Alice rebuilds v1 from scratch: clone, dvc pull, dvc repro -f, same metrics."""
        rebuild = self.alice / "rebuild"
        self.sh(
            "Alice",
            "git clone github.git (her own checkout and DVC cache)",
            ["git", "clone", "-q", str(self.origin), str(rebuild)],
            self.alice,
        )
        self.sh(
            "Alice",
            f"git checkout {self.v1}",
            ["git", "checkout", "-q", f"{layout.ARTIFACT}@{self.v1}"],
            rebuild,
        )
        if self.endpoint_url:
            self.sh(
                "Alice",
                "dvc remote modify --local storage endpointurl ...",
                ["dvc", "remote", "modify", "--local", "storage", "endpointurl", self.endpoint_url],
                rebuild,
            )
        self.sh("Alice", "dvc pull", ["dvc", "pull", "-q"], rebuild)
        self.sh(
            "Alice", "dvc repro -f (retrain v1 from scratch)", ["dvc", "repro", "-f", "-q"], rebuild
        )
        rebuilt = json.loads((rebuild / layout.TEST_METRICS).read_text())
        same = rebuilt == self.v1_metrics
        model_same = (rebuild / layout.MODEL_DIR / "model.skops").read_bytes() == self.v1_model
        self.check(
            "bus factor: Alice rebuilds v1 with the same metrics",
            same,
            f"accuracy {rebuilt['accuracy']:.4f} vs Bob's {self.v1_metrics['accuracy']:.4f}; "
            f"model.skops byte-identical: {model_same}",
        )

    def stop_server(self) -> None:
        """Stop Alice's server."""
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()


def run_demo(
    workdir: Path | None = None,
    remote: str | None = None,
    endpoint_url: str | None = None,
    keep: bool = False,
    on_step: Callable[[Step], None] | None = None,
) -> DemoResult:
    """Run the story in ``workdir`` (a fresh temp folder by default; removed unless ``keep``)."""
    temp = workdir is None
    root = Path(tempfile.mkdtemp(prefix="catdetector-demo-")) if temp else workdir.resolve()  # type: ignore[union-attr]
    if not temp and root.exists() and any(root.iterdir()):
        from catdetector.core.errors import UsageError

        raise UsageError(f"--workdir {root} is not empty: give a new or empty folder")
    try:
        return Demo(root, remote, endpoint_url, on_step).run()
    finally:
        if temp and not keep:  # a --workdir the user named is theirs: never removed
            shutil.rmtree(root, ignore_errors=True)
