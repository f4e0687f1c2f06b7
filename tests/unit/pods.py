"""The builders the reader tests import under this name; they live in tests/factory.py."""

from tests.factory import container, pod, running  # noqa: F401
