// Elder SOS page: a 5-second countdown with one-tap cancel; then the live "help is coming" status (SSE).
(function () {
  "use strict";

  function countdown() {
    const form = document.getElementById("sos-form");
    const overlay = document.getElementById("sos-countdown");
    if (!form || !overlay) return;
    const seconds = document.getElementById("sos-seconds");
    const cancel = document.getElementById("sos-cancel");
    const confirmed = document.getElementById("sos-confirmed");
    const button = document.getElementById("sos-button");
    const total = parseInt(form.dataset.countdown, 10) || 5;
    let timer = null;
    let left = total;

    function stop() {
      if (timer) window.clearInterval(timer);
      timer = null;
      overlay.classList.add("hidden");
      left = total;
      seconds.textContent = String(total);
      if (button) button.focus();
    }
    function fire() {
      if (timer) window.clearInterval(timer);
      timer = null;
      confirmed.value = "1";
      seconds.textContent = "0";
      form.submit();
    }
    form.addEventListener("submit", function (event) {
      if (confirmed.value === "1") return; // the countdown already ran
      event.preventDefault();
      if (timer) return;
      left = total;
      seconds.textContent = String(left);
      overlay.classList.remove("hidden");
      cancel.focus();
      if (navigator.vibrate) navigator.vibrate(200);
      timer = window.setInterval(function () {
        left -= 1;
        seconds.textContent = String(Math.max(left, 0));
        if (left <= 0) fire();
      }, 1000);
    });
    cancel.addEventListener("click", stop);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && timer) stop();
    });
  }

  function status() {
    const panel = document.getElementById("sos-status");
    if (!panel || !window.EventSource) return;
    const title = document.getElementById("sos-status-title");
    const text = document.getElementById("sos-status-text");
    let version = parseInt(panel.dataset.version, 10) || 0;
    const titles = {
      open: panel.dataset.titleOpen,
      acknowledged: panel.dataset.titleHelp,
      en_route: panel.dataset.titleHelp,
      on_scene: panel.dataset.titleArrived,
      resolved: panel.dataset.titleDone,
    };
    const source = new EventSource(panel.dataset.stream);
    source.addEventListener("alarm", function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (!data.version || data.version <= version) return;
      version = data.version;
      panel.dataset.version = String(version);
      panel.className = "status-panel status-" + data.status;
      if (titles[data.status]) title.textContent = titles[data.status];
      text.textContent = data.status_text;
      if (data.status === "resolved") source.close();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdown();
    status();
  });
})();
