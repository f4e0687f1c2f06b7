"""The kinds `diagnose` takes, with kubectl's spellings of them (plural, short names)."""

from typing import Optional

DIAGNOSE_KINDS = {
    "pod": "Pod", "job": "Job", "cronjob": "CronJob", "deployment": "Deployment",
    "statefulset": "StatefulSet", "daemonset": "DaemonSet", "replicaset": "ReplicaSet",
}
_SHORT_NAMES = {"po": "pod", "cj": "cronjob", "deploy": "deployment", "sts": "statefulset", "ds": "daemonset",
                "rs": "replicaset"}


def diagnose_kind(word: str) -> Optional[str]:
    """'deploy', 'Deployments', 'deployment' -> 'deployment'; None for what diagnose does not take."""
    word = word.lower()
    word = _SHORT_NAMES.get(word, word)
    if word not in DIAGNOSE_KINDS and word.endswith("s"):
        word = word[:-1]
    return word if word in DIAGNOSE_KINDS else None
