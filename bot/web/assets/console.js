// The console's only script (served from /assets, so the Content-Security-Policy needs no inline code):
// draws the overview's charts from the page's JSON data block, asks before a form marked
// data-confirm is sent (e.g. erasing a person), and shows the meetings page in the viewer's
// own time zone (the browser's zone as its tz parameter, when none was chosen). Elsewhere a
// <time data-local datetime="UTC ISO"> (lead page, transcripts) is shown in the viewer's zone.
// Chart axes start at zero.
(function () {
  "use strict";
  var tzForm = document.querySelector("form[data-tz-auto]");
  if (tzForm && window.Intl) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && zone !== tzForm.getAttribute("data-tz")) {
      var url = new URL(window.location.href);
      url.searchParams.set("tz", zone);
      window.location.replace(url.toString());
      return;
    }
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  document.querySelectorAll("time[data-local][datetime]").forEach(function (t) {
    var moment = new Date(t.getAttribute("datetime"));
    if (isNaN(moment.getTime())) return;
    t.title = t.textContent;  // the UTC time stays at hand
    t.textContent = moment.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  });
  var data = document.getElementById("charts");
  if (!data || !window.Chart) return;
  JSON.parse(data.textContent).forEach(function (c) {
    var canvas = document.getElementById("chart-" + c.name);
    if (canvas) new window.Chart(canvas, { type: c.type, data: c.data, options: { animation: false, responsive: true,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { display: c.data.datasets.length > 1 } } } });
  });
})();
