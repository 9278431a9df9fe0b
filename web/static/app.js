// enroll834 review desk: the countdown of time left and keyboard moves in a queue.
// Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  function fmt(seconds) {
    var late = seconds < 0, s = Math.abs(Math.floor(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var text = d ? d + " d " + h + " h" : h ? h + " h " + (m < 10 ? "0" : "") + m + " min" : m + " min";
    return late ? "overdue by " + text : text + " left";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (!isNaN(due)) { el.textContent = fmt((due - now) / 1000); }
    });
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-row] a[data-open]")); }
  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target && ev.target.tagName) || "";
    if (/INPUT|TEXTAREA|SELECT/.test(tag) || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var links = rows();
    if (!links.length || (ev.key !== "j" && ev.key !== "k")) { return; }
    var at = links.indexOf(document.activeElement);
    var next = ev.key === "j" ? Math.min(links.length - 1, at + 1) : Math.max(0, at - 1);
    links[at < 0 ? 0 : next].focus();
    ev.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
  document.addEventListener("htmx:afterSwap", tick);
}());
