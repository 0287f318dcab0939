// Drafting: click on the map to add the vertices of a transfer polygon, save it as a private draft of your
// delegation and watch the engines evaluate it.
import { api, context, el, evaluate, fitTo, makeMap, progressUi, ready, renderEvaluation, say, showError, showSections, t } from "./common.js";

const vertices = [];
let map;

function ring() {
  return vertices.length >= 3 ? [[...vertices, vertices[0]]] : null;
}

function redraw() {
  const features = vertices.map((v) => ({ type: "Feature", geometry: { type: "Point", coordinates: v }, properties: {} }));
  if (vertices.length >= 2) features.push({ type: "Feature", geometry: { type: "LineString", coordinates: ring() ? ring()[0] : vertices }, properties: {} });
  if (ring()) features.push({ type: "Feature", geometry: { type: "Polygon", coordinates: ring() }, properties: {} });
  map.getSource("drawing").setData({ type: "FeatureCollection", features });
  document.getElementById("vertices").textContent = t("draft.vertex_count", { n: vertices.length });
}

/** The draft as the API takes it: scenario YAML (JSON-quoted scalars are valid YAML) and its geometry file. */
function draftBody() {
  const q = JSON.stringify;
  const name = document.getElementById("name").value;
  const scenario = [
    "schema_version: 1", `name: ${q(name)}`, `title: ${q(document.getElementById("title").value)}`, "status: claimed",
    "transfers:", `  - id: ${q(name)}`, `    from: ${q(document.getElementById("from").value)}`, `    to: ${q(document.getElementById("to").value)}`,
    "    status: claimed", `    source: ${q(`drawn on the workspace map by ${context.you.username}`)}`, "    geometry: {path: geometry/transfer.geojson}", "",
  ].join("\n");
  const geometry = { "geometry/transfer.geojson": { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: ring() } }] } };
  return { scenario, geometry };
}

async function save(e) {
  e.preventDefault();
  if (!ring()) { say("draft.need_three", {}, "error"); return; }
  try {
    const p = await api("POST", "/api/proposals", draftBody());
    say("draft.saved", { title: p.title });
    const link = document.getElementById("open-link");
    link.href = `/proposals/${p.id}`;
    link.hidden = false;
    document.body.dataset.proposal = p.id;
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
  document.getElementById("draft-form").addEventListener("submit", save);
  document.getElementById("undo").addEventListener("click", () => { vertices.pop(); redraw(); });
  document.getElementById("clear").addEventListener("click", () => { vertices.length = 0; redraw(); });
  try {
    map = await makeMap("map");
    map.doubleClickZoom.disable();
    map.getCanvas().style.cursor = "crosshair";
    map.on("click", (ev) => { vertices.push([Number(ev.lngLat.lng.toFixed(6)), Number(ev.lngLat.lat.toFixed(6))]); redraw(); });
    const sections = await api("GET", "/api/sections");
    showSections(map, sections);
    fitTo(map, sections.map((x) => x.geometry), 80); // open on the line being negotiated (the whole window if none yet)
    redraw();
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
