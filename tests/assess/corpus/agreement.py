"""The corpus: read the manifest, rebuild each copy as a git repository, assess it, and
write the agreement table into ``docs/assess-checks.md``.

``python -m tests.assess.corpus.agreement`` rewrites the table between the markers
(``--check`` only says whether it is in sync). Nothing here touches the network.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from catdetector.assess import Report, assess_repository
from tests.assess.builders import git_init

CORPUS = Path(__file__).resolve().parent
MANIFEST = CORPUS / "manifest.toml"
DOCS = CORPUS.parents[2] / "docs" / "assess-checks.md"
BEGIN, END = "<!-- corpus:begin -->", "<!-- corpus:end -->"
NOT_APPLICABLE = "n/a"
# First bytes of the stand-ins written for large or binary files the copies leave out.
MAGIC = {
    ".parquet": b"PAR1",
    ".h5": b"\x89HDF\r\n\x1a\n",
    ".pkl": b"\x80\x04\x95",
    ".zip": b"PK\x03\x04",
    ".skops": b"PK\x03\x04",
    ".gz": b"\x1f\x8b\x08",
    ".tgz": b"\x1f\x8b\x08",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpeg": b"\xff\xd8\xff\xe0",
    ".jpg": b"\xff\xd8\xff\xe0",
    ".pdf": b"%PDF-1.4\n",
    ".pyc": b"\xa7\r\r\n",
}

TEXT_FILL = {".csv": b"0,0\n", ".json": b" ", ".txt": b"0\n"}

Level = int | str


def stand_in(suffix: str, size: int) -> bytes:
    """``size`` bytes that look like a file with this suffix (magic bytes, then padding)."""
    if suffix in TEXT_FILL:
        fill = TEXT_FILL[suffix]
        return (fill * (size // len(fill) + 1))[:size]
    magic = MAGIC.get(suffix, b"")
    return magic + bytes(max(0, size - len(magic)))


@dataclass(frozen=True)
class CorpusRepo:
    """One manifest entry: where the copy is and what was judged by reading the repository."""

    name: str
    repository: str
    commit: str
    license: str
    level: Level
    why: str
    not_critical: tuple[str, ...]
    tags: tuple[str, ...]
    stubs: tuple[tuple[str, int], ...] = ()

    @property
    def copy(self) -> Path:
        """The trimmed copy's folder."""
        return CORPUS / "repos" / self.name


def load_manifest(path: Path = MANIFEST) -> list[CorpusRepo]:
    """The manifest's entries, in file order."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        CorpusRepo(
            name=entry["name"],
            repository=entry["repository"],
            commit=entry["commit"],
            license=entry["license"],
            level=entry["level"],
            why=entry["why"],
            not_critical=tuple(entry.get("not_critical", ())),
            tags=tuple(entry.get("tags", ())),
            stubs=tuple(entry.get("stubs", {}).items()),
        )
        for entry in data["repo"]
    ]


def materialise(repo: CorpusRepo, workdir: Path) -> Path:
    """Copy ``repo``'s files under ``workdir``, write a stand-in of each stub (the
    repository's large or binary file: its first bytes and its size), and commit all to a new
    git repository with the manifest's tags (the copies carry no ``.git``)."""
    dest = workdir / repo.name
    shutil.copytree(repo.copy, dest)
    for rel, size in repo.stubs:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stand_in(path.suffix.lower(), size))
    return git_init(dest, tags=repo.tags, message=f"{repo.repository}@{repo.commit[:12]}")


def assessed_level(report: Report) -> Level:
    """The report's level, or "n/a" when assess found the repository not applicable."""
    level = getattr(report, "level", None)
    if level is None or not getattr(report, "applicable", True):
        return NOT_APPLICABLE
    if "not applicable" in str(getattr(report, "level_name", "")).lower():
        return NOT_APPLICABLE
    return int(level)


def critical_course_risks(repo: CorpusRepo, report: Report) -> list[str]:
    """The risks listed as not critical for ``repo`` that ``report`` calls CRITICAL."""
    return [f.id for f in report.findings if f.id in repo.not_critical and f.severity == "critical"]


def assess_corpus(workdir: Path, repos: list[CorpusRepo] | None = None) -> dict[str, Report]:
    """Assess every corpus repository, rebuilt under ``workdir``; name -> report."""
    return {r.name: assess_repository(materialise(r, workdir)) for r in repos or load_manifest()}


def _cell(level: Level) -> str:
    return "not applicable" if level == NOT_APPLICABLE else f"Level {level}"


def agreement_table(repos: list[CorpusRepo], reports: dict[str, Report]) -> str:
    """The markdown table (repository, judged, assessed, agree?) and the agreement rate."""
    rows = [
        "| Repository | Commit | Judged | Assessed | Agree? | CRITICAL where the remedy is there |",
        "|---|---|---|---|---|---|",
    ]
    agree = 0
    for repo in repos:
        report = reports[repo.name]
        got = assessed_level(report)
        same = got == repo.level
        agree += same
        wrong = ", ".join(f"`{r}`" for r in critical_course_risks(repo, report)) or "none"
        rows.append(
            f"| [{repo.repository}](https://github.com/{repo.repository}) | "
            f"`{repo.commit[:7]}` | {_cell(repo.level)} | {_cell(got)} | "
            f"{'yes' if same else '**no**'} | {wrong} |"
        )
    rate = 100 * agree / len(repos) if repos else 0.0
    summary = (
        f"Level agrees on {agree} of {len(repos)} repositories ({rate:.0f} %). "
        "Judged by reading each repository; why, per repository: "
        "`tests/assess/corpus/manifest.toml`; what assess misses: "
        "`tests/assess/corpus/DISAGREEMENTS.md`."
    )
    return "\n".join([summary, "", *rows]) + "\n"


def doc_region(text: str) -> str:
    """What stands between the corpus markers of the doc (ValueError without markers)."""
    start = text.index(BEGIN) + len(BEGIN)
    return text[start : text.index(END, start)].strip("\n") + "\n"


def with_region(text: str, table: str) -> str:
    """``text`` with the corpus region replaced by ``table`` (markers appended if absent)."""
    if BEGIN not in text:
        text = text.rstrip("\n") + f"\n\n## Calibration corpus\n\n{BEGIN}\n{END}\n"
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END, start)
    return f"{text[:start]}\n{table}{text[end:]}"


def current_table() -> str:
    """Assess the whole corpus now (in a temporary folder) and return the table."""
    repos = load_manifest()
    with tempfile.TemporaryDirectory(prefix="assess-corpus-") as tmp:
        return agreement_table(repos, assess_corpus(Path(tmp), repos))


def main(argv: list[str]) -> int:
    """Rewrite the doc's corpus region, or with ``--check`` report whether it is in sync."""
    table = current_table()
    text = DOCS.read_text(encoding="utf-8")
    if "--check" in argv:
        in_sync = BEGIN in text and doc_region(text) == table
        sys.stdout.write("in sync\n" if in_sync else "out of date\n")
        return 0 if in_sync else 1
    DOCS.write_text(with_region(text, table), encoding="utf-8")
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
