// Matching page: "select all" for the optimal assignment's proposals (the page works without it).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-check-all]").forEach(function (button) {
      button.addEventListener("click", function () {
        const name = button.dataset.checkAll;
        const boxes = document.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
        const allChecked = Array.prototype.every.call(boxes, function (b) { return b.checked; });
        boxes.forEach(function (b) { b.checked = !allChecked; });
      });
    });
  });
})();
