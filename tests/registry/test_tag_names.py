"""formats.gto reads every tag name as GTO does; the CLI's command table."""

from __future__ import annotations

import typer

from catdetector.formats import gto as fmt

NAMES = [
    "catdetector@v0.1.0",
    "catdetector@v0.1.0!",
    "catdetector@v1.20.3-rc.1+build.5",
    "catdetector@v01.0.0",
    "catdetector@0.1.0",
    "catdetector#prod#1",
    "catdetector#prod!#12",
    "catdetector#prod",
    "catdetector#prod-eu_2#3",
    "catdetector@deprecated",
    "catdetector@deprecated#4",
    "catdetector@created",
    "models/dir=catdetector@v0.1.0",
    "models/dir=catdetector#staging#2",
    "other-model#prod#7",
    "cat_detector2@v2.0.0",
    "-bad@v0.1.0",
    "catdetector#",
    "catdetector#prod#x",
    "v0.1.0",
    "release-2026",
    "catdetector@v0.1.0#3",
]


def test_tag_names_parse_as_gto_parses_them() -> None:
    from gto.tag import parse_name as gto_parse

    for name in NAMES:
        theirs = gto_parse(name, raise_on_fail=False) or {}
        theirs = {k: getattr(v, "value", v) for k, v in theirs.items()}
        assert fmt.parse_name(name) == theirs, name


def test_command_table_names_every_command_of_its_module() -> None:
    import importlib

    from catdetector import cli

    found: dict[str, str] = {}
    for module in cli.command_modules():
        app = typer.Typer()
        register = getattr(importlib.import_module(f"catdetector.cli.{module}"), "register", None)
        if register is None:
            continue
        register(app)
        names = [c.name for c in app.registered_commands if c.name]
        names += [g.name for g in app.registered_groups if g.name]
        found.update(dict.fromkeys(names, module))
    assert found == cli.COMMAND_MODULES
