"""Atomic writes: a file appears complete or not at all.

Every writer in delimit goes through these helpers: data is written to a temporary file in the
destination folder (same file system) and renamed over the destination with :func:`os.replace`.
On any error the temporary file is removed and the destination is untouched. Temporaries are also
registered, so that :func:`install_signal_cleanup` (the command line) removes them when the process
is stopped by SIGINT or SIGTERM.

A destination that is a device or a pipe (``/dev/stdout``) is written directly by
:func:`atomic_write_bytes` and refused by :func:`atomic_path` (nothing can be renamed over it).
An ``OSError`` raised while writing names the destination, never the temporary.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

#: Temporary files and folders in use (removed on error, and on SIGINT/SIGTERM by the CLI's handlers).
_TEMPORARIES: set[Path] = set()
_LOCK = threading.Lock()


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (or SIGHUP), so cleanups run."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"terminated by signal {signum}")


def register_temporary(path: Path) -> None:
    """Remember a temporary file/folder so a signal handler can remove it."""
    with _LOCK:
        _TEMPORARIES.add(Path(path))


def release_temporary(path: Path) -> None:
    """Forget a temporary (it was renamed into place or removed)."""
    with _LOCK:
        _TEMPORARIES.discard(Path(path))


def remove_temporary(path: Path) -> None:
    """Remove a temporary file or folder (and a writer's side files), then forget it."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            path.unlink()
    for side in temp_siblings(path):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            side.unlink()
    release_temporary(path)


def cleanup_temporaries() -> list[Path]:
    """Remove every registered temporary; return what was removed."""
    with _LOCK:
        paths = sorted(_TEMPORARIES)
    for p in paths:
        remove_temporary(p)
    return paths


#: What :func:`signal.getsignal` returns: a handler, ``SIG_DFL``/``SIG_IGN``, or None (set outside Python).
SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _on_terminate(signum: int, _frame: FrameType | None) -> None:
    # A second signal while cleaning up stops the process the ordinary way.
    signal.signal(signum, signal.SIG_DFL)
    raise Terminated(signum)


def install_signal_cleanup() -> dict[int, SignalHandler]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` (SIGINT already raises ``KeyboardInterrupt``),
    so that every ``atomic_*`` helper removes its temporaries on the way out. A signal the process
    ignores stays ignored. Main thread only; returns the previous handlers (for
    :func:`restore_signal_handlers`).
    """
    previous: dict[int, SignalHandler] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None or signal.getsignal(sig) is signal.SIG_IGN:  # e.g. SIGHUP under nohup: stay ignored
            continue
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, _on_terminate)
    return previous


def restore_signal_handlers(previous: dict[int, SignalHandler]) -> None:
    """Put back the handlers :func:`install_signal_cleanup` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _plain_mode(path: Path, *, directory: bool) -> None:
    """Give a temporary file/folder the permissions a plain ``open``/``mkdir`` would (umask applied).

    ``mkstemp``/``mkdtemp`` create private (0600/0700) entries; outputs are meant to be shared.
    """
    base = 0o777 if directory else 0o666
    with contextlib.suppress(OSError):
        path.chmod(base & ~_umask())


def _prepare_parent(dest: Path) -> None:
    """Create ``dest``'s folder; refuse a destination that is a folder or a device (OSError naming ``dest``)."""
    if not dest.name or dest.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(dest))
    if dest.exists() and not dest.is_file():
        raise OSError(errno.EINVAL, "is not a regular file (a device or a pipe cannot be replaced)", str(dest))
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(errno.ENOTDIR, "a parent of it is a file, not a folder", str(dest)) from None


def _naming(dest: Path, tmp: Path, exc: OSError) -> OSError:
    """The same error naming ``dest`` when it named the temporary (users never see temporary names)."""
    if exc.filename is not None and str(exc.filename).startswith(str(tmp)):
        return type(exc)(exc.errno, exc.strerror, str(dest))
    return exc


@contextlib.contextmanager
def atomic_path(dest: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``dest``; on success rename it to ``dest``.

    The temporary name keeps ``dest``'s suffix (drivers such as GDAL pick the format from it).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    dest = Path(dest)
    _prepare_parent(dest)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix or dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    register_temporary(tmp)
    tmp.unlink()  # writers (GDAL) may refuse to open an existing empty file
    try:
        yield tmp
        os.replace(tmp, dest)
        release_temporary(tmp)
    except OSError as exc:
        remove_temporary(tmp)
        err = _naming(dest, tmp, exc)
        if err is exc:
            raise
        raise err from None
    except BaseException:
        remove_temporary(tmp)
        raise


def temp_siblings(tmp: Path) -> list[Path]:
    """Files a writer created beside the temporary path ``tmp``: a Shapefile's ``.dbf``/``.shx``/``.prj``/
    ``.cpg`` (same stem) and SQLite's ``-wal``/``-shm``/``-journal`` (same name plus a suffix).

    The temporary stem is unique (``mkstemp``), so nothing else can match.
    """
    stem_prefix = tmp.stem + "."
    name_prefix = tmp.name + "-"
    if not tmp.parent.is_dir():
        return []
    return sorted(
        p
        for p in tmp.parent.iterdir()
        if p != tmp and (p.name.startswith(stem_prefix) or p.name.startswith(name_prefix))
    )


def atomic_write_bytes(dest: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically and return ``dest``.

    A device or pipe is written directly; a failure (``/dev/full``) raises ``OSError`` naming it.
    """
    dest = Path(dest)
    from delimit.io.outputs import _write_special, is_special

    if is_special(dest):
        _write_special(dest, data)
        return dest
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return dest


def atomic_write_text(dest: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``dest`` atomically (UTF-8 by default) and return ``dest``."""
    return atomic_write_bytes(dest, text.encode(encoding))


def _swap_folder(tmp: Path, dest: Path) -> None:
    """Put folder ``tmp`` at ``dest``, replacing a previous ``dest`` in one rename (its remains are removed)."""
    if not dest.exists():
        os.replace(tmp, dest)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name or 'output'}.old.", dir=dest.parent))
    register_temporary(old)
    try:
        os.replace(dest, old / "x")
        try:
            os.replace(tmp, dest)
        except BaseException:
            os.replace(old / "x", dest)  # put the previous output back
            raise
    finally:
        remove_temporary(old)


@contextlib.contextmanager
def atomic_directory(dest: str | Path) -> Iterator[Path]:
    """Build a whole output folder in a temporary sibling and move it into place at the end.

    ``dest`` follows the ownership rules of :mod:`delimit.io.outputs`: a folder delimit wrote is
    replaced in one rename if the new build succeeds; a folder holding files delimit did not write is
    refused (:class:`~delimit.errors.InputError`) unless the output policy allows ``--overwrite``,
    and then only delimit's files are written into it. The folder gets a manifest
    (``.delimit-output.json``) listing what delimit wrote.
    """
    from delimit.io.outputs import check_folder, commit_folder, temporary_sibling

    dest = check_folder(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(dest)
    register_temporary(tmp)
    _plain_mode(tmp, directory=True)
    try:
        yield tmp
        commit_folder(tmp, dest, swap=_swap_folder)
        release_temporary(tmp)
    except BaseException:
        remove_temporary(tmp)
        raise
