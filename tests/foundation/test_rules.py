"""The nevers of docs/architecture.md, checked on the syntax tree of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import catdetector

PACKAGE = Path(catdetector.__file__).resolve().parent
ROOT = PACKAGE.parents[1]
PRINT_CALLS = {"print", "pprint", "pp"}
# rich modules that only build text (markup, styled strings); everything else of rich draws
RICH_DATA_ONLY = {"rich.markup", "rich.text", "rich.style"}


def library_modules() -> list[Path]:
    """Every module of the package except the CLI (the only one allowed to print)."""
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "cli" not in p.relative_to(PACKAGE).parts]


def printing_lines(source: str) -> list[str]:
    """What in ``source`` writes to the terminal: `print(`, rich output, sys.stdout/err."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in PRINT_CALLS:
                found.append(f"{node.lineno}: {func.id}(")
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute)
                and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "sys"
                and func.value.attr in ("stdout", "stderr")
            ):
                found.append(f"{node.lineno}: sys.{func.value.attr}.{func.attr}(")
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if (name == "rich" or name.startswith("rich.")) and name not in RICH_DATA_ONLY:
                    found.append(f"{node.lineno}: imports {name}")
    return found


def test_the_checker_sees_every_kind_of_printing() -> None:
    source = (
        "import sys\nfrom rich.console import Console\nimport rich\n"
        "from rich.markup import escape\n"
        "print('x')\nsys.stderr.write('x')\nlogger.info('fine')\n"
    )
    assert printing_lines(source) == [
        "2: imports rich.console",
        "3: imports rich",
        "5: print(",
        "6: sys.stderr.write(",
    ]


def test_the_library_never_prints() -> None:
    modules = library_modules()
    assert len(modules) > 50 and not any("cli" in p.parts[-2:] for p in modules)
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in modules
        if (lines := printing_lines(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "only catdetector.cli prints (docs/architecture.md)"


def test_the_architecture_map_names_every_package() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file() and p.name != "resources"
    )
    missing = [name for name in packages if f"`{name}`" not in text]
    assert missing == [], f"docs/architecture.md does not describe {missing}"


MAX_LINES = 400


def test_no_module_over_400_lines() -> None:
    over = {
        rel: lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and (rel := path.relative_to(PACKAGE).as_posix())
    }
    assert over == {}, f"modules over {MAX_LINES} lines (split them by job)"
