// Drafting: draw or edit a transfer polygon, pick parcels of a grid, move a section of the line, mark neutral
// roads; save it all as a private draft of your delegation (a new version when editing a proposal, through the
// server's versions route) and watch the engines evaluate it.
import { api, claimFeatures, context, el, evaluate, fitTo, loadBasemap, makeMap, progressUi, ready, renderEvaluation, say, showClaims, showError, showSections, t, tn } from "./common.js";

const EMPTY = { type: "FeatureCollection", features: [] };
const DRAWN_PATH = "geometry/transfer.geojson";
const round6 = (x) => Number(x.toFixed(6));
const state = {
  tool: "draw",
  vertices: [], // the polygon being drawn or edited, [lon, lat] without the closing vertex
  drawnTransfer: null, // id of the edited proposal's transfer the polygon stands for (null: a new one)
  origin: null, // the proposal being edited (with its document), or null for a new draft
  working: null, // the draft this page saves into (created from the origin through the versions route)
  grid: null, // {bbox, size_m, parcels}
  picked: new Set(),
  parcelTransfers: [], // from the server: [{id, from, to, geometry, parcels}]
  neutral: new Map(), // road id -> road name
  sections: [],
  section: null, // the section being moved and its edited line
  sectionCoords: [],
  pressedVertex: false, // the last mouse press was on a vertex (so its click adds none)
};
let map;
let base;

// ---- what the draft holds ---------------------------------------------------------------------------------
function ring() {
  return state.vertices.length >= 3 ? [...state.vertices, state.vertices[0]] : null;
}

function summary() {
  const list = document.getElementById("summary");
  const items = [];
  if (ring()) items.push(tn("draft.holds_polygon", { n: state.vertices.length }));
  for (const tr of state.parcelTransfers) items.push(tn("draft.holds_parcels", { n: tr.parcels, from: tr.from, to: tr.to }));
  const kept = keptTransfers().length;
  if (kept) items.push(tn("draft.holds_kept", { n: kept }));
  if (state.neutral.size) items.push(tn("draft.holds_neutral", { n: state.neutral.size, regime: document.getElementById("regime-pick").value }));
  if (!items.length) items.push(tn("draft.holds_nothing"));
  list.replaceChildren(...items.map((x) => el("li", {}, x)));
  showClaims(map, { scenario: { transfers: [...keptTransfers(), ...state.parcelTransfers.map((tr) => ({ id: tr.id, geometry: { path: `parcels:${tr.id}` } }))] }, geometry: { ...originGeometry(), ...Object.fromEntries(state.parcelTransfers.map((tr) => [`parcels:${tr.id}`, { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: tr.geometry }] }])) } }, { neutral: false });
}

const originScenario = () => (state.origin ? state.origin.document.scenario : null);
const originGeometry = () => (state.origin ? state.origin.document.geometry : {});

/** The origin's transfers this page keeps unchanged: all but the edited polygon's and earlier picked parcels'. */
function keptTransfers() {
  const trs = (originScenario() && originScenario().transfers) || [];
  return trs.filter((tr) => tr.id !== state.drawnTransfer && !parcelTransfers().some((p) => p.id === tr.id));
}

/** The picked parcels' transfers, named after the draft: ``<name>-parcels-<from>-to-<to>``. */
function parcelTransfers() {
  const name = document.getElementById("name").value || "draft";
  return state.parcelTransfers.map((tr) => ({ ...tr, id: `${name}-parcels-${tr.from.toLowerCase()}-to-${tr.to.toLowerCase()}` }));
}

