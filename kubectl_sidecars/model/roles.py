"""The containers of a pod or of a pod template, grouped by role once, and found by name in one step."""

from functools import cached_property
from typing import Dict, List, Optional

from kubectl_sidecars.model.classify import APP, INIT, LEGACY, SIDECAR

RUN_TO_COMPLETION_OWNERS = ("Job",)


class ContainerRoles:
    """Mixed into views that have `containers` (ContainerViews, in spec order), `restart_policy` and `owner`.
    Rules ask for these per container, so each is built once per view: work stays linear in the number of
    containers."""

    containers: list
    restart_policy: str
    owner: Optional[Dict[str, str]]

    @cached_property
    def _by_type(self) -> Dict[str, list]:
        groups: Dict[str, list] = {}
        for container in self.containers:
            groups.setdefault(container.type, []).append(container)
        return groups

    @cached_property
    def _by_name(self) -> Dict[str, object]:
        return {c.name: c for c in reversed(self.containers)}  # the first of a repeated name wins

    def of_type(self, *types: str) -> list:
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [c for c in self.containers if c.type in types]

    def container(self, name: str):
        return self._by_name.get(name)

    @property
    def runs_to_completion(self) -> bool:
        """Job pods and bare pods that are not restarted: their app containers are meant to finish."""
        return self.restart_policy != "Always" or (self.owner or {}).get("kind") in RUN_TO_COMPLETION_OWNERS

    @property
    def apps(self) -> List:
        return self.of_type(APP)

    @property
    def sidecars(self) -> List:
        return self.of_type(SIDECAR)

    @property
    def legacy_sidecars(self) -> List:
        return self.of_type(LEGACY)

    @cached_property
    def all_sidecars(self) -> List:
        """Native and legacy sidecars, in spec order."""
        return self.of_type(SIDECAR, LEGACY)

    @property
    def inits(self) -> List:
        return self.of_type(INIT)
