"""Build the self-contained, offline report of a set of scenarios against a baseline.

:func:`build_report` writes into a folder the caller provides (the CLI gives it the temporary folder
of :func:`delimit.io.atomic.atomic_directory`): ``index.html`` (inline CSS, images referenced
relatively, no external request), ``img/*.png``, ``comparisons.json`` (the JSON of every comparison
with provenance and data marks) and, with ``pdf=True``, ``report.pdf``. With ``single_file=True`` the
images are inlined in ``index.html`` as ``data:`` URIs and no ``img/`` folder is kept.

A reader meets each caveat once: the hand-made-data banner heads each top-level section and is drawn
on each figure (a PNG lifted out keeps it), never repeated on tables; CRSs are named in words and the
PROJ definition is given once, in the method section; every page (and every PDF page, in its footer)
credits the data's sources, with the full terms in "Credits and licences".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from delimit import __version__
from delimit import access as access_engine
from delimit.attribution import attribution_text
from delimit.crs import crs_in_words, crs_words_in
from delimit.impact import (
    Comparison,
    EngineCache,
    Unavailable,
    UnitCosts,
    compare,
    measurement_crs,
    topology_result,
)
from delimit.impact.access_change import access_key, headline_classes
from delimit.impact.compare import LAYERS_USED, access_rows
from delimit.io.atomic import atomic_write_text
from delimit.model.scenario import Scenario
from delimit.report import access_figures, maps, plots
from delimit.report.figures import banner_text, sources_text
from delimit.report.html import Figure, Section, Table, render
from delimit.report.palette import party_colours
from delimit.report.provenance import (
    HASH_DIGITS,
    credits_rows,
    footer_credit,
    provenance_rows,
    report_credits,
    software_rows,
)

ProgressFn = Callable[[str, float], None]
#: Opens one progress bar per long step: ``with steps("compare x") as bar: bar(message, fraction)``.
StepFactory = Callable[[str], AbstractContextManager[ProgressFn]]

#: The access engine's default target for travel times.
DEFAULT_TARGET = "regional-centre"


@dataclass
class ReportResult:
    """What was written (paths relative to the report folder) and the summary rows."""

    index: str
    pdf: str | None
    files: list[str]
    summary: list[dict[str, Any]]
    unavailable: list[str] = field(default_factory=list)


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in s.lower())


def _marks(*scenarios: Scenario, layers: Sequence[str] = LAYERS_USED) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {}
    for s in scenarios:
        for k, v in s.data_marks(layers).items():
            out.setdefault(k, set()).update(v)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _road_names(s: Scenario) -> dict[str, str]:
    """{road id: road name} (the id where a road has no name): tables name roads, never by id."""
    roads = s.roads
    if not len(roads) or "name" not in roads.columns:
        return {}
    return {
        str(i): (str(n) if str(n) else str(i)) for i, n in zip(roads["road_id"], roads["name"].fillna(""), strict=True)
    }


def _named(ids: Any, names: dict[str, str]) -> list[str]:
    """Road ids (a list, or one comma-separated string) as road names."""
    items = [x.strip() for x in ids.split(",")] if isinstance(ids, str) else list(ids if ids is not None else [])
    return [names.get(str(i), str(i)) for i in items if str(i)]


def _with_road_names(df: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    if df is None or not len(df) or "roads" not in df.columns:
        return df
    names = _road_names(s)
    return df.assign(roads=df["roads"].map(lambda ids: _named(ids, names)))


def inline_images(html: str, folder: Path) -> str:
    """``html`` with every ``src="img/NAME.png"`` replaced by a ``data:image/png;base64,...`` URI of that file."""
    import base64
    import re

    def data_uri(m: re.Match[str]) -> str:
        data = base64.b64encode((folder / m.group(1)).read_bytes()).decode("ascii")
        return f'src="data:image/png;base64,{data}"'

    return re.sub(r'src="(img/[^"/]+\.png)"', data_uri, html)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return df.to_dict("records") if df is not None and len(df) else []


SUMMARY_COLUMNS = [
    ("scenario", "scenario"),
    ("land_km2", "land changing hands (km²)"),
    ("balanced", "balanced"),
    ("settlements", "settlements changing country"),
    ("population", "their population (persons)"),
    ("population_unknown", "of them, settlements of unknown population"),
    ("road_moved_km", "road changing sides (km)"),
    ("enclaves_added", "enclaves added"),
    ("enclaves_removed", "enclaves removed"),
    ("people_cut_off", "people newly cut off (default regime, residents by vehicle)"),
    ("person_hours_added", "person-hours added (default regime, residents by vehicle)"),
    ("cost", "cost estimate"),
]


class _Builder:
    def __init__(
        self,
        baseline: Scenario,
        scenarios: list[Scenario],
        out: Path,
        costs: UnitCosts | None,
        neck_width_m: float,
        target: str,
        progress: ProgressFn | None,
        steps: StepFactory | None = None,
        single_file: bool = False,
        keep_going: bool = False,
    ) -> None:
        self.single_file = single_file
        self.keep_going = keep_going
        self.baseline = baseline
        self.others = [s for s in scenarios if s.name != baseline.name]
        self.all = [baseline, *self.others]
        self.out = out
        self.img = out / "img"
        self.img.mkdir(parents=True, exist_ok=True)
        self.costs = costs
        self.neck_width_m = neck_width_m
        self.target = target
        self.progress = progress
        self.steps = steps
        self.bar: ProgressFn | None = None
        self.cache = EngineCache()
        self.files: list[str] = []
        self.unavailable: list[str] = []
        self.access_cache: dict[str, tuple[access_figures.AccessFigureData, dict[str, str]]] = {}
        self.credits = report_credits(self.all)

    # ------------------------------------------------------------ helpers
    def tick(self, msg: str, frac: float) -> None:
        if self.progress:
            self.progress(msg, frac)

    @contextlib.contextmanager
    def step(self, name: str, lo: float, hi: float) -> Iterator[ProgressFn]:
        """A long step: its own progress bar if the caller gave ``steps``, else a slice of ``progress``."""
        if self.steps is not None:
            with self.steps(name) as bar:
                yield bar
            return
        yield lambda m, f: self.tick(f"{name}: {m}", lo + (hi - lo) * max(0.0, min(1.0, f)))

    def sub(self, message: str, fraction: float) -> None:
        """Report progress within the current step (a no-op outside one)."""
        if self.bar is not None:
            self.bar(message, fraction)

    def fig_path(self, name: str) -> Path:
        p = self.img / f"{_slug(name)}.png"
        self.files.append(f"img/{p.name}")
        return p

    def note_unavailable(self, what: str, reason: str) -> str:
        text = f"Unavailable: {what}: {reason}"
        if text not in self.unavailable:
            self.unavailable.append(text)
        return text

    # ------------------------------------------------------------ stages
    def run(self, pdf: bool) -> ReportResult:
        n = len(self.others)
        self.comparisons: list[Comparison] = []
        for i, s in enumerate(self.others):
            lo, hi = 0.02 + 0.4 * i / max(1, n), 0.02 + 0.4 * (i + 1) / max(1, n)
            with self.step(f"compare {s.name}", lo, hi) as bar:
                self.comparisons.append(
                    compare(
                        self.baseline,
                        s,
                        costs=self.costs,
                        neck_width_m=self.neck_width_m,
                        cache=self.cache,
                        target=self.target,
                        progress=bar,
                        keep_going=self.keep_going,
                    )
                )
        crs = measurement_crs(*self.all)
        parties = set()
        for s in self.all:
            parties |= set(s.parties) | set(s.territory["party"].astype(str))
        self.topo = {
            s.name: topology_result(s, neck_width_m=self.neck_width_m, cache=self.cache, keep_going=self.keep_going)
            for s in self.all
        }
        extra = [c.land.pieces for c in self.comparisons]
        self.frame = maps.MapFrame(
            crs=crs,
            focus=maps.focus_bounds(self.all, crs, extra),
            full=maps.full_bounds(self.all, crs),
            colours=party_colours(parties),
        )
        sections = [self.summary_section()]
        steps = len(self.all)
        for i, s in enumerate(self.all):
            with self.step(
                f"maps and access of {s.name}", 0.45 + 0.45 * i / steps, 0.45 + 0.45 * (i + 1) / steps
            ) as bar:
                self.bar = bar
                comp = next((c for c in self.comparisons if c.scenario.name == s.name), None)
                sections.append(self.scenario_section(s, comp))
            self.bar = None
        sections.append(self.method_section())
        sections.append(self.sources_section())
        sections.append(self.credits_section())
        # The summary's notes list every unavailable section found while building the others.
        sections[0].notes = [*self.unavailable, *sections[0].notes]
        self.tick("writing HTML", 0.92)
        html = render(
            {
                "title": f"delimit report: {', '.join(s.name for s in self.others) or self.baseline.name} against {self.baseline.name}",
                "version": __version__,
                "baseline": self.baseline.name,
                "scenarios": [s.name for s in self.all],
                "crs": {
                    "areas": crs_in_words(crs),
                    "lengths": crs_words_in(str(self.comparisons[0].crs()["lengths"])) if self.comparisons else "n/a",
                    "map": crs_in_words(crs),
                },
                "sections": sections,
                "attribution": attribution_text(self.credits),
                "footer": footer_credit(self.credits),
                # --keep-going: the sections whose engine failed, named at the top of the page (and PDF)
                "incomplete": self.unavailable,
            }
        )
        if self.single_file:
            html = inline_images(html, self.out)
        atomic_write_text(self.out / "index.html", html)
        doc = {
            "baseline": self.baseline.name,
            "scenarios": [s.name for s in self.all],
            "comparisons": [c.to_json() for c in self.comparisons],
            "summary": [c.summary_row() for c in self.comparisons],
            "unavailable": self.unavailable,
            "data_marks": _marks(*self.all),
            "provenance": {s.name: s.provenance.as_dict() for s in self.all},
        }
        from delimit.io.jsonfmt import dumps

        atomic_write_text(self.out / "comparisons.json", dumps(doc))
        self.files += ["index.html", "comparisons.json"]
        pdf_name = None
        if pdf:
            from delimit.report.pdf import write_pdf

            with self.step("PDF", 0.95, 0.99) as bar:
                bar("weasyprint", 0.0)
                write_pdf(self.out / "index.html", self.out / "report.pdf")
            pdf_name = "report.pdf"
            self.files.append(pdf_name)
        if self.single_file:  # the images live in index.html now
            for f in [f for f in self.files if f.startswith("img/")]:
                (self.out / f).unlink()
                self.files.remove(f)
            with contextlib.suppress(OSError):
                self.img.rmdir()
        self.tick("report written", 1.0)
        return ReportResult(
            "index.html", pdf_name, sorted(self.files), [c.summary_row() for c in self.comparisons], self.unavailable
        )

    # ------------------------------------------------------------ sections
    def summary_section(self) -> Section:
        sec = Section("Summary", "summary", tables_first=True)
        sec.paragraphs.append(
            f"Each scenario is compared with the baseline '{self.baseline.name}' ({self.baseline.title}). "
            "Land and people are counted from the two scenarios' territory layers; access from the access engine under "
            "each scenario's default regime against the baseline's default regime."
        )
        sec.banner = banner_text(_marks(*self.all))
        rows = [c.summary_row() for c in self.comparisons]
        sec.tables.append(
            Table(
                "Proposals against the baseline",
                SUMMARY_COLUMNS,
                rows,
                caption=f"areas in km², {crs_in_words(self.frame.crs)}; lengths in km; population in persons (settlements of unknown population not counted); '-' = unavailable",
                empty="no scenario to compare (only the baseline was given)",
            )
        )
        if self.costs is None:
            sec.notes.append(
                "No cost estimate: no unit-cost file was given (delimit report --costs FILE). delimit ships no default cost figures because none could be sourced."
            )
        else:
            sec.notes.append(f"Costs in {self.costs.currency}; unit costs from: {self.costs.source}.")
        tb = self.topo.get(self.baseline.name)
        small = None
        if tb is not None and not isinstance(tb, Unavailable) and len(tb.parts):
            small = tb.parts[tb.parts["kind"].isin(("enclave", "exclave"))].copy()
            small["name"] = [maps.territory_names(self.baseline, g) for g in small.geometry]
        path = maps.context_map(
            self.baseline,
            self.frame,
            self.fig_path("context"),
            banner=banner_text(_marks(self.baseline, layers=("territory", "settlements"))),
            topology_small=small,
        )
        sec.figures.append(
            Figure(
                f"img/{path.name}",
                "Map of every party's land in the data window",
                f"Parties' land under the baseline ({self.baseline.name}). Sources: {sources_text(self.baseline, ('territory', 'settlements'))}.",
                banner_text(_marks(self.baseline, layers=("territory", "settlements"))),
            )
        )
        return sec

    def scenario_section(self, s: Scenario, comp: Comparison | None) -> Section:
        is_base = comp is None
        marks = _marks(s) if comp is None else comp.data_marks
        banner = banner_text(marks)
        sec = Section(f"{'Baseline' if is_base else 'Scenario'}: {s.name}", f"s-{_slug(s.name)}", banner=banner)
        sec.paragraphs.append(f"{s.title}. {s.description.strip()}")
        sec.paragraphs.append(
            f"Status of the scenario as a whole: {s.status}. Default crossing regime: {s.default_regime or 'none'}."
        )
        for t in s.transfers:
            sec.notes.append(
                f"Transfer '{t.id}': land from {t.from_party} to {t.to_party} [{t.status}] - source: {t.source}"
            )
        topo = self.topo.get(s.name)
        topo_ok = topo if not isinstance(topo, Unavailable) else None
        added = comp.features.roads_added["id"].tolist() if comp is not None and len(comp.features.roads_added) else []
        path = maps.overview_map(
            s,
            self.frame,
            self.fig_path(f"overview-{s.name}"),
            banner=banner,
            pieces=comp.land.pieces if comp is not None else None,
            baseline_name=self.baseline.name,
            topology=topo_ok,
            added_roads=added,
        )
        cap = (
            f"Overview of {s.name}: each party's land (colour by sorted party id), claims hatched alike for every party"
            + ("" if is_base else f", land changing hands against {self.baseline.name} cross-hatched")
            + (", enclaves outlined, necks marked with their minimum width (m)" if topo_ok is not None else "")
            + ", roads, crossings, settlements sized by population."
        )
        sec.figures.append(Figure(f"img/{path.name}", f"Overview map of {s.name}", cap, banner))
        if comp is not None:
            sec.subsections.append(self.moves_section(comp, banner))
        sec.subsections.append(self.topology_section(s, comp, topo, banner))
        sec.subsections.append(self.access_section(s, comp, banner))
        if comp is not None:
            sec.subsections.append(self.costs_section(comp, banner))
        return sec

    def moves_section(self, c: Comparison, banner: str) -> Section:
        s = c.scenario
        crs = {k: crs_words_in(str(v)) for k, v in c.crs().items()}
        sec = Section("What moves: land, people, roads and water", f"moves-{_slug(s.name)}")
        sec.tables.append(
            Table(
                "Land changing hands",
                [("from", "from"), ("to", "to"), ("area_km2", "area (km²)")],
                _records(c.land.flows),
                caption=f"km², {crs['areas']}; slivers under {c.land.min_area_km2:g} km² ignored",
                empty="no land changes hands",
            )
        )
        sec.tables.append(
            Table(
                "Land balance per party" + (" (balanced)" if c.land.is_balanced else ""),
                [
                    ("party", "party"),
                    ("baseline_km2", "baseline (km²)"),
                    ("scenario_km2", "scenario (km²)"),
                    ("gained_km2", "gained"),
                    ("lost_km2", "lost"),
                    ("net_km2", "net"),
                ],
                _records(c.land.balance),
                caption=f"km², {crs['areas']}; nets sum to zero",
            )
        )
        if len(c.land.flows):
            p = plots.balance_chart(
                c.land.balance[c.land.balance["party"].isin(set(c.land.flows["from"]) | set(c.land.flows["to"]))],
                self.frame.colours,
                self.fig_path(f"balance-{s.name}"),
                title=f"{s.name}: net land change per party (km²)",
                banner=banner,
                footer=f"Units: km², measured in {crs['areas']}. Source: territory layers of {self.baseline.name} and {s.name}.",
            )
            sec.figures.append(
                Figure(
                    f"img/{p.name}",
                    f"Net land change per party under {s.name}",
                    f"Net land change (km², {crs['areas']}); bars of a balanced swap sum to zero.",
                    banner,
                )
            )
        sec.tables.append(
            Table(
                "Settlements changing country",
                [
                    ("name", "settlement"),
                    ("from", "from"),
                    ("to", "to"),
                    ("population", "population"),
                    ("population_year", "year"),
                    ("status", "status"),
                    ("source", "source"),
                ],
                _records(c.people.settlements.drop(columns="geometry")),
                caption="population in persons, each counted once (part_of); empty = unknown, never 0; residents would face resettlement or a citizenship choice",
                empty="no settlement changes country",
            )
        )
        sec.tables.append(
            Table(
                "Roads and water changing sides or becoming shared",
                [
                    ("layer", "layer"),
                    ("name", "name"),
                    ("kind", "kind"),
                    ("status", "status"),
                    ("change", "change"),
                    ("parties_before", "before"),
                    ("parties_after", "after"),
                    ("moved", "moving"),
                    ("total", "total"),
                    ("unit", "unit"),
                    ("moves", "moves (from->to amount)"),
                ],
                _records(c.features.features),
                caption=f"lengths in km ({crs['lengths']}); water-body areas in km² ({crs['areas']}); 'added' roads exist only in the scenario",
                empty="no road or water feature changes side",
            )
        )
        return sec

    def topology_section(self, s: Scenario, comp: Comparison | None, topo: Any, banner: str) -> Section:
        sec = Section("Enclaves and necks", f"topo-{_slug(s.name)}")
        if isinstance(topo, Unavailable) or topo is None:
            sec.notes.append(
                self.note_unavailable("enclaves and necks", topo.reason if topo is not None else "not computed")
            )
            return sec
        crs = getattr(topo, "crs", "")
        crs_txt = crs_words_in(crs) if isinstance(crs, str) else crs_in_words(crs)
        parts = topo.parts
        small = parts[parts["kind"].isin(("enclave", "exclave"))].drop(columns="geometry")
        sec.tables.append(
            Table(
                f"Enclaves and exclaves under {s.name}",
                [
                    ("party", "party"),
                    ("kind", "kind"),
                    ("id", "part"),
                    ("area_km2", "area (km²)"),
                    ("surrounded_by", "surrounded by"),
                    ("overlapped_by", "also held by"),
                    ("gap_to_mainland_km", "gap to mainland (km)"),
                    ("population", "population"),
                    ("settlements", "settlements"),
                ],
                _records(small),
                caption=f"areas km², distances km, measured in {crs_txt}",
                empty="no enclave or exclave",
            )
        )
        necks = topo.necks.drop(columns="geometry") if len(topo.necks) else topo.necks
        if len(necks):
            used = necks["roads"].map(bool) | necks["settlements"].map(bool)
            if (~used).any():
                sec.notes.append(
                    f"{int((~used).sum())} further neck(s) narrower than {self.neck_width_m:,.0f} m carry no road and no settlement "
                    f"(widths {necks.loc[~used, 'min_width_m'].min():,.1f}-{necks.loc[~used, 'min_width_m'].max():,.1f} m; many are slivers of the source polygons); "
                    "they are left out of the table (delimit topology lists them all)."
                )
            necks = necks[used].sort_values("min_width_m")
            names = _road_names(s)
            necks = necks.assign(roads=necks["roads"].map(lambda ids: _named(ids, names)))
        sec.tables.append(
            Table(
                f"Necks narrower than {self.neck_width_m:,.0f} m with a road or settlement under {s.name}",
                [
                    ("party", "party"),
                    ("part", "part"),
                    ("min_width_m", "min width (m)"),
                    ("length_km", "length (km)"),
                    ("lon", "lon"),
                    ("lat", "lat"),
                    ("settlements", "settlements"),
                    ("roads", "roads"),
                ],
                _records(necks),
                caption=f"widths in m, lengths in km, measured in {crs_txt}; lon/lat WGS84",
                empty="no neck",
            )
        )
        if comp is not None and not isinstance(comp.topology, Unavailable):
            sec.tables.append(
                Table(
                    f"Enclave changes against {self.baseline.name}",
                    [
                        ("change", "change"),
                        ("party", "party"),
                        ("kind", "kind"),
                        ("area_km2", "area (km²)"),
                        ("area_before_km2", "before (km²)"),
                        ("population", "population"),
                        ("settlements", "settlements"),
                    ],
                    _records(comp.topology.parts),
                    caption="km²; persons",
                    empty="no enclave created, removed or resized",
                )
            )
            sec.tables.append(
                Table(
                    f"Neck changes against {self.baseline.name}",
                    [
                        ("change", "change"),
                        ("party", "party"),
                        ("width_before_m", "width before (m)"),
                        ("width_after_m", "width after (m)"),
                        ("settlements", "settlements"),
                        ("roads", "roads"),
                    ],
                    _records(_with_road_names(comp.topology.necks, s)),
                    caption="metres",
                    empty="no neck narrowed, widened, new or gone",
                )
            )
        return sec

    def access_section(self, s: Scenario, comp: Comparison | None, banner: str) -> Section:
        """Access of ``s``: the change table against the baseline, one subsection per regime (travel-time
        and chokepoint maps, chokepoint table) and the population-by-band chart of every regime."""
        sec = Section("Access", f"access-{_slug(s.name)}")
        if comp is not None:
            self._access_change_table(sec, comp)
        rows_by_run = access_rows(s, self.cache, target=self.target, keep_going=self.keep_going)
        if isinstance(rows_by_run, Unavailable):
            sec.notes.append(self.note_unavailable(f"access of {s.name}", rows_by_run.reason))
            rows_by_run = None
        bands: dict[str, pd.Series] = {}
        for k, rid in enumerate(sorted(s.regimes)):
            self.sub(f"regime {rid}", 0.2 + 0.8 * k / max(1, len(s.regimes)))
            sub, data = self._regime_subsection(s, rid, rows_by_run, banner)
            if data.travel_rows is not None:
                bands[rid] = plots.population_by_band(data.travel_rows)
            sec.subsections.append(sub)
        if bands:
            sec.figures.insert(0, self._band_figure(s, bands, banner))
        return sec

    def _access_change_table(self, sec: Section, comp: Comparison) -> None:
        """The access change of ``comp`` against the baseline (persons, hours, minutes), or why it is unavailable."""
        if isinstance(comp.access, Unavailable):
            sec.notes.append(self.note_unavailable("access changes", comp.access.reason))
            return
        sec.tables.append(
            Table(
                f"Access change against {self.baseline.name} (scenario minus baseline; positive = worse)",
                [
                    ("regime", "regime"),
                    ("baseline_regime", "baseline regime"),
                    ("class", "class"),
                    ("people_cut_off", "people newly cut off"),
                    ("people_gaining_access", "people gaining access"),
                    ("person_hours_added", "person-hours added"),
                    ("settlements_slower", "settlements slower"),
                    ("settlements_faster", "settlements faster"),
                    ("mean_minutes_baseline", "mean min before"),
                    ("mean_minutes_scenario", "mean min after"),
                ],
                _records(comp.access),
                caption=f"persons; hours; minutes to the nearest {self.target}; the default regime row compares how each would be run",
                empty="no access change",
            )
        )

    def _regime_figures(
        self, s: Scenario, rid: str, rows_by_run: Any, banner: str
    ) -> tuple[access_figures.AccessFigureData, dict[str, str], bool]:
        """The access engine's figures of ``s`` under regime ``rid`` and their PNG names ({"travel", "choke"}),
        computed once per land, roads and rules (``True`` third when an earlier scenario's are reused)."""
        key = access_key(s, rid)
        if key in self.access_cache:
            data, names = self.access_cache[key]
            return data, names, True
        data = access_figures.compute(
            access_engine,
            s,
            rid,
            self.target,
            networks=self.cache.networks,
            rows_by_run=rows_by_run,
            keep_going=self.keep_going,
        )
        if data.chokepoints is not None:
            data.chokepoints = access_figures.ranked_places(s, data.chokepoints)
        names = {}
        if data.surfaces:
            p = maps.travel_time_map(
                s,
                self.frame,
                self.fig_path(f"travel-{s.name}-{rid}"),
                panels=data.surfaces,
                regime=rid,
                target=self.target,
                banner=banner,
            )
            names["travel"] = p.name
        p = maps.chokepoint_map(
            s, self.frame, self.fig_path(f"choke-{s.name}-{rid}"), rows=data.chokepoints, regime=rid, banner=banner
        )
        names["choke"] = p.name
        self.access_cache[key] = (data, names)
        return data, names, False

    def _regime_subsection(
        self, s: Scenario, rid: str, rows_by_run: Any, banner: str
    ) -> tuple[Section, access_figures.AccessFigureData]:
        """The subsection of regime ``rid`` of ``s`` (travel-time map, chokepoint map and table) and its data."""
        sub = Section(
            f"Regime '{rid}'",
            f"access-{_slug(s.name)}-{_slug(rid)}",
            paragraphs=[s.regimes[rid].description.strip()],
        )
        data, names, reused = self._regime_figures(s, rid, rows_by_run, banner)
        if reused:
            sub.notes.append(
                "Land, roads and rules are identical to a scenario shown earlier under this regime; the same maps apply."
            )
        for e in data.errors:
            sub.notes.append(self.note_unavailable(f"{s.name} / {rid}", e))
        sub.notes.extend(data.notes)
        if "travel" in names:
            sub.figures.append(
                Figure(
                    f"img/{names['travel']}",
                    f"Travel time map of {s.name} under {rid}",
                    f"Travel time (minutes) to the nearest {self.target} for {', '.join(c for c, _ in data.surfaces)}.",
                    banner,
                )
            )
        if data.chokepoints is not None:
            sub.figures.append(
                Figure(
                    f"img/{names['choke']}",
                    f"Chokepoint map of {s.name} under {rid}",
                    "Roads, junctions and crossings whose loss would cut off the most people or add the most person-hours; #N on the map is the rank in the table below.",
                    banner,
                )
            )
            sub.tables.append(
                Table(
                    "Chokepoints",
                    [
                        ("rank", "# (map)"),
                        ("place", "where"),
                        ("kind", "kind"),
                        ("people_cut_off", "people cut off if lost"),
                        ("person_hours_added", "person-hours added if lost"),
                        ("cut_off_settlements", "settlements cut off"),
                    ],
                    _records(data.chokepoints),
                    caption="persons; hours (one trip each); on the travel figures' vehicle network (roads joined to off-road travel where the data has land cover, so detours across terrain count; delimit chokepoints --roads-only ranks the roads alone); ranked by people cut off, then settlements cut off, then person-hours added; coordinates: delimit chokepoints --format csv",
                    empty="no chokepoint",
                )
            )
        return sub, data

    def _band_figure(self, s: Scenario, bands: dict[str, pd.Series], banner: str) -> Figure:
        """The chart of persons per travel-time band (minutes) under each regime of ``s``."""
        p = plots.band_chart(
            bands,
            self.fig_path(f"bands-{s.name}"),
            title=f"{s.name}: population by travel time to the nearest {self.target}, per regime",
            banner=banner,
            footer=f"Units: persons (settlement population; unknown populations not counted) per band of travel minutes. Each settlement travels as the resident class of the party holding it ({', '.join(headline_classes(s))}); settlements of other parties are not counted. Sources: {sources_text(s, ('settlements', 'roads'))}.",
        )
        return Figure(
            f"img/{p.name}",
            f"Population by travel-time band under each regime for {s.name}",
            f"Persons per band of travel minutes to the nearest {self.target}, each settlement as its holder's resident class ({', '.join(headline_classes(s))}).",
            banner,
        )

    def costs_section(self, c: Comparison, banner: str) -> Section:
        sec = Section("Cost estimate", f"costs-{_slug(c.scenario.name)}")
        if c.costs is None:
            sec.notes.append(
                "No cost estimate: no unit-cost file was given. delimit ships no default cost figures because none could be sourced."
            )
            return sec
        sec.tables.append(
            Table(
                f"Cost estimate ({c.costs.currency})",
                [
                    ("item", "item"),
                    ("quantity", "quantity"),
                    ("unit", "unit"),
                    ("unit_cost", f"unit cost ({c.costs.currency})"),
                    ("cost", f"cost ({c.costs.currency})"),
                ],
                c.costs.lines,
                caption=f"unit costs from: {c.costs.source}",
            )
        )
        sec.paragraphs.append(
            f"Total: {c.costs.total:,.0f} {c.costs.currency}. Assumptions: " + "; ".join(c.costs.assumptions) + "."
        )
        return sec

    def method_section(self) -> Section:
        sec = Section("Method, units and coordinate systems", "method")
        sec.paragraphs += [
            f"Areas: the two scenarios' territory layers are dissolved by party and overlaid in the {crs_in_words(self.frame.crs)} projection (exact areas; PROJ definition: {self.frame.crs.srs}); every map of this report is drawn in it. Land changing hands is counted per (from, to) pair; the balance per party sums to zero, so an equal-area swap shows as balanced.",
            "Lengths: roads and rivers are measured in the UTM zone of the data (metric CRS named in each table). A feature 'becomes shared' when it lies in one party's land before and in two or more after (the new line crosses it).",
            "People: a settlement changes country when the party holding its point differs between the baseline and the scenario. Population as recorded by the source (GeoNames or the cited supplement); 0 means unknown and is never counted as zero people.",
            f"Topology: enclaves, exclaves and necks (passages narrower than {self.neck_width_m:,.0f} m) from delimit.topology; changes match parts of the same party that overlap and necks of the same party within 2 km.",
            f"Access: travel times to the nearest {self.target} from delimit.access under each regime and traveller class, with the access engine's definitions: 'people newly cut off' is the population of settlements with a route under the baseline and none under the scenario; 'person-hours added' sums, over settlements reachable under both, population x extra minutes / 60 (one trip each; negative = faster). Settlements off the modelled network are counted apart ('not modelled'), never as cut off. Changes compare the scenario's default regime with the baseline's default regime, and every other regime with the baseline under the same regime.",
            "Costs: only from a unit-cost file supplied by the user, with its source printed next to the estimate; resettlement costs are an upper bound (everyone in a settlement changing country resettles).",
        ]
        return sec

    def sources_section(self) -> Section:
        sec = Section("Sources and provenance", "sources")
        rows = []
        for name in ("territory", "settlements", "roads", "crossings", "rivers", "water_bodies"):
            srcs: dict[str, set[str]] = {}
            for s in self.all:
                gdf = s.layer(name)
                if "source" in gdf.columns:
                    for src, st in zip(
                        gdf["source"].astype(str),
                        gdf["status"].astype(str) if "status" in gdf.columns else [""] * len(gdf),
                        strict=True,
                    ):
                        srcs.setdefault(src, set()).add(st)
            for src, sts in sorted(srcs.items()):
                rows.append({"layer": name, "status": ", ".join(sorted(sts)), "source": src})
        sec.tables.append(
            Table(
                "Data sources by layer",
                [("layer", "layer"), ("status", "status"), ("source", "source")],
                rows,
                caption="status other than registry, de-facto, reference or cited marks hand-made data",
            )
        )
        sec.tables.append(
            Table(
                "Inputs of each scenario",
                [
                    ("scenario", "scenario"),
                    ("role", "role"),
                    ("path", "file"),
                    ("version", "version"),
                    ("sha256", f"SHA-256 (first {HASH_DIGITS} hex digits)"),
                ],
                provenance_rows(self.all),
                caption="paths relative to delimit's bundled data (delimit:data/...) or to the folder the report was made in; full hashes in comparisons.json",
            )
        )
        sec.tables.append(
            Table(
                "Software",
                [("software", "software"), ("version", "version")],
                software_rows(),
                caption="the versions that computed every number of this report",
            )
        )
        return sec

    def credits_section(self) -> Section:
        sec = Section("Credits and licences", "credits")
        sec.paragraphs.append(attribution_text(self.credits))
        sec.tables.append(
            Table(
                "Data sources and their terms",
                [
                    ("source", "source"),
                    ("notice", "credit"),
                    ("licence", "licence"),
                    ("layers", "layers used"),
                    ("via", "obtained via"),
                ],
                credits_rows(self.credits),
                caption="every dataset any figure or table of this report was computed from; OpenStreetMap data is available under the Open Database Licence",
            )
        )
        return sec


def build_report(
    baseline: Scenario,
    scenarios: Sequence[Scenario],
    out_dir: str | Path,
    *,
    costs: UnitCosts | None = None,
    pdf: bool = False,
    neck_width_m: float = 1000.0,
    target: str = DEFAULT_TARGET,
    progress: ProgressFn | None = None,
    steps: StepFactory | None = None,
    single_file: bool = False,
    keep_going: bool = False,
) -> ReportResult:
    """Write the report of ``scenarios`` against ``baseline`` into ``out_dir`` (an empty folder).

    Parameters
    ----------
    costs: optional unit costs (a cost section per scenario; otherwise the report says there is none).
    pdf: also write ``report.pdf`` (weasyprint) from the same HTML.
    neck_width_m: neck threshold for the topology engine (metres).
    target: the access engine's travel target (default: regional centres).
    progress: optional ``(message, fraction)`` callback for the whole build.
    steps: optional factory of one progress callback per long step (the CLI passes
        :func:`delimit.cli.progress.progress_bar`); takes precedence over ``progress``.
    single_file: inline every image in ``index.html`` as a ``data:`` URI (one file to send by
        e-mail) and keep no ``img/`` folder.
    keep_going: if the topology or access engine fails on a scenario, leave that section out and
        name it (with the error) in a banner at the top of the report; without it the failure
        raises :class:`~delimit.impact.EngineFailure` and nothing is written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return _Builder(
        baseline, list(scenarios), out, costs, neck_width_m, target, progress, steps, single_file, keep_going
    ).run(pdf)