/** The draft as the API takes it: scenario (JSON is valid YAML: the same scenario file model as the CLI) and geometry files. */
function draftBody() {
  const name = document.getElementById("name").value;
  const scenario = structuredClone(originScenario() || { schema_version: 1 });
  Object.assign(scenario, { name, title: document.getElementById("title").value, status: "claimed" });
  const geometry = structuredClone(originGeometry());
  const fc = (g) => ({ type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: g }] });
  const transfers = keptTransfers();
  if (ring()) {
    const old = ((originScenario() && originScenario().transfers) || []).find((tr) => tr.id === state.drawnTransfer);
    const path = (old && old.geometry && old.geometry.path) || DRAWN_PATH;
    geometry[path] = fc({ type: "Polygon", coordinates: [ring()] });
    transfers.push({ id: state.drawnTransfer || name, from: document.getElementById("from").value, to: document.getElementById("to").value, status: "claimed", source: (old && old.source) || `drawn on the workspace map by ${context.you.username}`, geometry: { path } });
  }
  for (const tr of parcelTransfers()) {
    const path = `geometry/${tr.id}.geojson`;
    geometry[path] = fc(tr.geometry);
    transfers.push({ id: tr.id, from: tr.from, to: tr.to, status: "claimed", source: `${tr.parcels} parcels picked on a hex:${state.grid.size_m}m grid by ${context.you.username}`, geometry: { path } });
  }
  scenario.transfers = transfers;
  if (!transfers.length) delete scenario.transfers;
  const used = new Set(transfers.map((tr) => tr.geometry && tr.geometry.path));
  for (const k of Object.keys(geometry)) if (!used.has(k) && isTransferFile(k)) delete geometry[k]; // no transfer uses it any more
  applyNeutralRoads(scenario);
  return { scenario: JSON.stringify(scenario, null, 1), geometry };
}

/** A geometry file some transfer of the origin pointed at (dropped when no transfer uses it any more). */
function isTransferFile(path) {
  const trs = (originScenario() && originScenario().transfers) || [];
  return path === DRAWN_PATH || trs.some((tr) => tr.geometry && tr.geometry.path === path) || path.includes("-parcels-");
}

/** The marked roads become the ``neutral_roads`` of the chosen regime (a copy of the baseline's, by the same id). */
function applyNeutralRoads(scenario) {
  const id = document.getElementById("regime-pick").value;
  const regimes = scenario.regimes || [];
  let regime = regimes.find((r) => r.id === id);
  if (!regime && !state.neutral.size) return;
  if (!regime) {
    regime = { id, ...structuredClone(base.regimes[id]) };
    regimes.push(regime);
  }
  regime.neutral_roads = [...state.neutral.keys()].sort();
  if (!regime.neutral_roads.length) delete regime.neutral_roads;
  scenario.regimes = regimes;
}

// ---- drawing and dragging ---------------------------------------------------------------------------------
function redraw() {
  const features = state.vertices.map((v, i) => ({ type: "Feature", geometry: { type: "Point", coordinates: v }, properties: { i } }));
  if (state.vertices.length >= 2) features.push({ type: "Feature", geometry: { type: "LineString", coordinates: ring() || state.vertices }, properties: {} });
  if (ring()) features.push({ type: "Feature", geometry: { type: "Polygon", coordinates: [ring()] }, properties: {} });
  map.getSource("drawing").setData({ type: "FeatureCollection", features });
  document.getElementById("vertices").textContent = t("draft.vertex_count", { n: state.vertices.length });
  summary();
}

/** Let the points of `layer` be dragged: `move(i, [lon, lat])` while dragging, `done()` after. */
function draggable(layer, tool, move, done) {
  map.on("mousedown", layer, (e) => {
    if (state.tool !== tool || !e.features.length) return;
    e.preventDefault(); // no map pan while a point is dragged
    state.pressedVertex = true;
    const i = e.features[0].properties.i;
    const onMove = (m) => move(i, [round6(m.lngLat.lng), round6(m.lngLat.lat)]);
    map.on("mousemove", onMove);
    map.once("mouseup", () => { map.off("mousemove", onMove); map.getCanvas().dataset.dragged = String(Date.now()); done(); });
  });
  map.on("mouseenter", layer, () => { if (state.tool === tool) map.getCanvas().style.cursor = "move"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = state.tool === "road" || state.tool === "parcels" ? "pointer" : "crosshair"; });
}

