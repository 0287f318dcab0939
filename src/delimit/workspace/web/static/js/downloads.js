// Downloads: the treaty annex of the agreed sections, and each visible proposal's scenario as JSON.
import { api, el, proposalLabel, ready, showError, tn } from "./common.js";

async function main() {
  try {
    const proposals = await api("GET", "/api/proposals");
    const body = document.querySelector("#proposals tbody");
    body.replaceChildren();
    for (const p of proposals) {
      const full = await api("GET", `/api/proposals/${p.id}`);
      const blob = new Blob([JSON.stringify(full.document, null, 1)], { type: "application/json" });
      const link = el("a", { href: URL.createObjectURL(blob), download: `${p.name}-v${p.version}.json` }, tn("downloads.scenario_json"));
      body.append(el("tr", {}, el("td", {}, proposalLabel(p)), el("td", {}, p.team), el("td", {}, link)));
    }
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
