/*
 * srdi page behaviour. The Content-Security-Policy forbids inline scripts, so pages declare behaviour with
 * data- attributes and this file wires it up:
 *   data-chart="bar" data-chart-source="<id of a json_script block>"   draws an ECharts bar chart
 *     optional: data-chart-horizontal="true", data-chart-href="<url prefix>" (click a bar → prefix + code)
 *     data {labels, values, codes?} draws one series; data {labels, series: [{name, color, values, links?}]}
 *     draws stacked series with a legend (click a bar segment → its link); hideLabels: true leaves the
 *     values to the tooltip (for bars too short to carry them)
 *   data-chart="radar" data-chart-source="<id>"    draws an ECharts radar from {indicators, values, name};
 *     a null value (unknown dimension) is left out of the polygon, never drawn as 0
 *   <a href="#id" data-open-details>  opens the <details id="id"> it points to before scrolling there
 *   <form data-confirm="…">       asks for confirmation before submitting
 *   <form data-busy-text="…">     disables the submit button and shows the text while the server works
 *   <select data-submit-on-change>  submits its form when a choice is made (a plain button stays for no-JS)
 *   <form data-progress-url=".../TOKEN/">  long work: puts a random token in the form's progress_token field and
 *     polls the URL (TOKEN replaced) every second, filling the page's .import-progress bar and its text
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

  function barSeries(data, horizontal, href) {
    if (data.series) {
      var labelled = !data.hideLabels;
      return data.series.map(function (s) {
        return {
          type: "bar",
          name: s.name,
          stack: "total",
          data: s.values,
          itemStyle: s.color ? { color: s.color } : undefined,
          barMaxWidth: 28,
          label: {
            show: labelled,
            color: "#1f2733",
            formatter: function (p) {
              return p.value ? p.value : "";
            }
          },
          cursor: s.links ? "pointer" : "default"
        };
      });
    }
    return [
      {
        type: "bar",
        data: data.values,
        barMaxWidth: 32,
        label: { show: true, position: horizontal ? "right" : "top", color: "#223" },
        cursor: href ? "pointer" : "default"
      }
    ];
  }

  function drawBarCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll('[data-chart="bar"]').forEach(function (el) {
      if (el.getAttribute("data-chart-ready")) return;
      var data = readJson(el.getAttribute("data-chart-source"));
      if (!data || !data.labels) return;
      var horizontal = el.getAttribute("data-chart-horizontal") === "true";
      var href = el.getAttribute("data-chart-href");
      var stacked = !!data.series;
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
        legend: stacked ? { top: 0, left: 0, itemWidth: 12, itemHeight: 12 } : undefined,
        grid: { left: horizontal ? 32 : 16, right: 40, top: stacked ? 36 : 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: horizontal ? value : category,
        yAxis: horizontal ? category : value,
        series: barSeries(data, horizontal, href)
      });
      chart.on("click", function (params) {
        var target = null;
        if (stacked) {
          var s = data.series[params.seriesIndex];
          target = s && s.links ? s.links[params.dataIndex] : null;
        } else if (href && data.codes) {
          var code = data.codes[params.dataIndex];
          target = code ? href + encodeURIComponent(code) : null;
        }
        if (target && target.charAt(0) === "/") window.location.href = target;
      });
      el.setAttribute("data-chart-ready", "1");
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  function drawRadarCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll('[data-chart="radar"]').forEach(function (el) {
      if (el.getAttribute("data-chart-ready")) return;
      var data = readJson(el.getAttribute("data-chart-source"));
      if (!data || !data.indicators) return;
      var values = data.values.map(function (v) {
        return v === null || v === undefined ? "-" : v;
      });
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        aria: { enabled: true },
        color: ["#1d5fb4"],
        tooltip: { trigger: "item" },
        radar: {
          indicator: data.indicators,
          radius: "66%",
          splitNumber: 4,
          axisName: { color: "#1f2733", fontSize: 13, lineHeight: 16 },
          splitLine: { lineStyle: { color: "#d5dbe5" } },
          splitArea: { areaStyle: { color: ["#f8fafc", "#f1f4f9"] } },
          axisLine: { lineStyle: { color: "#d5dbe5" } }
        },
        series: [
          {
            type: "radar",
            name: data.name || "",
            symbolSize: 6,
            areaStyle: { color: "rgba(29, 95, 180, 0.18)" },
            lineStyle: { width: 2 },
            data: [{ value: values, name: data.name || "" }]
          }
        ]
      });
      el.setAttribute("data-chart-ready", "1");
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  function drawCharts(root) {
    drawBarCharts(root);
    drawRadarCharts(root);
  }

  function wireDetailsLinks() {
    document.addEventListener("click", function (event) {
      var link = event.target instanceof Element ? event.target.closest("a[data-open-details]") : null;
      if (!link) return;
      var id = (link.getAttribute("href") || "").replace(/^#/, "");
      var target = id && document.getElementById(id);
      if (target && target.tagName === "DETAILS") target.open = true;
    });
  }

  function randomToken() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function startProgress(form) {
    var field = form.querySelector('input[name="progress_token"]');
    var bar = document.querySelector(".import-progress");
    var text = document.querySelector(".import-progress-text");
    if (!field || !bar || !text) return;
    var token = randomToken();
    field.value = token;
    var url = form.getAttribute("data-progress-url").replace("TOKEN", token);
    bar.classList.remove("d-none");
    text.classList.remove("d-none");
    text.textContent = "已开始处理…";
    var inner = bar.querySelector(".progress-bar");
    window.setInterval(function () {
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          return response.json();
        })
        .then(function (state) {
          if (!state.known) return;
          inner.style.width = state.percent + "%";
          bar.setAttribute("aria-valuenow", String(state.percent));
          text.textContent =
            (state.stage || "处理中") + (state.rows ? "：已读取 " + state.rows.toLocaleString("zh-CN") + " 行" : "") + "（" + state.percent + "%）";
        })
        .catch(function () {});
    }, 1000);
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
      if (form.hasAttribute("data-progress-url")) startProgress(form);
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
    document.addEventListener("change", function (event) {
      var select = event.target;
      if (select instanceof HTMLSelectElement && select.hasAttribute("data-submit-on-change") && select.form) {
        select.form.requestSubmit();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    wireForms();
    wireDetailsLinks();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    drawCharts(event.target);
  });
})();
