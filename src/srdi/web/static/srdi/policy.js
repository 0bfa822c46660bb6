/*
 * Policy pages (the CSP forbids inline scripts, so behaviour is declared with data- attributes):
 *   form[data-policy-filter]   live filter of the catalogue: [data-policy-q] (search text) and
 *     [data-policy-kind] radios hide the [data-policy-measure] cards whose data-kinds / data-search do not
 *     match (the same rule as the server's GET filter), update [data-policy-shown] and [data-policy-empty]
 *   [data-policy-chart="bar"] data-chart-source="<json_script id>"   an ECharts bar chart from
 *     {labels, unit, series: [{name, color, stack?, values: ["123.4567", ...]}]}; values are exact 万元
 *     strings from the server, only converted to numbers for plotting; tooltips show the exact strings
 *   [data-override-add]        shows itself and adds an empty row to [data-override-rows]
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

  // ---- catalogue filter ------------------------------------------------------------------------------

  function wireFilter(form) {
    var input = form.querySelector("[data-policy-q]");
    var radios = form.querySelectorAll("[data-policy-kind]");
    var shown = form.querySelector("[data-policy-shown]");
    var clear = form.querySelector("[data-policy-clear]");

    function currentKind() {
      var kind = "";
      radios.forEach(function (r) {
        if (r.checked) kind = r.value;
      });
      return kind;
    }

    function apply() {
      var kind = currentKind();
      var terms = (input ? input.value : "").toLowerCase().split(/\s+/).filter(Boolean);
      var count = 0;
      document.querySelectorAll("[data-policy-list]").forEach(function (list) {
        var inList = 0;
        list.querySelectorAll("[data-policy-measure]").forEach(function (card) {
          var kinds = (card.getAttribute("data-kinds") || "").split(" ");
          var text = card.getAttribute("data-search") || "";
          var ok =
            (!kind || kinds.indexOf(kind) >= 0) &&
            terms.every(function (t) {
              return text.indexOf(t) >= 0;
            });
          card.hidden = !ok;
          if (ok) inList += 1;
        });
        var empty = list.querySelector("[data-policy-empty]");
        if (empty) empty.classList.toggle("d-none", inList > 0);
        count += inList;
      });
      if (shown) shown.textContent = String(count);
      if (clear) clear.classList.toggle("d-none", !kind && terms.length === 0);
      if (window.history && window.history.replaceState) {
        var params = new URLSearchParams();
        if (input && input.value.trim()) params.set("q", input.value.trim());
        if (kind) params.set("kind", kind);
        var query = params.toString();
        window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
      }
    }

    if (input) input.addEventListener("input", apply);
    radios.forEach(function (r) {
      r.addEventListener("change", apply);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
    });
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        if (input) input.value = "";
        radios.forEach(function (r) {
          r.checked = r.value === "";
        });
        apply();
      });
    }
  }

  // ---- charts --------------------------------------------------------------------------------------

  function drawBar(el) {
    if (!window.echarts || el.getAttribute("data-chart-ready")) return;
    var data = readJson(el.getAttribute("data-chart-source"));
    if (!data || !data.labels || !data.series) return;
    var unit = data.unit || "";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      aria: { enabled: true },
      legend: { top: 0, left: 0, itemWidth: 12, itemHeight: 12 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          if (!items.length) return "";
          var i = items[0].dataIndex;
          var lines = [data.labels[i]];
          items.forEach(function (p) {
            var s = data.series[p.seriesIndex];
            lines.push(p.marker + s.name + "：" + s.values[i] + " " + unit);
          });
          return lines.join("<br>");
        }
      },
      xAxis: {
        type: "category",
        data: data.labels,
        axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 35 : 0, color: "#334" },
        axisTick: { alignWithLabel: true }
      },
      yAxis: { type: "value", splitLine: { lineStyle: { color: "#e6e9ef" } } },
      series: data.series.map(function (s) {
        return {
          type: "bar",
          name: s.name,
          stack: s.stack || undefined,
          barMaxWidth: 26,
          itemStyle: s.color ? { color: s.color } : undefined,
          data: s.values.map(function (v) {
            return Number(v);
          })
        };
      })
    });
    el.setAttribute("data-chart-ready", "1");
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  // ---- override rows -------------------------------------------------------------------------------

  function wireOverrideRows(button) {
    var table = document.querySelector("[data-override-rows] tbody");
    if (!table) return;
    var max = 10;
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      var rows = table.querySelectorAll("[data-override-row]");
      if (!rows.length || rows.length >= max) return;
      var copy = rows[rows.length - 1].cloneNode(true);
      var n = rows.length + 1;
      copy.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        var label = input.getAttribute("aria-label") || "";
        input.setAttribute("aria-label", label.replace(/第\d+行/, "第" + n + "行"));
      });
      table.appendChild(copy);
      copy.querySelector("input").focus();
      if (n >= max) button.disabled = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-policy-filter]").forEach(wireFilter);
    document.querySelectorAll('[data-policy-chart="bar"]').forEach(drawBar);
    document.querySelectorAll("[data-override-add]").forEach(wireOverrideRows);
  });
})();
