"""The ``delimit`` command line (typer + rich).

Each command lives in its own module ``delimit.cli.<command>`` exposing ``register(app)``;
:data:`COMMAND_MODULES` lists them. A module is imported only when its command runs (or help lists
it), so ``delimit --version`` and ``import delimit.cli`` stay fast: engines (geopandas, shapely...)
are imported by the commands that use them.

Every failure a user can cause ends in one line on stderr:

* usage errors (unknown command or option, with a suggestion; a bad option value, naming the option
  and its accepted range): ``delimit <command>: error: ...``, exit status 2;
* bad input (:class:`~delimit.errors.InputError`): ``delimit: error: ...``, exit status 2, nothing written;
* a failed write or read (``OSError``): ``delimit: error: PATH: reason``, exit status 1;
* SIGINT / SIGTERM: temporaries removed, exit status 130 / 143.

``delimit`` with no arguments prints the help (exit 0).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import shlex
import sys
from typing import Any

import typer
from typer import _click
from typer.core import TyperGroup

from delimit import __version__
from delimit.errors import InputError

#: Modules under ``delimit.cli`` that are not commands.
_HELPERS = frozenset({"render", "progress", "common", "options"})

#: Modules under ``delimit.cli`` that add commands: every module with a ``register(app)`` function,
#: discovered in name order, so adding a command means adding one module. The command a module
#: adds carries the module's name.
COMMAND_MODULES: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in _HELPERS)
)


class LazyCommands(TyperGroup):
    """The root group: command ``NAME`` is built from module ``delimit.cli.NAME`` on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: dict[str, _click.Command] = {}

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(COMMAND_MODULES)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        if cmd_name not in self._loaded:
            module = importlib.import_module(f"delimit.cli.{cmd_name}")
            if not hasattr(module, "register"):  # a helper module, not a command
                return None
            sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            module.register(sub)
            group = typer.main.get_group(sub)
            cmd = group.get_command(ctx, cmd_name)
            if cmd is None:
                raise RuntimeError(f"module delimit.cli.{cmd_name} registers no command {cmd_name!r}")
            self._loaded[cmd_name] = cmd
        return self._loaded[cmd_name]

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name = args[0] if args else ""
        if args and not name.startswith("-") and name not in COMMAND_MODULES:
            close = difflib.get_close_matches(name, COMMAND_MODULES, n=2)
            hint = (
                f" Did you mean {' or '.join(repr(c) for c in close)}?"
                if close
                else f" Commands: {', '.join(COMMAND_MODULES)}."
            )
            raise _click.exceptions.UsageError(f"No such command {name!r}.{hint}", ctx)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="delimit",
    cls=LazyCommands,
    help="Analyse, negotiate and demarcate land borders (default data: the Fergana Valley).",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"delimit {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """delimit: numbers a border commission can defend."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


def _one_line(text: str) -> str:
    """Collapse a message to one line (messages may quote multi-line values)."""
    return " ".join(str(text).split())


def _usage_error(exc: _click.exceptions.ClickException) -> int:
    """Print a usage error as one line naming the command: ``delimit topology: error: ...``."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None and ctx.command_path else "delimit"
    print(f"{where}: error: {_one_line(exc.format_message())}", file=sys.stderr)
    return int(getattr(exc, "exit_code", 2) or 2) if isinstance(exc, _click.exceptions.UsageError) else 1


def _os_error(exc: OSError) -> int:
    """A failed read or write, as one line naming the path."""
    name = exc.filename if getattr(exc, "filename", None) is not None else None
    reason = exc.strerror or str(exc)
    where = f"{name}: " if name is not None else ""
    print(f"delimit: error: {where}{_one_line(reason)}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, mapping every failure a user can cause to one line and an exit status."""
    from delimit.io import atomic, outputs

    args = list(sys.argv[1:] if argv is None else argv)
    previous = atomic.install_signal_cleanup()
    try:
        with outputs.policy(command=shlex.join(["delimit", *args])):
            rv = app(args=args, prog_name="delimit", standalone_mode=False)
        # typer returns the code of a ``typer.Exit`` (and 130 for Ctrl-C) instead of raising it
        if isinstance(rv, int) and not isinstance(rv, bool) and rv != 0:
            if rv == 130:
                atomic.cleanup_temporaries()
                print("delimit: interrupted", file=sys.stderr)
            return rv
    except InputError as exc:
        print(f"delimit: error: {_one_line(exc.message)}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except _click.exceptions.NoArgsIsHelpError as exc:  # a command group given no command: its help
        print(exc.format_message())
        return 0
    except typer.Abort:
        print("delimit: aborted", file=sys.stderr)
        return 1
    except _click.exceptions.ClickException as exc:
        return _usage_error(exc)
    except KeyboardInterrupt:
        atomic.cleanup_temporaries()
        print("delimit: interrupted", file=sys.stderr)
        return 130
    except atomic.Terminated as exc:
        atomic.cleanup_temporaries()
        return 128 + exc.signum
    except OSError as exc:  # a destination that cannot be written, a disk full, ...
        return _os_error(exc)
    finally:
        atomic.restore_signal_handlers(previous)
    return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
