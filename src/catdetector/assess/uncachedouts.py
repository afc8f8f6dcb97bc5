"""A training stage whose outputs nothing keeps: ``cache: false`` and ignored by git.

DVC keeps a version of every stage output in its cache unless the output says ``cache:
false``; such an output is left to git. When git ignores it too (``/logs`` in
``.gitignore``, nothing under it tracked), the trained model the stage writes there is kept
by nothing: each ``dvc repro`` overwrites it and no commit can give the previous one back.
Positive evidence for ``no-rollback``: the stage line that declares the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from catdetector.assess.model import Evidence
from catdetector.assess.text import normpath

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


def uncached_outs(raw: Any, base: str) -> list[str]:
    """The outputs of a DVC ``outs`` list marked ``cache: false`` (``- logs: {cache: false}``)."""
    items: Iterable[Any] = raw if isinstance(raw, list) else []
    found: list[str] = []
    for item in items:
        for name, options in item.items() if isinstance(item, dict) else ():
            if isinstance(options, dict) and str(options.get("cache")).lower() == "false":
                path = normpath(str(name), base)
                if path is not None:
                    found.append(path)
    return found


def unkept_training_outputs(f: Facts) -> list[Evidence]:
    """The outputs of training stages that neither DVC's cache nor git keeps (only in a git
    work tree whose index was read: elsewhere what git keeps is unknown)."""
    tracked = f.index.git.tracked
    if not tracked:
        return []
    found: list[Evidence] = []
    for stage in f.training_stages:
        if not stage.outs or stage.kept:
            continue  # DVC keeps some output of this stage
        lines = (f.index.text(stage.file) or "").splitlines()
        for out in stage.uncached:
            if out in tracked or any(p.startswith(out + "/") for p in tracked):
                continue
            name = out.rsplit("/", 1)[-1]
            line = next((i for i, t in enumerate(lines, 1) if t.strip().rstrip(":")
                         .removeprefix("- ").strip("'\"") == name), None)  # fmt: skip
            found.append(Evidence(
                stage.file, line,
                f"training stage `{stage.name}` writes `{out}` with `cache: false`, and git "
                "does not track it: nothing keeps the trained model, each run overwrites it",
            ))  # fmt: skip
    return found
