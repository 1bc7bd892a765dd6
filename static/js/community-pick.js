// Search results that fill a form field: <button data-pick-target="id_elder_id" data-pick-value="42">.
// Used by the outreach form and the proxy sign-up on an activity roster (htmx swaps the results in).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-pick-target]");
    if (!button) return;
    event.preventDefault();
    const field = document.getElementById(button.dataset.pickTarget);
    if (!field) return;
    field.value = button.dataset.pickValue;
    const note = document.getElementById(button.dataset.pickTarget + "-picked");
    if (note) note.textContent = button.dataset.pickLabel || "";
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
})();
