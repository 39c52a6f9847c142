/* Banter chat widget. One tag on any page:
 *   <script src="https://YOUR-BANTER/widget.js" data-server="https://YOUR-RASA:5005" async></script>
 * Options (data attributes): data-server (Rasa socket.io URL), data-title, data-accent,
 * data-position (right|left), data-greeting, data-open (true opens at once),
 * data-proactive ("off" disables the playbook's proactive rules: a teaser bubble, never the full panel).
 * Needs nothing from third parties: the socket.io client is served by Banter itself.
 * A human handoff can show "<name> is typing" through BanterWidget.typing(true, name) or a
 * socket.io "typing" event {state: "start"|"stop", name}.
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
    accent: /^#[0-9a-f]{6}$/i.test(data.accent || "") ? data.accent : "#2b5fd9",
    position: data.position === "left" ? "left" : "right",
    greeting: data.greeting || "hi",
    open: data.open === "true",
    proactive: data.proactive !== "off"
  };
  var LS = window.localStorage, SS = window.sessionStorage;
  var K = { session: "banter.session", visitor: "banter.visitor", log: "banter.log", visit: "banter.visit",
            closed: "banter.closed", utm: "banter.utm", pages: "banter.pages", open: "banter.wasOpen" };

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

  function under(path, prefix) { return path === prefix || path.indexOf(prefix.replace(/\/$/, "") + "/") === 0; }
  function markedPages() {
    var counts = {};
    Object.keys(siteConfig.pages).forEach(function (signal) {
      pages.forEach(function (path) {
        if (siteConfig.pages[signal].some(function (p) { return under(path, p); })) counts[signal] = (counts[signal] || 0) + 1;
      });
    });
    return counts;
  }
  function zone() { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { return null; } }
  function metadata(extra) {
    var m = {
      page_url: location.href, url: location.href, title: document.title, referrer: document.referrer || null,
      visitor_id: visitorId, pages_viewed: pages.slice(), marked_pages: markedPages(),
      time_on_site_seconds: Math.round((Date.now() - visit.started) / 1000),
      timezone: zone(), language: navigator.language || null  // the server's fallbacks for country and currency
    };
    Object.keys(utm).forEach(function (k) { m[k] = utm[k]; });
    Object.keys(extra || {}).forEach(function (k) { m[k] = extra[k]; });
    return m;
  }

  /* ---- colours: text on the accent and accent-coloured text keep WCAG AA (4.5:1) ---- */
  function lum(hex) {
    return [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }).reduce(function (s, c, i) { return s + c * [0.2126, 0.7152, 0.0722][i]; }, 0);
  }
  var light = 1.05 / (lum(cfg.accent) + 0.05) >= 4.5;  // white text readable on the accent
  var onAccent = light ? "#fff" : "#111", ink = light ? cfg.accent : "#1d2430";

  /* ---- the panel ---- */
  var css = [
    ".bw-launch{position:fixed;bottom:20px;%P%:20px;width:60px;height:60px;border-radius:50%;border:0;display:grid;place-items:center;",
    "background:%A%;color:%O%;cursor:pointer;box-shadow:0 6px 20px rgba(16,35,63,.3);z-index:2147483000;transition:transform .15s}",
    ".bw-launch:hover{transform:scale(1.05)}.bw-ico,.bw-ico svg{width:28px;height:28px;display:block}",
    ".bw-launch:focus-visible,.bw button:focus-visible,.bw textarea:focus-visible,.bw-log:focus-visible,.bw-teaser button:focus-visible,.bw a:focus-visible",
    "{outline:3px solid #ffbf47;outline-offset:2px;box-shadow:0 0 0 5px #10233f}",
    ".bw-badge{position:absolute;top:-3px;%P%:-3px;background:#c62d1f;color:#fff;border-radius:11px;font:600 12px/22px system-ui,sans-serif;",
    "min-width:22px;height:22px;text-align:center;padding:0 6px;box-sizing:border-box}",
    ".bw,.bw-teaser{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2430;box-sizing:border-box;-webkit-text-size-adjust:100%}",
    ".bw *,.bw-teaser *{box-sizing:border-box}",
    ".bw{position:fixed;bottom:92px;%P%:20px;width:384px;max-width:calc(100vw - 24px);height:620px;max-height:calc(100vh - 112px);",
    "background:#fff;border-radius:16px;box-shadow:0 12px 40px rgba(16,35,63,.28);display:flex;flex-direction:column;",
    "z-index:2147483001;overflow:hidden;animation:bw-in .18s ease-out}",
    ".bw[hidden],.bw-teaser[hidden],.bw [hidden]{display:none!important}",
    "@keyframes bw-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}",
    ".bw-head{background:%A%;color:%O%;padding:6px 6px 12px 16px;flex:none}.bw-top{display:flex;align-items:center;gap:4px}",
    ".bw-head h2{flex:1;min-width:0;font-size:17px;line-height:1.3;margin:0;font-weight:650;overflow-wrap:anywhere}",
    ".bw-meta{display:flex;align-items:center;gap:10px;margin-top:2px}.bw-eta{margin:0;font-size:13.5px;display:flex;align-items:center;gap:6px}",
    ".bw-eta:before{content:'';width:8px;height:8px;border-radius:50%;background:#3ddc84;box-shadow:0 0 0 2px rgba(255,255,255,.7);flex:none}",
    ".bw-eta:empty{display:none}",
    ".bw-faces{display:flex;flex:none}.bw-face{width:34px;height:34px;border-radius:50%;display:grid;place-items:center;font-size:12px;font-weight:700;",
    "letter-spacing:.02em;color:#fff;border:2px solid %A%;overflow:hidden;background:#10233f;flex:none}.bw-face+.bw-face{margin-left:-6px}",
    ".bw-face img{width:100%;height:100%;object-fit:cover}",
    ".bw-head button{background:transparent;border:0;color:inherit;cursor:pointer;width:44px;height:44px;border-radius:10px;display:grid;place-items:center;flex:none}",
    ".bw-head button:hover{background:rgba(255,255,255,.16)}.bw-head svg{width:20px;height:20px}",
    ".bw-status{background:#fff4d6;color:#5c4400;font-size:13px;padding:8px 14px;flex:none}",
    ".bw-log{flex:1;overflow-y:auto;padding:16px 14px 8px;display:flex;flex-direction:column;gap:8px;overscroll-behavior:contain;background:#fff}",
    ".bw-msg{max-width:85%;padding:9px 13px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".bw-bot{background:#f0f2f5;align-self:flex-start;border-bottom-left-radius:6px}",
    ".bw-me{background:%A%;color:%O%;align-self:flex-end;border-bottom-right-radius:6px}",
    ".bw-msg a{color:inherit;text-decoration:underline;text-underline-offset:2px}",
    ".bw-time{display:block;font-size:12px;margin-top:3px;color:#545b66;font-variant-numeric:tabular-nums}.bw-me .bw-time{color:inherit;text-align:right}",
    ".bw-replies{display:flex;flex-wrap:wrap;gap:8px;justify-content:flex-start;margin:2px 0 4px}",
    ".bw-replies button,.bw-slots button,.bw-confirm button{min-height:44px;min-width:44px;border:1.5px solid %I%;background:#fff;color:%I%;",
    "border-radius:22px;padding:9px 16px;cursor:pointer;font:inherit;font-weight:550;line-height:1.2;text-align:center}",
    ".bw-replies button:hover:not(:disabled),.bw-slots button:hover:not(:disabled),.bw-confirm button:hover{background:#eef2fb}",
    ".bw-slots{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:2px 0 4px}.bw-slots button{border-radius:12px;padding:9px 8px}",
    ".bw-slots button.bw-other{grid-column:span 2;background:#f7f8fa}",
    ".bw-done button{cursor:default;border-color:#d3d8df;color:#5b626d;background:#fff;font-weight:400}",
    ".bw-done button.bw-picked{background:%A%;border-color:%A%;color:%O%;font-weight:550}.bw-picked:before{content:'\\2713  '}",
    ".bw-typing{align-self:flex-start;display:flex;align-items:center;gap:8px;color:#545b66;font-size:13px}",
    ".bw-dots{background:#f0f2f5;border-radius:18px;border-bottom-left-radius:6px;padding:12px 14px;display:flex;gap:4px}",
    ".bw-dots i{width:7px;height:7px;border-radius:50%;background:#6b7280;animation:bw-dot 1.2s infinite ease-in-out}",
    ".bw-dots i:nth-child(2){animation-delay:.15s}.bw-dots i:nth-child(3){animation-delay:.3s}",
    "@keyframes bw-dot{0%,60%,100%{opacity:.35;transform:none}30%{opacity:1;transform:translateY(-3px)}}",
    ".bw-confirm{border-top:1px solid #e3e6ea;padding:14px;background:#fafbfc;flex:none}.bw-confirm h3{margin:0 0 4px;font-size:15px}",
    ".bw-confirm p{margin:0 0 12px;font-size:14px;color:#3d4450}.bw-confirm div{display:flex;gap:8px;justify-content:flex-end}",
    ".bw-confirm .bw-danger{background:#b42318;border-color:#b42318;color:#fff}.bw-confirm .bw-danger:hover{background:#912018}",
    ".bw-form{display:flex;align-items:flex-end;gap:6px;border-top:1px solid #e3e6ea;padding:8px 8px 8px 12px;flex:none;background:#fff}",
    ".bw-form textarea{flex:1;border:0;resize:none;padding:11px 4px;font:inherit;font-size:16px;line-height:22px;height:44px;max-height:120px;",
    "background:transparent;color:inherit}.bw-form textarea::placeholder{color:#6b7280}",
    ".bw .bw-form textarea:focus-visible{outline:0;box-shadow:none}.bw-form:focus-within{box-shadow:inset 0 0 0 2px %I%}",
    ".bw-form button{border:0;background:%A%;color:%O%;width:44px;height:44px;border-radius:12px;cursor:pointer;display:grid;place-items:center;flex:none}",
    ".bw-form button svg{width:20px;height:20px}",
    ".bw-sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".bw-teaser{position:fixed;bottom:92px;%P%:20px;width:300px;max-width:calc(100vw - 40px);z-index:2147483000;display:flex;align-items:flex-start;",
    "background:#fff;border-radius:16px;box-shadow:0 10px 30px rgba(16,35,63,.25);animation:bw-in .2s ease-out}",
    ".bw-teaser:after{content:'';position:absolute;bottom:-7px;%P%:24px;width:14px;height:14px;background:#fff;transform:rotate(45deg)}",
    ".bw-teaser-open{flex:1;display:flex;gap:10px;align-items:flex-start;text-align:left;background:transparent;border:0;padding:14px 0 14px 14px;",
    "font:inherit;color:inherit;cursor:pointer;min-height:44px}",
    ".bw-teaser-open .bw-face{width:32px;height:32px;border-color:#fff}",
    ".bw-teaser-text{display:-webkit-box;-webkit-line-clamp:4;-webkit-box-orient:vertical;overflow:hidden}",
    ".bw-teaser-text b{display:block;font-size:13px;color:#545b66;font-weight:600}",
    ".bw-teaser-x{width:44px;height:44px;border:0;background:transparent;color:#545b66;cursor:pointer;border-radius:12px;flex:none;font-size:18px}",
    "html.bw-lock,html.bw-lock body{overflow:hidden}",
    "@media (max-width:480px){.bw{inset:0;width:100%;max-width:100%;height:100%;height:100dvh;max-height:none;border-radius:0}",
    ".bw-teaser{bottom:90px;%P%:16px}.bw-launch{bottom:16px;%P%:16px}}",
    "@media (prefers-reduced-motion:reduce){.bw,.bw-teaser,.bw-dots i,.bw-launch{animation:none;transition:none}}"
  ].join("").replace(/%A%/g, cfg.accent).replace(/%O%/g, onAccent).replace(/%I%/g, ink).replace(/%P%/g, cfg.position);
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  function icon(path) {
    return '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="' + path + '"/></svg>';
  }
  var CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  var DOWN = "M5.3 8.3a1 1 0 0 1 1.4 0L12 13.6l5.3-5.3a1 1 0 1 1 1.4 1.4l-6 6a1 1 0 0 1-1.4 0l-6-6a1 1 0 0 1 0-1.4z";
  var CLOSE = "M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 1 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z";
  var RESTART = "M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z";
  var SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z";

  var launcher = el("button", { "class": "bw-launch", type: "button", "aria-label": "Open chat: " + cfg.title,
                                "aria-expanded": "false", "aria-controls": "banter-panel" });
  var launchIcon = el("span", { "class": "bw-ico", "aria-hidden": "true" });
  launchIcon.innerHTML = icon(CHAT);
  launcher.appendChild(launchIcon);
  var badge = el("span", { "class": "bw-badge", "aria-hidden": "true" });
  badge.hidden = true;
  launcher.appendChild(badge);
  var panel = el("section", { "class": "bw", id: "banter-panel", role: "dialog", "aria-labelledby": "bw-title" });
  panel.hidden = true;
  var head = el("div", { "class": "bw-head" }), top = el("div", { "class": "bw-top" }), meta = el("div", { "class": "bw-meta" });
  var faces = el("div", { "class": "bw-faces", role: "img", "aria-label": cfg.title });
  var eta = el("p", { "class": "bw-eta" });
  var restart = el("button", { type: "button", "aria-label": "Start over", title: "Start over" });
  restart.innerHTML = icon(RESTART);
  var close = el("button", { type: "button", "aria-label": "Close chat", title: "Close" });
  close.innerHTML = icon(CLOSE);
  [el("h2", { id: "bw-title" }, cfg.title), restart, close].forEach(function (n) { top.appendChild(n); });
  meta.appendChild(faces);
  meta.appendChild(eta);
  head.appendChild(top);
  head.appendChild(meta);
  var status = el("div", { "class": "bw-status", role: "status" });
  status.hidden = true;
  var log = el("div", { "class": "bw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                        "aria-label": "Conversation", tabindex: "0" });
  var typing = el("div", { "class": "bw-typing" });
  typing.innerHTML = '<span class="bw-dots" aria-hidden="true"><i></i><i></i><i></i></span>';
  var typingLabel = el("span", {});
  typing.appendChild(typingLabel);
  typing.hidden = true;
  var confirmBox = el("div", { "class": "bw-confirm", role: "alertdialog", "aria-labelledby": "bw-confirm-t",
                               "aria-describedby": "bw-confirm-d" });
  confirmBox.appendChild(el("h3", { id: "bw-confirm-t" }, "Start a new conversation?"));
  confirmBox.appendChild(el("p", { id: "bw-confirm-d" }, "This clears the conversation so far from this device."));
  var confirmRow = el("div", {});
  var keep = el("button", { type: "button" }, "Keep chatting");
  var wipe = el("button", { type: "button", "class": "bw-danger" }, "Start over");
  confirmRow.appendChild(keep);
  confirmRow.appendChild(wipe);
  confirmBox.appendChild(confirmRow);
  confirmBox.hidden = true;
  var form = el("form", { "class": "bw-form" });
  var label = el("label", { "class": "bw-sr", "for": "bw-input" }, "Your message");
  var input = el("textarea", { id: "bw-input", rows: "1", placeholder: "Type your message\u2026", maxlength: "2000",
                               enterkeyhint: "send", autocomplete: "off" });
  var send = el("button", { type: "submit", "aria-label": "Send", title: "Send" });
  send.innerHTML = icon(SEND);
  [label, input, send].forEach(function (n) { form.appendChild(n); });
  [head, status, log, confirmBox, form].forEach(function (n) { panel.appendChild(n); });
  var teaser = el("aside", { "class": "bw-teaser", "aria-label": "Message from " + cfg.title });
  var teaserOpen = el("button", { type: "button", "class": "bw-teaser-open" });
  var teaserText = el("span", { "class": "bw-teaser-text" });
  teaserOpen.appendChild(teaserText);
  var teaserX = el("button", { type: "button", "class": "bw-teaser-x", "aria-label": "Dismiss message" }, "\u2715");
  teaser.appendChild(teaserOpen);
  teaser.appendChild(teaserX);
  teaser.hidden = true;
  document.body.appendChild(teaser);
  document.body.appendChild(launcher);
  document.body.appendChild(panel);

  /* ---- who is there: the company's avatar or the team's faces, the expected reply time (playbook) ---- */
  var presence = { company: cfg.title, team: [], reply_time: "" };
  function face(person) {
    var f = el("span", { "class": "bw-face", "aria-hidden": "true" });
    if (person.photo) {
      f.appendChild(el("img", { src: new URL(person.photo, base).href, alt: "" }));
    } else {
      f.textContent = person.initials || String(person.name || "?").split(/\s+/).map(function (w) { return w[0]; }).join("").slice(0, 2);
      f.style.background = person.colour || "#10233f";
    }
    return f;
  }
  function showPresence() {
    var people = presence.team.length ? presence.team.slice(0, 3) : [{ name: presence.company, photo: presence.avatar }];
    faces.textContent = "";
    people.forEach(function (p) { faces.appendChild(face(p)); });
    faces.setAttribute("aria-label", presence.team.length
      ? "Team: " + presence.team.map(function (p) { return p.name; }).join(", ") : presence.company);
    eta.textContent = presence.reply_time || "";
  }
  showPresence();

  /* ---- rendering ---- */
  function format(text) {
    var frag = document.createDocumentFragment();
    String(text).split(/(https?:\/\/[^\s<>"')]+|\*\*[^*]+\*\*)/g).forEach(function (part) {
      if (/^https?:\/\//.test(part)) {
        var href = part.replace(/[.,;:!?]+$/, ""), rest = part.slice(href.length);
        var attrs = { href: href };
        try { if (new URL(href).origin !== location.origin) { attrs.target = "_blank"; attrs.rel = "noopener noreferrer"; } } catch (e) { /* kept */ }
        frag.appendChild(el("a", attrs, href));
        if (rest) frag.appendChild(document.createTextNode(rest));
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
  var live = null;  // the only quick replies that still answer: the latest group, not yet answered
  function isOpen() { return !panel.hidden; }
  function scrollToEnd() { log.scrollTop = log.scrollHeight; }
  function store(entry) {  // write back a change to an entry already in the history (matched by time and kind)
    history.forEach(function (e) { if (e.at === entry.at && e.kind === entry.kind) { e.done = entry.done; e.picked = entry.picked; } });
    put(LS, K.log, history);
  }
  function markDone(group, entry) {
    group.classList.add("bw-done");
    group.setAttribute("aria-label", group.getAttribute("aria-label").replace(/ \(answered\)$/, "") + " (answered)");
    group.querySelectorAll("button").forEach(function (b) {
      b.disabled = true;
      if (entry.picked && b.getAttribute("data-title") === entry.picked && !b.classList.contains("bw-picked")) {
        b.classList.add("bw-picked");
        b.appendChild(el("span", { "class": "bw-sr" }, " (your answer)"));
      }
    });
  }
  function retire(picked) {  // the visitor answered (by click or typing), or a newer question came
    if (!live) return;
    var group = live.group, entry = live.entry;
    live = null;
    entry.done = true;
    if (picked) entry.picked = picked;
    markDone(group, entry);
    store(entry);
  }
  function quickReply(group, b, event) {
    if (!live || live.group !== group) return;  // an old question's button: never an answer to a newer one
    say(b.title, b.payload, b.title);
    // the clicked button is now disabled: keep focus in the chat (Esc still closes it); no keyboard pop-up on touch
    if (event && event.pointerType === "touch") log.focus({ preventScroll: true });
    else input.focus({ preventScroll: true });
  }
  function render(entry, isLive) {
    if (entry.kind === "replies") {
      var slots = entry.buttons.some(function (b) { return /^\/choose_slot/.test(b.payload); });
      var group = el("div", { "class": slots ? "bw-slots" : "bw-replies", role: "group",
                              "aria-label": slots ? "Available times" : "Quick replies" });
      entry.buttons.forEach(function (b) {
        var btn = el("button", { type: "button", "data-title": b.title }, b.title);
        if (slots && !/^\/choose_slot/.test(b.payload)) btn.className = "bw-other";
        btn.addEventListener("click", function (e) { quickReply(group, b, e); });
        group.appendChild(btn);
      });
      log.appendChild(group);
      if (isLive) live = { group: group, entry: entry };
      else markDone(group, entry);
    } else {
      var msg = el("div", { "class": "bw-msg " + (entry.kind === "me" ? "bw-me" : "bw-bot") });
      msg.appendChild(el("span", { "class": "bw-sr" }, entry.kind === "me" ? "You said: " : (entry.name || presence.company) + " said: "));
      msg.appendChild(format(entry.text));
      msg.appendChild(el("time", { "class": "bw-time", datetime: new Date(entry.at).toISOString() }, stamp(entry.at)));
      log.appendChild(msg);
    }
    log.appendChild(typing);
    scrollToEnd();
  }
  function renderHistory() {
    log.textContent = "";
    live = null;
    var last = -1;  // the latest quick replies with no answer after them
    history.forEach(function (e, i) { if (e.kind === "replies") last = i; else if (e.kind === "me") last = -1; });
    history.forEach(function (e, i) { render(e, i === last && !e.done); });
    log.appendChild(typing);
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
    if (entry.kind === "me") retire(entry.picked || null);
    else if (entry.kind === "replies") retire(null);
    if (entry.kind !== "me" && seen(entry)) {
      history = get(LS, K.log, []);
      render(entry, entry.kind === "replies");
      return;
    }
    remember(entry);
    render(entry, entry.kind === "replies");
    if (entry.kind === "bot" && !isOpen()) {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      launcher.setAttribute("aria-label", "Open chat: " + cfg.title + ", " + unread + " new");
      if (teaserPending) showTeaser(entry.text);
    }
  }
  renderHistory();

  /* ---- typing: the assistant while a reply is on its way; a person during a handoff (hook) ---- */
  var typingTimer = null;
  function setTyping(on, name) {
    clearTimeout(typingTimer);
    typingLabel.textContent = on ? (name || presence.company) + " is typing\u2026" : "";
    typing.hidden = !on;
    if (on) {
      log.appendChild(typing);
      scrollToEnd();
      typingTimer = setTimeout(function () { setTyping(false); }, 15000);
    }
  }

  /* ---- connection: socket.io to Rasa, session kept across pages and tabs ---- */
  var socket = null, sessionId = get(LS, K.session, null), confirmed = false, queue = [];
  var heldUntil = 0, holdTimer = null, handedBack = 0;  // over a rate limit: nothing is sent until the wait is over
  var firstMeta = null;  // sent with the greeting (the proactive rule that opened the chat)
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
      if (!history.length && !queue.length) queue.push({ payload: cfg.greeting, meta: metadata(firstMeta) });
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
      setTyping(false);
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
      setTyping(false);
      if (m.text) add({ kind: "bot", text: m.text, at: Date.now() });
      var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return { title: b.title, payload: b.payload }; });
      if (buttons.length) add({ kind: "replies", buttons: buttons, at: Date.now() });
      if (m.attachment && m.attachment.payload && m.attachment.payload.src) {
        add({ kind: "bot", text: m.attachment.payload.src, at: Date.now() });
      }
    });
    socket.on("typing", function (t) {  // a person in a handoff (nothing sends it yet)
      t = t || {};
      setTyping(t.state === "start", typeof t.name === "string" ? t.name.slice(0, 60) : null);
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
  function say(text, payload, picked) {
    if (!String(text).trim()) return;
    add({ kind: "me", text: text, at: Date.now(), picked: picked || undefined });
    queue.push({ payload: payload || text, meta: metadata() });
    setTyping(true);
    connect();
    flush();
  }

  /* ---- open / close, keyboard, the proactive teaser ---- */
  var coarse = window.matchMedia && matchMedia("(pointer:coarse)").matches;
  var phone = window.matchMedia && matchMedia("(max-width:480px)");
  function open(focus) {
    hideTeaser();
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Close chat: " + cfg.title);
    launchIcon.innerHTML = icon(DOWN);
    unread = 0;
    badge.hidden = true;
    if (phone && phone.matches) document.documentElement.classList.add("bw-lock");  // the page behind stays put
    connect();
    scrollToEnd();
    requestAnimationFrame(scrollToEnd);  // after layout: the latest message in view (also after a reload)
    if (focus) (coarse ? log : input).focus({ preventScroll: true });
  }
  function shut() {
    cancelRestart();
    panel.hidden = true;
    document.documentElement.classList.remove("bw-lock");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open chat: " + cfg.title);
    launchIcon.innerHTML = icon(CHAT);
    put(SS, K.closed, true);
    launcher.focus();
  }
  var teaserPending = false;
  function showTeaser(text) {
    teaserPending = false;
    teaserText.textContent = "";
    teaserText.appendChild(el("b", {}, presence.company));
    teaserText.appendChild(document.createTextNode(String(text).replace(/\s*https?:\/\/\S+/g, "")));
    teaserOpen.textContent = "";
    teaserOpen.appendChild(face({ name: presence.company, photo: presence.avatar }));  // the assistant speaks, not a person
    teaserOpen.appendChild(teaserText);
    teaser.hidden = false;
  }
  function hideTeaser() { teaserPending = false; teaser.hidden = true; }
  function proactive(rule) {  // a small bubble beside the launcher: the panel only opens on a tap
    if (isOpen() || get(SS, K.closed, false) || history.length || queue.length) return;
    firstMeta = { proactive: rule.path };
    teaserPending = true;
    connect();
  }
  launcher.addEventListener("click", function () { if (isOpen()) shut(); else open(true); });
  close.addEventListener("click", shut);
  teaserOpen.addEventListener("click", function () { open(true); });
  teaserX.addEventListener("click", function () { hideTeaser(); put(SS, K.closed, true); launcher.focus(); });
  panel.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (!confirmBox.hidden) { cancelRestart(); restart.focus(); } else shut();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    grow();
    say(text);
    input.focus();
  });
  function grow() { input.style.height = "44px"; input.style.height = Math.min(120, input.scrollHeight) + "px"; }
  input.addEventListener("input", grow);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });
  function cancelRestart() { confirmBox.hidden = true; form.hidden = false; }
  restart.addEventListener("click", function () {  // ask first: it wipes the conversation
    confirmBox.hidden = false;
    form.hidden = true;
    keep.focus();
  });
  keep.addEventListener("click", function () { cancelRestart(); input.focus(); });
  wipe.addEventListener("click", function () {
    cancelRestart();
    history = [];
    put(LS, K.log, history);
    renderHistory();
    setTyping(false);
    sessionId = null;
    firstMeta = null;
    LS.removeItem(K.session);
    confirmed = false;
    if (socket) { socket.disconnect(); socket = null; }
    connect();
    input.focus();
  });
  window.addEventListener("storage", function (e) {  // another tab of the same visitor
    if (e.key === K.log) {
      history = get(LS, K.log, []);
      renderHistory();
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
    if (c.presence) { presence = c.presence; presence.team = presence.team || []; showPresence(); }
    (c.proactive || []).forEach(function (rule) {
      if (cfg.proactive && under(location.pathname, rule.path)) {
        setTimeout(function () { proactive(rule); }, rule.after_seconds * 1000);
      }
    });
  }).catch(function () { /* the defaults still work */ });

  var loader = document.createElement("script");
  loader.src = base + "/vendor/socket.io.min.js";
  loader.onload = function () { if (isOpen() || history.length || teaserPending) connect(); };
  document.head.appendChild(loader);
  if (cfg.open || (history.length && get(SS, K.open, false))) open(false);
  window.addEventListener("pagehide", function () { put(SS, K.open, isOpen()); });
  window.BanterWidget = { open: function () { open(true); }, close: shut, say: say, metadata: metadata,
                          typing: function (on, name) { setTyping(!!on, name); } };
})();
