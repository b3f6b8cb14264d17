// The operator's page (GET /admin): participants with live thumbnails and scores, moderation
// (approve, hide, show, kick, ban), scenes and their shader inputs, the cue, outputs and health.
// State arrives as Server-Sent Events (GET /api/v1/events, read with fetch so the admin token
// goes in a header, never in a URL); thumbnails are fetched a few a second, round-robin over the
// cards on screen. window.tesseraAdmin exposes the state (tests).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const kTokenKey = "tessera-admin-token";
  // Thumbnails: at most this many requests a second in all, each card at most once a second.
  const kThumbsPerSecond = 8;
  const kThumbMinPeriodMs = 1000;

  const admin = {
    token: sessionStorage.getItem(kTokenKey) || "",
    feeds: new Map(),  // id -> feed (as the events send it)
    health: null,
    outputs: [],
    scenes: [],
    scene: null,
    shaders: [],
    events: 0,
    bytes: 0,
    thumbs: 0,
    link: "connecting",
    firstStateMs: null,
  };
  window.tesseraAdmin = admin;

  const cards = new Map();  // id -> {el, thumbAt, url, visible}
  let stream = null;  // the AbortController of the event stream

  function auth(extra) {
    return Object.assign({ Authorization: "Bearer " + admin.token }, extra || {});
  }

  function announce(text) {
    $("announce").textContent = "";
    // A change of text is what screen readers announce.
    setTimeout(() => { $("announce").textContent = text; }, 30);
  }

  async function api(method, path, body) {
    const init = { method, headers: auth(), cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    let data = null;
    try { data = await r.json(); } catch (e) { /* no body */ }
    if (r.status === 401) signOut("The admin token was refused: sign in again.");
    return { status: r.status, data };
  }

  // --- Signing in -------------------------------------------------------------------------

  async function signIn(token) {
    admin.token = token;
    const r = await fetch("/api/v1/moderation", { headers: auth(), cache: "no-store" });
    if (r.status === 200) {
      sessionStorage.setItem(kTokenKey, token);
      start();
      return;
    }
    admin.token = "";
    sessionStorage.removeItem(kTokenKey);
    $("login-error").textContent = r.status === 403
      ? "The admin API is off: set [http] admin_token in the installation file."
      : "That token is not the admin token.";
    $("token").focus();
  }

  function signOut(message) {
    admin.token = "";
    sessionStorage.removeItem(kTokenKey);
    if (stream) stream.abort();
    stream = null;
    document.body.dataset.state = "signed-out";
    $("console").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  function start() {
    document.body.dataset.state = "signed-in";
    $("login").hidden = true;
    $("console").hidden = false;
    admin.startedMs = performance.now();
    loadScenes();
    streamEvents();
  }

  // --- The event stream -------------------------------------------------------------------

  function setLink(state, text) {
    admin.link = state;
    $("link").dataset.state = state;
    $("link").textContent = text;
  }

  async function streamEvents() {
    const ctrl = new AbortController();
    stream = ctrl;
    try {
      const r = await fetch("/api/v1/events", { headers: auth(), cache: "no-store",
                                                signal: ctrl.signal });
      if (r.status === 401) { signOut("The admin token was refused: sign in again."); return; }
      if (r.status !== 200) throw new Error("HTTP " + r.status);
      setLink("live", "live");
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        admin.bytes += value.length;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          onBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (ctrl.signal.aborted) return;
    }
    if (stream !== ctrl || !admin.token) return;
    setLink("reconnecting", "reconnecting…");
    setTimeout(() => { if (stream === ctrl && admin.token) streamEvents(); }, 2000);
  }

  function onBlock(block) {
    let name = null;
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (!name || !data) return;  // a comment (keepalive) or the retry hint
    admin.events += 1;
    const value = JSON.parse(data);
    if (name === "feeds") onFeeds(value);
    else if (name === "health") onHealth(value);
    else if (name === "outputs") onOutputs(value);
    else if (name === "moderation") onModeration(value);
  }

  // --- Participants -----------------------------------------------------------------------

  const observer = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const e of entries) {
      const card = cards.get(Number(e.target.dataset.id));
      if (card) card.visible = e.isIntersecting;
    }
  }) : null;

  function onFeeds(change) {
    if (change.reset) {
      for (const id of Array.from(admin.feeds.keys())) removeCard(id);
      admin.feeds.clear();
    }
    for (const f of change.upsert) {
      admin.feeds.set(f.id, f);
      renderCard(f);
    }
    for (const id of change.remove) {
      admin.feeds.delete(id);
      removeCard(id);
    }
    if (admin.firstStateMs === null) admin.firstStateMs = performance.now() - admin.startedMs;
    updateCount();
  }

  function label(f) {
    return (f.source === "whip" ? "Phone " : f.source === "pull" ? "Stream " : "Synthetic ") + f.id;
  }

  function renderCard(f) {
    let card = cards.get(f.id);
    if (!card) {
      const el = $("feed-template").content.firstElementChild.cloneNode(true);
      el.dataset.id = f.id;
      el.querySelectorAll("button").forEach((b) => b.addEventListener("click", onAction));
      card = { el, thumbAt: 0, url: null, visible: !observer };
      cards.set(f.id, card);
      insertInOrder(el, f.id);
      if (observer) observer.observe(el);
    }
    const el = card.el;
    const name = label(f);
    el.dataset.state = f.state;
    el.dataset.hidden = String(f.hidden);
    el.dataset.source = f.source;
    el.setAttribute("aria-label", name);
    el.querySelector(".feed-name").textContent = name;
    el.querySelector(".thumb").alt = name + (f.hidden ? " (hidden)" : "");
    el.querySelector(".badge").textContent =
      f.state === "waiting" ? "waiting" : f.hidden ? "hidden" : f.state;
    const sync = f.sync ? `sync ${f.sync.state}${f.sync.latency_ms ? " " + f.sync.latency_ms + " ms" : ""}` : "";
    el.querySelector(".feed-meta").textContent =
      `~${f.fps} fps · ${sync}${f.on_canvas ? " · on canvas" : ""}`;
    const s = f.scores || {};
    el.querySelector(".feed-scores").textContent = s.brightness === undefined ? "no scores yet"
      : `light ${s.brightness} · motion ${s.motion} · faces ${s.faces}` +
        (s.frozen ? " · frozen" : "") + (s.black ? " · black" : "");
    const show = (action, on) => { el.querySelector(`[data-action=${action}]`).hidden = !on; };
    show("approve", f.state === "waiting");
    show("hide", !f.hidden);
    show("show", f.hidden);
    show("ban", f.source === "whip");
    el.querySelectorAll("button").forEach((b) => {
      const verb = b.dataset.action;
      b.setAttribute("aria-label", `${verb[0].toUpperCase()}${verb.slice(1)} ${name}`);
    });
    applyFilter(el);
  }

  function insertInOrder(el, id) {
    const list = $("feeds");
    for (const other of list.children) {
      if (Number(other.dataset.id) > id) { list.insertBefore(el, other); return; }
    }
    list.appendChild(el);
  }

  function removeCard(id) {
    const card = cards.get(id);
    if (!card) return;
    if (observer) observer.unobserve(card.el);
    if (card.url) URL.revokeObjectURL(card.url);
    card.el.remove();
    cards.delete(id);
  }

  function applyFilter(el) {
    const f = admin.feeds.get(Number(el.dataset.id));
    const filter = $("filter").value;
    el.hidden = !!f && !(filter === "all" || (filter === "waiting" && f.state === "waiting") ||
                         (filter === "hidden" && f.hidden) || (filter === "whip" && f.source === "whip"));
  }

  function updateCount() {
    const n = admin.feeds.size;
    const waiting = Array.from(admin.feeds.values()).filter((f) => f.state === "waiting").length;
    $("feed-count").textContent = `(${n}${waiting ? `, ${waiting} waiting` : ""})`;
    $("empty").hidden = n > 0;
  }

  const pastTense = { approve: "approved", hide: "hidden", show: "shown", kick: "kicked",
                      ban: "banned" };

  async function onAction(ev) {
    const button = ev.currentTarget;
    const verb = button.dataset.action;
    const id = Number(button.closest(".feed").dataset.id);
    const f = admin.feeds.get(id);
    const name = f ? label(f) : "feed " + id;
    // A ban asks twice: the first press arms the button for a few seconds.
    if (verb === "ban" && button.dataset.armed !== "1") {
      button.dataset.armed = "1";
      button.classList.add("confirm");
      button.textContent = "Confirm ban";
      announce(`Press again to ban ${name} for the rest of the show.`);
      setTimeout(() => disarm(button), 4000);
      return;
    }
    disarm(button);
    button.disabled = true;
    const r = verb === "kick" ? await api("DELETE", `/api/v1/feeds/${id}`)
                              : await api("POST", `/api/v1/feeds/${id}/${verb}`);
    button.disabled = false;
    if (r.status === 200) announce(`${name} ${pastTense[verb]}.`);
    else announce(`Could not ${verb} ${name}: ${(r.data && r.data.detail) || r.status}`);
  }

  function disarm(button) {
    if (button.dataset.armed !== "1") return;
    button.dataset.armed = "0";
    button.classList.remove("confirm");
    button.textContent = "Ban";
  }

  // Thumbnails: one request at a time per tick, the card shown longest ago first.
  let thumbsInFlight = 0;
  setInterval(() => {
    if (!admin.token || thumbsInFlight >= 2 || document.hidden) return;
    const now = performance.now();
    let visible = 0;
    let best = null;
    for (const [id, card] of cards) {
      if (!card.visible || card.el.hidden) continue;
      visible += 1;
      if (!best || card.thumbAt < best[1].thumbAt) best = [id, card];
    }
    const period = Math.max(kThumbMinPeriodMs, (visible * 1000) / kThumbsPerSecond);
    if (!best || now - best[1].thumbAt < period) return;
    loadThumb(best[0], best[1], now);
  }, 1000 / kThumbsPerSecond);

  async function loadThumb(id, card, now) {
    card.thumbAt = now;
    thumbsInFlight += 1;
    try {
      const r = await fetch(`/api/v1/feeds/${id}/thumbnail.jpg`, { headers: auth(),
                                                                   cache: "no-store" });
      if (r.status === 200 && cards.get(id) === card) {
        const url = URL.createObjectURL(await r.blob());
        const img = card.el.querySelector(".thumb");
        img.src = url;
        if (card.url) URL.revokeObjectURL(card.url);
        card.url = url;
        card.el.dataset.thumb = "1";
        admin.thumbs += 1;
      }
    } catch (e) { /* the next round retries */ }
    thumbsInFlight -= 1;
  }

  // --- Health, outputs, the log -------------------------------------------------------------

  function onHealth(h) {
    admin.health = h;
    $("installation").textContent = h.installation || "tessera";
    document.title = `Operator · ${h.installation || "tessera"}`;
    $("health-status").textContent = h.status;
    $("health-status").dataset.status = h.status;
    $("health-fps").textContent = h.fps;
    $("health-feeds").textContent = `${h.live_feeds}/${h.feeds}`;
    $("health-workers").textContent = h.workers;
    $("health-delay").textContent = `${h.sync_delay_ms} ms`;
    $("degraded").hidden = !h.degraded;
    $("degraded").textContent = (h.degraded || []).join("; ") +
      (h.shader_errors ? ` ${h.shader_errors} shader file(s) do not compile.` : "");
    if (h.scene !== admin.scene) {
      admin.scene = h.scene;
      renderScenes();
      loadParams();
    }
  }

  function onOutputs(list) {
    admin.outputs = list;
    const body = $("outputs");
    body.textContent = "";
    if (!list.length) {
      body.innerHTML = '<tr><td colspan="4" class="muted">none</td></tr>';
      return;
    }
    for (const o of list) {
      const tr = document.createElement("tr");
      for (const v of [o.kind, o.uri, o.state + (o.last_error ? ` (${o.last_error})` : ""),
                       o.bitrate_kbps]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  function onModeration(m) {
    $("bans").textContent = m.bans ? `(${m.bans} banned)` : "";
    const log = $("log");
    for (const a of m.actions) {
      const li = document.createElement("li");
      const at = new Date(a.at).toLocaleTimeString();
      li.textContent = `${at} ${a.action} feed ${a.feed} by ${a.by}`;
      log.insertBefore(li, log.firstChild);
    }
    while (log.children.length > 50) log.removeChild(log.lastChild);
  }

  // --- Scenes and shader inputs -------------------------------------------------------------

  async function loadScenes() {
    const r = await api("GET", "/api/v1/scenes");
    if (r.status !== 200) return;
    admin.scenes = r.data.scenes.map((s) => s.name);
    if (!admin.scene) admin.scene = r.data.current;
    renderScenes();
    loadParams();
  }

  function renderScenes() {
    const box = $("scenes");
    box.textContent = "";
    for (const name of admin.scenes) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "button small-button";
      b.textContent = name;
      b.setAttribute("aria-pressed", String(name === admin.scene));
      b.addEventListener("click", () => switchScene(name));
      box.appendChild(b);
    }
  }

  async function switchScene(name) {
    const r = await api("POST", "/api/v1/scene", { name });
    if (r.status === 200) {
      admin.scene = name;
      renderScenes();
      loadParams();
      announce(`Scene ${name}.`);
    } else {
      announce(`Could not switch to ${name}: ${(r.data && r.data.detail) || r.status}`);
    }
  }

  async function loadParams() {
    const scene = admin.scene;
    const r = await api("GET", "/api/v1/params");
    if (r.status !== 200 || scene !== admin.scene) return;
    admin.shaders = r.data.shaders.filter((s) => s.scene === scene);
    renderInputs(scene);
  }

  const toHex = (rgb) => "#" + rgb.slice(0, 3).map((v) =>
    Math.round(Math.min(1, Math.max(0, v)) * 255).toString(16).padStart(2, "0")).join("");

  function renderInputs(scene) {
    const box = $("inputs");
    box.textContent = "";
    $("inputs-scene").textContent = `(${scene})`;
    let count = 0;
    for (const shader of admin.shaders) {
      for (const p of shader.params) {
        const control = makeControl(scene, shader, p);
        if (control) { box.appendChild(control); count += 1; }
      }
    }
    if (!count) box.innerHTML = '<p class="muted">This scene has no shader inputs.</p>';
  }

  let controlIds = 0;
  function makeControl(scene, shader, p) {
    const row = document.createElement("div");
    row.className = "input";
    row.dataset.input = p.name;
    row.dataset.shader = shader.name;
    const id = `input-${++controlIds}`;
    const title = `${p.label || p.name}${admin.shaders.length > 1 ? ` (${shader.name})` : ""}`;
    const lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = title;
    const out = document.createElement("output");
    const send = (value) => sendParam(scene, shader.name, p.name, value);
    const num = (v, i) => (Array.isArray(v) ? v[i || 0] : v);
    const range = (i, lo, hi, v, onValue) => {
      const input = document.createElement("input");
      input.type = "range";
      input.min = lo;
      input.max = hi;
      input.step = (hi - lo) / 200 || 0.01;
      input.value = v;
      input.addEventListener("input", () => onValue(Number(input.value)));
      return input;
    };
    if (p.type === "float") {
      const lo = num(p.min) ?? 0;
      const hi = num(p.max) ?? 1;
      const input = range(0, lo, hi, num(p.value) ?? lo, (v) => {
        out.textContent = v.toFixed(2);
        send(v);
      });
      input.id = id;
      out.textContent = Number(input.value).toFixed(2);
      out.htmlFor = id;
      row.append(lab, input, out);
    } else if (p.type === "long") {
      const select = document.createElement("select");
      select.id = id;
      (p.values || []).forEach((v, i) => {
        const o = document.createElement("option");
        o.value = v;
        o.textContent = (p.labels && p.labels[i]) || String(v);
        select.appendChild(o);
      });
      select.value = String(num(p.value));
      select.addEventListener("change", () => send(Number(select.value)));
      row.append(lab, select, out);
    } else if (p.type === "bool") {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = id;
      box.checked = !!num(p.value);
      box.addEventListener("change", () => send(box.checked));
      row.append(lab, box, out);
    } else if (p.type === "event") {
      const b = document.createElement("button");
      b.type = "button";
      b.id = id;
      b.className = "button small-button";
      b.textContent = "Trigger";
      b.setAttribute("aria-label", `Trigger ${title}`);
      b.addEventListener("click", () => send(true));
      row.append(lab, b, out);
    } else if (p.type === "color") {
      const c = document.createElement("input");
      c.type = "color";
      c.id = id;
      c.value = toHex(p.value || [1, 1, 1]);
      c.addEventListener("input", () => send(c.value));
      row.append(lab, c, out);
    } else if (p.type === "point2D") {
      const value = (p.value || [0, 0]).slice();
      const pair = document.createElement("div");
      pair.className = "pair";
      pair.setAttribute("role", "group");
      pair.setAttribute("aria-labelledby", id + "-label");
      lab.id = id + "-label";
      lab.removeAttribute("for");
      for (const i of [0, 1]) {
        const lo = p.min ? p.min[i] : 0;
        const hi = p.max ? p.max[i] : Math.max(1, value[i] * 2);
        const input = range(i, lo, hi, value[i], (v) => {
          value[i] = v;
          out.textContent = value.map((x) => x.toFixed(2)).join(", ");
          send(value.slice());
        });
        input.setAttribute("aria-label", `${title} ${i ? "y" : "x"}`);
        pair.appendChild(input);
      }
      out.textContent = value.map((x) => Number(x).toFixed(2)).join(", ");
      row.append(lab, pair, out);
    } else {
      return null;  // images are not values
    }
    return row;
  }

  // One request in flight per input; the newest value waits for it (a slider dragged fast
  // sends at the pace the server answers).
  const pending = new Map();
  async function sendParam(scene, shader, name, value) {
    const key = `${scene}/${shader}/${name}`;
    const slot = pending.get(key);
    if (slot) { slot.next = value; slot.hasNext = true; return; }
    const mine = { hasNext: false, next: null };
    pending.set(key, mine);
    let v = value;
    for (;;) {
      const r = await api("PATCH", "/api/v1/params", { scene, shader, values: { [name]: v } });
      if (r.status !== 200) announce(`${name}: ${(r.data && r.data.detail) || r.status}`);
      if (!mine.hasNext) break;
      v = mine.next;
      mine.hasNext = false;
    }
    pending.delete(key);
  }

  // --- The cue --------------------------------------------------------------------------------

  async function cue(flash) {
    const r = await api("POST", "/api/v1/cue", { flash });
    if (r.status !== 202) {
      $("cue-state").textContent = `Cue refused: ${(r.data && r.data.detail) || r.status}`;
      return;
    }
    $("cue-state").textContent = flash ? "Flashing… cameras are being aligned." :
      "Flash a light in the room now.";
    setTimeout(async () => {
      const last = await api("GET", "/api/v1/cue");
      if (last.status !== 200) return;
      const found = last.data.feeds.filter((f) => f.step_ms !== null).length;
      $("cue-state").textContent =
        `Cue ${last.data.id}: ${last.data.state}, a step in ${found} of ${last.data.feeds.length} feeds.`;
    }, 4500);
  }

  // --- Wiring ---------------------------------------------------------------------------------

  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token").value.trim());
  });
  $("logout").addEventListener("click", () => signOut("Signed out."));
  $("filter").addEventListener("change", () => {
    for (const card of cards.values()) applyFilter(card.el);
  });
  $("cue-flash").addEventListener("click", () => cue(true));
  $("cue-room").addEventListener("click", () => cue(false));

  if (admin.token) signIn(admin.token);
  else $("token").focus();
})();
