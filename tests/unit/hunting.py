"""The settings of every property test: reproducible (derandomised) and sized for CI, or, with
`KUBECTL_SIDECARS_HYPOTHESIS=hunt`, 3,000 random cases per test with shrinking, to hunt for new failures."""

import os

from hypothesis import HealthCheck, Phase, settings

HUNTING = os.environ.get("KUBECTL_SIDECARS_HYPOTHESIS") == "hunt"


def profile(examples: int) -> settings:
    """`examples` cases per test in CI."""
    return settings(max_examples=3000 if HUNTING else examples, derandomize=not HUNTING, database=None,
                    deadline=None, report_multiple_bugs=False,
                    phases=tuple(Phase) if HUNTING else (Phase.generate,),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
