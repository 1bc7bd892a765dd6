// Check-in by position: ask the browser for the location and post it with the form. Only the distance to the
// elder's (coarse) home is stored, never the volunteer's coordinates. Without permission, use the 6-digit code.
(function () {
  "use strict";
  document.querySelectorAll("form[data-geo-checkin]").forEach(function (form) {
    const status = form.querySelector("[data-geo-status]");
    function say(text) {
      if (!status) return;
      status.textContent = text;
      status.classList.remove("hidden");
    }
    form.addEventListener("submit", function (event) {
      if (form.dataset.located === "1") return;
      event.preventDefault();
      if (!navigator.geolocation) {
        say(form.dataset.msgUnsupported);
        return;
      }
      say(form.dataset.msgLocating);
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          form.querySelector("input[name=lat]").value = pos.coords.latitude.toFixed(6);
          form.querySelector("input[name=lng]").value = pos.coords.longitude.toFixed(6);
          form.querySelector("input[name=accuracy_m]").value = Math.round(pos.coords.accuracy);
          form.dataset.located = "1";
          form.submit();
        },
        function () { say(form.dataset.msgDenied); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
      );
    });
  });
})();