function onMapClick(e) {
  const near = (layer) => map.queryRenderedFeatures([[e.point.x - 6, e.point.y - 6], [e.point.x + 6, e.point.y + 6]], { layers: [layer] });
  if (state.tool === "draw") {
    if (state.pressedVertex) return; // a vertex was pressed (to drag it), not a new one placed
    state.vertices.push([round6(e.lngLat.lng), round6(e.lngLat.lat)]);
    redraw();
  } else if (state.tool === "parcels") {
    const hit = map.queryRenderedFeatures(e.point, { layers: ["parcels"] });
    if (hit.length) togglePicked(String(hit[0].properties.parcel_id));
  } else if (state.tool === "road") {
    const hit = near("roads");
    if (hit.length) toggleNeutral(String(hit[0].properties.road_id), hit[0].properties.name);
  }
}

// ---- parcels ----------------------------------------------------------------------------------------------
async function loadParcels() {
  const b = map.getBounds();
  const size = document.getElementById("parcel-size").value;
  const q = new URLSearchParams({ west: b.getWest().toFixed(4), south: b.getSouth().toFixed(4), east: b.getEast().toFixed(4), north: b.getNorth().toFixed(4), size_m: size });
  say("draft.parcels_preparing");
  document.body.dataset.parcels = "loading";
  try {
    state.grid = await api("GET", `/api/parcels?${q}`);
    state.picked.clear();
    state.parcelTransfers = [];
    map.getSource("parcels").setData(state.grid.parcels);
    say("draft.parcels_ready", { n: state.grid.parcels.features.length, units: state.grid.units });
    document.body.dataset.parcels = String(state.grid.parcels.features.length);
    countPicked();
    summary();
  } catch (err) {
    document.body.dataset.parcels = "failed";
    showError(err);
  }
}

function countPicked() {
  document.getElementById("parcel-count").textContent = t("draft.parcels_picked", { n: state.picked.size });
}

let pickSeq = 0;
async function togglePicked(id) {
  const on = !state.picked.has(id);
  if (on) state.picked.add(id); else state.picked.delete(id);
  map.setFeatureState({ source: "parcels", id }, { picked: on });
  countPicked();
  const seq = ++pickSeq;
  document.body.dataset.picking = "busy";
  try {
    let transfers = [];
    if (state.picked.size) {
      const [w, s, e, n] = state.grid.bbox;
      const q = new URLSearchParams({ west: w, south: s, east: e, north: n, size_m: state.grid.size_m, pick: [...state.picked].sort().join(",") });
      transfers = (await api("GET", `/api/parcels/transfers?${q}`)).transfers;
    }
    if (seq !== pickSeq) return; // a later pick is on its way
    state.parcelTransfers = transfers;
    summary();
    document.body.dataset.picking = String(state.picked.size);
  } catch (err) {
    showError(err);
  }
}

function clearParcels() {
  for (const id of state.picked) map.setFeatureState({ source: "parcels", id }, { picked: false });
  state.picked.clear();
  state.parcelTransfers = [];
  countPicked();
  summary();
}

// ---- neutral roads ----------------------------------------------------------------------------------------
function showNeutral() {
  const features = base.layers.roads.features.filter((f) => state.neutral.has(f.properties.road_id));
  map.getSource("neutral").setData({ type: "FeatureCollection", features });
  const list = document.getElementById("neutral-list");
  list.replaceChildren(...[...state.neutral].map(([id, name]) => {
    const drop = el("button", { type: "button", className: "link", dataset: { road: id } }, tn("draft.road_unmark"));
    drop.addEventListener("click", () => toggleNeutral(id, name));
    return el("li", { dataset: { road: id } }, `${name || id} (${id}) `, drop);
  }));
  document.body.dataset.neutral = String(state.neutral.size);
  summary();
}

function toggleNeutral(id, name) {
  if (state.neutral.has(id)) state.neutral.delete(id); else state.neutral.set(id, name || "");
  say(state.neutral.has(id) ? "draft.road_marked" : "draft.road_unmarked", { road: name || id });
  showNeutral();
}

