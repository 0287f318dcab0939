"""``delimit workspace init|verify|export``: create a negotiation workspace, check its history, archive it.

``init`` creates the database (SQLite in the folder, or ``--db postgresql://...``) and prints the
one-time passwords of the first accounts; ``verify`` checks the SHA-256 chain of every event (exit 1
naming the first broken event); ``export`` writes the log and every proposal as a ZIP archive that
``verify`` also accepts.
"""

from __future__ import annotations

from pathlib import Path

import typer

from delimit.errors import InputError


def _workspace_dir(folder: Path | None, db: str | None) -> Path | None:
    if folder is None and db is None:
        raise InputError(None, "give a workspace folder or --db URL", field="DIR")
    return folder


def register(app: typer.Typer) -> None:
    ws = typer.Typer(help="Joint negotiation workspace: create, verify, export.", no_args_is_help=True)
    app.add_typer(ws, name="workspace")

    @ws.command("init")
    def init_cmd(
        args: list[str] = typer.Argument(
            None, metavar="DIR", help="Workspace folder (created; holds the SQLite database); omit with --db."
        ),
        scenario: str = typer.Option("status-quo", "--scenario", help="Baseline scenario (bundled name)."),
        parties: list[str] = typer.Option(
            ..., "--parties", help="Party ids, one delegation each (e.g. --parties KGZ TJK)."
        ),
        mediator: bool = typer.Option(False, "--mediator", help="Also create a mediator account."),
        db: str | None = typer.Option(
            None, "--db", help="Database URL instead of the folder's SQLite (postgresql://...)."
        ),
    ) -> None:
        """Create a workspace and print one-time passwords for the first accounts (change them at first log-in)."""
        from rich.console import Console
        from rich.table import Table

        from delimit.workspace.admin import init_workspace
        from delimit.workspace.db import DB_FILE, Store

        # '--parties KGZ TJK': typer gives the option its first value; the others arrive as arguments.
        args = list(args or [])
        folder = Path(args.pop(0)) if db is None and args else None
        extra = args
        _workspace_dir(folder, db)
        if folder is not None:
            if (folder / DB_FILE).exists():
                raise InputError(folder, "already holds a workspace (nothing changed)")
            folder.mkdir(parents=True, exist_ok=True)
        store = Store.open(folder, db, must_exist=False)
        try:
            accounts = init_workspace(store, scenario=scenario, parties=[*parties, *(extra or [])], mediator=mediator)
        finally:
            store.dispose()
        table = Table(title="first accounts: one-time passwords (shown once; each must be changed at first log-in)")
        for col in ("user", "delegation", "role", "one-time password"):
            table.add_column(col)
        for a in accounts:
            table.add_row(a.username, a.team, a.role, a.password)
        Console(width=120).print(table)

    @ws.command("sections")
    def sections_cmd(
        folder: Path = typer.Argument(None, help="Workspace folder."),
        db: str | None = typer.Option(None, "--db", help="Database URL instead of a folder."),
        scenario: str | None = typer.Option(
            None, "--scenario", help="Scenario whose line to split (default: the workspace's baseline)."
        ),
        window: str | None = typer.Option(
            None, "--window", help="Only the line inside lon0,lat0,lon1,lat1 (WGS84 degrees)."
        ),
        prefix: str = typer.Option("Section", "--prefix", help="Sections are named '<prefix> 1', '<prefix> 2', ..."),
    ) -> None:
        """Create the workspace's sections from the treaty engine's sections of the parties' shared line."""
        from delimit.scenario import load_scenario
        from delimit.treaty import parse_window
        from delimit.workspace.admin import import_sections, treaty_sections
        from delimit.workspace.db import Store
        from delimit.workspace.service import Workspace

        _workspace_dir(folder, db)
        store = Store.open(folder, db)
        try:
            info = Workspace(store).info
            name = scenario or info.base_scenario
            loaded = load_scenario(name)
            lines = treaty_sections(loaded, info.parties, parse_window(window))
            ids = import_sections(
                store,
                lines,
                prefix=prefix,
                source=f"delimit treaty sections of {name}",
                attribution=loaded.provenance.attribution(),
            )
        finally:
            store.dispose()
        typer.echo(
            f"created {len(ids)} section(s) '{prefix} 1'..'{prefix} {len(ids)}' from the {'-'.join(info.parties)} line of {name} (status: negotiating)"
        )

    @ws.command("verify")
    def verify_cmd(
        target: Path = typer.Argument(None, help="Workspace folder or exported archive (.zip)."),
        db: str | None = typer.Option(None, "--db", help="Database URL instead of a folder."),
    ) -> None:
        """Check the whole event chain (and every proposal against its event); exit 1 naming the first broken event."""
        from delimit.workspace.admin import verify_target

        _workspace_dir(target, db)
        v = verify_target(target, db)
        if v.ok:
            typer.echo(v.message())
            return
        typer.echo(f"delimit: verify failed: {v.message()}", err=True)
        raise typer.Exit(1)

    @ws.command("export")
    def export_cmd(
        folder: Path = typer.Argument(None, help="Workspace folder."),
        out: Path = typer.Option(..., "-o", "--output", help="Archive to write (ZIP)."),
        db: str | None = typer.Option(None, "--db", help="Database URL instead of a folder."),
    ) -> None:
        """Write the event log and every proposal as a portable archive that 'verify' accepts."""
        from delimit.workspace.admin import export_archive
        from delimit.workspace.db import Store

        _workspace_dir(folder, db)
        store = Store.open(folder, db)
        try:
            v = export_archive(store, out)
        finally:
            store.dispose()
        typer.echo(f"wrote {out}: {v.count} events, head {v.head}" + ("" if v.ok else f" (WARNING: {v.message()})"))
