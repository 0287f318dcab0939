"""``delimit route``: the fastest trip between two named places under a regime, or why there is none."""

from __future__ import annotations

from pathlib import Path

import typer

from delimit.cli.options import format_option, output_option, overwrite_option
from delimit.cli.render import Format, emit_json, print_marks, print_table, rich_table

COLUMNS = [
    "from",
    "to",
    "km",
    "minutes",
    "off-road km",
    "off-road min",
    "off-road share",
    "checkpoints",
    "crossings",
    "reason",
]


def _share_text(res) -> str:  # type: ignore[no-untyped-def]
    """``"12 % of km, 30 % of time"`` (or ``-`` when there is no trip)."""
    k, m = res.offroad_share_km, res.offroad_share_minutes
    if k is None and m is None:
        return "-"
    return f"{_pct(k)} of km, {_pct(m)} of time"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


def register(app: typer.Typer) -> None:
    @app.command("route")
    def route_cmd(
        scenario: str = typer.Option("status-quo", "--scenario", "-s", help="Bundled scenario name or scenario file."),
        regime: str | None = typer.Option(None, "--regime", "-r", help="Regime id (default: the scenario's default)."),
        class_id: str = typer.Option(..., "--class", "-c", help="Traveller class id."),
        origin: str = typer.Option(..., "--from", help="Place name (or settlement id) the trip starts from."),
        destination: str = typer.Option(..., "--to", help="Place name (or settlement id) the trip goes to."),
        fmt: Format = format_option("table", "json", decls=("--format", "-f")),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
    ) -> None:
        """Minutes, km, checkpoints passed and the path (GeoJSON) of the fastest trip; or the reason there is none."""
        from delimit import load_scenario
        from delimit.access import route

        s = load_scenario(scenario)
        res = route(s, traveller_class=class_id, origin=origin, destination=destination, regime=regime)
        doc = res.to_json()
        if fmt == Format.json:
            emit_json(doc, out)
        else:
            row = {
                "from": f"{res.origin.name} ({res.origin.party})",
                "to": f"{res.destination.name} ({res.destination.party})",
                "km": doc["km"],
                "minutes": doc["minutes"],
                "off-road km": doc["offroad_km"],
                "off-road min": doc["offroad_minutes"],
                "off-road share": _share_text(res),
                "checkpoints": ", ".join(res.checkpoints) or "-",
                "crossings": f"{len(res.crossings)} ({len(res.checkpoints)} at checkpoints)",
                "reason": res.reason,
            }
            caption = (
                f"off-road: terrain crossed and the walks at both ends; measured in {res.crs_description}; "
                f"{res.attribution}"
            )
            print_table(
                rich_table(
                    [row],
                    COLUMNS,
                    title=f"route: {res.scenario} / {res.regime} / {res.traveller_class}",
                    caption=caption,
                ),
                out,
            )
        print_marks(res.data_marks)
