// Worklist helpers (no inline script: CSP). Everything works without this file; it only
// spares taps: a reply template fills the comment box, "select all" ticks every ticket.
(function () {
  "use strict";
  document.querySelectorAll("select[data-fill]").forEach(function (select) {
    select.addEventListener("change", function () {
      var target = document.getElementById(select.getAttribute("data-fill"));
      if (target && select.value) {
        target.value = target.value ? target.value + "\n\n" + select.value : select.value;
        target.focus();
      }
    });
  });
  var all = document.getElementById("pick-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("click", function () {
      var boxes = document.querySelectorAll('input[name="ticket"][form="bulk"]');
      var tick = Array.prototype.some.call(boxes, function (b) { return !b.checked; });
      boxes.forEach(function (b) { b.checked = tick; });
    });
  }
  // The filter panel is folded on a phone; on a wide screen it starts open.
  var filters = document.querySelector("details.filters");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 900px)").matches) {
    filters.open = true;
  }
})();
