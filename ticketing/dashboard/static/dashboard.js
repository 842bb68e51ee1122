/* Draw the dashboard charts from the JSON embedded in the page (no extra requests). */
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var colours = ["#e0a100", "#2f6fc0", "#c0392b", "#2e8b57", "#7f8c8d", "#8e44ad", "#16a085", "#d35400"];
  var common = { responsive: true, maintainAspectRatio: false, animation: false };
  function make(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { return new window.Chart(canvas, config); }
    return null;
  }
  var charts = [];
  if (data.states) {
    charts.push(make("chart-states", {
      type: "bar",
      data: {
        labels: data.states.labels,
        datasets: data.states.datasets.map(function (set, i) {
          return { label: set.label, data: set.data, backgroundColor: colours[i % colours.length] };
        })
      },
      options: Object.assign({}, common, {
        scales: { x: { stacked: true, ticks: { autoSkip: false, maxRotation: 90, minRotation: 45 } },
                  y: { stacked: true, beginAtZero: true } }
      })
    }));
  }
  charts.push(make("chart-categories", {
    type: "bar",
    data: { labels: data.categories.labels,
            datasets: [{ label: data.categories.label, data: data.categories.data, backgroundColor: "#2f6fc0" }] },
    options: Object.assign({}, common, { indexAxis: "y", plugins: { legend: { display: false } },
                                         scales: { x: { beginAtZero: true } } })
  }));
  charts.push(make("chart-trend", {
    type: "line",
    data: { labels: data.trend.labels, datasets: [
      { label: data.trend.raised_label, data: data.trend.raised, borderColor: "#c0392b", backgroundColor: "#c0392b" },
      { label: data.trend.verified_label, data: data.trend.verified, borderColor: "#2e8b57", backgroundColor: "#2e8b57" }
    ] },
    options: Object.assign({}, common, { scales: { y: { beginAtZero: true } } })
  }));
  // Printing: redraw at the paper size so the charts are not cut or blurred.
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (c) { if (c) { c.resize(); } });
  });
})();
