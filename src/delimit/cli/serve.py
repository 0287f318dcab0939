"""``delimit serve --workspace DIR``: the joint negotiation workspace over HTTP (FastAPI on uvicorn).

Runs on the workspace folder's SQLite database, or on ``--db postgresql://...``. The API is
described at ``/openapi.json``; only ``/api/health`` and ``/api/auth/login`` answer without a session.
"""

from __future__ import annotations

from pathlib import Path

import typer

from delimit.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_cmd(
        workspace: Path = typer.Option(None, "--workspace", help="Workspace folder (from 'delimit workspace init')."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
        port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
        db: str | None = typer.Option(
            None, "--db", help="Database URL instead of the folder's SQLite (postgresql://...)."
        ),
        max_body_mb: float = typer.Option(2.0, "--max-body-mb", min=0.01, help="Largest request body accepted (MiB)."),
        no_evaluate: bool = typer.Option(
            False,
            "--no-evaluate",
            help="Do not run engine evaluations, nor build proposals' reports, annexes and GeoPackages, on this server.",
        ),
        access_log: bool = typer.Option(
            False,
            "--access-log/--no-access-log",
            help="Log every request on standard error (off: it costs CPU per request).",
        ),
    ) -> None:
        """Serve a workspace: private drafts, shared proposals, section sign-off, an append-only history."""
        import gc

        import uvicorn

        from delimit.workspace.app import create_app
        from delimit.workspace.db import Store
        from delimit.workspace.documents import preload

        if workspace is None and db is None:
            raise InputError(None, "give --workspace DIR or --db URL", field="--workspace")
        store = Store.open(workspace, db)
        store.migrate()
        preload()  # imported now, not by the first draft written while other requests wait for it
        api = create_app(store, max_body_bytes=int(max_body_mb * 1024 * 1024), evaluate=not no_evaluate)
        # The modules and data loaded so far live as long as the server: set them apart from the cyclic
        # garbage collector, whose full collections would otherwise walk them all (about 145,000 objects)
        # while every request waits.
        gc.collect()
        gc.freeze()
        where = db.split("@")[-1] if db else str(workspace)
        typer.echo(f"delimit workspace {where} on http://{host}:{port} (API description: /openapi.json)", err=True)
        # uvloop and httptools: the event loop and the HTTP parser in C (uvicorn's pure-Python h11 parser and
        # asyncio loop cost a large share of each request's CPU; see benchmarks/bench_workspace.py).
        uvicorn.run(
            api,
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
            log_level="info" if access_log else "warning",
            access_log=access_log,
        )
