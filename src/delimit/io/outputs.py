"""Output ownership: delimit replaces only what delimit wrote.

Every folder delimit writes into holds a manifest, :data:`MANIFEST` (``.delimit-output.json``), listing
each file delimit wrote there (relative path, sha256, bytes, the command that wrote it, and whether it
belongs to a whole-folder output such as ``report -o DIR`` or is a single ``-o FILE``).

The rules (the same for every command):

* **Folder outputs** (``report``, ``propose``, ``treaty``): an absent or empty folder is created; a
  folder in which everything was written by delimit (listed in its manifest, unchanged since) is
  replaced atomically (the new folder is built beside it and swapped in). A folder holding anything
  else is refused (exit 2) unless ``--overwrite``: delimit then writes its files into the folder,
  each file atomically, replacing files of the same names, and keeps every other file.
* **File outputs** (``-o FILE``): an absent file is created; a file delimit wrote (listed in the
  folder's manifest, unchanged since) is replaced atomically; any other existing file is refused
  (exit 2) unless ``--overwrite``. A device or pipe (``/dev/stdout``) is written directly; a failed
  write is an error (exit 1) naming the destination.
* Never: a folder where a file is asked for or the reverse, an empty path, a path below a regular
  file, or a file-system root.

The command line states the policy once per invocation (:func:`policy`: whether ``--overwrite`` was
given and the command line to record); library callers get the safe default (no overwrite).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from delimit.errors import InputError

#: File name of the manifest in every folder delimit writes into.
MANIFEST = ".delimit-output.json"
#: Value of the manifest's ``format`` key.
FORMAT = "delimit-output"
#: Entry kinds: a file of a whole-folder output, or a single ``-o FILE`` output.
FOLDER, FILE = "folder", "file"
OVERWRITE_HINT = "add --overwrite to write into it anyway (other files are kept)"


@dataclass(frozen=True)
class Policy:
    """How outputs of one invocation may treat existing files."""

    overwrite: bool = False
    command: str | None = None


_DEFAULT = Policy()
_POLICY: contextvars.ContextVar[Policy] = contextvars.ContextVar("delimit_output_policy", default=_DEFAULT)


def current_policy() -> Policy:
    """The policy in force (the safe default outside the command line)."""
    return _POLICY.get()


@contextlib.contextmanager
def policy(*, overwrite: bool = False, command: str | None = None) -> Iterator[Policy]:
    """Set the output policy for the enclosed writes."""
    token = _POLICY.set(Policy(overwrite=overwrite, command=command))
    try:
        yield _POLICY.get()
    finally:
        _POLICY.reset(token)


def set_overwrite(overwrite: bool) -> None:
    """Turn ``--overwrite`` on or off within the current :func:`policy` (used by the option's callback)."""
    _POLICY.set(replace(_POLICY.get(), overwrite=bool(overwrite)))


# ----------------------------------------------------------------------------------------- manifest


@dataclass
class Manifest:
    """The files delimit wrote in one folder: ``{relative posix path: entry}``."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    command: str | None = None

    def as_dict(self) -> dict[str, Any]:
        from delimit import __version__

        return {
            "format": FORMAT,
            "manifest_version": 1,
            "delimit_version": __version__,
            "command": self.command,
            "written": _now(),
            "note": "Files delimit wrote in this folder; delimit replaces only these (see README, 'Outputs').",
            "files": dict(sorted(self.files.items())),
        }


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest of ``folder``, or None when it has none (or one delimit cannot have written)."""
    path = folder / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > 64 * 1024 * 1024:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("files"), dict):
        return None
    files = {str(k): v for k, v in doc["files"].items() if isinstance(v, dict) and _safe_relative(str(k))}
    return Manifest(files=files, command=doc.get("command"))


