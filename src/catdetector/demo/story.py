"""The story's acts: Bob releases v1, Alice serves it, a bad v2 and the rollback, the rebuild."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from catdetector.core import layout, tools
from catdetector.core.errors import CatDetectorError
from catdetector.demo.narrator import Narrator
from catdetector.demo.results import DemoResult, Step
from catdetector.demo.server import AliceServer


def one_line(text: str) -> str:
    """A command's error output as one line, whole (the CLI wraps it; nothing is cut)."""
    return " ".join(text.split())


class Demo(Narrator):
    """Runs the story; ``on_step`` is called after every step."""

    def __init__(
        self,
        workdir: Path,
        remote: str | None = None,
        endpoint_url: str | None = None,
        on_step: Callable[[Step], None] | None = None,
        n_images: int = 200,
    ) -> None:
        super().__init__(workdir, on_step)
        self.bob = workdir / "bob"
        self.alice = workdir / "alice"
        self.origin = workdir / "github.git"
        self.remote = remote or str(workdir / "dvc-remote")
        self.endpoint_url = endpoint_url
        self.n_images = n_images
        self.server = AliceServer(workdir / "alice-server.log")

    def run(self) -> DemoResult:
        """Run every act; checks record what held. Always stops the server."""
        start = time.perf_counter()
        self.write_gitconfig()
        try:
            self.act_bob_v1()
            self.act_alice_serves()
            self.act_bad_v2_and_rollback()
            self.act_bus_factor()
        except CatDetectorError as exc:
            self.check("the story ran to the end", False, str(exc))
        finally:
            self.server.stop()
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
            str(self.server.port),
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
        ready = self.server.start(cmd, self.alice, self.env, 60)
        self.note(
            "Alice",
            "catdetector serve --registry github.git --stage prod",
            time.perf_counter() - start,
            ready,
            "" if ready else self.server.log_tail(),
        )
        images = sorted((self.alice / "inbox").rglob("*.png"))
        answers = [self.server.predict(p) for p in images]
        good = all(s == 200 and b.get("version") == self.v1 for s, b, _ in answers)
        labels = [b.get("label") for _, b, _ in answers]
        self.alice_image = images[0]
        self.note("Alice", f"POST /v1/predict x{len(images)}: {labels}", ok=good)
        self.check(
            "Alice serves v1 from the registry and the DVC remote alone",
            ready and good,
            f"{len(images)} predictions by {self.v1}; she never read Bob's folder",
        )

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
        reason = one_line(refused.stderr)
        self.note(
            "Bob",
            f"catdetector promote {v2} --stage prod -> refused",
            ok=refused.returncode != 0,
            detail=reason,
        )
        self.check(
            "the gate refuses the worse v2",
            refused.returncode == 9 and "gate refused" in reason,
            reason or f"exit {refused.returncode}",
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
        seconds, ok, failed = self.server.wait_for_version(v2, 60, self.alice_image)
        same_pid = self.server.same_process
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
        seconds, ok, failed = self.server.wait_for_version(self.v1, 30, self.alice_image)
        total = time.perf_counter() - start
        self.note(
            "Alice",
            f"server back on {self.v1} {total:.2f}s after the rollback command started",
            total,
            seconds < 30,
        )
        self.check(
            "rollback: the server is back on v1 with no restart",
            seconds < 30 and failed == 0 and self.server.same_process,
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
