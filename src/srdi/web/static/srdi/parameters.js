/*
 * The propose form of 参数管理 (the CSP forbids inline scripts): when the parameter <select name=parameter>
 * changes, [data-unit-hint] shows how a value of that parameter's unit is typed (from the json_script
 * "unit-hints": {pid: hint}); the server shows the same hint for the parameter chosen when the page was drawn.
 */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[name=parameter]");
    var hint = document.querySelector("[data-unit-hint]");
    var source = document.getElementById("unit-hints");
    if (!select || !hint || !source) return;
    var hints = {};
    try {
      hints = JSON.parse(source.textContent) || {};
    } catch (e) {
      return;
    }
    var fallback = hint.textContent;
    select.addEventListener("change", function () {
      hint.textContent = hints[select.value] || fallback;
    });
  });
})();
