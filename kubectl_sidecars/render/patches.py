"""The YAML a remedy's patches are shown as: a comment naming where each goes, its comments, then the
strategic-merge fragment. The report prints this text; the JSON carries the patches themselves."""

import json
from typing import Dict, List

from kubectl_sidecars.rules.catalog import Patch


def _dumper(pure_python: bool = False):
    import yaml

    # libyaml's emitter where present (remedies are written for thousands of pods); both emitters write
    # the same block-style text for these small documents.
    return yaml.SafeDumper if pure_python else getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(value) -> str:
    """Block-style YAML that reads back as the same value."""
    key = json.dumps(value, sort_keys=True)
    if key not in _WRITTEN:  # the replicas of a workload share their containers: each text is written once
        import yaml

        options = dict(default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 20, indent=2)
        try:
            text = yaml.dump(value, Dumper=_dumper(), **options)
        except UnicodeEncodeError:  # libyaml takes UTF-8 only; PyYAML's emitter escapes a lone surrogate
            text = yaml.dump(value, Dumper=_dumper(pure_python=True), **options)
        if len(_WRITTEN) >= _REMEMBERED:
            _WRITTEN.clear()
        _WRITTEN[key] = text.rstrip("\n")
    return _WRITTEN[key]


_WRITTEN: Dict[str, str] = {}
_REMEMBERED = 4096  # texts kept at most: memory stays flat over any number of pods


def where(patch: Patch) -> str:
    target = patch.target
    if target.kind == "Pod":
        return f"the manifest of pod {target.name}"
    return f"{target.kind} {target.name}" + (f", under {target.path}" if target.path else "")


def patch_yaml(patch: Patch) -> str:
    lines: List[str] = [f"# {where(patch)}:"]
    lines += [f"# {comment}" for comment in patch.comments]
    lines.append(to_yaml(patch.patch))
    return "\n".join(lines)
