"""Kubernetes timestamps and kubectl's way of printing durations."""

import functools
from datetime import datetime, timezone
from typing import Optional


def parse_time(value) -> Optional[datetime]:
    """RFC 3339 as the API server writes it (also with fractional seconds); None for absent or bad."""
    if not value or not isinstance(value, str):
        return None
    return _parsed(value)


@functools.lru_cache(maxsize=4096)
def _parsed(value: str) -> Optional[datetime]:
    """The pods of a rollout share their timestamps to the second: each is parsed once."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_time(value: Optional[datetime]) -> Optional[str]:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def seconds_between(start: Optional[datetime], end: Optional[datetime]) -> Optional[float]:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def _two_units(count: int, unit: str, rest: int, rest_unit: str) -> str:
    """'3m', or '3m5s' when something is left over: kubectl's short durations name two units."""
    return f"{count}{unit}{rest}{rest_unit}" if rest else f"{count}{unit}"


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration), so AGE cells match kubectl."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return _two_units(minutes, "m", whole % 60, "s")
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        return _two_units(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return _two_units(days, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        return _two_units(years, "y", days % 365, "d")
    return f"{years}y"


def age(since: Optional[datetime], now: datetime) -> str:
    return human_duration((now - since).total_seconds()) if since else "<unknown>"
