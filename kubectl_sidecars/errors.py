"""Errors that carry the exit code the CLI documents, so every layer can fail with one clear line."""

import os
import sys

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_INPUT = 4
EXIT_INTERNAL = 5
EXIT_INTERRUPTED = 130

# Set, it turns the one-line internal errors and the isolation of one object that breaks into tracebacks.
DEBUG = "KUBECTL_SIDECARS_DEBUG"


def debugging() -> bool:
    return bool(os.environ.get(DEBUG))


def warn(message: str) -> None:
    """One sanitised line on stderr that does not stop the run, from whichever layer noticed."""
    from kubectl_sidecars.sanitize import clean

    print(f"warning: {clean(message)}", file=sys.stderr)


class SidecarsError(Exception):
    exit_code = EXIT_API


class ApiError(SidecarsError):
    """The Kubernetes API could not be reached, refused us, or had no such object."""

    exit_code = EXIT_API


class InputError(SidecarsError):
    """An input file (-f) could not be read or is not Kubernetes objects."""

    exit_code = EXIT_INPUT


class UsageError(SidecarsError):
    exit_code = EXIT_USAGE
