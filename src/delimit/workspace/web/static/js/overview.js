// The overview: the line coloured by section status, the pipeline negotiating -> demarcated, who acts next.
import { api, context, el, fitTo, legend, makeMap, proposalLabel, ready, showError, showSections, tn } from "./common.js";

const STATUSES = ["negotiating", "agreed_ad_referendum", "initialled", "signed", "ratified", "in_force", "demarcated"];

function pipeline(sections) {
  const ol = document.getElementById("pipeline");
  ol.replaceChildren();
  for (const s of STATUSES) {
    const n = sections.filter((x) => x.status === s).length;
    ol.append(el("li", { className: n ? "has" : "" }, tn(`status.${s}`), el("span", { className: "count" }, ` ${n}`)));
  }
}

function sectionRows(sections) {
  const body = document.querySelector("#sections tbody");
  body.replaceChildren();
  for (const s of sections) {
    const awaiting = s.awaiting.length ? s.awaiting.join(", ") : "—";
    body.append(el("tr", { dataset: { status: s.status, section: s.id } },
      el("td", {}, el("a", { href: `/sections/${s.id}` }, s.name)),
      el("td", {}, tn(`status.${s.status}`)),
      el("td", {}, s.next_step ? tn(`step.${s.next_step}`) : "—"),
      el("td", {}, awaiting)));
  }
}

function proposalRows(proposals) {
  const body = document.querySelector("#proposals tbody");
  body.replaceChildren();
  if (!proposals.length) body.append(el("tr", {}, el("td", { colSpan: 4 }, tn("proposal.none"))));
  for (const p of proposals) {
    body.append(el("tr", { dataset: { proposal: p.id } },
      el("td", {}, el("a", { href: `/proposals/${p.id}` }, p.title)),
      el("td", {}, p.team), el("td", {}, tn(`state.${p.state}`)), el("td", {}, `v${p.version}`)));
  }
}

async function main() {
  try {
    const [sections, proposals] = await Promise.all([api("GET", "/api/sections"), api("GET", "/api/proposals")]);
    pipeline(sections);
    sectionRows(sections);
    proposalRows(proposals);
    const map = await makeMap("map");
    showSections(map, sections);
    fitTo(map, sections.map((s) => s.geometry), 80);
    await legend("legend");
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
