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


def test_the_architecture_page_lists_what_each_rule_judges_and_reads():
    from kubectl_sidecars.snapshot import KINDS

    page = (ROOT / "docs" / "architecture.md").read_text()
    table = page.split("<!-- rules:begin -->", 1)[1].split("<!-- rules:end -->", 1)[0]
    rows = [line.split("|")[1:4] for line in table.strip().splitlines()[2:]]
    documented = {code.strip(" `"): (judges.strip(), reads.strip()) for code, judges, reads in rows}
    assert documented == {rule.code: (", ".join(sorted(rule.judges)), ", ".join(k for k in KINDS if k in rule.reads))
                          for rule in CATALOG.values()}


def test_the_readme_links_the_architecture_page():
    assert "(docs/architecture.md)" in README
