"""Timestamps as the API server writes them, and kubectl's HumanDuration (AGE cells must match kubectl)."""

from datetime import datetime, timedelta, timezone

import pytest

from kubectl_sidecars.model.timeutil import age, format_time, human_duration, parse_time, seconds_between

UTC = timezone.utc


@pytest.mark.parametrize("text, expected", [
    ("2025-03-04T10:00:00Z", datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC)),
    ("2025-03-04T10:00:00.123456Z", datetime(2025, 3, 4, 10, 0, 0, 123456, tzinfo=UTC)),
    ("2025-03-04T10:00:00+02:00", datetime(2025, 3, 4, 8, 0, 0, tzinfo=UTC)),
    ("2025-03-04T10:00:00", datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC)),
    (" 2025-03-04T10:00:00Z ", datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC)),
])
def test_parse_time(text, expected):
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("value", [None, "", "yesterday", "2025-13-01T00:00:00Z", 1741082400, {"time": "x"}])
def test_parse_time_absent_or_bad_is_none(value):
    assert parse_time(value) is None


def test_format_time_writes_utc_with_z():
    assert format_time(datetime(2025, 3, 4, 10, 0, 0, 999999, tzinfo=UTC)) == "2025-03-04T10:00:00Z"
    assert format_time(None) is None


def test_format_time_converts_offsets_to_utc():
    # a hand-edited dump may carry an offset; "Z" must then mean UTC
    assert format_time(parse_time("2025-03-04T12:00:00+02:00")) == "2025-03-04T10:00:00Z"


def test_seconds_between():
    start = datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC)
    assert seconds_between(start, start + timedelta(minutes=2, seconds=3)) == 123.0
    assert seconds_between(None, start) is None
    assert seconds_between(start, None) is None


# Expected strings follow k8s.io/apimachinery/pkg/util/duration.HumanDuration branch by branch.
@pytest.mark.parametrize("seconds, text", [
    (-5, "<invalid>"),
    (-2, "<invalid>"),
    (-1.5, "0s"),
    (-1, "0s"),
    (-0.5, "0s"),
    (0, "0s"),
    (0.9, "0s"),
    (59, "59s"),
    (119, "119s"),
    (119.99, "119s"),
    (120, "2m"),
    (121, "2m1s"),
    (599, "9m59s"),
    (600, "10m"),
    (659, "10m"),
    (3 * 3600 - 1, "179m"),
    (3 * 3600, "3h"),
    (3 * 3600 + 60, "3h1m"),
    (8 * 3600 - 1, "7h59m"),
    (8 * 3600, "8h"),
    (47 * 3600 + 3599, "47h"),
    (48 * 3600, "2d"),
    (49 * 3600, "2d1h"),
    (8 * 86400 - 1, "7d23h"),
    (8 * 86400, "8d"),
    (364 * 86400, "364d"),
    (2 * 365 * 86400 - 1, "729d"),
    (2 * 365 * 86400, "2y"),
    (2 * 365 * 86400 + 86400, "2y1d"),
    (8 * 365 * 86400 - 1, "7y364d"),
    (8 * 365 * 86400, "8y"),
    (20 * 365 * 86400 + 100 * 86400, "20y"),
])
def test_human_duration_matches_kubectl(seconds, text):
    assert human_duration(seconds) == text


def test_age():
    now = datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC)
    assert age(now - timedelta(hours=5, minutes=7), now) == "5h7m"
    assert age(now + timedelta(seconds=30), now) == "<invalid>"
    assert age(None, now) == "<unknown>"
