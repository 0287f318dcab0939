"""Atomic writes: a file appears complete or not at all.

Every writer in delimit goes through these helpers: data is written to a temporary file in the
destination folder (same file system) and renamed over the destination with :func:`os.replace`.
On any error the temporary file is removed and the destination is untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


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
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix or dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers (GDAL) may refuse to open an existing empty file
    try:
        yield tmp
        if tmp.is_dir():
            if dest.exists():
                shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        for side in temp_siblings(tmp):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                side.unlink()
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
    return sorted(p for p in tmp.parent.iterdir() if p != tmp and (p.name.startswith(stem_prefix) or p.name.startswith(name_prefix)))


def atomic_write_bytes(dest: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically and return ``dest``."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def atomic_write_text(dest: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``dest`` atomically (UTF-8 by default) and return ``dest``."""
    return atomic_write_bytes(dest, text.encode(encoding))


@contextlib.contextmanager
def atomic_directory(dest: str | Path) -> Iterator[Path]:
    """Build a whole output folder in a temporary sibling and move it into place at the end.

    Files of an earlier run in ``dest`` are replaced only if the new build succeeds.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    _plain_mode(tmp, directory=True)
    try:
        yield tmp
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=dest.parent))
            os.replace(dest, old / "x")
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
