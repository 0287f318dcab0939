"""Option types shared by every command: numeric ranges, output formats, output paths, ``--overwrite``.

Every check here runs while the command line is parsed, before any work, and fails as a usage
error: one line naming the option and what it accepts, exit status 2 (see :func:`delimit.cli.main`).

* :class:`Number` -- a finite number (or integer) within a documented range, e.g.
  ``number_option(1000.0, "--neck-width-m", lo=1, hi=100_000, unit="m", help=...)``; the range is
  appended to the option's help.
* :func:`format_option` -- the formats one command writes; any other is refused.
* :func:`output_option` / :func:`overwrite_option` -- ``-o FILE`` or ``-o DIR`` checked against the
  ownership rules of :mod:`delimit.io.outputs` (``--overwrite`` is processed first: it is eager).
* :func:`old_spelling` / :func:`prefer` -- a renamed option's former name, hidden from ``--help`` and
  still accepted, so existing scripts keep running.

One vocabulary: ``-n``/``--count`` is how many results a command lists or makes; options with a unit
end with it (``--neck-width-m``, ``--max-spacing-m``, ``--min-exchange-km2``); ``--between A B`` names
the two parties of a shared line or swap; ``--party P`` (repeatable) restricts a report to some parties.

Typer parses through pydantic here: a parser signals a bad value with a ``PydanticCustomError``,
which typer turns into ``BadParameter`` naming the option.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from pydantic_core import PydanticCustomError

from delimit.cli.render import Format
from delimit.errors import InputError
from delimit.io import outputs


def _bad(message: str) -> PydanticCustomError:
    """A parse error whose text typer shows after ``Invalid value for '--option':``."""
    return PydanticCustomError("delimit_option", "{message}", {"message": message})


def _num(x: float) -> str:
    """``1000`` -> ``'1,000'``; ``0.05`` -> ``'0.05'``; ``1e-06`` stays short."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:g}"


@dataclass(frozen=True)
class Number:
    """A finite ``kind`` (int or float) value ``lo <= x <= hi`` (or ``lo < x`` with ``lo_open``), in ``unit``."""

    kind: type = float
    lo: float = -math.inf
    hi: float = math.inf
    unit: str = ""
    lo_open: bool = False

    @property
    def text(self) -> str:
        """The accepted values in words, e.g. ``'a number from 1 to 100,000 m'``."""
        what = "an integer" if self.kind is int else "a number"
        unit = f" {self.unit}" if self.unit else ""
        if math.isinf(self.hi):
            low = "above" if self.lo_open else "at least"
            return f"{what} {low} {_num(self.lo)}{unit}"
        if self.lo_open:
            return f"{what} above {_num(self.lo)} and at most {_num(self.hi)}{unit}"
        return f"{what} from {_num(self.lo)} to {_num(self.hi)}{unit}"

    def __call__(self, value: Any) -> int | float:
        if isinstance(value, bool):
            raise _bad(f"{value!r} is not {self.text}")
        try:
            x: int | float = self._parse(value)
        except (TypeError, ValueError, OverflowError):
            raise _bad(f"{str(value)[:40]!r} is not {self.text}") from None
        if isinstance(x, float) and not math.isfinite(x):
            raise _bad(f"{value} is not {self.text}")
        if x < self.lo or x > self.hi or (self.lo_open and x == self.lo):
            raise _bad(f"{value} is out of range: give {self.text}")
        return x

    def _parse(self, value: Any) -> int | float:
        if self.kind is int:
            if isinstance(value, int):
                return value
            text = str(value).strip()
            if len(text) > 40:
                raise ValueError(text)
            return int(text, 10)
        return float(value)


def number_option(default: Any, *decls: str, help: str, rule: Number) -> Any:
    """A typer option holding a :class:`Number`; its help ends with the accepted range."""
    return typer.Option(
        default,
        *decls,
        parser=rule,
        help=f"{help} Accepts {rule.text}.",
        metavar="INTEGER" if rule.kind is int else "NUMBER",
    )


