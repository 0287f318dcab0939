// The history: every event this delegation may see, newest first, and whether the whole chain verifies.
import { api, el, ready, showError, t, tn, when } from "./common.js";

async function main() {
  try {
    const [verify, events] = await Promise.all([api("GET", "/api/history/verify"), api("GET", "/api/history?limit=500")]);
    const v = document.getElementById("verify");
    v.className = verify.ok ? "verify ok" : "verify broken";
    v.dataset.ok = String(verify.ok);
    v.replaceChildren(verify.ok ? tn("history.chain_ok") : tn("history.chain_broken", { event: verify.broken_event || "?", reason: verify.reason }));
    const ol = document.getElementById("timeline");
    ol.replaceChildren();
    for (const e of events) {
      const what = e.payload.step ? t(`step.${e.payload.step}`) : e.payload.title || e.payload.name || "";
      ol.append(el("li", { dataset: { kind: e.kind } },
        el("time", { dateTime: e.at }, when(e.at)), " ",
        el("strong", {}, tn(`event.${e.kind}`)), ` ${what} — ${e.actor} (${e.team}) `,
        el("code", { className: "hash", title: e.hash }, e.hash.slice(0, 12))));
    }
    ready();
  } catch (err) {
    showError(err);
  }
}
main();
