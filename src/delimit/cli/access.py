"""``delimit access``: travel times per settlement under a regime; ``delimit access compare``: two regimes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from delimit.cli.options import float_option, format_option, output_option, overwrite_option
from delimit.cli.progress import progress_bar
from delimit.cli.render import (
    Col,
    Format,
    dumps,
    emit_json,
    emit_text,
    print_marks,
    print_tables,
    rich_table,
    rows_to_csv,
    short_attribution,
    with_attribution,
)
from delimit.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from delimit.access import AccessNetwork, Closures
    from delimit.model.scenario import Scenario

TABLE_COLUMNS = [
    Col("settlement", text=True),
    Col("party"),
    Col("population"),
    Col("target", text=True, optional=True),
    Col("minutes"),
    Col("km", optional=True),
    Col("offroad_minutes", "off-road min", optional=True),
    Col("offroad_km", "off-road km", optional=True),
    Col("reachable"),
    Col("note", text=True),
]
COMPARE_COLUMNS = [
    Col("settlement", text=True),
    Col("party", optional=True),
    Col("population"),
    Col("minutes_a", "minutes (A)", optional=True),
    Col("minutes_b", "minutes (B)", optional=True),
    Col("delta_minutes", "change (min)"),
    Col("cut_off", "cut off"),
    Col("person_hours_added", "person-hours added"),
]


def _load(scenario: str) -> Scenario:
    from delimit import load_scenario

    return load_scenario(scenario)


def _require_class(s: Scenario, class_id: str | None) -> str:
    if not class_id:
        raise InputError(
            s.name, f"name a traveller class with --class (one of: {', '.join(s.traveller_classes)})", field="class"
        )
    s.traveller_class(class_id)
    return class_id


def _targets(spec: str, layer: Path | None) -> str | gpd.GeoDataFrame:
    if layer is None:
        return spec
    from delimit.io.vector import read_layer

    return read_layer(layer, None, geometry_types=("Point",))


def register(app: typer.Typer) -> None:
    acc = typer.Typer(
        help="Travel times to targets under crossing regimes (border-aware access).", invoke_without_command=True
    )

    @acc.callback(invoke_without_command=True)
    def access(
        ctx: typer.Context,
        scenario: str = typer.Option("status-quo", "--scenario", "-s", help="Bundled scenario name or scenario file."),
        regime: str | None = typer.Option(None, "--regime", "-r", help="Regime id (default: the scenario's default)."),
        class_id: str | None = typer.Option(None, "--class", "-c", help="Traveller class id (required)."),
        targets: str = typer.Option(
            "regional-centre", "--targets", "-t", help="capital, regional-centre, district-centre or town:N."
        ),
        target_layer: Path | None = typer.Option(
            None, "--target-layer", help="A point layer of targets (overrides --targets)."
        ),
        block: list[str] = typer.Option(
            [],
            "--block",
            help="Block a junction (v12), road id, segment, crossing id or line:<road> (its crossings away from checkpoints); repeatable.",
        ),
        fmt: Format = format_option("table", "json", "geojson", "csv", decls=("--format", "-f")),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        raster: Path | None = output_option(
            "file", decls=("--raster",), help="Also write the travel-time surface (minutes) as GeoTIFF."
        ),
        cell_m: float | None = float_option(
            None, "--cell-m", help="Cell size of the surface (metres, default 500).", lo=10, hi=100_000, unit="m"
        ),
        roads_only: bool = typer.Option(
            False,
            "--roads-only",
            help="Vehicle classes stay on the roads (no off-road travel across the land cover), as chokepoints rank them.",
        ),
        overwrite: bool = overwrite_option(),
        wide: bool = typer.Option(
            False, "--wide", help="Table: every column, unwrapped (default: the columns that fit the terminal)."
        ),
    ) -> None:
        """Per settlement: minutes and km to its target, or unreachable, for one class and regime."""
        if ctx.invoked_subcommand is not None:
            return
        from delimit.access import build_network, travel_time_surface, travel_times

        s = _load(scenario)
        cid = _require_class(s, class_id)
        tg = _targets(targets, target_layer)
        with progress_bar("access") as prog:
            mode = s.traveller_class(cid).mode
            offroad = False if roads_only and mode == "vehicle" else None
            net = build_network(s, mode=mode, offroad=offroad, progress=lambda m, f: prog(m, 0.5 * f))
            closures = _closures(net, block)
            res = travel_times(
                s,
                traveller_class=cid,
                regime=regime,
                targets=tg,
                network=net,
                closures=closures,
                progress=lambda m, f: prog(m, 0.5 + 0.3 * f),
            )
            surface = None
            if raster is not None:
                surface = travel_time_surface(
                    s,
                    traveller_class=cid,
                    regime=regime,
                    targets=tg,
                    cell_m=cell_m,
                    network=net if net.mode == "vehicle" else None,
                    progress=lambda m, f: prog(m, 0.8 + 0.2 * f),
                )
        if surface is not None and raster is not None:
            from delimit.io.outputs import record_file
            from delimit.io.raster import write_raster

            write_raster(
                surface,
                raster,
                tags={
                    "attribution": s.provenance.attribution(),
                    "provenance": json.dumps(s.provenance.as_dict()),
                    "data_marks": json.dumps(res.data_marks),
                    "crs_description": res.crs_description,
                },
            )
            record_file(raster)
        if fmt == Format.json:
            emit_json(res.to_json(), out)
        elif fmt == Format.geojson:
            emit_text(dumps(with_attribution(res.to_geojson(s.settlements), res.provenance)), out)
        elif fmt == Format.csv:
            rows = res.rows.assign(via=res.rows["via"].map(lambda v: ";".join(v)))
            emit_text(rows_to_csv(rows.to_dict("records"), provenance=res.provenance), out)
        else:
            t = res.totals()
            caption = (
                f"{t['people_reachable']:,} of {t['people']:,} people reach their target; {t['people_cut_off']:,} cut off; "
                f"{t['settlements_off_network']} settlements off the network; measured in {res.crs_description}; n/a: no route"
            )
            shown = res.rows.assign(
                minutes=res.rows["minutes"].where(res.rows["reachable"]),
                km=res.rows["km"].where(res.rows["reachable"]),
                offroad_minutes=res.rows["offroad_minutes"].where(res.rows["reachable"]),
                offroad_km=res.rows["offroad_km"].where(res.rows["reachable"]),
            )
            table = rich_table(
                shown.to_dict("records"),
                TABLE_COLUMNS,
                title=f"{res.scenario} / {res.regime} / {res.traveller_class} -> {res.targets}",
                caption=caption,
            )
            print_tables([table, short_attribution(res.provenance)], out, wide=wide)
        print_marks(res.data_marks)

    @acc.command("compare")
    def compare(
        scenario: str = typer.Option("status-quo", "--scenario", "-s", help="Bundled scenario name or scenario file."),
        regimes: list[str] = typer.Option(..., "--regime", "-r", help="Two regimes: --regime A --regime B."),
        class_id: str | None = typer.Option(None, "--class", "-c", help="Traveller class id (required)."),
        targets: str = typer.Option(
            "regional-centre", "--targets", "-t", help="capital, regional-centre, district-centre or town:N."
        ),
        origin: str | None = typer.Option(
            None, "--from", help="With --to: compare one trip (km and hours regime B saves over A)."
        ),
        destination: str | None = typer.Option(None, "--to", help="With --from: the trip's destination."),
        between: str = typer.Option(
            "town:100000",
            "--between",
            help="Also compare the trips between every pair of these places (capital, regional-centre, district-centre or town:N): km and hours B saves, and the total.",
        ),
        fmt: Format = format_option("table", "json", "csv", decls=("--format", "-f")),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
        wide: bool = typer.Option(
            False, "--wide", help="Table: every column, unwrapped (default: the columns that fit the terminal)."
        ),
    ) -> None:
        """Per-settlement change from regime A to regime B (people cut off, person-hours added); or, with
        --from/--to, one trip under both regimes and the km and hours B saves."""
        from delimit.access import build_network, compare_regimes
        from delimit.access.route import routes_between

        s = _load(scenario)
        if len(regimes) != 2:
            raise InputError(
                s.name, f"give exactly two regimes (--regime A --regime B), got {len(regimes)}", field="regime"
            )
        cid = _require_class(s, class_id)
        if origin is not None or destination is not None:
            _compare_trip(s, regimes, cid, origin, destination, fmt, out)
            return
        if fmt == Format.geojson:
            raise InputError(s.name, "geojson is not offered for comparisons; use json or csv", field="format")
        with progress_bar("access compare") as prog:
            mode = s.traveller_class(cid).mode
            net = build_network(s, mode=mode, progress=lambda m, f: prog(m, 0.6 * f))
            res = compare_regimes(
                s,
                regimes[0],
                regimes[1],
                traveller_class=cid,
                targets=targets,
                network=net,
                progress=lambda m, f: prog(m, 0.6 + 0.3 * f),
            )
            pairs = routes_between(s, regimes[0], regimes[1], traveller_class=cid, places=between, network=net)
        if fmt == Format.json:
            emit_json({**res.to_json(), "between": pairs.to_json()}, out)
        elif fmt == Format.csv:
            emit_text(rows_to_csv(res.rows.to_dict("records"), provenance=res.provenance), out)
        else:
            t = res.totals
            caption = (
                f"people cut off: {t['people_cut_off']:,} ({t['settlements_cut_off']} settlements); "
                f"person-hours added per trip: {t['person_hours_added']:,.1f}"
            )
            table = rich_table(
                res.rows.to_dict("records"),
                COMPARE_COLUMNS,
                title=f"{res.scenario}: {res.regime_a} -> {res.regime_b} / {res.traveller_class}",
                caption=caption,
            )
            print_tables([table, _pairs_table(pairs, wide), short_attribution(res.provenance)], out, wide=wide)
        print_marks(res.data_marks)

    app.add_typer(acc, name="access")


PAIR_COLUMNS = [
    Col("from", text=True),
    Col("to", text=True),
    Col("km_a", "km (A)", optional=True),
    Col("hours_a", "hours (A)", optional=True),
    Col("km_b", "km (B)", optional=True),
    Col("hours_b", "hours (B)", optional=True),
    Col("km_saved", "km saved"),
    Col("hours_saved", "hours saved"),
    Col("change", text=True),
]
#: Pairs listed in the table (all with --wide); the JSON lists every pair.
PAIRS_SHOWN = 15


def _pairs_table(pairs, wide: bool):  # type: ignore[no-untyped-def]
    """The trips between places whose route changes, largest saving first, with the totals as caption."""
    t = pairs.totals
    changed = pairs.rows[~pairs.rows["change"].isin(["same", "no route"])]
    shown = changed if wide else changed.head(PAIRS_SHOWN)
    rows = [
        {
            "from": f"{r['from']} ({r['from_party']})",
            "to": f"{r['to']} ({r['to_party']})",
            "km_a": _num(r["km_a"], 1),
            "hours_a": _num(r["minutes_a"] / 60.0, 2),
            "km_b": _num(r["km_b"], 1),
            "hours_b": _num(r["minutes_b"] / 60.0, 2),
            "km_saved": _num(r["km_saved"], 1),
            "hours_saved": _num(r["hours_saved"], 2),
            "change": r["change"],
        }
        for r in shown.to_dict("records")
    ]
    caption = (
        f"{pairs.regime_b} instead of {pairs.regime_a} saves {t['total_km_saved']:,.1f} km and "
        f"{t['total_hours_saved']:,.2f} hours in all (one trip per pair; {t['pairs_faster']} of {t['pairs']} trips "
        f"between {t['places']} places faster, {t['pairs_slower']} slower, {t['pairs_opened']} opened, "
        f"{t['pairs_cut_off']} cut off)"
    )
    if t["largest_saving"]:
        big = t["largest_saving"]
        caption += (
            f"; largest: {big['from']} - {big['to']}, {big['km_saved']:,.1f} km and {big['hours_saved']:,.2f} hours"
        )
    if len(shown) < len(changed):
        caption += f"; {len(changed) - len(shown)} more with --wide or in the JSON"
    caption += f"; measured in {pairs.crs_description}"
    return rich_table(rows, PAIR_COLUMNS, title=f"trips between places ({pairs.places})", caption=caption)


def _num(x: float, nd: int) -> float | None:
    import math

    return round(float(x), nd) if math.isfinite(float(x)) else None


TRIP_COLUMNS = [
    Col("regime", text=True),
    Col("km"),
    Col("hours"),
    Col("checkpoints", text=True),
    Col("reason", text=True, optional=True),
]


def _compare_trip(s, regimes: list[str], cid: str, origin: str | None, destination: str | None, fmt, out) -> None:  # type: ignore[no-untyped-def]
    """``access compare --from X --to Y``: the trip under both regimes and what B saves (km, hours)."""
    from delimit.access.trips import compare_trip

    if origin is None or destination is None:
        raise InputError(s.name, "give both --from and --to to compare one trip", field="to" if origin else "from")
    if fmt == Format.csv or fmt == Format.geojson:
        raise InputError(s.name, f"{fmt.value} is not offered for a trip comparison; use table or json", field="format")
    res = compare_trip(s, regimes[0], regimes[1], traveller_class=cid, origin=origin, destination=destination)
    if fmt == Format.json:
        emit_json(res.to_json(), out)
    else:
        rows = [
            {
                "regime": r.regime,
                "km": None if r.km is None else round(r.km, 1),
                "hours": None if r.minutes is None else round(r.minutes / 60.0, 2),
                "checkpoints": ", ".join(r.checkpoints) or "-",
                "reason": r.reason,
            }
            for r in (res.a, res.b)
        ]
        if res.km_saved is None or res.hours_saved is None:
            caption = "saving unknown: no route under one of the regimes (see reason)"
        else:
            caption = (
                f"{res.b.regime} instead of {res.a.regime} saves {res.km_saved:,.1f} km and "
                f"{res.hours_saved:,.2f} hours ({res.minutes_saved:,.0f} min); measured in {res.a.crs_description}"
            )
        table = rich_table(
            rows,
            TRIP_COLUMNS,
            title=f"{res.a.scenario}: {res.a.origin.name} -> {res.a.destination.name} / {res.a.traveller_class}",
            caption=caption,
        )
        print_tables([table, short_attribution(res.a.provenance)], out)
    print_marks(res.a.data_marks)


def _closures(net: AccessNetwork, block: list[str]) -> Closures:
    """Sort ``--block`` ids into junctions, roads and crossings of the network."""
    from delimit.access import Closures

    if not block:
        return Closures()
    g = net.groups
    junctions = set(net.vertices["vertex_id"])
    roads = set(g.loc[g["kind"] == "segment", "road_id"])
    segments = set(g.loc[g["kind"] == "segment", "segment"])
    crossings = set(g.loc[g["kind"] == "transition", "crossing_id"])
    j, r, sg, c = [], [], [], []
    for b in block:
        if b in junctions:
            j.append(b)
        elif b in roads:
            r.append(b)
        elif b in segments:
            sg.append(b)
        elif b in crossings:
            c.append(b)
        elif b.startswith("line:") and (members := _line_crossings(g, b[5:])):
            c += members  # a chokepoint id: one road's crossings of the line away from checkpoints
        else:
            raise InputError(
                net.scenario,
                f"--block {b!r} names no junction, road, segment, crossing or line:<road> of the network",
                field="block",
            )
    return Closures.of(j, r, sg, c)


def _line_crossings(groups: pd.DataFrame, road_id: str) -> list[str]:
    """Crossing ids where ``road_id`` meets the line away from a checkpoint (``line:<road>`` in chokepoints)."""
    sel = (
        (groups["kind"] == "transition")
        & (groups["party_a"] != groups["party_b"])
        & ~groups["checkpoint"].astype(bool)
        & ~groups["at_post"].astype(bool)
        & (groups["road_id"] == road_id)
    )
    return sorted(set(groups.loc[sel, "crossing_id"].astype(str)))
