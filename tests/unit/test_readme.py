"""The README documents what the code does: its catalog table is the code's, and its exit codes are the CLI's."""

from pathlib import Path

from kubectl_sidecars import errors
from kubectl_sidecars.rules import CATALOG, catalog_markdown

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_readme_catalog_is_the_generated_one():
    assert catalog_markdown().strip() in README, "run hack/readme_catalog.py"


def test_every_finding_code_is_in_the_readme():
    missing = [code for code in CATALOG if f"`{code}`" not in README]
    assert missing == []


def test_every_exit_code_is_documented():
    for code in (errors.EXIT_OK, errors.EXIT_FINDINGS, errors.EXIT_USAGE, errors.EXIT_API, errors.EXIT_INPUT):
        assert f"| {code} |" in README
