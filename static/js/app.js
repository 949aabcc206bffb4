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

  function popupContent(p, asOf, knownOn) {
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
    if (p.days_since_latest_claim !== null && p.days_since_latest_claim !== undefined) {
      const age = p.days_since_latest_claim === 0 ? "on the date shown" : p.days_since_latest_claim + " days before the date shown";
      box.appendChild(el("div", "popup__age" + (p.stale ? " popup__age--stale" : ""), (p.stale ? "Stale: latest claim " : "Latest claim ") + age));
    }
    if (p.explanation) box.appendChild(el("div", "popup__reason", p.explanation));
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
    link.href = "/settlements/" + encodeURIComponent(p.settlement) + "?as_of=" + encodeURIComponent(asOf) +
      (knownOn ? "&known_on=" + encodeURIComponent(knownOn) : "");
    box.appendChild(link);
    return box;
  }

  function markerIcon(p) {
    const node = el("div", "map-marker__inner");
    node.appendChild(el("span", "badge__shape"));
    node.dataset.status = p.status;
    node.appendChild(el("span", "map-marker__label", p.name + " · " + (LABELS[p.status] || p.status) + (p.stale ? " (stale)" : "")));
    return window.L.divIcon({
      className: "map-marker map-marker--" + p.status + (p.stale ? " map-marker--stale" : ""),
      html: node,
      iconSize: null,
      iconAnchor: [7, 7],
    });
  }

  // Labels to keep first when they collide: what is disputed matters most.
  const LABEL_PRIORITY = { contested: 0, russian_control: 1, ukrainian_control: 1, unknown: 2 };

  // Close settlements' labels would print over each other and over the markers. In priority
  // order, each label goes right of its marker, else left of it, else it is hidden until the
  // reader zooms in; every marker keeps its shape, its name on hover and its popup.
  // All boxes are measured in one pass and the classes set in another (no layout thrashing),
  // and a grid of cells keeps the checks near-linear for thousands of markers.
  const GAP_PX = 4;
  const CELL_PX = 64;
  const SLACK_PX = 3;

  function Obstacles() {
    this.cells = new Map();
  }
  Obstacles.prototype.each = function (box, visit) {
    for (let x = Math.floor(box.left / CELL_PX); x <= Math.floor(box.right / CELL_PX); x++) {
      for (let y = Math.floor(box.top / CELL_PX); y <= Math.floor(box.bottom / CELL_PX); y++) {
        if (visit(x + ":" + y) === false) return false;
      }
    }
    return true;
  };
  Obstacles.prototype.add = function (box) {
    const cells = this.cells;
    this.each(box, function (key) {
      if (!cells.has(key)) cells.set(key, []);
      cells.get(key).push(box);
    });
  };
  Obstacles.prototype.hits = function (box) {
    const cells = this.cells;
    return !this.each(box, function (key) {
      const boxes = cells.get(key) || [];
      for (let i = 0; i < boxes.length; i++) {
        const o = boxes[i];
        // Boxes may touch by a few pixels: label padding and shape borders are not text.
        if (
          box.left + SLACK_PX < o.right &&
          o.left + SLACK_PX < box.right &&
          box.top + SLACK_PX < o.bottom &&
          o.top + SLACK_PX < box.bottom
        ) {
          return false;
        }
      }
      return true;
    });
  };

  function declutterLabels(container) {
    const view = container.getBoundingClientRect();
    const markers = Array.from(container.querySelectorAll(".map-marker__inner"));
    markers.forEach(function (m) {
      m.classList.remove("map-marker__inner--left", "map-marker__inner--no-label");
    });
    const measured = markers.map(function (m) {
      return {
        node: m,
        shape: m.querySelector(".badge__shape").getBoundingClientRect(),
        label: m.querySelector(".map-marker__label").getBoundingClientRect(),
        priority: LABEL_PRIORITY[m.dataset.status] ?? 1,
      };
    });
    const inView = function (box) {
      return box.right > view.left && box.left < view.right && box.bottom > view.top && box.top < view.bottom;
    };
    measured.sort(function (a, b) {
      return a.priority - b.priority;
    });
    // A marker drawn over another one (nearly the same place): only the first is named, or
    // a name would sit beside the wrong marker.
    const obstacles = new Obstacles();
    measured.forEach(function (m) {
      if (!inView(m.shape)) return;
      m.stacked = obstacles.hits(m.shape);
      obstacles.add(m.shape);
    });
    let hidden = 0;
    measured.forEach(function (m) {
      if (!inView(m.shape)) return;
      if (m.stacked) {
        m.node.classList.add("map-marker__inner--no-label");
        hidden++;
        return;
      }
      const width = m.label.right - m.label.left;
      const right = m.label;
      const left = { left: m.shape.left - GAP_PX - width, right: m.shape.left - GAP_PX, top: m.label.top, bottom: m.label.bottom };
      if (right.right <= view.right && !obstacles.hits(right)) {
        obstacles.add(right);
      } else if (left.left >= view.left && !obstacles.hits(left)) {
        obstacles.add(left);
        m.node.classList.add("map-marker__inner--left");
      } else {
        m.node.classList.add("map-marker__inner--no-label");
        hidden++;
      }
    });
    container.dataset.hiddenLabels = String(hidden);
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
            .bindPopup(popupContent(p, container.dataset.asOf, data.known_on))
            .addTo(map);
        });
        // Labels sit to the right of their marker: leave room for them on that side.
        if (bounds.length) {
          // On a phone a fixed 170 px would leave the markers a sliver of the map.
          const labelRoom = Math.min(170, Math.round(container.clientWidth * 0.2));
          map.fitBounds(bounds, { paddingTopLeft: [20, 30], paddingBottomRight: [labelRoom, 30], maxZoom: 11 });
        }
        declutterLabels(container);
        map.on("zoomend", function () {
          declutterLabels(container);
        });
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
