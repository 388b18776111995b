// The web outbox's behaviour: live rows (server-sent events), keyboard moves, the controls
// (which call the control plane's own API) and "what if". No build step, no dependencies.
"use strict";

const tenant = document.body.dataset.tenant;
const api = (path) => `/_sandbox/tenants/${encodeURIComponent(tenant)}${path}`;

function say(id, text, bad) {
  const place = document.getElementById(id);
  if (!place) return;
  place.textContent = text;  // text, never HTML: whatever the server says is shown as is
  place.className = bad ? "reason" : "";
}

async function call(method, path, body) {
  const response = await fetch(api(path), {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = text; }
  if (!response.ok) {
    const message = parsed && parsed.error ? parsed.error.message : `${response.status}`;
    throw new Error(message);
  }
  return parsed;
}

// --- tenant switcher ---------------------------------------------------------------------
const switcher = document.getElementById("tenant-switcher");
if (switcher) {
  switcher.addEventListener("change", () => {
    if (switcher.value) location.href = `/_sandbox/ui/tenants/${encodeURIComponent(switcher.value)}`;
  });
}

// --- keyboard: j/k move, Enter opens, / searches -----------------------------------------
let selected = -1;
function rows() { return Array.from(document.querySelectorAll("tr.row")); }
function select(index) {
  const all = rows();
  if (!all.length) return;
  selected = Math.max(0, Math.min(index, all.length - 1));
  all.forEach((row, i) => row.classList.toggle("selected", i === selected));
  all[selected].scrollIntoView({ block: "nearest" });
}
document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if (typing) {
    if (event.key === "Escape") document.activeElement.blur();
    return;
  }
  if (event.key === "j") select(selected + 1);
  else if (event.key === "k") select(selected - 1);
  else if (event.key === "Enter" && selected >= 0) {
    const href = rows()[selected].dataset.href;
    if (href) location.href = href;
  } else if (event.key === "/") {
    const search = document.getElementById("search");
    if (search) { event.preventDefault(); search.focus(); }
  }
});

// --- live outbox: each recorded message refreshes the rows, rendered by the server -------
const live = document.getElementById("rows");
if (live && tenant && live.dataset.live === "true" && window.EventSource) {
  let busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const url = new URL(location.href);
      url.searchParams.set("fragment", "rows");
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      if (response.ok) {
        const known = new Set(rows().map((row) => row.dataset.id));
        live.innerHTML = await response.text();  // server-rendered and escaped
        rows().forEach((row) => { if (!known.has(row.dataset.id)) row.classList.add("flash"); });
        if (selected >= 0) select(selected);
      }
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  const events = new EventSource(api("/events"));
  events.addEventListener("message", refresh);
  document.body.dataset.live = "connecting";
  events.addEventListener("open", () => { document.body.dataset.live = "open"; });
}

// --- controls ----------------------------------------------------------------------------
async function control(action, form) {
  if (action === "freeze") {
    const frozen = document.getElementById("clock").dataset.frozen === "true";
    await call("PUT", "/clock", { frozen: !frozen });
  } else if (action === "advance") {
    await call("POST", "/clock/advance", { seconds: Number(form.seconds.value) });
  } else if (action === "set") {
    await call("PUT", "/clock", { now: form.now.value.trim() });
  } else if (action === "clear-outbox") {
    if (!confirm("Empty this tenant's outbox?")) return;
    await call("DELETE", "/outbox");
  } else if (action === "reset") {
    if (!confirm("Reset this tenant to its fixture?")) return;
    await call("POST", "/reset");
  }
  location.reload();
}
document.querySelectorAll(".controls [data-action]").forEach((element) => {
  const run = (event) => {
    event.preventDefault();
    control(element.dataset.action, element).catch((error) => say("control-result", error.message, true));
  };
  element.addEventListener(element.tagName === "FORM" ? "submit" : "click", run);
});

// --- what if -----------------------------------------------------------------------------
const explain = document.getElementById("explain");
if (explain) {
  explain.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    for (const [name, value] of new FormData(explain).entries()) {
      if (String(value).trim()) body[name] = String(value).trim();
    }
    try {
      const answer = await call("POST", "/explain", body);
      const place = document.getElementById("explain-result");
      place.textContent = "";
      const head = document.createElement("p");
      const verdict = answer.status === "SUPPRESSED" ? `suppressed (${answer.reason})` : "delivered";
      head.textContent = `A ${body.channel} to ${body.to} now would be ${verdict}.`;
      head.className = answer.status === "SUPPRESSED" ? "reason" : "";
      place.appendChild(head);
      const list = document.createElement("ol");
      list.className = "trace";
      for (const step of answer.decision) {
        const item = document.createElement("li");
        item.className = step.outcome;
        item.textContent = `${step.outcome.replace("_", " ")} ${step.rule}: ${step.detail}`;
        list.appendChild(item);
      }
      place.appendChild(list);
    } catch (error) {
      say("explain-result", error.message, true);
    }
  });
  document.querySelectorAll("button.what-if").forEach((button) => {
    button.addEventListener("click", () => {
      for (const name of ["vendor", "channel", "to", "from", "list_id"]) {
        const field = explain.elements[name];
        if (field) field.value = button.dataset[name] || "";
      }
      explain.scrollIntoView({ block: "nearest" });
      explain.requestSubmit();
    });
  });
}