// ---- moving a section of the line -------------------------------------------------------------------------
function showSectionEdit() {
  const coords = state.sectionCoords;
  const features = coords.length ? [{ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: {} }, ...coords.map((c, i) => ({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: { i } }))] : [];
  map.getSource("editing").setData({ type: "FeatureCollection", features });
}

function pickSection() {
  const id = document.getElementById("section-pick").value;
  state.section = state.sections.find((s) => s.id === id) || null;
  state.sectionCoords = state.section && state.section.geometry.type === "LineString" ? structuredClone(state.section.geometry.coordinates) : [];
  document.getElementById("section-note").textContent = state.section && state.section.note ? state.section.note : "";
  showSectionEdit();
  if (state.section && state.tool === "section") fitTo(map, [state.section.geometry], 80);
}

async function saveSection() {
  if (!state.section) return;
  try {
    const sec = await api("PUT", `/api/sections/${state.section.id}/geometry`, { based_on_version: state.section.version, geometry: { type: "LineString", coordinates: state.sectionCoords } });
    state.sections = state.sections.map((s) => (s.id === sec.id ? sec : s));
    state.section = sec;
    showSections(map, state.sections);
    fillSectionPicker();
    document.getElementById("section-note").textContent = sec.note || "";
    say("draft.section_saved", { name: sec.name, status: t(`status.${sec.status}`) });
    document.body.dataset.sectionSaved = sec.status;
  } catch (err) {
    showError(err);
  }
}

/** The sections whose line may still move, in the picker (labelled with their status), keeping the choice. */
function fillSectionPicker() {
  const sel = document.getElementById("section-pick");
  const chosen = sel.value;
  const movable = state.sections.filter((s) => s.status === "negotiating" || s.status === "agreed_ad_referendum");
  sel.replaceChildren(...movable.map((s) => el("option", { value: s.id, selected: s.id === chosen }, `${s.name} — ${t(`status.${s.status}`)}`)));
  return movable;
}

async function loadSections() {
  state.sections = await api("GET", "/api/sections");
  showSections(map, state.sections);
  const movable = fillSectionPicker();
  const may = context.you.role === "head" || context.you.role === "mediator";
  document.getElementById("save-section").disabled = !may || !movable.length;
  if (!may) document.getElementById("section-note").textContent = t("draft.section_heads_only");
  pickSection();
}

// ---- the tools ------------------------------------------------------------------------------------------
function setTool(tool) {
  state.tool = tool;
  for (const name of ["draw", "parcels", "section", "road"]) document.getElementById(`tool-${name}`).hidden = name !== tool;
  map.getCanvas().style.cursor = tool === "draw" ? "crosshair" : tool === "section" ? "grab" : "pointer";
  map.setLayoutProperty("parcels", "visibility", tool === "parcels" || state.picked.size ? "visible" : "none");
  map.setLayoutProperty("parcels-edge", "visibility", tool === "parcels" || state.picked.size ? "visible" : "none");
  if (tool === "section") pickSection();
  document.body.dataset.tool = tool;
}

// ---- loading an existing proposal to edit -------------------------------------------------------------------
async function loadOrigin(id) {
  const p = await api("GET", `/api/proposals/${id}`);
  state.origin = p;
  const sc = p.document.scenario;
  document.getElementById("name").value = sc.name;
  document.getElementById("title").value = sc.title || "";
  const note = document.getElementById("editing-from");
  note.replaceChildren(tn("draft.editing", { title: p.title, version: p.version, team: p.team }));
  note.hidden = false;
  // the first transfer drawn as one polygon becomes editable: its vertices can be dragged, added, removed
  for (const tr of sc.transfers || []) {
    const fc = tr.geometry && tr.geometry.path ? p.document.geometry[tr.geometry.path] : null;
    const feats = (fc && fc.features) || [];
    if (feats.length === 1 && feats[0].geometry.type === "Polygon" && feats[0].geometry.coordinates.length === 1) {
      state.drawnTransfer = tr.id;
      state.vertices = feats[0].geometry.coordinates[0].slice(0, -1);
      document.getElementById("from").value = tr.from;
      document.getElementById("to").value = tr.to;
      break;
    }
  }
  const regime = (sc.regimes || []).find((r) => (r.neutral_roads || []).length);
  if (regime && base.regimes[regime.id]) document.getElementById("regime-pick").value = regime.id;
  const names = Object.fromEntries(base.layers.roads.features.map((f) => [f.properties.road_id, f.properties.name]));
  for (const rid of (regime && regime.neutral_roads) || []) state.neutral.set(rid, names[rid] || "");
  return p;
}

