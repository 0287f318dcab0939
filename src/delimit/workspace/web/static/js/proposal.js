// One proposal: the map of what moves (hatched, the same whoever proposes it) and its evaluation.
import { api, claimFeatures, context, evaluate, fitTo, legend, makeMap, progressUi, ready, renderEvaluation, say, showClaims, showError, showSections } from "./common.js";

const id = decodeURIComponent(location.pathname.split("/").pop()); // the shell never echoes the id: the API decides

async function runEvaluation(start) {
  try {
    const ev = await evaluate(id, { start, onProgress: progressUi });
    renderEvaluation("evaluation", ev);
    document.body.dataset.evaluated = ev.status;
  } catch (err) {
    if (err.status !== 404) showError(err);
  }
}

async function main() {
  let p;
  try {
    p = await api("GET", `/api/proposals/${id}`);
  } catch (err) {
    showError(err);
    for (const sel of [".split", ".actions"]) document.querySelector(sel).hidden = true; // nothing to show
    return;
  }
  document.querySelector("h1").textContent = p.title;
  document.getElementById("meta").textContent = `${p.name} · ${p.team} · v${p.version} · ${p.state}`;
  document.getElementById("compare-link").href = `/compare?left=status-quo&right=${p.id}`;
  const mine = p.team === context.you.team;
  const share = document.getElementById("share");
  share.hidden = !(mine && p.state === "draft" && context.you.role !== "observer");
  share.addEventListener("click", async () => {
    try {
      const q = await api("POST", `/api/proposals/${id}/share`, { based_on_version: p.version });
      say("proposal.shared_now");
      share.hidden = true;
      document.getElementById("meta").textContent = `${q.name} · ${q.team} · v${q.version} · ${q.state}`;
    } catch (err) {
      showError(err);
    }
  });
  const edit = document.getElementById("edit-link"); // a new private version of this proposal, on the drafting page
  edit.href = `/draft?from=${encodeURIComponent(p.id)}`;
  edit.hidden = context.you.role === "observer";
  document.getElementById("evaluate").hidden = context.you.role === "observer"; // observers may not start evaluations
  document.getElementById("evaluate").addEventListener("click", () => runEvaluation(true));
  const map = await makeMap("map");
  showClaims(map, p.document);
  fitTo(map, claimFeatures(p.document).map((f) => f.geometry));
  showSections(map, await api("GET", "/api/sections"));
  await legend("legend");
  ready();
  await runEvaluation(false);
}
main();
