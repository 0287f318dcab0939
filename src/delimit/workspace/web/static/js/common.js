// Shared by every page: messages, the JSON API (session cookie + CSRF token on writes), the offline map.
// Nothing here requests anything outside this server.

const read = (id) => JSON.parse(document.getElementById(id).textContent);
export const messages = read("messages");
export const context = read("context");

/** The message `key` with {name} placeholders filled in (the key itself if unknown). */
export function t(key, values = {}) {
  const entry = messages[key];
  let text = entry ? entry[0] : key;
  for (const [k, v] of Object.entries(values)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

/** A span holding the message; a fallback (another language's text) is marked with that language. */
export function tn(key, values = {}) {
  const span = document.createElement("span");
  span.textContent = t(key, values);
  const entry = messages[key];
  if (entry && entry[1] !== context.lang) {
    span.lang = entry[1];
    span.className = "fallback";
  }
  return span;
}

/** Element helper: el("td", {className: "x"}, child, "text", ...). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("aria-") || k === "role" || k === "scope") node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

export function say(key, values = {}, kind = "info") {
  const status = document.getElementById("status");
  status.replaceChildren(tn(key, values));
  status.className = kind;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.detail ? body.detail : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Call the JSON API; writes carry the page's CSRF token. Throws ApiError on an error status. */
export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = context.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(url, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && context.page !== "login") {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, null);
  }
  if (r.status === 204) return null;
  const type = r.headers.get("content-type") || "";
  const data = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

export function showError(err) {
  const status = document.getElementById("status");
  status.replaceChildren(tn("error.prefix"), " ", err.message || String(err));
  status.className = "error";
}

// ---- formatting -------------------------------------------------------------------------------------------
export const fmt = (x, digits = 2) => (x === null || x === undefined ? t("value.unknown") : Number(x).toLocaleString(context.lang, { maximumFractionDigits: digits, minimumFractionDigits: 0 }));
export const when = (iso) => new Date(iso).toLocaleString(context.lang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC";

// ---- the map ----------------------------------------------------------------------------------------------
/** Section status -> line colour and dash (independent of the party palette; the legend spells it out). */
export const SECTION_STYLE = {
  negotiating: { color: "#555555", dash: [2, 1.5] },
  agreed_ad_referendum: { color: "#000000", dash: [1, 0] },
  initialled: { color: "#7a3b69", dash: [1, 0] },
  signed: { color: "#7a3b69", dash: [1, 0] },
  ratified: { color: "#7a3b69", dash: [1, 0] },
  in_force: { color: "#3b3b7a", dash: [1, 0] },
  demarcated: { color: "#3b3b7a", dash: [1, 0] },
};

let basemapPromise = null;
export function loadBasemap() {
  basemapPromise ??= api("GET", "/api/basemap");
  return basemapPromise;
}

/** The hatch every claim is drawn with, whoever makes it (diagonal black lines on transparent). */
function hatchImage(size = 12) {
  const c = document.createElement("canvas");
  c.width = c.height = size;
  const g = c.getContext("2d");
  g.strokeStyle = "rgba(0,0,0,0.85)";
  g.lineWidth = 1.5;
  g.beginPath();
  for (const o of [-size, 0, size]) { g.moveTo(o, size); g.lineTo(o + size, 0); }
  g.stroke();
  return g.getImageData(0, 0, size, size);
}

const EMPTY = { type: "FeatureCollection", features: [] };

/** A style with only this server's data: no tiles, no glyphs, no sprites. */
function style(base) {
  const fill = ["match", ["get", "party"]];
  for (const [p, c] of Object.entries(base.colours)) fill.push(p, c);
  fill.push("#dddddd");
  const src = (name) => ({ type: "geojson", data: base.layers[name] });
  return {
    version: 8,
    sources: { territory: src("territory"), rivers: src("rivers"), roads: src("roads"), settlements: src("settlements"), crossings: src("crossings"),
      sections: { type: "geojson", data: EMPTY }, claims: { type: "geojson", data: EMPTY }, drawing: { type: "geojson", data: EMPTY },
      parcels: { type: "geojson", data: EMPTY, promoteId: "parcel_id" }, neutral: { type: "geojson", data: EMPTY }, editing: { type: "geojson", data: EMPTY },
      // the relief: this server's hillshade of the dataset's DEM (an image with its corners, no tiles)
      hillshade: { type: "image", url: base.hillshade.url, coordinates: base.hillshade.coordinates } },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#f4f4f0" } },
      { id: "hillshade", type: "raster", source: "hillshade", paint: { "raster-opacity": 0.55, "raster-fade-duration": 0 } },
      { id: "territory", type: "fill", source: "territory", paint: { "fill-color": fill, "fill-opacity": 0.45 } },
      { id: "territory-edge", type: "line", source: "territory", paint: { "line-color": "#444444", "line-width": 0.6 } },
      { id: "rivers", type: "line", source: "rivers", paint: { "line-color": "#3a7fbf", "line-width": 1.4 } },
      { id: "roads", type: "line", source: "roads", paint: { "line-color": "#5a4a3a", "line-width": 1.6, "line-dasharray": ["case", ["==", ["get", "status"], "schematic"], ["literal", [3, 2]], ["literal", [1, 0]]] } },
      { id: "neutral-roads", type: "line", source: "neutral", paint: { "line-color": "#000000", "line-width": 5, "line-opacity": 0.8 } },
      { id: "neutral-roads-core", type: "line", source: "neutral", paint: { "line-color": "#ffffff", "line-width": 2, "line-dasharray": [1, 1] } },
      { id: "parcels", type: "fill", source: "parcels", paint: { "fill-color": "#000000", "fill-opacity": ["case", ["boolean", ["feature-state", "picked"], false], 0.35, 0.02] } },
      { id: "parcels-edge", type: "line", source: "parcels", paint: { "line-color": "#333333", "line-width": ["case", ["boolean", ["feature-state", "picked"], false], 2, 0.5] } },
      { id: "claims", type: "fill", source: "claims", paint: { "fill-pattern": "hatch" } },
      { id: "claims-edge", type: "line", source: "claims", paint: { "line-color": "#000000", "line-width": 1.5 } },
      { id: "sections-casing", type: "line", source: "sections", paint: { "line-color": "#ffffff", "line-width": 7 } },
      { id: "sections", type: "line", source: "sections", paint: { "line-color": ["get", "color"], "line-width": 4, "line-dasharray": ["case", ["==", ["get", "status"], "negotiating"], ["literal", [2, 1.5]], ["literal", [1, 0]]] } },
      { id: "settlements", type: "circle", source: "settlements", paint: { "circle-radius": 3, "circle-color": "#222222", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } },
      { id: "crossings", type: "circle", source: "crossings", paint: { "circle-radius": 4, "circle-color": "#ffffff", "circle-stroke-color": "#000000", "circle-stroke-width": 2 } },
      { id: "drawing-fill", type: "fill", source: "drawing", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-pattern": "hatch" } },
      { id: "drawing-line", type: "line", source: "drawing", paint: { "line-color": "#000000", "line-width": 2 } },
      { id: "drawing-vertex", type: "circle", source: "drawing", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 5, "circle-color": "#ffffff", "circle-stroke-color": "#000000", "circle-stroke-width": 2 } },
      { id: "editing-line", type: "line", source: "editing", paint: { "line-color": "#7a3b69", "line-width": 3 } },
      { id: "editing-vertex", type: "circle", source: "editing", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 6, "circle-color": "#ffffff", "circle-stroke-color": "#7a3b69", "circle-stroke-width": 3 } },
    ],
  };
}

