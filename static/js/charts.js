// Renders charts declared in markup: <div data-chart="pie|bar" data-series="json-script-id">.
(function () {
  "use strict";
  function read(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : [];
  }
  function render(el) {
    if (!window.echarts) return;
    const rows = read(el.dataset.series);
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    const palette = ["#0b5cad", "#b3261e", "#1e6b34", "#8a4b00", "#5b2a86", "#00695c"];
    let option;
    if (el.dataset.chart === "pie") {
      option = {
        color: palette, tooltip: { trigger: "item" }, legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: rows.map(function (r) { return { name: r.label, value: r.value }; }),
          label: { formatter: "{b}: {c}" } }],
      };
    } else {
      const keys = (el.dataset.keys || "value").split(",");
      const names = (el.dataset.names || el.dataset.keys || "value").split(",");
      option = {
        color: palette, tooltip: { trigger: "axis" }, legend: { bottom: 0 },
        grid: { left: 40, right: 16, top: 24, bottom: 60, containLabel: true },
        xAxis: { type: "category", data: rows.map(function (r) { return r.label; }), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
        yAxis: { type: "value", max: el.dataset.max ? Number(el.dataset.max) : null },
        series: keys.map(function (k, i) { return { name: names[i], type: "bar", data: rows.map(function (r) { return r[k]; }) }; }),
      };
    }
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(render);
  });
})();
