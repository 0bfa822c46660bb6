/*
 * srdi page behaviour. The Content-Security-Policy forbids inline scripts, so pages declare behaviour with
 * data- attributes and this file wires it up:
 *   data-chart="bar" data-chart-source="<id of a json_script block>"   draws an ECharts bar chart
 *     optional: data-chart-horizontal="true", data-chart-href="<url prefix>" (click a bar → prefix + code)
 *   <form data-confirm="…">       asks for confirmation before submitting
 *   <form data-busy-text="…">     disables the submit button and shows the text while the server works
 */
(function () {
  "use strict";

  function readJson(id) {
    var el = id && document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }

  function drawBarCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll('[data-chart="bar"]').forEach(function (el) {
      if (el.getAttribute("data-chart-ready")) return;
      var data = readJson(el.getAttribute("data-chart-source"));
      if (!data || !data.labels) return;
      var horizontal = el.getAttribute("data-chart-horizontal") === "true";
      var href = el.getAttribute("data-chart-href");
      var category = {
        type: "category",
        data: data.labels,
        inverse: horizontal,
        axisLabel: { interval: 0, rotate: horizontal ? 0 : 30, color: "#334" },
        axisTick: { alignWithLabel: true }
      };
      var value = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e6e9ef" } } };
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        aria: { enabled: true },
        color: ["#1d5fb4"],
        grid: { left: horizontal ? 32 : 16, right: 40, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: horizontal ? value : category,
        yAxis: horizontal ? category : value,
        series: [
          {
            type: "bar",
            data: data.values,
            barMaxWidth: 32,
            label: { show: true, position: horizontal ? "right" : "top", color: "#223" },
            cursor: href ? "pointer" : "default"
          }
        ]
      });
      if (href && data.codes) {
        chart.on("click", function (params) {
          var code = data.codes[params.dataIndex];
          if (code) window.location.href = href + encodeURIComponent(code);
        });
      }
      el.setAttribute("data-chart-ready", "1");
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  function wireForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        return;
      }
      var busy = form.getAttribute("data-busy-text");
      if (busy) {
        var button = form.querySelector('button[type="submit"]:not([name])');
        if (button) {
          window.setTimeout(function () {
            button.disabled = true;
            button.textContent = busy;
          }, 0);
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawBarCharts(document);
    wireForms();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    drawBarCharts(event.target);
  });
})();
