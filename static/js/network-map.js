// Facility map without tiles (no external tile server): markers on a plain background, coloured by level.
(function () {
  "use strict";
  const COLORS = { district_centre: "#5b2a86", street_centre: "#b3261e", community_station: "#0b5cad", service_post: "#1e6b34" };
  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("network-map");
    if (!el || !window.L) return;
    const map = window.L.map(el, { attributionControl: false, zoomSnap: 0.25, maxZoom: 18 }).setView([22.54, 114.05], 13);
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (rows) {
        const bounds = [];
        rows.forEach(function (f) {
          const r = f.level === "service_post" ? 3 : f.level === "community_station" ? 5 : 8;
          window.L.circleMarker([f.latitude, f.longitude], { radius: r, color: COLORS[f.level] || "#333", weight: 1, fillOpacity: 0.8 })
            .bindTooltip(f.name + " · " + f.level_label).addTo(map);
          bounds.push([f.latitude, f.longitude]);
        });
        if (bounds.length) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15 });
      });
  });
})();
