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
    const wanted = {};    // alarm id -> newest version announced
    const loading = {};   // alarm id -> a card request is in flight
    let lost = null;      // while the stream is down: a timer re-reading the whole list

    function versionOf(card) { return card ? parseInt(card.dataset.version, 10) || 0 : 0; }

    // One request per card at a time; when it lands and a newer version was announced meanwhile, or the
    // request failed, ask again (after a pause on failure). A card is never left as a bare placeholder.
    function load(id) {
      if (loading[id]) return;
      loading[id] = true;
      let ok = false;
      fetch(cardUrl.replace(/\/0\/$/, "/" + id + "/"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.text(); })
        .then(function (html) {
          const holder = document.createElement("template");
          holder.innerHTML = html.trim();
          const fresh = holder.content.firstElementChild;
          const card = document.getElementById("alarm-" + id);
          if (fresh && card) {
            card.replaceWith(fresh);
            if (window.htmx) window.htmx.process(fresh);
          }
          ok = true;
        })
        .catch(function () { /* retried below */ })
        .then(function () {
          loading[id] = false;
          refreshTitle();
          if (versionOf(document.getElementById("alarm-" + id)) < (wanted[id] || 0)) {
            window.setTimeout(function () { load(id); }, ok ? 0 : 3000);
          }
        });
    }

    function resync() {
      // The stream was down: events may have been missed, so read the list as the server has it now.
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("alarms");
          if (!fresh) return;
          list.innerHTML = fresh.innerHTML;
          if (window.htmx) window.htmx.process(list);
          refreshTitle();
        })
        .catch(function () { /* next round */ });
    }

    const source = new EventSource(list.dataset.stream);
    source.addEventListener("open", function () {
      if (state) state.textContent = state.dataset.live;
      if (lost) { window.clearInterval(lost); lost = null; resync(); }
    });
    source.addEventListener("error", function () {
      if (state) state.textContent = state.dataset.lost;
      if (!lost) lost = window.setInterval(resync, 20000);
    });
    source.addEventListener("alarm", function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      let card = document.getElementById("alarm-" + data.id);
      if (card && versionOf(card) >= data.version) return;
      wanted[data.id] = Math.max(wanted[data.id] || 0, data.version);
      const wasOpen = card && card.dataset.status === "open";
      if (!card) {
        // A placeholder until the server's card arrives; "loading" so nothing mistakes it for the card.
        const empty = document.getElementById("no-alarms");
        if (empty) empty.remove();
        card = document.createElement("article");
        card.id = "alarm-" + data.id;
        card.className = "alarm-card alarm-" + data.status;
        card.dataset.version = "0";
        card.dataset.status = "loading";
        card.textContent = data.elder + " · " + data.status_label;
        list.prepend(card);
      }
      if (data.status === "open" && !wasOpen) beep();
      load(data.id);
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
