"""The ``delimit`` command line (typer + rich).

Each command lives in its own module exposing ``register(app)``; :data:`COMMAND_MODULES` lists
them. Commands stay thin: parse options, load the scenario, call one engine function, render.
Bad input (:class:`~delimit.errors.InputError`) becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
import typer

from delimit import __version__
from delimit.errors import InputError

#: Modules under ``delimit.cli`` that add commands: every module with a ``register(app)`` function,
#: discovered in name order, so adding a command means adding one module.
COMMAND_MODULES: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in ("render", "progress", "common"))
)

app = typer.Typer(
    name="delimit",
    help="Analyse, negotiate and demarcate land borders (default data: the Fergana Valley).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"delimit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """delimit: numbers a border commission can defend."""


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"delimit.cli.{_name}")
    if hasattr(_module, "register"):
        _module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, mapping bad input to exit status 2 with a one-line message."""
    try:
        rc = app(args=argv, prog_name="delimit", standalone_mode=False)  # a command's typer.Exit(n) comes back as n
    except InputError as exc:
        print(f"delimit: error: {exc.message}", file=sys.stderr)
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        print("delimit: aborted", file=sys.stderr)
        return 1
    except click.ClickException as exc:
        exc.show(file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # e.g. an output folder that cannot be written
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"delimit: error:{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return rc if isinstance(rc, int) and not isinstance(rc, bool) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