function bounds(geojson) {
  let w = 180, s = 90, e = -180, n = -90;
  const walk = (c) => { if (typeof c[0] === "number") { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  walk(geojson.coordinates);
  return [[w, s], [e, n]];
}

/** Zoom the map to some GeoJSON geometries (no animation); nothing happens for an empty list. */
export function fitTo(map, geometries, padding = 60) {
  const gs = geometries.filter(Boolean);
  if (!gs.length) return;
  const [[w, s], [e, n]] = bounds({ coordinates: gs.map((g) => g.coordinates) });
  map.fitBounds([[w, s], [e, n]], { padding, duration: 0, maxZoom: 13 });
}

/** HTML labels of the larger settlements (no glyphs are ever loaded). */
function labels(map, base) {
  const known = base.layers.settlements.features.filter((f) => f.properties.population > 0).sort((a, b) => b.properties.population - a.properties.population).slice(0, 25);
  for (const f of known) {
    const node = el("span", { className: "place-label" }, f.properties.name);
    const marker = new maplibregl.Marker({ element: node, anchor: "left", offset: [5, 0] }).setLngLat(f.geometry.coordinates).addTo(map);
    marker.getElement().removeAttribute("tabindex"); // a label, not a control: out of the tab order
    marker.getElement().removeAttribute("role");
  }
}

/** A map of the base data in `container` (an element id); resolves once its style is loaded. */
export async function makeMap(container, { interactive = true } = {}) {
  const base = await loadBasemap();
  attribution(base);
  const map = new maplibregl.Map({ container, style: style(base), bounds: bounds(base.window), fitBoundsOptions: { padding: 10 }, attributionControl: false, interactive, maxZoom: 16 });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  await new Promise((resolve) => map.on("load", resolve));
  map.addImage("hatch", hatchImage());
  labels(map, base);
  (window.delimitMaps ??= {})[container] = map; // for scripts and the browser tests: the page's maps by container id
  return map;
}

export function attribution(base) {
  const p = document.getElementById("attribution");
  if (p && !p.dataset.done) {
    p.replaceChildren(tn("map.sources"), " ", base.attribution, " ", tn("map.crs"), " ", base.crs);
    p.dataset.done = "1";
  }
}

/** Draw the sections, coloured by status. */
export function showSections(map, sections) {
  map.getSource("sections").setData({ type: "FeatureCollection", features: sections.map((s) => ({ type: "Feature", geometry: s.geometry, properties: { id: s.id, name: s.name, status: s.status, color: SECTION_STYLE[s.status].color } })) });
}

/** The transfer polygons of a stored proposal's document as GeoJSON features (hatched as claims). */
export function claimFeatures(doc) {
  const features = [];
  if (!doc) return features;
  const transfers = (doc.scenario && doc.scenario.transfers) || [];
  for (const tr of transfers) {
    const path = tr.geometry && tr.geometry.path;
    const fc = path && doc.geometry ? doc.geometry[path] : null;
    for (const f of (fc && fc.features) || []) features.push({ type: "Feature", geometry: f.geometry, properties: { transfer: tr.id, from: tr.from, to: tr.to } });
  }
  return features;
}

/** Draw a proposal's transfers (hatched) and, unless `neutral` is false, the roads its regimes make neutral. */
export function showClaims(map, doc, { neutral = true } = {}) {
  map.getSource("claims").setData({ type: "FeatureCollection", features: claimFeatures(doc) });
  if (!neutral) return;
  const ids = new Set(((doc && doc.scenario && doc.scenario.regimes) || []).flatMap((r) => r.neutral_roads || []));
  loadBasemap().then((base) => map.getSource("neutral").setData({ type: "FeatureCollection", features: base.layers.roads.features.filter((f) => ids.has(f.properties.road_id)) }));
}

/** The legend: party colours (by sorted id), the claim hatch, roads, section statuses. */
export async function legend(target, { sections = true } = {}) {
  const base = await loadBasemap();
  const list = el("ul", { className: "legend-list" });
  for (const [p, c] of Object.entries(base.colours)) {
    list.append(el("li", {}, el("span", { className: "swatch", style: `background:${c}`, "aria-hidden": "true" }), `${p} — ${base.parties[p]}`));
  }
  list.append(el("li", {}, el("span", { className: "swatch hatch", "aria-hidden": "true" }), tn("legend.claim")));
  list.append(el("li", {}, el("span", { className: "swatch road-schematic", "aria-hidden": "true" }), tn("legend.road_schematic")));
  list.append(el("li", {}, el("span", { className: "swatch neutral-road", "aria-hidden": "true" }), tn("legend.neutral_road")));
  list.append(el("li", {}, el("span", { className: "swatch relief", "aria-hidden": "true" }), tn("legend.relief")));
  if (sections) for (const s of ["negotiating", "agreed_ad_referendum"]) {
    list.append(el("li", {}, el("span", { className: `swatch line-${s}`, "aria-hidden": "true" }), tn(`status.${s}`)));
  }
  document.getElementById(target).replaceChildren(el("h3", {}, tn("legend.title")), list);
}

// ---- evaluations -------------------------------------------------------------------------------------------
/** Start (or reuse) the evaluation of a proposal and follow its progress; resolves with the finished one. */
export async function evaluate(proposalId, { start = true, onProgress = () => {} } = {}) {
  let ev = start ? await api("POST", `/api/proposals/${proposalId}/evaluation`) : await api("GET", `/api/proposals/${proposalId}/evaluation`);
  onProgress(ev);
  while (ev.status === "queued" || ev.status === "running") {
    await new Promise((r) => setTimeout(r, 300));
    ev = await api("GET", `/api/proposals/${proposalId}/evaluation`);
    onProgress(ev);
  }
  return ev;
}

export function progressUi(ev) {
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");
  bar.hidden = false;
  bar.value = ev.progress;
  text.replaceChildren(tn(`eval.${ev.status}`), ` ${Math.round(ev.progress * 100)} % — ${ev.message}`);
}

const caveatKey = (mark) => (messages[`caveat.${mark}`] ? `caveat.${mark}` : "caveat.other");

/** Figures of one evaluation result as rows [label key, value text] (for one proposal or side by side). */
export function figures(result) {
  const rows = [];
  const land = result.land || [];
  if (!land.length) rows.push(["fig.land_none", "—"]);
  for (const f of land) rows.push([["fig.land_moves", { from: f.from, to: f.to }], `${fmt(f.area_km2, 3)} km²`]);
  for (const b of result.land_balance || []) if (b.gained_km2 || b.lost_km2) rows.push([["fig.net", { party: b.party }], `${b.net_km2 > 0 ? "+" : ""}${fmt(b.net_km2, 3)} km²`]);
  for (const p of result.people || []) {
    rows.push([["fig.people", { from: p.from, to: p.to }], t("fig.people_value", { settlements: p.settlements, population: fmt(p.population, 0), unknown: p.population_unknown })]);
  }
  for (const s of result.settlements_changing_country || []) rows.push([["fig.settlement", { name: s.name }], `${s.from} → ${s.to}` + (s.population ? ` (${fmt(s.population, 0)})` : ` (${t("value.unknown_population")})`)]);
  for (const f of result.feature_flows || []) rows.push([["fig.feature_flow", { layer: t(`layer.${f.layer}`), from: f.from, to: f.to }], `${fmt(f.amount, 2)} ${f.unit}`]);
  const topo = result.topology || {};
  rows.push(["fig.topology", topo.available ? t("fig.topology_value", { added: (topo.enclaves_added || []).length, removed: (topo.enclaves_removed || []).length, necks: (topo.necks || []).length }) : t("fig.not_evaluated")]);
  if (result.access_status && result.access_status.available) {
    for (const a of result.access || []) {
      rows.push([["fig.access_row", { regime: a.regime, traveller: a.class }], t("fig.access_value", { cut: fmt(a.people_cut_off, 0), gaining: fmt(a.people_gaining_access, 0), hours: fmt(a.person_hours_added, 1) })]);
    }
  } else rows.push(["fig.access", t("fig.not_evaluated")]);
  return rows;
}

export function labelNode(label) {
  return Array.isArray(label) ? tn(label[0], label[1]) : tn(label);
}

/** The data caveats of a result: every layer whose data are schematic or illustrative, and the CRS used. */
export function caveats(result) {
  const box = el("div", { className: "caveats" }, el("h3", {}, tn("eval.caveats")));
  const ul = el("ul");
  for (const [layer, marks] of Object.entries(result.data_marks || {})) for (const m of marks) ul.append(el("li", {}, tn(caveatKey(m), { layer: t(`layer.${layer}`), mark: m })));
  if (result.people && result.people.some((p) => p.population_unknown)) ul.append(el("li", {}, tn("caveat.population_unknown")));
  if (result.crs) ul.append(el("li", {}, tn("caveat.crs"), ` ${result.crs.areas}; ${result.crs.lengths}`));
  box.append(ul);
  return box;
}

export function renderEvaluation(target, ev) {
  const box = document.getElementById(target);
  if (ev.status === "failed") { box.replaceChildren(el("p", { className: "error" }, tn("eval.failed"), " ", ev.message)); return; }
  if (ev.status !== "done") return;
  const table = el("table", { className: "figures" }, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, tn("compare.figure")), el("th", { scope: "col" }, tn("fig.value")))));
  const body = el("tbody");
  for (const [label, value] of figures(ev.result)) body.append(el("tr", {}, el("th", { scope: "row" }, labelNode(label)), el("td", {}, value)));
  table.append(body);
  box.replaceChildren(table, caveats(ev.result));
}

/** Mark the page as showing its data (what tests wait for; the benchmark reads the 'delimit-ready' mark). */
export function ready() {
  performance.mark("delimit-ready");
  document.body.dataset.ready = "1";
}

export function proposalLabel(p) {
  return `${p.title} (${p.team}, v${p.version})`;
}

document.addEventListener("DOMContentLoaded", () => {
  const sel = document.getElementById("lang-select");
  if (sel) sel.addEventListener("change", () => sel.form.submit());
  const out = document.getElementById("logout");
  if (out) out.addEventListener("click", async () => { await api("POST", "/api/auth/logout"); location.assign("/login"); });
});
