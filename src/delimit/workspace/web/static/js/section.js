// A section: its line, its status, its acts, and the sign-off (or next step) for those entitled to it.
import { api, context, el, fitTo, legend, makeMap, ready, say, showError, showSections, t, tn, when } from "./common.js";

const id = decodeURIComponent(location.pathname.split("/").pop()); // the shell never echoes the id: the API decides
let map;

function render(s) {
  document.querySelector("h1").textContent = s.name;
  const facts = document.getElementById("facts");
  facts.replaceChildren(
    el("dt", {}, tn("section.status")), el("dd", { id: "section-status", dataset: { status: s.status } }, tn(`status.${s.status}`)),
    el("dt", {}, tn("section.next")), el("dd", {}, s.next_step ? tn(`step.${s.next_step}`) : "—"),
    el("dt", {}, tn("section.awaiting")), el("dd", {}, s.awaiting.join(", ") || "—"),
    el("dt", {}, tn("section.geometry_hash")), el("dd", { className: "hash" }, s.geometry_hash));
  document.getElementById("note").textContent = s.note || "";
  const body = document.querySelector("#acts tbody");
  body.replaceChildren();
  for (const a of s.acts) body.append(el("tr", {}, el("td", {}, tn(`step.${a.step}`)), el("td", {}, a.team), el("td", {}, a.account), el("td", {}, when(a.at))));
  const button = document.getElementById("act");
  const mayAct = s.next_step && s.awaiting.includes(context.you.team) && (context.you.role === "head" || (context.you.role === "mediator" && s.next_step === "enter_into_force"));
  button.hidden = !mayAct;
  if (mayAct) button.replaceChildren(tn(`act.${s.next_step}`));
  button.onclick = async () => {
    try {
      const next = await api("POST", `/api/sections/${id}/acts`, { step: s.next_step, geometry_hash: s.geometry_hash, based_on_version: s.version });
      say("section.acted", { step: t(`status.${next.status}`) });
      render(next);
    } catch (err) {
      showError(err);
    }
  };
  if (map) showSections(map, [s]);
}

async function main() {
  try {
    const s = await api("GET", `/api/sections/${id}`);
    map = await makeMap("map");
    render(s);
    fitTo(map, [s.geometry], 40);
    await legend("legend");
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
