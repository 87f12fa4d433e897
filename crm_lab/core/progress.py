"""A long task's steps into progress: whole lines for a console, a bar in JupyterLab.

Functions whose work takes more than a few seconds (reading and cleaning files, writing
snapshots, connecting an engine) take ``progress``:

- ``None`` or ``False``: silent (the default: a report page shows no bar);
- a function of one text line, such as ``print`` or the run's console: one line per step,
  ``"  reading 2/3: customers.csv (1.2 MB)"``, then ``"  reading: done (3.4 s)"``;
- ``True``: a tqdm bar, a widget in JupyterLab (text on a terminal).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager

__all__ = ["Progress", "Steps", "size_text", "steps"]

Progress = Callable[[str], None] | bool | None


class Steps:
    """The steps of one task, said as each begins (``step``) and when all are done (``done``).

    >>> with steps(print, "reading", total=2) as s:  # doctest: +ELLIPSIS
    ...     s.step("a.csv")
    ...     s.step("b.csv")
      reading 1/2: a.csv
      reading 2/2: b.csv
      reading: done (... s)
    """

    def __init__(self, progress: Progress, what: str, *, total: int | None):
        self.what, self.total, self.count = what, total, 0
        self.say = progress if callable(progress) and progress is not True else None
        self.bar = None
        self.started = time.perf_counter()
        if progress is True:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=what, unit="step", leave=True)

    def step(self, text: str) -> None:
        """Say that the next step, ``text``, begins."""
        self.count += 1
        of = f"/{self.total}" if self.total else ""
        if self.say:
            self.say(f"  {self.what} {self.count}{of}: {text}")
        if self.bar is not None:
            if self.count > 1:
                self.bar.update(1)
            self.bar.set_postfix_str(text, refresh=True)

    def done(self) -> None:
        """Say that the task ended, and how long it took."""
        seconds = time.perf_counter() - self.started
        if self.say:
            self.say(f"  {self.what}: done ({seconds:.1f} s)")
        if self.bar is not None:
            self.bar.update(max(self.count, 1) - self.bar.n)
            self.bar.close()


@contextmanager
def steps(progress: Progress, what: str, *, total: int | None = None):
    """A task's name and number of steps into a ``Steps`` that says them; ``done`` at the end.

    A task that fails says no ``done``; a bar is closed either way.

    >>> with steps(None, "reading", total=1) as s:  # silent
    ...     s.step("a.csv")
    """
    s = Steps(progress, what, total=total)
    try:
        yield s
    except BaseException:
        if s.bar is not None:
            s.bar.close()
        raise
    s.done()


def size_text(size: int) -> str:
    """A file size in bytes into a short text in kB, MB or GB (decimal units).

    >>> size_text(999), size_text(1_234_567), size_text(3_000_000_000)
    ('999 B', '1.2 MB', '3.0 GB')
    """
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
