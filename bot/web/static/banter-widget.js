/* Banter chat widget. One tag on any page:
 *   <script src="https://YOUR-BANTER/widget.js" data-server="https://YOUR-RASA:5005" async></script>
 * Options (data attributes): data-server (Rasa socket.io URL), data-title, data-accent,
 * data-position (right|left), data-greeting, data-open (true opens at once),
 * data-proactive ("off" disables the playbook's proactive-open rules).
 * Needs nothing from third parties: the socket.io client is served by Banter itself.
 */
(function () {
  "use strict";
  if (window.BanterWidget) return;
  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  var data = (script && script.dataset) || {};
  var base = script ? new URL(script.src, location.href).origin : location.origin;
  var cfg = {
    server: data.server || location.protocol + "//" + location.hostname + ":5005",
    title: data.title || "Chat with us",
    accent: data.accent || "#2b5fd9",
    position: data.position === "left" ? "left" : "right",
    greeting: data.greeting || "hi",
    open: data.open === "true",
    proactive: data.proactive !== "off"
  };
  var LS = window.localStorage, SS = window.sessionStorage;
  var K = { session: "banter.session", visitor: "banter.visitor", log: "banter.log", visit: "banter.visit",
            closed: "banter.closed", utm: "banter.utm", pages: "banter.pages" };

  function get(store, key, fallback) {
    try { var v = store.getItem(key); return v === null ? fallback : JSON.parse(v); } catch (e) { return fallback; }
  }
  function put(store, key, value) { try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* full */ } }

  /* ---- what the visitor did on the site (sent with every message) ---- */
  var visitorId = get(LS, K.visitor, null);  // issued and signed by the server (session_confirm)
  var visit = get(SS, K.visit, null) || { started: Date.now() };
  put(SS, K.visit, visit);
  var params = new URLSearchParams(location.search), utm = get(SS, K.utm, {});
  ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (k) {
    if (params.get(k)) utm[k] = params.get(k).slice(0, 200);
  });
  put(SS, K.utm, utm);
  var pages = get(SS, K.pages, []);
  if (!pages.length || pages[pages.length - 1] !== location.pathname) pages.push(location.pathname);
  pages = pages.slice(-50);
  put(SS, K.pages, pages);
  var siteConfig = { pages: {}, proactive: [] };

  function markedPages() {
    var counts = {};
    Object.keys(siteConfig.pages).forEach(function (signal) {
      var prefixes = siteConfig.pages[signal];
      pages.forEach(function (path) {
        if (prefixes.some(function (p) { return path === p || path.indexOf(p.replace(/\/$/, "") + "/") === 0; })) {
          counts[signal] = (counts[signal] || 0) + 1;
        }
      });
    });
    return counts;
  }
  function metadata() {
    var m = {
      page_url: location.href, url: location.href, title: document.title, referrer: document.referrer || null,
      visitor_id: visitorId, pages_viewed: pages.slice(), marked_pages: markedPages(),
      time_on_site_seconds: Math.round((Date.now() - visit.started) / 1000),
      timezone: (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || null,
      language: navigator.language || null
    };
    Object.keys(utm).forEach(function (k) { m[k] = utm[k]; });
    return m;
  }

  /* ---- the panel ---- */
  var css = [
    ".bw-launch{position:fixed;bottom:20px;%P%:20px;width:56px;height:56px;border-radius:50%;border:0;",
    "background:%A%;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}",
    ".bw-launch:focus-visible,.bw button:focus-visible,.bw textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
    ".bw-badge{position:absolute;top:-4px;right:-4px;background:#d4351c;color:#fff;border-radius:10px;font-size:12px;",
    "min-width:20px;height:20px;line-height:20px;text-align:center;padding:0 5px}",
    ".bw{position:fixed;bottom:88px;%P%:20px;width:370px;max-width:calc(100vw - 24px);height:540px;max-height:calc(100vh - 110px);",
    "background:#fff;color:#1d2430;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;",
    "font:15px/1.45 system-ui,sans-serif;z-index:2147483001;overflow:hidden}",
    ".bw[hidden]{display:none}",
    ".bw-head{background:%A%;color:#fff;padding:10px 12px;display:flex;align-items:center;gap:8px}",
    ".bw-head h2{font-size:16px;margin:0;flex:1}.bw-head button{background:transparent;border:0;color:#fff;cursor:pointer;font-size:14px;padding:4px 6px}",
    ".bw-status{background:#fff4d6;color:#5c4400;font-size:13px;padding:6px 12px}.bw-status[hidden]{display:none}",
    ".bw-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}",
    ".bw-msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".bw-bot{background:#f0f2f5;align-self:flex-start}.bw-me{background:%A%;color:#fff;align-self:flex-end}",
    ".bw-msg a{color:inherit;text-decoration:underline}.bw-time{display:block;font-size:11px;opacity:.65;margin-top:2px}",
    ".bw-replies{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start}",
    ".bw-replies button{border:1px solid %A%;background:#fff;color:%A%;border-radius:16px;padding:5px 11px;cursor:pointer;font:inherit;font-size:14px}",
    ".bw-slots{display:grid;grid-template-columns:1fr 1fr;gap:6px;align-self:stretch}",
    ".bw-slots button{border:1px solid %A%;background:#fff;color:%A%;border-radius:8px;padding:7px;cursor:pointer;font:inherit;font-size:14px}",
    ".bw-slots button.bw-other{grid-column:span 2;background:#f7f8fa}",
    ".bw-typing{align-self:flex-start;color:#667;font-size:13px;padding:2px 4px}",
    ".bw-form{display:flex;border-top:1px solid #e3e6ea}.bw-form textarea{flex:1;border:0;resize:none;padding:10px;font:inherit;height:44px}",
    ".bw-form button{border:0;background:%A%;color:#fff;padding:0 16px;cursor:pointer;font:inherit}",
    ".bw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    "@media (max-width:480px){.bw{inset:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0;bottom:0}}"
  ].join("").replace(/%A%/g, cfg.accent).replace(/%P%/g, cfg.position);
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  var launcher = el("button", { "class": "bw-launch", type: "button", "aria-label": "Open chat: " + cfg.title,
                                "aria-expanded": "false", "aria-controls": "banter-panel" });
  launcher.innerHTML = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
  var badge = el("span", { "class": "bw-badge", "aria-hidden": "true" });
  badge.hidden = true;
  launcher.appendChild(badge);
  var panel = el("section", { "class": "bw", id: "banter-panel", role: "dialog", "aria-label": cfg.title });
  panel.hidden = true;
  var head = el("div", { "class": "bw-head" });
  head.appendChild(el("h2", {}, cfg.title));
  var restart = el("button", { type: "button", title: "Start over" }, "Start over");
  var close = el("button", { type: "button", "aria-label": "Close chat" }, "\u2715");
  head.appendChild(restart);
  head.appendChild(close);
  var status = el("div", { "class": "bw-status", role: "status" });
  status.hidden = true;
  var log = el("div", { "class": "bw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
  var typing = el("div", { "class": "bw-typing", "aria-live": "off" }, "Typing\u2026");
  typing.hidden = true;
  var form = el("form", { "class": "bw-form" });
  var label = el("label", { "class": "bw-sr", "for": "bw-input" }, "Your message");
  var input = el("textarea", { id: "bw-input", rows: "1", placeholder: "Type your message\u2026", maxlength: "2000" });
  var send = el("button", { type: "submit" }, "Send");
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  [head, status, log, form].forEach(function (n) { panel.appendChild(n); });
  document.body.appendChild(launcher);
  document.body.appendChild(panel);

  /* ---- rendering ---- */
  function format(text) {
    var frag = document.createDocumentFragment();
    String(text).split(/(https?:\/\/[^\s<>"')]+|\*\*[^*]+\*\*)/g).forEach(function (part) {
      if (/^https?:\/\//.test(part)) {
        var a = el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part);
        frag.appendChild(a);
      } else if (/^\*\*[^*]+\*\*$/.test(part)) {
        frag.appendChild(el("strong", {}, part.slice(2, -2)));
      } else if (part) {
        frag.appendChild(document.createTextNode(part));
      }
    });
    return frag;
  }
  function stamp(at) {
    return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  var unread = 0, history = get(LS, K.log, []);
  function isOpen() { return !panel.hidden; }
  function render(entry, fresh) {
    if (entry.kind === "replies") {
      var slots = entry.buttons.some(function (b) { return /^\/choose_slot/.test(b.payload); });
      var group = el("div", { "class": slots ? "bw-slots" : "bw-replies", role: "group",
                              "aria-label": slots ? "Available times" : "Quick replies" });
      entry.buttons.forEach(function (b) {
        var btn = el("button", { type: "button" }, b.title);
        if (slots && !/^\/choose_slot/.test(b.payload)) btn.className = "bw-other";
        btn.addEventListener("click", function () {
          group.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          say(b.title, b.payload);
        });
        if (!fresh) btn.disabled = true;
        group.appendChild(btn);
      });
      log.appendChild(group);
    } else {
      var msg = el("div", { "class": "bw-msg " + (entry.kind === "me" ? "bw-me" : "bw-bot") });
      if (entry.kind === "me") msg.appendChild(el("span", { "class": "bw-sr" }, "You said: "));
      msg.appendChild(format(entry.text));
      msg.appendChild(el("time", { "class": "bw-time", datetime: new Date(entry.at).toISOString() }, stamp(entry.at)));
      log.appendChild(msg);
    }
    log.appendChild(typing);
    log.scrollTop = log.scrollHeight;
  }
  function remember(entry) {
    history.push(entry);
    history = history.slice(-200);
    put(LS, K.log, history);
  }
  function seen(entry) {  // another tab of this visitor already stored the same reply
    var fresh = get(LS, K.log, []);
    return fresh.slice(-6).some(function (e) {
      return e.kind === entry.kind && Math.abs(e.at - entry.at) < 5000 &&
        JSON.stringify(e.text || e.buttons) === JSON.stringify(entry.text || entry.buttons);
    });
  }
  function add(entry) {
    if (entry.kind !== "me" && seen(entry)) {
      history = get(LS, K.log, []);
      render(entry, true);
      return;
    }
    remember(entry);
    render(entry, true);
    if (entry.kind !== "me" && !isOpen()) { unread += 1; badge.textContent = String(unread); badge.hidden = false; }
  }
  history.forEach(function (e, i) { render(e, i === history.length - 1); });

  /* ---- connection: socket.io to Rasa, session kept across pages and tabs ---- */
  var socket = null, sessionId = get(LS, K.session, null), confirmed = false, queue = [], typingTimer = null;
  var heldUntil = 0, holdTimer = null, handedBack = 0;  // over a rate limit: nothing is sent until the wait is over
  function showStatus(text) { status.textContent = text || ""; status.hidden = !text; }
  function flush() {
    while (confirmed && Date.now() >= heldUntil && socket && socket.connected && queue.length) {
      var item = queue.shift();
      socket.emit("user_uttered", { message: item.payload, session_id: sessionId, customData: item.meta });
    }
  }
  function connect() {
    if (socket || !window.io) return;
    socket = window.io(cfg.server, { path: "/socket.io", transports: ["websocket", "polling"],
                                     reconnectionDelay: 1000, reconnectionDelayMax: 15000 });
    socket.on("connect", function () {
      showStatus("");
      socket.emit("session_request", { session_id: sessionId, visitor_id: visitorId });
    });
    socket.on("session_confirm", function (id) {
      var remote = typeof id === "string" ? id : (id && id.session_id);
      if (remote && remote !== sessionId) { sessionId = remote; put(LS, K.session, sessionId); }
      if (id && id.visitor_id && id.visitor_id !== visitorId) { visitorId = id.visitor_id; put(LS, K.visitor, visitorId); }
      confirmed = true;
      queue.forEach(function (item) { item.meta.visitor_id = visitorId; });
      if (!history.length && !queue.length) queue.push({ payload: cfg.greeting, meta: metadata() });
      flush();
    });
    socket.on("session_invalid", function (returned) {  // the server did not know our session: send again
      confirmed = false;
      if (returned && typeof returned.message === "string") {
        queue.unshift({ payload: returned.message, meta: metadata() });
      }
      socket.emit("session_request", { session_id: sessionId, visitor_id: visitorId });
    });
    socket.on("rate_limited", function (r) {  // too fast: show why, keep the message, send it after the wait
      r = r || {};
      var wait = Math.min(3600, Math.max(1, Math.ceil(Number(r.retry_after) || 5)));
      clearTimeout(typingTimer);
      typing.hidden = true;
      if (typeof r.message === "string") {  // first in the queue, in the order they were sent
        if (Date.now() >= heldUntil) handedBack = 0;
        queue.splice(handedBack++, 0, { payload: r.message, meta: metadata() });
      }
      heldUntil = Math.max(heldUntil, Date.now() + wait * 1000);
      showStatus((r.text || "Please wait a moment.") +
                 (queue.length ? " Your message is kept and will be sent then." : ""));
      clearTimeout(holdTimer);
      holdTimer = setTimeout(function () {
        heldUntil = 0;
        handedBack = 0;
        showStatus("");
        if (!socket || !socket.connected) return;  // "connect" asks for the session again
        if (!confirmed) socket.emit("session_request", { session_id: sessionId, visitor_id: visitorId });
        else flush();
      }, heldUntil - Date.now());
    });
    socket.on("bot_uttered", function (m) {
      clearTimeout(typingTimer);
      typing.hidden = true;
      if (m.text) add({ kind: "bot", text: m.text, at: Date.now() });
      var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return { title: b.title, payload: b.payload }; });
      if (buttons.length) add({ kind: "replies", buttons: buttons, at: Date.now() });
      if (m.attachment && m.attachment.payload && m.attachment.payload.src) {
        add({ kind: "bot", text: m.attachment.payload.src, at: Date.now() });
      }
    });
    socket.on("connect_error", function () {
      confirmed = false;
      showStatus("Can't reach the assistant right now. Retrying\u2026 Your messages will be sent when it's back.");
    });
    socket.on("disconnect", function () {
      confirmed = false;
      showStatus("Connection lost. Reconnecting\u2026");
    });
  }
  function say(text, payload) {
    if (!String(text).trim()) return;
    add({ kind: "me", text: text, at: Date.now() });
    queue.push({ payload: payload || text, meta: metadata() });
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing.hidden = true; }, 15000);
    connect();
    flush();
  }

  /* ---- open / close, keyboard, proactive open ---- */
  function open(byRule) {
    if (byRule && get(SS, K.closed, false)) return;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    unread = 0;
    badge.hidden = true;
    connect();
    if (!byRule) input.focus();
  }
  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    put(SS, K.closed, true);
    launcher.focus();
  }
  launcher.addEventListener("click", function () { if (isOpen()) shut(); else open(false); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    say(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });
  restart.addEventListener("click", function () {
    history = [];
    put(LS, K.log, history);
    log.textContent = "";
    sessionId = null;
    LS.removeItem(K.session);
    confirmed = false;
    if (socket) { socket.disconnect(); socket = null; }
    connect();
    input.focus();
  });
  window.addEventListener("storage", function (e) {  // another tab of the same visitor
    if (e.key === K.log) {
      history = get(LS, K.log, []);
      log.textContent = "";
      history.forEach(function (x, i) { render(x, i === history.length - 1); });
    } else if (e.key === K.session) {
      sessionId = get(LS, K.session, null);
      confirmed = false;  // wait until this tab joined the other tab's session (replies reach both)
      if (sessionId && socket && socket.connected) {
        socket.emit("session_request", { session_id: sessionId, visitor_id: visitorId });
      }
    } else if (e.key === K.visitor) {
      visitorId = get(LS, K.visitor, visitorId);
    }
  });

  fetch(base + "/widget/config.json").then(function (r) { return r.json(); }).then(function (c) {
    siteConfig = c;
    (c.proactive || []).forEach(function (rule) {
      if (!cfg.proactive) return;
      if (location.pathname === rule.path || location.pathname.indexOf(rule.path.replace(/\/$/, "") + "/") === 0) {
        setTimeout(function () { open(true); }, rule.after_seconds * 1000);
      }
    });
  }).catch(function () { /* the defaults still work */ });

  var loader = document.createElement("script");
  loader.src = base + "/vendor/socket.io.min.js";
  loader.onload = function () { if (isOpen() || history.length) connect(); };
  document.head.appendChild(loader);
  if (cfg.open || (history.length && get(SS, "banter.wasOpen", false))) open(true);
  window.addEventListener("pagehide", function () { put(SS, "banter.wasOpen", isOpen()); });
  window.BanterWidget = { open: function () { open(false); }, close: shut, say: say, metadata: metadata };
})();
