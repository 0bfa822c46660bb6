/*
 * Behaviour of the money pages (loaded by web/money/_head.html; the CSP forbids inline scripts):
 *   <input type="checkbox" data-select-all="ids">   (un)checks every checkbox named "ids" in its form
 *   [data-selected-count]                            shows how many "ids" boxes are checked
 *   button[data-bulk-submit]                         enabled only while at least one row is selected
 *   button[data-print]                               prints the page (the approval document)
 */
(function () {
  "use strict";

  function boxes(form, name) {
    return Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="' + name + '"]'));
  }

  function refresh(form) {
    var all = boxes(form, "ids");
    var checked = all.filter(function (b) { return b.checked; }).length;
    form.querySelectorAll("[data-selected-count]").forEach(function (el) { el.textContent = String(checked); });
    form.querySelectorAll("button[data-bulk-submit]").forEach(function (b) { b.disabled = checked === 0; });
    form.querySelectorAll("input[data-select-all]").forEach(function (master) {
      master.checked = all.length > 0 && checked === all.length;
      master.indeterminate = checked > 0 && checked < all.length;
    });
  }

  function wireBulk() {
    document.querySelectorAll("form.bulk-form").forEach(function (form) {
      form.addEventListener("change", function (event) {
        var target = event.target;
        if (target instanceof HTMLInputElement && target.hasAttribute("data-select-all")) {
          boxes(form, target.getAttribute("data-select-all")).forEach(function (b) { b.checked = target.checked; });
        }
        refresh(form);
      });
      refresh(form);
    });
  }

  function wirePrint() {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireBulk();
    wirePrint();
  });
})();
