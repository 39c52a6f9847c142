// The question editor's live preview (served from /assets: the Content-Security-Policy allows no inline code).
// Each edit of the form (after a short pause), each message typed or button clicked, and each change of the
// A/B variant posts the whole form (with its CSRF token), the visitor's messages so far and the variant to
// /console/questions/preview, which replays the conversation against the draft and answers JSON. Every text
// is put on the page as text (textContent), never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("questions-form");
  var log = document.getElementById("preview-log");
  if (!form || !log || !window.fetch) return;
  var say = document.getElementById("preview-say");
  var input = document.getElementById("preview-input");
  var problems = document.getElementById("preview-problems");
  var variant = document.getElementById("preview-variant");
  var restart = document.getElementById("preview-restart");
  var messages = [], timer = null, latest = 0;

  function line(turn) {
    var node = document.createElement("div");
    node.className = "pv pv-" + turn.who;
    node.textContent = turn.text;
    if (turn.variant) {
      var tag = document.createElement("span");
      tag.className = "pv-variant";
      tag.textContent = "variant " + turn.variant;
      node.appendChild(tag);
    }
    return node;
  }
  function render(turns) {
    log.textContent = "";
    turns.forEach(function (turn, i) {
      log.appendChild(line(turn));
      if (turn.buttons.length && i === turns.length - 1) {
        var group = document.createElement("div");
        group.className = "pv-buttons";
        turn.buttons.forEach(function (b) {
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = b.title;
          button.addEventListener("click", function () { send(b.payload); });
          group.appendChild(button);
        });
        log.appendChild(group);
      }
    });
    log.scrollTop = log.scrollHeight;
  }
  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    body.set("messages", JSON.stringify(messages));
    body.set("variant", variant ? variant.value : "");
    var mine = ++latest;
    log.setAttribute("aria-busy", "true");
    fetch("/console/questions/preview", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) {
        if (mine !== latest) return;  // a newer edit is on its way
        log.removeAttribute("aria-busy");
        problems.hidden = !!data.ok;
        problems.textContent = data.ok ? "" : "The draft is not valid yet:\n" + data.problems.join("\n");
        if (data.ok) render(data.turns);
      })
      .catch(function () {
        if (mine !== latest) return;
        log.removeAttribute("aria-busy");
        problems.hidden = false;
        problems.textContent = "The preview is not available right now (are you still logged in?).";
      });
  }
  function later() { clearTimeout(timer); timer = setTimeout(refresh, 350); }
  function send(text) {
    if (!String(text).trim()) return;
    messages.push(String(text));
    refresh();
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  if (variant) variant.addEventListener("change", refresh);
  say.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
    input.focus();
  });
  restart.addEventListener("click", function () { messages = []; refresh(); });
  refresh();
})();
