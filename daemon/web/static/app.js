// tastebud's web page: keys, feedback, filter, detail, preview, live updates. Plain script,
// no build step; every request goes to this origin, every write carries the page token.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const pageToken = document.querySelector('meta[name="tastebud-page"]').content;
  const rows = $("rows");
  const filter = $("filter");
  const message = $("message");
  const audio = $("audio");
  const help = $("help");
  let selectedId = null;
  let detailFor = null;
  let version = null;

  const allRows = () => Array.from(rows.querySelectorAll("tr[data-id]"));
  const shownRows = () => allRows().filter((r) => !r.hidden);
  const current = () => rows.querySelector("tr.sel:not([hidden])");

  function say(text, bad) {
    message.textContent = text;
    message.classList.toggle("bad", Boolean(bad));
  }

  async function request(url, options) {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
    if (!response.ok) {
      let text = `${response.status} ${response.statusText}`;
      try { text = (await response.json()).error || text; } catch (_) { /* not JSON */ }
      throw new Error(text);
    }
    return response;
  }

  async function post(url, body) {
    const headers = { "Content-Type": "application/json", "X-Tastebud-Page": pageToken };
    const response = await request(url, { method: "POST", headers, body: JSON.stringify(body) });
    return response.json();
  }

  async function showDetail(id) {
    if (id === null || detailFor === id) return;
    detailFor = id;
    try {
      const html = await (await request(`/parts/track/${id}`)).text();
      if (detailFor === id) $("detail").innerHTML = html;
    } catch (e) {
      say(e.message, true);
    }
  }

  function select(row, scroll) {
    for (const r of rows.querySelectorAll("tr.sel")) {
      r.classList.remove("sel");
      r.removeAttribute("aria-selected");
    }
    if (!row) {
      selectedId = null;
      return;
    }
    row.classList.add("sel");
    row.setAttribute("aria-selected", "true");
    selectedId = row.dataset.id;
    if (scroll) row.scrollIntoView({ block: "nearest" });
    showDetail(selectedId);
  }

  function move(delta) {
    const list = shownRows();
    if (!list.length) return;
    const at = list.indexOf(current());
    const next = at < 0 ? 0 : Math.min(Math.max(at + delta, 0), list.length - 1);
    select(list[next], true);
  }

  function applyFilter(quiet) {
    const needle = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const r of allRows()) {
      r.hidden = needle !== "" && !r.dataset.find.includes(needle);
      if (!r.hidden) shown += 1;
    }
    if (!quiet) say(needle ? `filter "${needle}": ${shown} shown` : "");
    if (!current()) select(shownRows()[0] || null, false);
  }

  async function refreshQueue() {
    const before = shownRows().indexOf(current());
    const html = await (await request("/parts/queue")).text();
    rows.innerHTML = html;
    applyFilter(true);
    let row = selectedId === null ? null : rows.querySelector(`tr[data-id="${CSS.escape(selectedId)}"]`);
    if (!row || row.hidden) {
      const list = shownRows();
      row = list[Math.min(Math.max(before, 0), list.length - 1)] || null;
    }
    detailFor = null; // its rank or reasons may have changed too
    select(row, false);
  }

  async function refreshSide() {
    const box = document.createElement("div");
    box.innerHTML = await (await request("/parts/side")).text();
    for (const part of box.querySelectorAll("template[data-part]")) {
      $(part.dataset.part).replaceChildren(part.content.cloneNode(true));
    }
  }

  async function refresh() {
    await Promise.all([refreshQueue(), refreshSide()]);
  }

  async function feedback(action, row) {
    const target = row || current();
    if (!target && action !== "undo") {
      say("the queue is empty: nothing selected", true);
      return;
    }
    const body = action === "undo" ? { action } : { action, track: target.dataset.id };
    try {
      const done = await post("/api/feedback", body);
      say(done.message + (done.warning ? ` (${done.warning})` : ""));
      if (action === "undo") detailFor = null;
      await refresh();
    } catch (e) {
      say(e.message, true);
    }
  }

  function play() {
    const row = current();
    if (!row) return say("the queue is empty: nothing selected", true);
    if (row.dataset.audio !== "1") {
      return say(`no audio file of ${row.dataset.label} here: only tracks in the library folder or the audio cache play`, true);
    }
    audio.src = `/api/tracks/${row.dataset.id}/audio`;
    audio.play().then(
      () => say(`playing ${row.dataset.label}`),
      (e) => say(`cannot play ${row.dataset.label}: ${e.message}`, true),
    );
  }

  async function retry(job) {
    try {
      const done = await post("/api/retry", job ? { job } : {});
      say(done.message);
      await refreshSide();
    } catch (e) {
      say(e.message, true);
    }
  }

  async function poll() {
    try {
      const now = (await (await request("/api/changes")).json()).version;
      if (version !== null && now !== version) await refresh();
      version = now;
    } catch (_) { /* the next poll tries again */ }
  }

  const KEYS = {
    j: () => move(1),
    ArrowDown: () => move(1),
    k: () => move(-1),
    ArrowUp: () => move(-1),
    l: () => feedback("like"),
    d: () => feedback("dislike"),
    x: () => feedback("dismiss"),
    b: () => feedback("block"),
    u: () => feedback("undo"),
    p: play,
    "/": () => filter.focus(),
    "?": () => help.showModal(),
    Enter: () => $("detail-panel").scrollIntoView({ block: "nearest" }),
  };

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || help.open) return;
    if (e.target === filter) {
      if (e.key === "Enter" || e.key === "Escape") {
        if (e.key === "Escape") filter.value = "";
        applyFilter(false);
        filter.blur();
        e.preventDefault();
      }
      return;
    }
    if ((e.key === "Enter" || e.key === " ") && e.target.closest("button, a, audio")) return;
    const act = KEYS[e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  });

  rows.addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-id]");
    if (!row) return;
    select(row, false);
    const button = e.target.closest("button[data-act]");
    if (button) feedback(button.dataset.act, row);
  });
  filter.addEventListener("input", () => applyFilter(false));
  $("undo").addEventListener("click", () => feedback("undo"));
  $("play").addEventListener("click", play);
  $("help-button").addEventListener("click", () => help.showModal());
  $("health").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-retry]");
    if (button) retry(button.dataset.retry);
  });

  select(shownRows()[0] || null, false);
  poll();
  setInterval(poll, 3000);
})();
