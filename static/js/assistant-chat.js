// AI助手 chat page: voice input (Web Speech API, zh-CN) where the browser has it, read-aloud of replies,
// the emergency countdown, and small htmx niceties. The page works without any of this: typing and the
// plain form POST always work, and the server fires a due emergency countdown by itself.
(function () {
  "use strict";

  var form = document.getElementById("chat-form");
  var textBox = form ? form.querySelector("textarea[name=text]") : null;
  var statusLine = document.getElementById("chat-status");
  var micButton = document.getElementById("mic-btn");
  var log = document.getElementById("chat-log");
  var spokenInput = false; // the last message was spoken: read the answer aloud

  function say(key) {
    if (statusLine && statusLine.dataset[key] !== undefined) statusLine.textContent = statusLine.dataset[key];
  }

  function submitForm(target) {
    if (typeof target.requestSubmit === "function") target.requestSubmit();
    else target.submit();
  }

  // --- voice input --------------------------------------------------------------------------------------------
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (micButton && textBox && Recognition) {
    micButton.classList.remove("hidden");
    var recognizer = null;
    var finalText = "";

    var stop = function () {
      micButton.setAttribute("aria-pressed", "false");
      micButton.textContent = micButton.dataset.idle;
    };

    micButton.addEventListener("click", function () {
      if (recognizer) {
        recognizer.stop();
        return;
      }
      finalText = "";
      recognizer = new Recognition();
      recognizer.lang = "zh-CN";
      recognizer.interimResults = true;
      recognizer.continuous = false;
      recognizer.maxAlternatives = 1;
      recognizer.onresult = function (event) {
        var interim = "";
        for (var i = event.resultIndex; i < event.results.length; i++) {
          var piece = event.results[i][0].transcript;
          if (event.results[i].isFinal) finalText += piece;
          else interim += piece;
        }
        textBox.value = finalText + interim;
      };
      recognizer.onerror = function (event) {
        if (event.error === "not-allowed" || event.error === "service-not-allowed" || event.error === "audio-capture") {
          say("noMic");
        }
      };
      recognizer.onend = function () {
        recognizer = null;
        stop();
        if (finalText.trim()) {
          textBox.value = finalText.trim();
          spokenInput = true;
          say("heard");
          submitForm(form);
        }
      };
      try {
        recognizer.start();
        micButton.setAttribute("aria-pressed", "true");
        micButton.textContent = micButton.dataset.listening;
        say("listening");
      } catch (e) {
        recognizer = null;
        stop();
        say("noMic");
      }
    });
  }

  // --- typing: Enter sends (Shift+Enter for a new line; never while an input method is composing) ----------------
  if (textBox && form) {
    textBox.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        if (textBox.value.trim()) submitForm(form);
      }
    });
  }

  // --- read aloud -----------------------------------------------------------------------------------------------
  var canSpeak = "speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function";

  function speak(text) {
    if (!canSpeak || !text) return;
    window.speechSynthesis.cancel();
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  }

  function plainText(element) {
    var clone = element.cloneNode(true);
    clone.querySelectorAll(".sr-only, .speak-btn").forEach(function (node) { node.remove(); });
    return clone.textContent.trim();
  }

  function addSpeakButtons(root) {
    if (!canSpeak || !statusLine) return;
    root.querySelectorAll("[data-speak]").forEach(function (element) {
      if (element.querySelector(".speak-btn")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn speak-btn";
      button.textContent = statusLine.dataset.speakLabel;
      button.addEventListener("click", function () { speak(plainText(element)); });
      element.appendChild(document.createElement("br"));
      element.appendChild(button);
    });
  }

  // --- emergency countdown: show the seconds; at zero ask the server to raise the alarm now --------------------
  function startCountdowns(root) {
    root.querySelectorAll(".emergency-card[data-status=counting]").forEach(function (card) {
      if (card.dataset.ticking) return;
      card.dataset.ticking = "1";
      var left = parseInt(card.dataset.seconds, 10) || 0;
      var shown = card.querySelector("[data-seconds-left]");
      var fire = card.querySelector("form[data-fire-form]");
      var timer = window.setInterval(function () {
        if (!document.body.contains(card) || card.dataset.status !== "counting") {
          window.clearInterval(timer);
          return;
        }
        left = Math.max(0, left - 1);
        if (shown) shown.textContent = String(left);
        if (left === 0) {
          window.clearInterval(timer);
          if (fire) submitForm(fire);
        }
      }, 1000);
    });
  }

  function syncConversation(root) {
    var turns = root.querySelectorAll(".turn[data-conversation-id]");
    var last = turns.length ? turns[turns.length - 1].dataset.conversationId : "";
    if (!last) return;
    document.querySelectorAll("input[name=conversation]").forEach(function (input) { input.value = last; });
    document.querySelectorAll("input[name=new]").forEach(function (input) { input.value = "False"; });
  }

  function enhance(root) {
    addSpeakButtons(root);
    startCountdowns(root);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    enhance(target.parentNode || document);
    if (log && target === log) {
      syncConversation(log);
      if (textBox) textBox.value = "";
      if (statusLine) statusLine.textContent = "";
      var turns = log.querySelectorAll(".turn");
      var newest = turns[turns.length - 1];
      if (newest) {
        newest.scrollIntoView({ behavior: "smooth", block: "start" });
        if (spokenInput) {
          var reply = newest.querySelector("[data-speak]");
          if (reply) speak(plainText(reply));
        }
      }
      spokenInput = false;
    }
  });

  document.addEventListener("htmx:responseError", function () { say("error"); });
  document.addEventListener("htmx:sendError", function () { say("error"); });

  enhance(document);
  if (log && log.lastElementChild && log.children.length > 1) {
    log.lastElementChild.scrollIntoView({ block: "end" });
  }
})();
