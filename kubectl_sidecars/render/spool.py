"""Text that must be printed after something only known later (a Job's verdict comes before its pods, but
is known after them) is kept here: in memory while small, then in a temporary file, so a long output never
has to be held whole."""

from typing import Callable

IN_MEMORY = 1 << 20  # bytes kept in memory before the text moves to a temporary file


class Spool:
    def __init__(self):
        import tempfile  # only diagnose spools: status does not import it

        self._file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY, mode="w+", encoding="utf-8", newline="")
        self.empty = True

    def write(self, text: str) -> None:
        if text:
            self.empty = False
            self._file.write(text)

    def replay(self, write: Callable[[str], object]) -> None:
        """Everything written, in order, to `write`; then the spool is gone."""
        self._file.seek(0)
        for chunk in iter(lambda: self._file.read(IN_MEMORY), ""):
            write(chunk)
        self._file.close()
