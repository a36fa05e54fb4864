// Progressive enhancement: the list works without this script, Leaflet or tiles.
(function () {
  "use strict";
  var element = document.getElementById("directory-map");
  var data = document.getElementById("directory-map-points");
  if (!element || !data || typeof window.L === "undefined") return;
  var points = JSON.parse(data.textContent || "[]");
  if (!points.length) return;
  element.hidden = false;
  var map = window.L.map(element, { scrollWheelZoom: false });
  window.L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var marker = window.L.marker([p.lat, p.lon], { title: p.name, alt: p.name }).addTo(map);
    var link = document.createElement("a");
    link.href = p.href;
    link.textContent = p.name;
    marker.bindPopup(link);
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length === 1) map.setView(bounds[0], 14); else map.fitBounds(bounds, { padding: [20, 20] });
})();
