// Progressive enhancement only: every page works without this file.
// - Leaflet maps of the derived status (elements with class "map"), from our GeoJSON;
// - the map page's date slider.
// No HTML is built from data here: text goes in with textContent.
"use strict";

(function () {
  const LABELS = {
    russian_control: "Russian control",
    ukrainian_control: "Ukrainian control",
    contested: "Contested",
    unknown: "Unknown",
  };
  const APPROXIMATE_RADIUS_M = 2500;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function badge(status) {
    const node = el("span", "badge badge--small badge--" + status);
    node.appendChild(el("span", "badge__shape"));
    node.appendChild(document.createTextNode(LABELS[status] || status));
    return node;
  }

  function popupContent(p, asOf) {
    const box = el("div", "popup");
    box.appendChild(el("strong", "popup__name", p.name));
    const line = el("div", "popup__status");
    line.appendChild(badge(p.status));
    box.appendChild(line);
    const facts = [];
    if (p.since) facts.push("since " + p.since);
    if (p.confidence) facts.push("confidence " + p.confidence);
    if (p.location_precision === "approximate") facts.push("approximate position");
    box.appendChild(el("div", "popup__facts", facts.join(" · ")));
    if (p.reason) box.appendChild(el("div", "popup__reason", p.reason));
    if (p.latest_claims && p.latest_claims.length) {
      const list = el("ul", "popup__claims");
      p.latest_claims.forEach(function (c) {
        const item = el("li");
        item.appendChild(el("span", "popup__date", c.as_of + " "));
        item.appendChild(document.createTextNode(c.source + " (" + c.source_side + ", " + c.verification + "): "));
        item.appendChild(el("span", null, LABELS[c.status] || c.status));
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    const link = el("a", "popup__link", "Open " + p.name + " and its claims →");
    link.href = "/settlements/" + encodeURIComponent(p.settlement) + "?as_of=" + encodeURIComponent(asOf);
    box.appendChild(link);
    return box;
  }

  function markerIcon(p) {
    const node = el("div", "map-marker__inner");
    node.appendChild(el("span", "badge__shape"));
    node.appendChild(el("span", "map-marker__label", p.name + " · " + (LABELS[p.status] || p.status)));
    return window.L.divIcon({
      className: "map-marker map-marker--" + p.status,
      html: node,
      iconSize: null,
      iconAnchor: [7, 7],
    });
  }

  function initMap(container) {
    if (container.dataset.ready || !window.L) return;
    container.dataset.ready = "1";
    const L = window.L;
    const map = L.map(container, { scrollWheelZoom: false, zoomSnap: 0.25 });
    if (container.dataset.tileUrl) {
      L.tileLayer(container.dataset.tileUrl, {
        attribution: container.dataset.attribution || "",
        maxZoom: 18,
      }).addTo(map);
    }
    map.setView([51.2, 35.2], 9);
    fetch(container.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        const bounds = [];
        data.features.forEach(function (feature) {
          const p = feature.properties;
          const lon = feature.geometry.coordinates[0];
          const lat = feature.geometry.coordinates[1];
          bounds.push([lat, lon]);
          if (p.location_precision === "approximate") {
            L.circle([lat, lon], {
              radius: APPROXIMATE_RADIUS_M,
              className: "approx-circle approx-circle--" + p.status,
              interactive: false,
            }).addTo(map);
          }
          L.marker([lat, lon], { icon: markerIcon(p), title: p.name, keyboard: true })
            .bindPopup(popupContent(p, container.dataset.asOf))
            .addTo(map);
        });
        // Labels sit to the right of their marker: leave room for them on that side.
        if (bounds.length) {
          map.fitBounds(bounds, { paddingTopLeft: [30, 30], paddingBottomRight: [170, 30], maxZoom: 11 });
        }
        container.dataset.markers = String(data.features.length);
      })
      .catch(function (error) {
        container.appendChild(el("p", "map__fallback", "The map data could not be loaded (" + error.message + ")."));
      });
  }

  function initSlider(slider) {
    if (slider.dataset.ready) return;
    slider.dataset.ready = "1";
    const days = slider.dataset.days.split(",");
    const form = slider.form;
    const output = form.querySelector("output");
    const hidden = form.querySelector("input[name=as_of]");
    slider.addEventListener("input", function () {
      output.textContent = days[Number(slider.value)];
      slider.setAttribute("aria-valuetext", days[Number(slider.value)]);
    });
    slider.addEventListener("change", function () {
      hidden.value = days[Number(slider.value)];
      form.requestSubmit();
    });
  }

  function init(root) {
    root.querySelectorAll(".map").forEach(initMap);
    root.querySelectorAll("#map-slider").forEach(initSlider);
  }

  function start() {
    // Leaflet is loaded with "defer" after this file: wait for it on pages that have a map.
    if (window.htmx) window.htmx.onLoad(init);
    else init(document);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
