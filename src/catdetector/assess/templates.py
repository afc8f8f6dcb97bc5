"""Templated files read as what they render to (Go templates, Jinja, cookiecutter).

``train.py.tmpl``, ``ci.yml.j2`` and the files of a cookiecutter folder
(``{{cookiecutter.repo_name}}/``) hold ``{{ ... }}`` expressions and ``{% ... %}``
statements. A template is read as the file it renders to: its name loses the template
suffix (markers in the name become ``tmpl``), lines that are only a template statement
become blank, and each ``{{ ... }}`` becomes the neutral word ``tmpl``, so that Python
parses, YAML loads and paths stay paths. Nothing is rendered for real (no values are known).
Placeholder folders and files that generators fill in (``__APP_NAME__/``, ``__TASK_NAME__.py``,
``<project>/``) mark templates the same way. Templates inside a Python package are that
package's data: the scanner lists them and does not read them as the project's files.
"""

from __future__ import annotations

import ast
import re

TEMPLATE_SUFFIXES = frozenset({".tmpl", ".j2", ".jinja", ".jinja2"})
PLACEHOLDER = "tmpl"
_MARKER_RE = re.compile(r"\{\{-?.*?-?\}\}|\{%-?.*?-?%\}|\{#.*?#\}", re.S)
_STATEMENT_LINE_RE = re.compile(
    r"^[ \t]*(?:\{\{-?\s*(?:/\*.*?\*/|if|else|end|range|with|define|template|block|$"
    r")[^}]*-?\}\}|\{%-?.*?-?%\}|\{#.*?#\})[ \t]*$",
    re.M,
)


# a path part that is a placeholder a generator replaces: `__APP_NAME__`, `test___TASK__.py`,
# `<project>`, `{{ name }}` (upper-case dunders only: `__init__.py` and `__main__.py` are code)
_PLACEHOLDER_PART_RE = re.compile(
    r"(?:^|[/_])__[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*__(?=[/.]|$)|(?:^|/)<[\w.-]+>(?=[/.]|$)"
)


def is_template(name: str, suffix: str, rel: str) -> bool:
    """Whether a file is a template: a template suffix, or it lies in a templated folder
    (``{{...}}``, ``__APP_NAME__``, ``<project>`` in its path)."""
    return (
        suffix in TEMPLATE_SUFFIXES
        or "{{" in rel
        or "{%" in name  # a file the generator writes or not: `{% if x %}promote.py{% endif %}`
        or _PLACEHOLDER_PART_RE.search(rel) is not None
    )


def rendered_name(name: str, suffix: str) -> str:
    """The file name a template renders to (``train.py.tmpl`` -> ``train.py``)."""
    if suffix in TEMPLATE_SUFFIXES:
        stem = name[: -len(suffix)]
        if "." in stem.lstrip(".") or stem in ("Dockerfile", "Makefile", "Jenkinsfile"):
            name = stem
    name = _NAME_PLACEHOLDER_RE.sub(PLACEHOLDER, name)
    name = re.sub(r"\{%-?.*?-?%\}", "", name)  # a conditional name renders to its text
    return _MARKER_RE.sub(PLACEHOLDER, name) if "{" in name else name


_NAME_PLACEHOLDER_RE = re.compile(r"__[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*__|^<[\w.-]+>")


def render(text: str) -> str:
    """The text with statement lines blanked and each expression replaced by ``tmpl``."""
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text
    text = _STATEMENT_LINE_RE.sub("", text)
    return _MARKER_RE.sub(lambda m: PLACEHOLDER + "\n" * m.group(0).count("\n"), text)


def templated_python(text: str) -> str:
    """A Python file whose own text is a template (a copier or cookiecutter project's
    ``{%- if x %}`` blocks in a ``.py`` file): read rendered when only the rendered text
    parses; any other file as it is."""
    if "{%" not in text and "{{" not in text:
        return text
    try:
        ast.parse(text)
        return text
    except (SyntaxError, ValueError):
        rendered = render(text)
    try:
        ast.parse(rendered)
    except (SyntaxError, ValueError):
        return text
    return rendered
