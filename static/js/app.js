// Live in-app notifications over Server-Sent Events. A push is a convenience: pages work without it.
(function () {
  "use strict";
  const url = document.body.dataset.stream;
  if (!url || !window.EventSource) return;
  const badge = document.getElementById("unread-badge");
  const toast = document.getElementById("live-toast");
  const source = new EventSource(url);
  source.addEventListener("notification", function (event) {
    let data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (badge) {
      badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1);
      badge.classList.remove("hidden");
    }
    if (toast) {
      toast.textContent = "";
      const title = document.createElement("strong");
      title.textContent = data.title;
      const body = document.createElement("div");
      body.textContent = data.body;
      toast.append(title, body);
      toast.classList.remove("hidden");
      window.setTimeout(function () { toast.classList.add("hidden"); }, 8000);
    }
    document.dispatchEvent(new CustomEvent("shiguang:notification", { detail: data }));
  });
})();
