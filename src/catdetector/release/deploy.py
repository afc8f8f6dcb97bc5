"""The deployment files of a project: the container build file and the Kubernetes manifests.

``catdetector init`` writes them with the defaults; ``catdetector deploy kubernetes``
writes them again for an existing project with the platform's choices, refusing to
overwrite a file unless told to.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from catdetector.core import fsutil, layout, tools
from catdetector.core.errors import ProjectError, UsageError
from catdetector.release import envlock, kubernetes
from catdetector.release.kubernetes import Options

CONTAINERFILE_PATH = Path("Dockerfile")
DOCKERIGNORE_PATH = Path(".dockerignore")
CONTAINERFILE = """\
# The image of `catdetector serve` for this project (deploy/kubernetes names it), built from
# the project's lock in pip's hash-checking mode: what runs is what was locked.
#   docker build -t {image} .      (or: podman build -t {image} .)
# Pin the base by digest for reproducible builds: docker buildx imagetools inspect {base}
FROM {base}

# git: the server follows the registry (git ls-remote, fetch); ssh: a deploy key.
RUN apt-get update \\
    && apt-get install -y --no-install-recommends git openssh-client \\
    && rm -rf /var/lib/apt/lists/*

# The non-root user of the manifests (runAsUser {uid}).
RUN groupadd --system --gid {uid} catdetector \\
    && useradd --system --uid {uid} --gid {uid} --home-dir /tmp --shell /usr/sbin/nologin \\
    catdetector

WORKDIR /opt/catdetector
COPY {copy} ./
RUN python -m venv /opt/venv \\
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r {lock}{source}

ENV PATH=/opt/venv/bin:$PATH \\
    PYTHONUNBUFFERED=1 \\
    PYTHONDONTWRITEBYTECODE=1 \\
    HOME=/tmp
USER {uid}:{uid}
EXPOSE {port}
ENTRYPOINT ["catdetector"]
CMD ["serve", "--host", "0.0.0.0", "--port", "{port}"]
"""

SOURCE_INSTALL = " \\\n    && /opt/venv/bin/pip install --no-cache-dir --no-deps -r {file}"

DOCKERIGNORE = """\
# The image needs only the lock (and catdetector's wheel or source line): data, models,
# git and DVC caches stay out of the build context.
*
!{lock}
!{source}
!{vendor}/
"""


def check_options(options: Options) -> None:
    """UsageError (one line) for options Kubernetes or the server would refuse later."""
    from catdetector.release.templates import STAGES

    if not kubernetes.DNS_LABEL.fullmatch(options.name):
        raise UsageError(
            f"--name {options.name!r}: use lower-case letters, digits and '-' (at most 42)"
        )
    if options.namespace and not kubernetes.DNS_LABEL.fullmatch(options.namespace):
        raise UsageError(f"--namespace {options.namespace!r} is not a Kubernetes name")
    if options.stage not in STAGES:
        raise UsageError(
            f"--stage {options.stage!r}: the registry's stages are {', '.join(STAGES)}"
        )
    if options.replicas < 1 or options.max_replicas < options.replicas:
        raise UsageError("--replicas must be at least 1 and at most --max-replicas")
    if options.git_auth not in kubernetes.GIT_AUTHS:
        choices = ", ".join(kubernetes.GIT_AUTHS)
        raise UsageError(f"--git-auth: choose {choices}; not {options.git_auth!r}")
    if has_credentials(options.registry) or has_credentials(options.s3_endpoint):
        raise UsageError(
            "a URL with credentials was given: put them in a Secret (docs/deploy.md), not the URL"
        )
    if not options.image or any(c.isspace() for c in options.image):
        raise UsageError(f"--image {options.image!r} is not an image reference")


def has_credentials(url: str) -> bool:
    """A password in the URL, or any userinfo over HTTP(S) (a token as the user name);
    ``ssh://git@host/...`` names a user, not a secret."""
    from catdetector.core import redact

    _, user, password = redact.split_userinfo(url)
    return password is not None or (user is not None and url.lower().startswith("http"))


def default_image(root: Path) -> str:
    """``<project>:lock-<sha256 of requirements.lock>``: the tag changes when the lock does."""
    digest = hashlib.sha256((root / layout.ENV_LOCK).read_bytes()).hexdigest()[:12]
    repo = re.sub(r"[^a-z0-9._-]+", "-", root.name.lower()).strip("-._") or "catdetector"
    return f"{repo}:lock-{digest}"


def containerfile(root: Path, image: str) -> str:
    """The container build file for ``root``'s lock (a vendored wheel or a source line)."""
    lock = layout.ENV_LOCK.as_posix()
    copy = [lock]
    source = ""
    if (root / envlock.VENDOR).is_dir():
        copy.append(f"{envlock.VENDOR.as_posix()}/")
    if (root / envlock.SOURCE_FILE).is_file():
        copy.append(envlock.SOURCE_FILE.as_posix())
        source = SOURCE_INSTALL.format(file=envlock.SOURCE_FILE.as_posix())
    return CONTAINERFILE.format(
        image=image,
        base=kubernetes.BASE_IMAGE,
        uid=kubernetes.UID,
        copy=" ".join(copy),
        lock=lock,
        source=source,
        port=kubernetes.PORT,
    )


def dockerignore() -> str:
    """What the build context keeps: the lock, the source line, the vendored wheel."""
    return DOCKERIGNORE.format(
        lock=layout.ENV_LOCK.as_posix(),
        source=envlock.SOURCE_FILE.as_posix(),
        vendor=envlock.VENDOR.as_posix(),
    )


def origin_url(root: Path) -> str:
    """The project's ``origin`` as a network URL without credentials, or '' (none, local)."""
    from catdetector.core import redact

    proc = tools.run(["git", "remote", "get-url", "origin"], root, check=False)
    url = proc.stdout.strip()
    if proc.returncode != 0 or not url:
        return ""
    if url.startswith("file://"):
        return ""
    if "://" in url:
        return redact.split_userinfo(url)[0] if has_credentials(url) else url
    return url if ":" in url.split("/", 1)[0] else ""  # scp-like git@host:path, not a path


def files(root: Path, options: Options, out: Path = kubernetes.OUT) -> dict[Path, str]:
    """Every deployment file (relative to ``root``) and its text."""
    check_options(options)
    texts = {
        out / name: kubernetes.render(doc) for name, doc in kubernetes.manifests(options).items()
    }
    texts[CONTAINERFILE_PATH] = containerfile(root, options.image)
    texts[DOCKERIGNORE_PATH] = dockerignore()
    return texts


def write(root: Path, texts: dict[Path, str], force: bool = False) -> list[Path]:
    """Write ``texts`` under ``root`` (each atomically); refuse existing files unless ``force``."""
    existing = [rel for rel in texts if (root / rel).exists()]
    if existing and not force:
        names = ", ".join(str(rel) for rel in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise UsageError(
            f"{len(existing)} deployment file(s) exist in {root}: {names}",
            hint="give --force to overwrite them, or --out another folder for the manifests",
        )
    written = []
    for rel, text in texts.items():
        path = root / rel
        if path.is_dir():
            raise UsageError(f"{path} is a folder, not a file: move it or give another --out")
        path.parent.mkdir(parents=True, exist_ok=True)
        fsutil.write_text(path, text)
        written.append(path)
    return written


def resolve_options(root: Path, options: Options) -> Options:
    """``options`` with the project's defaults for what is empty: image, registry URL."""
    from dataclasses import replace

    image = options.image or default_image(root)
    registry = options.registry or origin_url(root)
    registry = registry or kubernetes.REGISTRY_PLACEHOLDER.format(name=options.name)
    return replace(options, image=image, registry=registry)


def deploy_kubernetes(
    root: Path, options: Options, out: Path | None = None, force: bool = False
) -> tuple[list[Path], Options]:
    """Write the manifests (into ``out``, default deploy/kubernetes) and the container
    build file of the project at ``root``; return the paths and the options used."""
    root = root.expanduser().resolve()
    if not root.is_dir() or not layout.is_project(root):
        raise ProjectError(
            f"{root} is not a catdetector project",
            hint="run it in a folder made by `catdetector init` (or adopted with --here)",
        )
    if not (root / layout.ENV_LOCK).is_file():
        raise ProjectError(
            f"{root} has no {layout.ENV_LOCK}: the image is built from it",
            hint="run `catdetector lock` there first",
        )
    target = out if out is not None else kubernetes.OUT  # absolute: anywhere
    options = resolve_options(root, options)
    return write(root, files(root, options, target), force), options