// ---- saving -----------------------------------------------------------------------------------------------
async function save(e) {
  e.preventDefault();
  if (state.vertices.length && !ring()) { say("draft.need_three", {}, "error"); return; }
  if (!ring() && !state.parcelTransfers.length && !state.neutral.size && !keptTransfers().length) { say("draft.need_something", {}, "error"); return; }
  try {
    const body = draftBody();
    let p;
    if (state.origin && !state.working) {
      // editing: a new version of the proposal, through the server's versions route, then the change
      const copy = await api("POST", `/api/proposals/${state.origin.id}/versions`);
      state.working = copy;
    }
    if (state.working) p = await api("PUT", `/api/proposals/${state.working.id}`, { based_on_version: state.working.version, ...body });
    else p = await api("POST", "/api/proposals", body);
    state.working = p;
    say("draft.saved", { title: p.title });
    const link = document.getElementById("open-link");
    link.href = `/proposals/${p.id}`;
    link.hidden = false;
    document.body.dataset.proposal = p.id;
    delete document.body.dataset.evaluated;
    const ev = await evaluate(p.id, { onProgress: progressUi });
    renderEvaluation("evaluation", ev);
    document.body.dataset.evaluated = ev.status;
  } catch (err) {
    showError(err);
  }
}

async function main() {
  const parties = context.parties;
  for (const [id, pick] of [["from", parties[0]], ["to", parties[1]]]) {
    const sel = document.getElementById(id);
    for (const p of parties) sel.append(el("option", { value: p }, p));
    sel.value = pick;
  }
  document.getElementById("parcel-size").append(...[250, 400, 600, 1000].map((m) => el("option", { value: String(m), selected: m === 400 }, t("draft.parcel_size_value", { m }))));
  document.getElementById("draft-form").addEventListener("submit", save);
  document.getElementById("undo").addEventListener("click", () => { state.vertices.pop(); redraw(); });
  document.getElementById("clear").addEventListener("click", () => { state.vertices.length = 0; redraw(); });
  document.getElementById("load-parcels").addEventListener("click", loadParcels);
  document.getElementById("clear-parcels").addEventListener("click", clearParcels);
  document.getElementById("section-pick").addEventListener("change", pickSection);
  document.getElementById("save-section").addEventListener("click", saveSection);
  document.getElementById("reset-section").addEventListener("click", pickSection);
  for (const r of document.querySelectorAll("input[name=tool]")) r.addEventListener("change", () => setTool(r.value));
  try {
    base = await loadBasemap();
    const regimes = document.getElementById("regime-pick");
    regimes.replaceChildren(...Object.keys(base.regimes).map((id) => el("option", { value: id, selected: id === base.default_regime }, id)));
    regimes.addEventListener("change", summary);
    map = await makeMap("map");
    map.doubleClickZoom.disable();
    map.on("mousedown", () => { state.pressedVertex = false; }); // before the vertices' own handlers
    map.on("click", onMapClick);
    draggable("drawing-vertex", "draw", (i, ll) => { state.vertices[i] = ll; redraw(); }, () => {});
    draggable("editing-vertex", "section", (i, ll) => { state.sectionCoords[i] = ll; showSectionEdit(); }, () => { document.body.dataset.sectionMoved = "1"; });
    const from = new URLSearchParams(location.search).get("from");
    if (from) await loadOrigin(from);
    await loadSections();
    const claims = state.origin ? claimFeatures(state.origin.document).map((f) => f.geometry) : [];
    fitTo(map, claims.length ? claims : state.sections.map((x) => x.geometry), 80); // open on the draft, or the line being negotiated
    setTool("draw");
    redraw();
    showNeutral();
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
