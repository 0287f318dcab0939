"""Progress bars (rich, on stderr) fed by the engines' ``progress(message, fraction)`` callbacks."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

ProgressFn = Callable[[str, float], None]


@contextlib.contextmanager
def progress_bar(description: str, *, enabled: bool | None = None) -> Iterator[ProgressFn]:
    """Yield a callback ``(message, fraction)`` that drives one rich progress bar on stderr.

    Disabled (a no-op callback) when stderr is not a terminal unless ``DELIMIT_PROGRESS=1``.
    """
    if enabled is None:
        enabled = sys.stderr.isatty() or os.environ.get("DELIMIT_PROGRESS") == "1"
    if not enabled:
        yield lambda _m, _f: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as prog:
        task = prog.add_task(description, total=1.0, step="")

        def update(message: str, fraction: float) -> None:
            prog.update(task, completed=max(0.0, min(1.0, fraction)), step=message)

        yield update
        prog.update(task, completed=1.0)
