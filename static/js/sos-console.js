// Responder console: live alarms over SSE (with reconnects), a sound cue made with the Web Audio API,
// and cards re-rendered by the server (one renderer) whenever an alarm changes.
(function () {
  "use strict";
  let audio = null;
  let soundOn = false;
  let repeatTimer = null;

  function beep() {
    if (!soundOn || !audio) return;
    const now = audio.currentTime;
    [0, 0.35, 0.7].forEach(function (offset) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, now + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.3);
    });
  }

  function openCount() {
    return document.querySelectorAll(".alarm-card[data-status='open']").length;
  }

  function refreshTitle() {
    const n = openCount();
    document.title = document.title.replace(/^\(\d+\) /, "");
    if (n) document.title = "(" + n + ") " + document.title;
    if (repeatTimer && !n) { window.clearInterval(repeatTimer); repeatTimer = null; }
    if (!repeatTimer && n) repeatTimer = window.setInterval(function () { if (openCount()) beep(); }, 15000);
  }

  function soundToggle() {
    const button = document.getElementById("sound-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!audio && Ctx) audio = new Ctx();
      if (audio && audio.state === "suspended") audio.resume();
      soundOn = !soundOn;
      button.setAttribute("aria-pressed", soundOn ? "true" : "false");
      button.textContent = soundOn ? button.dataset.on : button.dataset.off;
      if (soundOn) beep();
    });
  }

  function console_() {
    const list = document.getElementById("alarms");
    if (!list || !window.EventSource) return;
    const state = document.getElementById("console-state");
    const cardUrl = list.dataset.cardUrl;
    const source = new EventSource(list.dataset.stream);
    source.addEventListener("open", function () { if (state) state.textContent = state.dataset.live; });
    source.addEventListener("error", function () { if (state) state.textContent = state.dataset.lost; });
    source.addEventListener("alarm", function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      let card = document.getElementById("alarm-" + data.id);
      const known = card ? parseInt(card.dataset.version, 10) || 0 : 0;
      if (card && known >= data.version) return;
      const wasOpen = card && card.dataset.status === "open";
      if (!card) {
        const empty = document.getElementById("no-alarms");
        if (empty) empty.remove();
        card = document.createElement("article");
        card.id = "alarm-" + data.id;
        card.className = "alarm-card alarm-" + data.status;
        card.dataset.version = "0";
        card.dataset.status = data.status;
        card.textContent = data.elder + " · " + data.status_label;
        list.prepend(card);
      }
      if (data.status === "open" && !wasOpen) beep();
      if (window.htmx) {
        window.htmx.ajax("GET", cardUrl.replace(/\/0\/$/, "/" + data.id + "/"), { target: card, swap: "outerHTML" })
          .then(refreshTitle);
      } else {
        card.dataset.version = String(data.version);
        card.dataset.status = data.status;
        card.textContent = data.elder + " · " + data.status_label;
        refreshTitle();
      }
    });
    refreshTitle();
  }

  function watchOne() {
    // The alarm card page: reload when the alarm moves on, unless the responder is typing.
    const panel = document.getElementById("alarm-watch");
    if (!panel || !window.EventSource) return;
    const version = parseInt(panel.dataset.version, 10) || 0;
    const source = new EventSource(panel.dataset.stream);
    source.addEventListener("alarm", function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (!data.version || data.version <= version) return;
      const active = document.activeElement;
      const typing = active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT" || active.tagName === "SELECT");
      const toast = document.getElementById("live-toast");
      if (typing) {
        if (toast) { toast.textContent = panel.dataset.updated; toast.classList.remove("hidden"); }
        return;
      }
      source.close();
      window.location.reload();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    soundToggle();
    console_();
    watchOne();
  });
})();
