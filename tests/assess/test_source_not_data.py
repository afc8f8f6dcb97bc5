"""Source code is code wherever it lies: a website's data/*.ts (TypeScript modules holding
the pages' content) is not a dataset, so a site about MLOps is not an ML project (blind7's
MLOps community website read Level 1 from them)."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import write_tree

SITE = {
    "package.json": '{"scripts": {"build": "next build"}}\n',
    "src/app/page.tsx": "export default function Page() { return <main/> }\n",
    "data/sessions.ts": "export const sessions = [{ title: 'MLOps 101' }]\n",
    "data/faq.tsx": "export const Faq = () => null\n",
    "data/links.js": "module.exports = []\n",
}


def test_a_websites_data_modules_are_code_not_ml_data(tmp_path: Path) -> None:
    report = assess_repository(write_tree(tmp_path / "site", SITE))
    assert report.level is None, (report.level, report.ids)


def test_a_dataset_beside_them_is_still_data(tmp_path: Path) -> None:
    files = {**SITE, "data/train.csv": "x,y\n" + "1,0\n" * 50}
    report = assess_repository(write_tree(tmp_path / "site", files))
    assert report.finding("no-data-versioning") is not None, report.ids
