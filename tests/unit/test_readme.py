"""The README documents what the code does: its catalog table is the code's, and its exit codes are the CLI's."""

import re
from pathlib import Path

from kubectl_sidecars import errors
from kubectl_sidecars.rules import CATALOG, catalog_markdown

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_readme_catalog_is_the_generated_one():
    assert catalog_markdown().strip() in README, "run hack/readme_catalog.py"


def test_every_finding_code_is_in_the_readme():
    missing = [code for code in CATALOG if f"`{code}`" not in README]
    assert missing == []


def test_the_exit_code_table_is_the_cli_s():
    documented = {int(m.group(1)) for m in re.finditer(r"^\| (\d+) \| ", README, re.MULTILINE)}
    defined = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    assert documented == defined


def test_every_example_the_readme_runs_exists():
    for path in re.findall(r"(examples/[\w.-]+\.yaml)", README):
        assert (ROOT / path).is_file(), path