def _safe_relative(rel: str) -> bool:
    """A manifest entry must stay inside its folder (a hand-edited manifest cannot point elsewhere)."""
    p = Path(rel)
    return bool(rel) and not p.is_absolute() and ".." not in p.parts and rel != MANIFEST


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``folder``'s manifest atomically."""
    from delimit.io.atomic import atomic_write_text

    atomic_write_text(folder / MANIFEST, json.dumps(manifest.as_dict(), indent=2) + "\n")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def entry_for(path: Path, kind: str, command: str | None) -> dict[str, Any]:
    """A manifest entry describing ``path`` as it is now (a single file also records its command and time)."""
    entry: dict[str, Any] = {"sha256": sha256_of(path), "bytes": path.stat().st_size, "kind": kind}
    if kind == FILE:
        entry.update(command=command, written=_now())
    return entry


def is_ours(folder: Path, rel: str, manifest: Manifest | None) -> bool:
    """True when ``folder/rel`` is listed in the manifest and unchanged since delimit wrote it."""
    if manifest is None or rel not in manifest.files:
        return False
    path = folder / rel
    entry = manifest.files[rel]
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size != entry.get("bytes"):
            return False
        return sha256_of(path) == entry.get("sha256")
    except OSError:
        return False


def _walk_files(folder: Path) -> list[str]:
    """Every non-directory entry under ``folder`` (relative posix paths), symlinks not followed."""
    out: list[str] = []
    for root, dirs, files in os.walk(folder):
        base = Path(root)
        for d in list(dirs):
            if (base / d).is_symlink():
                out.append((base / d).relative_to(folder).as_posix())
                dirs.remove(d)
        out.extend((base / f).relative_to(folder).as_posix() for f in files)
    return sorted(out)


def foreign_files(folder: Path, manifest: Manifest | None) -> list[str]:
    """Files under ``folder`` that delimit did not write (or that changed since), manifest excluded."""
    return [rel for rel in _walk_files(folder) if rel != MANIFEST and not is_ours(folder, rel, manifest)]


# ------------------------------------------------------------------------------------- destination checks


def _refuse(dest: str | Path, reason: str) -> InputError:
    return InputError(dest, reason, field="--output")


def check_shape(dest: str | Path, *, kind: str) -> Path:
    """Refuse a destination that cannot be a ``kind`` (``'file'`` or ``'folder'``) output; return it as a Path.

    Raises :class:`InputError` naming ``dest`` for: an empty path, a file-system root, a path below a
    regular file, a folder where a file is asked for and the reverse.
    """
    text = os.fspath(dest)
    if not str(text).strip():
        raise _refuse("''", "the output path is empty")
    path = Path(text)
    if path.resolve() == Path(path.resolve().anchor):
        raise _refuse(path, "a file-system root cannot be an output")
    for parent in path.absolute().parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise _refuse(path, f"{parent} is a file, not a folder")
            break
    if kind == FILE and path.is_dir():
        raise _refuse(path, "is a folder; give a file name")
    if kind == FOLDER and path.exists() and not path.is_dir():
        raise _refuse(path, "is a file; this command writes a folder")
    return path


def check_folder(dest: str | Path, *, overwrite: bool | None = None) -> Path:
    """Refuse, before any work, a folder output that would touch files delimit did not write."""
    path = check_shape(dest, kind=FOLDER)
    overwrite = current_policy().overwrite if overwrite is None else overwrite
    if path.is_dir() and not overwrite:
        foreign = foreign_files(path, read_manifest(path))
        if foreign:
            raise _refuse(path, f"holds files delimit did not write (e.g. {foreign[0]}); {OVERWRITE_HINT}")
    return path


def check_file(dest: str | Path, *, overwrite: bool | None = None) -> Path:
    """Refuse, before any work, a file output that would replace a file delimit did not write."""
    path = check_shape(dest, kind=FILE)
    overwrite = current_policy().overwrite if overwrite is None else overwrite
    if _is_regular(path) and not overwrite and not is_ours(path.parent, path.name, read_manifest(path.parent)):
        raise _refuse(path, "exists and was not written by delimit; add --overwrite to replace it")
    return path


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode) or path.is_symlink()
    except OSError:
        return False


def is_special(path: Path) -> bool:
    """True for an existing device, pipe or socket (written directly, never replaced)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


# ------------------------------------------------------------------------------------------ file outputs


def write_file_bytes(dest: str | Path, data: bytes) -> Path:
    """Write one ``-o FILE`` output under the rules above and record it in the folder's manifest."""
    from delimit.io.atomic import atomic_write_bytes

    path = Path(dest)
    if is_special(path):
        _write_special(path, data)
        return path
    path = check_file(path)
    atomic_write_bytes(path, data)
    record_file(path)
    return path


