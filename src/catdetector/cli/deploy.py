"""`catdetector deploy kubernetes`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catdetector.cli._common import console, console_err, print_json


def register(app: typer.Typer) -> None:
    """Attach the deploy sub-commands."""
    deploy = typer.Typer(help="Files a platform team applies.", no_args_is_help=True)
    app.add_typer(deploy, name="deploy")

    @deploy.command("kubernetes")
    def kubernetes_cmd(
        project: Annotated[Path, typer.Argument(help="the catdetector project")] = Path("."),
        out: Annotated[
            Path | None,
            typer.Option(help="folder for the manifests [default: deploy/kubernetes in PROJECT]"),
        ] = None,
        name: Annotated[str, typer.Option(help="name of the Kubernetes objects")] = "catdetector",
        namespace: Annotated[str, typer.Option(help="namespace (default: kubectl's)")] = "",
        image: Annotated[
            str | None,
            typer.Option(help="image reference [default: <project>:lock-<hash of the lock>]"),
        ] = None,
        registry: Annotated[
            str | None,
            typer.Option(help="registry git URL, no credentials [default: the origin remote]"),
        ] = None,
        stage: Annotated[str, typer.Option(help="stage the servers follow")] = "prod",
        replicas: Annotated[int, typer.Option(help="replicas (the autoscaler's minimum)")] = 2,
        max_replicas: Annotated[int, typer.Option(help="the autoscaler's maximum")] = 6,
        cpu_target: Annotated[
            int, typer.Option(help="the autoscaler's target CPU utilization, per cent")
        ] = 70,
        s3_endpoint: Annotated[
            str, typer.Option(help="S3 endpoint of the DVC remote (default: AWS's)")
        ] = "",
        git_auth: Annotated[
            str, typer.Option(help="registry credentials: token (HTTPS), ssh (deploy key), none")
        ] = "token",
        inputs_claim: Annotated[
            str,
            typer.Option(
                help="PersistentVolumeClaim (ReadWriteMany) for kept inputs [default: a "
                "per-pod emptyDir]"
            ),
        ] = "",
        shadow: Annotated[
            bool,
            typer.Option(
                help="the servers follow the registry's shadow stage: one more process per "
                "pod, counted in its memory (--no-shadow: `serve --no-shadow`, less memory)"
            ),
        ] = True,
        canary: Annotated[
            bool,
            typer.Option(
                help="the servers follow the registry's canary stage: a second model in the "
                "server process, counted in its memory (--no-canary: `serve --no-canary`, less "
                "memory)"
            ),
        ] = True,
        force: Annotated[bool, typer.Option(help="overwrite existing files")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """Write Kubernetes manifests and a container build file for the project's server.

        Secrets are referenced by name only; docs/deploy.md says how to create them.
        """
        from catdetector.release.deploy import deploy_kubernetes
        from catdetector.release.kubernetes import Options

        options = Options(
            name=name,
            namespace=namespace,
            stage=stage,
            replicas=replicas,
            max_replicas=max_replicas,
            cpu_target=cpu_target,
            s3_endpoint=s3_endpoint,
            git_auth=git_auth,  # type: ignore[arg-type]  # checked by check_options
            inputs_claim=inputs_claim,
            registry=registry or "",
            image=image or "",
            shadow=shadow,
            canary=canary,
        )
        written, used = deploy_kubernetes(
            project, options, out.resolve() if out is not None else None, force
        )
        if json_out:
            print_json(
                {
                    "files": [str(p) for p in written],
                    "image": used.image,
                    "registry": used.registry,
                    "secrets": used.secrets(),
                    "shadow_process": used.follows_shadow(),
                    "canary": used.follows_canary(),
                }
            )
            return
        for path in written:
            console.print(f"wrote {path}", markup=False)
        console.print(f"image: {used.image}  registry: {used.registry}", markup=False)
        if "REPLACE-ME" in used.registry:
            console_err.print(
                "[yellow]no network origin remote: set REGISTRY_URL in configmap.yaml or give "
                "--registry[/yellow]"
            )
        needed = ", ".join(used.secrets())
        console.print(f"create the Secrets first ({needed}): see docs/deploy.md", markup=False)
