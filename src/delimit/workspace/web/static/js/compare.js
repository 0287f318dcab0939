// Side by side: two proposals, or a proposal and the status quo, on synchronised maps; their figures in one table.
import { api, caveats, claimFeatures, el, evaluate, figures, fitTo, labelNode, legend, makeMap, proposalLabel, ready, showClaims, showError, showSections, t, tn } from "./common.js";

const SQ = "status-quo";
const params = new URLSearchParams(location.search);

function options(select, proposals, chosen) {
  select.replaceChildren(el("option", { value: SQ }, t("compare.status_quo")));
  for (const p of proposals) select.append(el("option", { value: p.id }, proposalLabel(p)));
  select.value = chosen && [...select.options].some((o) => o.value === chosen) ? chosen : SQ;
}

/** Keep two maps on the same view (moving either moves the other). */
function synchronise(a, b) {
  let busy = false;
  const follow = (from, to) => from.on("move", () => {
    if (busy) return;
    busy = true;
    to.jumpTo({ center: from.getCenter(), zoom: from.getZoom(), bearing: from.getBearing(), pitch: from.getPitch() });
    busy = false;
  });
  follow(a, b);
  follow(b, a);
}

async function side(id) {
  if (id === SQ) return { label: t("compare.status_quo"), doc: null, result: null };
  const p = await api("GET", `/api/proposals/${id}`);
  let ev;
  try {
    ev = await evaluate(id, { start: false });
  } catch (err) {
    if (err.status !== 404) throw err;
    ev = await evaluate(id, { start: true });
  }
  return { label: proposalLabel(p), doc: p.document, result: ev.status === "done" ? ev.result : null, failed: ev.status === "failed" ? ev.message : null };
}

function table(left, right) {
  const rows = new Map();
  const add = (result, col) => {
    if (!result) return;
    for (const [label, value] of figures(result)) {
      const key = JSON.stringify(label);
      if (!rows.has(key)) rows.set(key, { label, values: ["", ""] });
      rows.get(key).values[col] = value;
    }
  };
  add(left.result, 0);
  add(right.result, 1);
  const body = document.querySelector("#figures tbody");
  body.replaceChildren();
  const none = (s) => (s.doc === null ? t("compare.baseline_value") : s.failed || t("fig.not_evaluated"));
  for (const { label, values } of rows.values()) {
    body.append(el("tr", {}, el("th", { scope: "row" }, labelNode(label)), el("td", {}, values[0] || (left.result ? "—" : none(left))), el("td", {}, values[1] || (right.result ? "—" : none(right)))));
  }
  document.getElementById("fig-left").textContent = left.label;
  document.getElementById("fig-right").textContent = right.label;
  const box = document.getElementById("caveats");
  box.replaceChildren();
  for (const s of [left, right]) if (s.result) box.append(caveats(s.result));
}

async function main() {
  try {
    const proposals = await api("GET", "/api/proposals");
    const leftSel = document.getElementById("left");
    const rightSel = document.getElementById("right");
    options(leftSel, proposals, params.get("left"));
    options(rightSel, proposals, params.get("right"));
    document.getElementById("pick").addEventListener("submit", (e) => {
      e.preventDefault();
      location.assign(`/compare?left=${encodeURIComponent(leftSel.value)}&right=${encodeURIComponent(rightSel.value)}`);
    });
    const [mapL, mapR, sections] = await Promise.all([makeMap("map-left"), makeMap("map-right"), api("GET", "/api/sections")]);
    synchronise(mapL, mapR);
    await legend("legend");
    const [left, right] = await Promise.all([side(leftSel.value), side(rightSel.value)]);
    document.getElementById("left-h").textContent = left.label;
    document.getElementById("right-h").textContent = right.label;
    for (const [map, s] of [[mapL, left], [mapR, right]]) { showClaims(map, s.doc); showSections(map, sections); }
    fitTo(mapL, [...claimFeatures(left.doc), ...claimFeatures(right.doc)].map((f) => f.geometry)); // the right map follows
    table(left, right);
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
