// The console's only script (served from /assets, so the Content-Security-Policy needs no inline code):
// draws the overview's charts from the page's JSON data block, and asks before a form marked
// data-confirm is sent (e.g. erasing a person).
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  var data = document.getElementById("charts");
  if (!data || !window.Chart) return;
  JSON.parse(data.textContent).forEach(function (c) {
    var canvas = document.getElementById("chart-" + c.name);
    if (canvas) new window.Chart(canvas, { type: c.type, data: c.data, options: { animation: false, responsive: true,
      plugins: { legend: { display: c.data.datasets.length > 1 } } } });
  });
})();
