"""``delimit propose``: generate balanced land swaps between two parties, as scenarios.

Writes (with ``-o DIR``, atomically): ``summary.json``; ``proposals.gpkg`` (layer ``parcels``: every
parcel once, with an ``after_<id>`` column per proposal naming the party it goes to; layer
``transfers``; layer ``zone``); and per proposal a scenario file ``<id>.yaml`` (``base:`` the input
scenario, ``transfers:`` one per direction, ``balance_tolerance:`` the ``--balance`` it was made with,
so that ``compare`` judges its balance by the same test) with its geometry in ``<id>/`` beside it,
loadable by ``compare``, ``report`` and ``treaty``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
import typer
import yaml

from delimit.cli.options import float_option, format_option, int_option, output_option, overwrite_option
from delimit.cli.progress import progress_bar
from delimit.cli.render import Format, dumps, emit_json, print_marks, print_table, rich_table
from delimit.crs import WGS84
from delimit.datasets import bundled_scenario_files
from delimit.errors import InputError
from delimit.io.atomic import atomic_directory
from delimit.io.vector import read_layer, write_layers
from delimit.scenario import load_scenario


def register(app: typer.Typer) -> None:
    @app.command("propose")
    def propose_cmd(
        scenario: str = typer.Option("status-quo", "--scenario", help="Bundled scenario name or scenario file."),
        between: tuple[str, str] = typer.Option(
            ("KGZ", "TJK"), "--between", help="The two parties, e.g. --between KGZ TJK."
        ),
        zone: str = typer.Option(
            "band:2km",
            "--zone",
            help="band:WIDTH (around the parties' line), disputed:OTHER_SCENARIO, or a polygon file.",
        ),
        units: str = typer.Option(
            "hex:500m",
            "--units",
            help="hex:SIZE, square:SIZE, voronoi (around settlements) or parcels:FILE (polygons, e.g. cadastre).",
        ),
        balance: float = float_option(
            0.05, "--balance", help="Area ceded each way within this fraction of the larger (0.05 = 5%).", lo=0, hi=1
        ),
        no_balance: bool = typer.Option(False, "--no-balance", help="Do not require balanced areas."),
        min_exchange: float = float_option(
            0.0, "--min-exchange", help="Each party cedes more than this many km2.", lo=0, hi=1_000_000, unit="km2"
        ),
        seed: int = int_option(0, "--seed", help="Seed of the chain (same seed, same proposals).", lo=0, hi=2**32 - 1),
        n: int = int_option(10, "-n", "--count", help="Number of proposals.", lo=1, hi=1000),
        method: str = typer.Option(
            "auto", "--method", help="exact (HiGHS MIP), chain (Markov chain) or auto (exact up to 200 parcels)."
        ),
        steps: int | None = int_option(
            None,
            "--steps",
            help="Chain steps in all (default 2,000 per segment, 3n segments, at least 24).",
            lo=1,
            hi=100_000_000,
        ),
        keep_over: int = int_option(
            1000,
            "--keep-settlements-over",
            help="Settlements with at least this population stay with their party (0: off).",
            lo=0,
            hi=1_000_000_000,
        ),
        settlement_field: str | None = typer.Option(
            None, "--settlement-party-field", help="Settlements column naming the party each must end with."
        ),
        keep_road: list[str] = typer.Option(
            [], "--keep-road", help="Road id or name that must stay within one party (repeatable)."
        ),
        road_regime: str | None = typer.Option(
            None, "--road-regime", help="Kept roads that this regime makes neutral or transit are exempt."
        ),
        min_neck: float | None = float_option(
            None,
            "--min-neck",
            help="No part narrower than this many metres (checked on each proposal).",
            lo=1,
            hi=100_000,
            unit="m",
        ),
        access_regime: str | None = typer.Option(
            None,
            "--access-regime",
            help="Every settlement in the zone keeps access to its regional centre under this regime.",
        ),
        allow_exclaves: list[str] = typer.Option(
            [], "--allow-exclaves", help="Party allowed new exclaves (repeatable)."
        ),
        no_connectivity: bool = typer.Option(
            False, "--no-connectivity", help="Do not require territories to stay whole."
        ),
        allow_new_enclaves: bool = typer.Option(False, "--allow-new-enclaves", help="Do not check for new enclaves."),
        w_people: float = float_option(0.01, "--w-people", help="Weight per person moved.", lo=0, hi=1_000_000),
        w_length: float = float_option(1.0, "--w-length", help="Weight per km of line added.", lo=0, hi=1_000_000),
        w_turning: float = float_option(
            0.05, "--w-turning", help="Weight per turning point (cut edge in the model).", lo=0, hi=1_000_000
        ),
        w_imbalance: float = float_option(
            20.0, "--w-imbalance", help="Weight per km2 of net imbalance.", lo=0, hi=1_000_000
        ),
        pareto: bool = typer.Option(False, "--pareto", help="Rank the Pareto front first."),
        min_distance: int = int_option(
            2,
            "--min-distance",
            help="Each proposal differs from earlier ones by at least this many parcels.",
            lo=0,
            hi=1_000_000,
        ),
        fmt: Format = format_option("table", "json"),
        out: Path | None = output_option(
            "folder",
            help="Output folder (scenario files, GeoPackage, summary.json); a folder holding other files is refused without --overwrite.",
        ),
        overwrite: bool = overwrite_option(),
    ) -> None:
        """Generate land-swap proposals (illustrative) that keep territories whole and areas balanced."""
        from delimit.io.limits import _env_number
        from delimit.propose import (
            Constraints,
            Weights,
            build_parcels,
            grid_cells,
            parse_units,
            propose,
            voronoi_cells,
            zone_geometry,
        )
        from delimit.propose.engine import DEFAULT_MAX_PROPOSALS, check_run_size
        from delimit.propose.units import DEFAULT_MAX_PARCELS, check_parcel_count, estimate_parcels

        # sizes of work are checked before any: proposals and seed now, parcels once the zone is known
        max_proposals = int(_env_number("DELIMIT_MAX_PROPOSALS", DEFAULT_MAX_PROPOSALS, "proposals", integer=True))
        max_parcels = int(_env_number("DELIMIT_MAX_PARCELS", DEFAULT_MAX_PARCELS, "parcels", integer=True))
        check_run_size(n, seed, max_proposals)
        grid = parse_units(units) if units.lower().startswith(("hex", "square")) else None
        parties = (between[0], between[1])
        if parties[0] == parties[1]:
            raise InputError(None, "--between needs two different parties", field="between")
        if fmt not in (Format.table, Format.json):
            raise InputError(None, "--format must be table or json", field="format")
        s = load_scenario(scenario)
        other = None
        polygon = None
        if zone.startswith("disputed:"):
            other = load_scenario(zone.split(":", 1)[1])
        elif not zone.startswith("band:"):
            zgdf = read_layer(zone)
            polys = [g for g in zgdf.geometry if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
            if not polys:
                raise InputError(zone, "holds no polygon", field="zone")
            polygon = shapely.union_all(polys)
        constraints = Constraints(
            connected=not no_connectivity,
            allow_exclaves=frozenset(allow_exclaves),
            no_new_enclaves=not allow_new_enclaves,
            balance=None if no_balance else balance,
            min_exchange_km2=min_exchange,
            keep_settlements_over=keep_over if keep_over > 0 else None,
            settlement_party_field=settlement_field,
            keep_roads=tuple(keep_road),
            road_regime=road_regime,
            min_neck_m=min_neck,
            access_regime=access_regime,
        )
        weights = Weights(people=w_people, length_km=w_length, turning=w_turning, imbalance_km2=w_imbalance)
        with progress_bar("propose") as bar:
            z = zone_geometry(s, parties, zone, polygon=polygon, other=other)
            cut_zone = zone_geometry(s, parties, zone, polygon=polygon, other=other, raw=True)
            if grid is not None:
                estimate, zone_km2 = estimate_parcels(z, *grid)
                check_parcel_count(estimate, max_parcels, what=f"{units} over the zone ({zone_km2:,.1f} km2)")
                cells = grid_cells(z, *grid)
            elif units.lower() == "voronoi":
                cells = voronoi_cells(z, s.settlements)
            else:
                ugdf = read_layer(units[8:] if units.startswith("parcels:") else units)
                polys = [g for g in ugdf.geometry if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
                if not polys:
                    raise InputError(units, "holds no parcel polygon", field="units")
                cells = gpd.GeoSeries(polys, crs=WGS84).explode(index_parts=False).to_numpy()
            if grid is None:
                check_parcel_count(len(cells), max_parcels, what=f"{units} ({len(cells):,} units)")
            graph = build_parcels(s, parties, z, cells, cut_zone=cut_zone, progress=lambda m, f: bar(m, 0.3 * f))
            result = propose(
                s,
                graph,
                constraints=constraints,
                weights=weights,
                method=method,
                n=n,
                seed=seed,
                steps=steps,
                pareto=pareto,
                min_distance=min_distance,
                max_proposals=max_proposals,
                progress=lambda m, f: bar(m, 0.3 + 0.7 * f),
            )
        summary = result.summary()
        summary["zone_spec"] = zone
        summary["units"] = units
        summary["scenario"] = s.name
        if out is not None:
            summary["files"] = _write_folder(out, result, scenario, summary)
        print_marks(summary["data_marks"])
        if fmt == Format.json:
            emit_json(summary)
            return
        rows = []
        for p in summary["proposals"]:
            ex = p["area_exchanged_km2"]
            rows.append(
                {
                    "id": p["id"],
                    **{f"{k} cedes km2": v for k, v in ex.items()},
                    "imbalance": p["imbalance"],
                    "people": p["people_moved"],
                    "line km +/-": p["boundary_length_change_km"],
                    "turning pts": p["turning_points"],
                    "access loss": "" if p["access_loss"] is None else p["access_loss"],
                    "violated": "; ".join(p["constraints_violated"]),
                }
            )
        caption = summary["note"]
        if not rows:
            why = summary.get("solver", {}).get("status") if isinstance(summary.get("solver"), dict) else None
            caption = (
                "No proposal satisfies the constraints"
                + (f" (solver: {why})" if why else "")
                + ". "
                + "; ".join(summary.get("notes", []))
                + " "
                + caption
            )
        cols = [
            "id",
            *[f"{k} cedes km2" for k in parties],
            "imbalance",
            "people",
            "line km +/-",
            "turning pts",
            "access loss",
            "violated",
        ]
        print_table(
            rich_table(rows, cols, title=f"proposals ({result.method}, seed {seed}) - illustrative", caption=caption)
        )


def _base_reference(scenario_arg: str, out: Path) -> tuple[str, str | None]:
    """The ``base:`` to write, and a note when the written files cannot reach it."""
    if scenario_arg in bundled_scenario_files() and not Path(scenario_arg).exists():
        return scenario_arg, None
    rel = os.path.relpath(Path(scenario_arg).resolve(), out.resolve())
    if rel.startswith(".."):
        return (
            rel,
            f"the base scenario {scenario_arg} lies outside {out}: copy the output folder beside it (scenario files may only reference files below their folder)",
        )
    return rel, None


def _write_folder(out: Path, result: Any, scenario_arg: str, summary: dict[str, Any]) -> list[str]:
    from delimit.propose.engine import transfers_for

    base, note = _base_reference(scenario_arg, out)
    if note:
        summary.setdefault("notes", []).append(note)
    files: list[str] = ["summary.json", "proposals.gpkg"]
    with atomic_directory(out) as tmp:
        transfer_rows = []
        for p in result.proposals:
            transfers = transfers_for(result, p)
            folder = tmp / p.id
            folder.mkdir()
            entries = []
            for t in transfers:
                gj = f"{t.id}.geojson"
                frame = gpd.GeoDataFrame(
                    [
                        {
                            "transfer_id": t.id,
                            "from": t.from_party,
                            "to": t.to_party,
                            "status": t.status,
                            "source": t.source,
                            "geometry": t.geometry,
                        }
                    ],
                    geometry="geometry",
                    crs=WGS84,
                )
                write_layers({t.id: frame}, folder / gj)
                entries.append(
                    {
                        "id": t.id,
                        "from": t.from_party,
                        "to": t.to_party,
                        "status": "illustrative",
                        "source": t.source,
                        "geometry": {"path": f"{p.id}/{gj}"},
                    }
                )
                transfer_rows.append(
                    {
                        "proposal_id": p.id,
                        "transfer_id": t.id,
                        "from": t.from_party,
                        "to": t.to_party,
                        "status": t.status,
                        "source": t.source,
                        "geometry": t.geometry,
                    }
                )
                files.append(f"{p.id}/{gj}")
            name = f"{result.scenario.name}-proposal-s{result.seed}-{p.id.lower()}"[:64].lower()
            doc = {
                "schema_version": 1,
                "name": name,
                "title": f"Proposal {p.id} ({result.method}, seed {result.seed}) - illustrative",
                "description": (
                    f"Generated land swap between {result.graph.parties[0]} and {result.graph.parties[1]}: "
                    + ", ".join(f"{k} cedes {v:.3f} km2" for k, v in p.metrics["area_exchanged_km2"].items())
                    + f"; {p.metrics['people_moved']} people change country. {summary['note']}"
                ),
                "status": "illustrative",
                "base": base,
                "transfers": entries,
            }
            if result.constraints.balance is not None:
                doc["balance_tolerance"] = result.constraints.balance
            (tmp / f"{p.id}.yaml").write_text(
                f"# {p.source}\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )
            files.append(f"{p.id}.yaml")
        parcels = result.parcels_frame()
        layers = {
            "parcels": parcels,
            "transfers": gpd.GeoDataFrame(
                transfer_rows,
                columns=["proposal_id", "transfer_id", "from", "to", "status", "source", "geometry"],
                geometry="geometry",
                crs=WGS84,
            ),
            "zone": gpd.GeoDataFrame(
                [{"zone": summary.get("zone_spec", ""), "status": "illustrative", "geometry": result.graph.zone}],
                geometry="geometry",
                crs=WGS84,
            ),
        }
        write_layers(layers, tmp / "proposals.gpkg")
        summary["files"] = sorted(files)
        (tmp / "summary.json").write_text(dumps(summary), encoding="utf-8")
    return sorted(files)
