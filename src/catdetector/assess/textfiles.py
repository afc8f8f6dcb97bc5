"""Which files of a tree may matter to a check, so the walk reads their text."""

from __future__ import annotations

TEXT_SUFFIXES = frozenset(
    {
        ".py",
        ".pyi",
        ".ipynb",
        ".r",
        ".jl",
        ".scala",
        ".java",
        ".js",
        ".ts",
        ".go",
        ".rs",
        ".yaml",
        ".yml",
        ".toml",
        ".cfg",
        ".ini",
        ".conf",
        ".json",
        ".txt",
        ".in",
        ".md",
        ".rst",
        ".sh",
        ".bash",
        ".zsh",
        ".ps1",
        ".bat",
        ".env",
        ".dvc",
        ".tf",
        ".sql",
        ".mk",
        ".properties",
        ".xml",
        ".groovy",
        ".dockerfile",
        ".local",
    }
)

TEXT_NAMES = frozenset(
    {
        "Dockerfile",
        "Containerfile",
        "Makefile",
        "makefile",
        "GNUmakefile",
        "Jenkinsfile",
        "Procfile",
        "Snakefile",
        "MLproject",
        "Pipfile",
        "config",
        ".gitignore",
        ".gitattributes",
        ".dvcignore",
        ".python-version",
        "requirements",
        "Justfile",
        "justfile",
        ".envrc",
    }
)


def wants_text(name: str, suffix: str, size: int) -> bool:
    """Whether a file of this name may matter to a check (so its prefix is read)."""
    if suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
        return True
    lower = name.lower()
    if lower.startswith(
        ("dockerfile", "requirements", "constraints", ".env", "docker-compose", "jenkinsfile")
    ) or lower.endswith(".jenkinsfile"):
        return True
    return suffix == "" and size <= 64 * 1024