def old_spelling(old: str, new: str, *, rule: Number | None = None) -> Any:
    """The former name ``old`` of the option now called ``new``: hidden from ``--help``, still accepted
    (checked by ``rule`` as the new one is). Merge the two with :func:`prefer`."""
    return typer.Option(None, old, hidden=True, parser=rule, help=f"Deprecated spelling of {new}.")


def prefer(value: Any, old_value: Any, *, old: str, new: str) -> Any:
    """``old_value`` when the former spelling ``old`` of option ``new`` was given, else ``value``.

    The former spelling is accepted silently (stderr keeps its one-line contract); ``--help``, the README
    and the CHANGELOG name only ``new``.
    """
    return value if old_value is None else old_value


def int_option(default: Any, *decls: str, help: str, lo: float, hi: float, unit: str = "") -> Any:
    """An integer option within ``lo..hi``."""
    return number_option(default, *decls, help=help, rule=Number(int, lo, hi, unit))


def float_option(
    default: Any, *decls: str, help: str, lo: float, hi: float = math.inf, unit: str = "", lo_open: bool = False
) -> Any:
    """A finite number option within ``lo..hi``."""
    return number_option(default, *decls, help=help, rule=Number(float, lo, hi, unit, lo_open))


# ------------------------------------------------------------------------------------------- formats


@dataclass(frozen=True)
class FormatChoice:
    """The output formats one command writes; any other :class:`~delimit.cli.render.Format` is refused."""

    allowed: tuple[Format, ...]

    @property
    def text(self) -> str:
        names = [f.value for f in self.allowed]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]

    def __call__(self, value: Any) -> Format:
        name = value.value if isinstance(value, Format) else str(value).strip().lower()
        for f in self.allowed:
            if f.value == name:
                return f
        raise _bad(f"{str(value)[:40]!r} is not written by this command: choose {self.text}")


def format_option(*allowed: str, decls: tuple[str, ...] = ("--format",), help: str | None = None) -> Any:
    """``--format`` limited to ``allowed`` (names of :class:`~delimit.cli.render.Format`), default the first."""
    choice = FormatChoice(tuple(Format(a) for a in allowed))
    text = help or "Output format"
    return typer.Option(
        choice.allowed[0], *decls, parser=choice, help=f"{text}: {choice.text}.", metavar="[" + "|".join(allowed) + "]"
    )


# -------------------------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class OutputPath:
    """An ``-o`` destination of ``kind`` ``'file'`` or ``'folder'``, checked by :mod:`delimit.io.outputs`."""

    kind: str

    def __call__(self, value: Any) -> Path:
        check: Callable[..., Path] = outputs.check_file if self.kind == outputs.FILE else outputs.check_folder
        try:
            return check(str(value))
        except InputError as exc:
            raise _bad(exc.message.replace("field '--output': ", "")) from None


OVERWRITE_HELP = (
    "Allow replacing files delimit did not write: an existing -o FILE, or, in an -o folder, files with the "
    "names delimit writes (every other file in the folder is kept). Without it delimit replaces only its own earlier output."
)


def output_option(kind: str, *, help: str, required: bool = False, decls: tuple[str, ...] = ("-o", "--output")) -> Any:
    """``-o FILE`` (``kind='file'``) or ``-o DIR`` (``kind='folder'``) under the ownership rules."""
    return typer.Option(
        ... if required else None,
        *decls,
        parser=OutputPath(kind),
        help=help,
        metavar="DIR" if kind == outputs.FOLDER else "FILE",
    )


def _overwrite(value: bool) -> bool:
    outputs.set_overwrite(bool(value))
    return bool(value)


def overwrite_option() -> Any:
    """``--overwrite`` (eager, so that the ``-o`` check sees it whatever the order on the command line)."""
    return typer.Option(False, "--overwrite", is_eager=True, callback=_overwrite, help=OVERWRITE_HELP)