def write_file_text(dest: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """:func:`write_file_bytes` for text."""
    return write_file_bytes(dest, text.encode(encoding))


def _write_special(path: Path, data: bytes) -> None:
    """Write to a device or pipe; any failure (e.g. ``/dev/full``) is an ``OSError`` naming ``path``."""
    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def record_file(path: str | Path) -> None:
    """List a just-written single-file output in its folder's manifest."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    manifest = read_manifest(folder) or Manifest()
    manifest.command = current_policy().command
    manifest.files[path.name] = entry_for(path, FILE, manifest.command)
    write_manifest(folder, manifest)


# ----------------------------------------------------------------------------------------- folder outputs


def commit_folder(tmp: Path, dest: Path, *, swap: Any) -> None:
    """Move the finished folder ``tmp`` to ``dest`` under the rules above, writing ``dest``'s manifest.

    ``swap(tmp, dest)`` replaces a folder atomically (see :func:`delimit.io.atomic.atomic_directory`).
    Raises :class:`InputError` (``tmp`` is then removed by the caller) when the rules forbid it.
    """
    pol = current_policy()
    new_files = [rel for rel in _walk_files(tmp) if rel != MANIFEST]
    manifest = Manifest(
        files={rel: entry_for(tmp / rel, FOLDER, pol.command) for rel in new_files}, command=pol.command
    )
    check_shape(dest, kind=FOLDER)
    if not dest.exists():
        write_manifest(tmp, manifest)
        swap(tmp, dest)
        return
    old = read_manifest(dest)
    foreign = foreign_files(dest, old)
    if foreign and not pol.overwrite:
        raise _refuse(dest, f"holds files delimit did not write (e.g. {foreign[0]}); {OVERWRITE_HINT}")
    singles = {
        rel: e
        for rel, e in (old.files.items() if old else ())
        if e.get("kind") == FILE and rel not in manifest.files and is_ours(dest, rel, old)
    }
    if not foreign and not singles:
        write_manifest(tmp, manifest)
        swap(tmp, dest)
        return
    _merge(tmp, dest, manifest, old, singles)


def _merge(tmp: Path, dest: Path, manifest: Manifest, old: Manifest | None, singles: dict[str, dict[str, Any]]) -> None:
    """Write the files of ``tmp`` into ``dest`` one by one (each atomically) and drop stale ones of ours."""
    for rel in manifest.files:
        target = dest / rel
        for parent in reversed(Path(rel).parents[:-1]):
            if (dest / parent).exists() and not (dest / parent).is_dir():
                raise _refuse(dest, f"{dest / parent} is a file delimit would replace with a folder")
        if target.is_dir() and not target.is_symlink():
            raise _refuse(dest, f"{target} is a folder delimit would replace with a file")
    for rel in manifest.files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, dest / rel)
    stale = [
        rel
        for rel, e in (old.files.items() if old else ())
        if e.get("kind") != FILE and rel not in manifest.files and is_ours(dest, rel, old)
    ]
    for rel in stale:
        with contextlib.suppress(FileNotFoundError):
            (dest / rel).unlink()
        _prune_empty(dest, Path(rel).parent)
    manifest.files.update(singles)
    write_manifest(dest, manifest)
    shutil.rmtree(tmp, ignore_errors=True)


def _prune_empty(root: Path, rel_dir: Path) -> None:
    """Remove ``root/rel_dir`` and its parents below ``root`` while they are empty."""
    while rel_dir.parts:
        with contextlib.suppress(OSError):
            (root / rel_dir).rmdir()
        rel_dir = rel_dir.parent


def temporary_sibling(dest: Path, tag: str = "") -> Path:
    """A fresh empty folder beside ``dest`` named ``.NAME.<tag>XXXX`` (``NAME`` never empty)."""
    name = dest.name or "output"
    return Path(tempfile.mkdtemp(prefix=f".{name}.{tag}", dir=dest.parent))
