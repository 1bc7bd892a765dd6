// Mutual-aid square pages: let htmx swap our clear 403/409/422 messages into the page (htmx 2 drops 4xx by
// default), and reload a request page when its status changes elsewhere (someone accepted, checked in...).
(function () {
  "use strict";
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(403|409|422|429)", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
  }
  const box = document.getElementById("request");
  if (!box || !box.dataset.poll || !window.fetch) return;
  const status = box.dataset.status;
  let busy = false;
  function editing() {
    const el = document.activeElement;
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT");
  }
  window.setInterval(function () {
    if (busy || document.hidden || editing()) return;
    busy = true;
    fetch(box.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && data.status && data.status !== status) window.location.reload(); })
      .catch(function () { /* offline: try again later */ })
      .finally(function () { busy = false; });
  }, 15000);
})();
