// Downloads: the treaty annex of the agreed sections (text, and zipped with its maps), and for each visible
// proposal its scenario (JSON), its report (one HTML file), its treaty annex (zip) and its GeoPackage.
// A file the server is still preparing answers 202: the link shows "preparing…" and the page asks again.
import { api, el, proposalLabel, ready, showError, t, tn } from "./common.js";

/** Per proposal: [kind, URL suffix, message key, file suffix, expected media type]. */
const FILES = [
  ["report", "report", "downloads.report_link", "report.html", "text/html"],
  ["annex", "annex", "downloads.annex_link", "annex.zip", "application/zip"],
  ["geopackage", "geopackage", "downloads.geopackage_link", "gpkg", "application/geopackage+sqlite3"],
];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fileName(response, fallback) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(response.headers.get("content-disposition") || "");
  return m ? decodeURIComponent(m[1]) : fallback;
}

/** Fetch a file, asking again while the server answers 202 (preparing), then hand it to the browser. */
async function fetchFile(link) {
  const prep = link.parentElement.querySelector(".prep");
  if (link.dataset.state === "busy") return;
  link.dataset.state = "busy";
  link.setAttribute("aria-busy", "true");
  try {
    let r = await fetch(link.href, { credentials: "same-origin" });
    for (let tries = 0; r.status === 202 && tries < 600; tries++) {
      prep.replaceChildren(tn("downloads.preparing"));
      link.dataset.state = "preparing";
      const wait = Math.min(5, Number(r.headers.get("retry-after")) || 1);
      await sleep(wait * 1000);
      r = await fetch(link.href, { credentials: "same-origin" });
    }
    if (r.status === 404 || r.status === 405) { prep.replaceChildren(tn("downloads.not_offered")); link.dataset.state = "absent"; return; }
    if (!r.ok) {
      const body = (r.headers.get("content-type") || "").includes("json") ? await r.json() : null;
      prep.replaceChildren(el("span", { className: "error" }, tn("error.prefix"), " ", (body && body.detail) || `HTTP ${r.status}`));
      link.dataset.state = "failed";
      return;
    }
    const type = r.headers.get("content-type") || "";
    if (!type.startsWith(link.dataset.type) && /text\/plain|json/.test(type)) {
      // an older server answers the plain annex whatever the format asked: not the file this link promises
      prep.replaceChildren(tn("downloads.not_offered"));
      link.dataset.state = "absent";
      return;
    }
    const blob = await r.blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: fileName(r, link.dataset.file) });
    document.body.append(a);
    a.click();
    a.remove();
    prep.replaceChildren(tn("downloads.done", { size: (blob.size / 1024).toFixed(1) }));
    link.dataset.state = "done";
  } catch (err) {
    showError(err);
    link.dataset.state = "failed";
  } finally {
    link.removeAttribute("aria-busy");
  }
}

function fileLink(p, [kind, suffix, key, ext, type]) {
  const link = el("a", { href: `/api/proposals/${p.id}/${suffix}`, dataset: { kind, file: `${p.name}-v${p.version}-${ext}`.replace(/-gpkg$/, ".gpkg"), type } }, tn(key));
  link.addEventListener("click", (e) => { e.preventDefault(); fetchFile(link); });
  return el("td", {}, link, " ", el("span", { className: "prep", "aria-live": "polite" }));
}

async function main() {
  const zip = document.getElementById("annex-zip");
  zip.addEventListener("click", (e) => { e.preventDefault(); fetchFile(zip); });
  try {
    const proposals = await api("GET", "/api/proposals");
    const body = document.querySelector("#proposals tbody");
    body.replaceChildren();
    for (const p of proposals) {
      const full = await api("GET", `/api/proposals/${p.id}`);
      const blob = new Blob([JSON.stringify(full.document, null, 1)], { type: "application/json" });
      const json = el("a", { href: URL.createObjectURL(blob), download: `${p.name}-v${p.version}.json` }, tn("downloads.scenario_json"));
      body.append(el("tr", { dataset: { proposal: p.id } }, el("td", {}, proposalLabel(p)), el("td", {}, p.team), el("td", {}, json), ...FILES.map((f) => fileLink(p, f))));
    }
    if (!proposals.length) body.append(el("tr", {}, el("td", { colSpan: 6 }, t("downloads.none"))));
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
