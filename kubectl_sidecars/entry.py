"""How the executables start. This module imports only the standard library (and the exit codes), so that
its first act, taking over Ctrl-C, happens before click or the Kubernetes client are imported: an
interrupt at any moment is one line and exit 130, never a traceback.

Then the standard streams are made safe whatever the locale and whoever reads them:
- stderr goes through sanitize.clean_keeping_lines(), so no message (built from a flag, a kubeconfig value
  or the cluster's text) can carry a terminal control, and nothing is written that the encoding cannot
  hold (backslash escapes instead of UnicodeEncodeError);
- once the reader of stdout or stderr has gone (`| head -1`), further output is discarded as if written
  to /dev/null, which is what Python's documentation advises (library/signal, "Note on SIGPIPE"): the run
  ends with the exit code it had, quietly, instead of 1 and a BrokenPipeError.
"""

import gc
import io
import os
import signal
import sys

from kubectl_sidecars.errors import EXIT_INTERRUPTED


def stop_on_interrupt(message: bytes) -> None:
    """Ctrl-C ends the process at once with exit 130 and message on stderr: no unwinding, so no traceback
    whatever was running (an import, a read of stdin, a `finally` block).

    A thread does it, woken through signal.set_wakeup_fd: a Python-level handler runs only between two
    bytecodes of the main thread, and a signal that lands between two read()s of one C call (reading all
    of a slow stdin) would wait there for more input."""
    import threading

    wakeup, signalled = os.pipe()
    os.set_blocking(signalled, False)
    signal.set_wakeup_fd(signalled, warn_on_full_buffer=False)
    signal.signal(signal.SIGINT, lambda signum, frame: None)  # the thread acts
    threading.Thread(target=_end_on_interrupt, args=(wakeup, message), name="interrupt", daemon=True).start()


def _end_on_interrupt(wakeup: int, message: bytes) -> None:
    while signal.SIGINT not in os.read(wakeup, 64):  # the numbers of the signals caught
        pass
    try:
        os.write(2, message)
    except OSError:  # stderr closed or gone: the exit code still tells
        pass
    os._exit(EXIT_INTERRUPTED)


class _ReaderMayLeave(io.FileIO):
    """A standard stream's file descriptor that, when the reader has gone, becomes /dev/null."""

    def write(self, data):
        try:
            return super().write(data)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.fileno())
            os.close(devnull)
            return len(data)


def _reopen(stream):
    """The same stream (fd, encoding, buffering) over _ReaderMayLeave, with backslash escapes for what the
    encoding cannot hold."""
    stream.flush()
    raw = _ReaderMayLeave(stream.fileno(), "w", closefd=False)
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=stream.encoding, errors="backslashreplace",
                            line_buffering=stream.line_buffering, write_through=stream.write_through)


class SanitisedStream:
    """A text stream whose every write goes through the sanitiser. It has no `buffer`, so nothing (click
    included) can reach around it to the bytes underneath."""

    def __init__(self, stream, sanitise):
        self._stream = stream
        self._sanitise = sanitise

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        return self._stream.write(self._sanitise(text))

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._stream.closed

    @property
    def encoding(self) -> str:
        return self._stream.encoding

    @property
    def errors(self) -> str:
        return self._stream.errors


def _safe_streams() -> None:
    """(A stream is None when the process started with that descriptor closed: nothing to make safe.)"""
    from kubectl_sidecars.sanitize import clean_keeping_lines

    if sys.stdout is not None:
        sys.stdout = _reopen(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = SanitisedStream(_reopen(sys.stderr), clean_keeping_lines)


def main() -> None:
    """The `kubectl-sidecars` executable (and `python -m kubectl_sidecars`)."""
    stop_on_interrupt(b"error: interrupted\n")
    # What a run builds is trees (parsed JSON, views, rows) that reference counting frees; the cyclic
    # collector would only walk them again and again as they grow: at 10,000 pods that walking took half
    # of `status -A`'s time (json.loads of the pages alone: 4.0 s with it, 0.9 s without).
    gc.disable()
    _safe_streams()
    from kubectl_sidecars.cli import main as cli

    cli()


def complete() -> None:
    """The `kubectl_complete-sidecars` executable: kubectl shows its stderr on the terminal mid-prompt, so an
    interrupt ends it without a word."""
    stop_on_interrupt(b"")
    _safe_streams()
    from kubectl_sidecars.completion import main as completion

    completion()
