// The status map, drawn by Leaflet over the page's own geography (country borders built from
// Natural Earth at setup, same origin), when JavaScript runs. Without it the page shows the
// server's SVG map of the same markers (/map.svg), so this file only enhances.
// - markers (a shape per status, a name, faded and "(stale)" when stale) grouped by the
//   markercluster plugin where they crowd, each group showing its count per status by shape;
// - labels placed where they hide nothing: not over other markers, names or the map's controls;
// - a scale bar, the borders, the countries' names; tiles only if KT_TILE_URL is set.
// No HTML is built from data here: text goes in with textContent.
"use strict";

(function () {
  // The words for each status come from the page (the server's one list of labels), so a
  // translated page speaks the same words on its map.
  const LABELS = (function () {
    const holder = document.querySelector("[data-status-labels]");
    return holder ? JSON.parse(holder.dataset.statusLabels) : {};
  })();
  // The rest of the map's words, likewise: %(name)s templates, plural forms by category.
  const WORDS = (function () {
    const holder = document.querySelector("[data-map-words]");
    return holder ? JSON.parse(holder.dataset.mapWords) : {};
  })();
  const LANG = document.documentElement.lang || "en";
  const PLURAL = window.Intl && Intl.PluralRules ? new Intl.PluralRules(LANG) : null;

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }

  // A word of WORDS, or the English it stands for when the page passed none.
  function word(key, english) {
    return WORDS[key] !== undefined ? WORDS[key] : english;
  }

  function plural(key, count, english, values) {
    const forms = WORDS[key];
    const form = forms ? forms[PLURAL ? PLURAL.select(count) : "other"] || forms.other : english;
    return fill(form, values);
  }

  // A date of the GeoJSON (ISO) as the page writes dates; English pages keep it as it is.
  function day(iso) {
    if (LANG === "en" || !window.Intl) return iso;
    const parts = String(iso).split("-").map(Number);
    if (parts.length !== 3 || parts.some(isNaN)) return iso;
    const value = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    return new Intl.DateTimeFormat(LANG, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(value);
  }

  // The rule's explanation comes in English from the GeoJSON (a data contract): each of its
  // parts is looked up in the page's words.
  function explained(text) {
    const known = WORDS.explanations || {};
    return String(text).split("; ").map(function (part) { return known[part] || part; }).join("; ");
  }

  const STATUS_ORDER = ["russian_control", "ukrainian_control", "contested", "unknown"];
  const APPROXIMATE_RADIUS_M = 2500;
  // Markers closer than this (in pixels) are grouped: their shapes and names would overlap,
  // no farther: a name beside its marker says more than a count. Where markers are thousands,
  // wider groups keep the page light (and names could not be read there anyway).
  const CLUSTER_RADIUS_PX = 32;
  const CLUSTER_RADIUS_CROWDED_PX = 60;
  const CROWDED_ABOVE = 500;
  // The plugin keeps markers drawn over three times the view in each direction (nine times its
  // area); a tenth more is enough, and a pan adds the rest when it ends.
  const DRAWN_BEYOND_VIEW = 0.1;
  // From this zoom on every marker stands alone (villages a few km apart are apart).
  const NO_CLUSTERS_FROM_ZOOM = 12;

  // Settlement names in the page's language: name_uk or name_ru from the GeoJSON, the English
  // name where the translation is missing.
  const LANGUAGE = document.documentElement.lang;

  function inPageLanguage(properties) {
    const localized = properties["name_" + LANGUAGE];
    if (LANGUAGE === "en" || !localized) return properties;
    return Object.assign({}, properties, { name: localized });
  }

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
    if (p.since) facts.push(fill(word("since", "since %(date)s"), { date: day(p.since) }));
    if (p.confidence) {
      const level = (WORDS.levels || {})[p.confidence] || p.confidence;
      facts.push(fill(word("confidence", "confidence %(level)s"), { level: level }));
    }
    if (p.location_precision === "approximate") facts.push(word("approximate", "approximate position"));
    box.appendChild(el("div", "popup__facts", facts.join(" · ")));
    if (p.days_since_latest_claim !== null && p.days_since_latest_claim !== undefined) {
      const days = p.days_since_latest_claim;
      const age = days === 0 ? word("on_the_date_shown", "on the date shown")
        : plural("days_before", days, "%(count)s days before the date shown", { count: days });
      const line = p.stale ? word("stale_latest_claim", "Stale: latest claim %(age)s") : word("latest_claim", "Latest claim %(age)s");
      box.appendChild(el("div", "popup__age" + (p.stale ? " popup__age--stale" : ""), fill(line, { age: age })));
    }
    if (p.explanation) box.appendChild(el("div", "popup__reason", explained(p.explanation)));
    if (p.latest_claims && p.latest_claims.length) {
      const list = el("ul", "popup__claims");
      p.latest_claims.forEach(function (c) {
        const item = el("li");
        item.appendChild(el("span", "popup__date", day(c.as_of) + " "));
        const side = (WORDS.sides || {})[c.source_side] || c.source_side;
        const verification = (WORDS.verifications || {})[c.verification] || c.verification;
        item.appendChild(document.createTextNode(c.source + " (" + side + ", " + verification + "): "));
        item.appendChild(el("span", null, LABELS[c.status] || c.status));
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    const link = el("a", "popup__link", fill(word("open", "Open %(name)s and its claims →"), { name: p.name }));
    link.href = "/settlements/" + encodeURIComponent(p.settlement) + "?as_of=" + encodeURIComponent(asOf) +
      (knownOn ? "&known_on=" + encodeURIComponent(knownOn) : "");
    box.appendChild(link);
    return box;
  }

  function markerLabel(p) {
    return p.name + " · " + (LABELS[p.status] || p.status) + (p.stale ? " " + word("stale_mark", "(stale)") : "");
  }

  function markerIcon(p) {
    const node = el("div", "map-marker__inner");
    // An approximate position: a dashed circle of the uncertainty, sized per zoom by CSS
    // (the container's --approx-d), drawn with the marker so it goes and comes with it.
    if (p.location_precision === "approximate") node.appendChild(el("span", "map-marker__approx"));
    node.appendChild(el("span", "badge__shape"));
    node.dataset.status = p.status;
    node.appendChild(el("span", "map-marker__label", markerLabel(p)));
    return window.L.divIcon({
      className: "map-marker map-marker--" + p.status + (p.stale ? " map-marker--stale" : ""),
      html: node,
      iconSize: null,
      iconAnchor: [7, 7],
    });
  }

  // A group of markers: how many, and how many of each status, each with its shape.
  function clusterIcon(cluster) {
    const counts = {};
    let stale = 0;
    cluster.getAllChildMarkers().forEach(function (m) {
      counts[m.options.status] = (counts[m.options.status] || 0) + 1;
      if (m.options.stale) stale++;
    });
    const total = cluster.getChildCount();
    const node = el("div", "map-cluster__inner");
    node.appendChild(el("span", "map-cluster__total", String(total)));
    const row = el("span", "map-cluster__counts");
    const words = [];
    STATUS_ORDER.forEach(function (status) {
      if (!counts[status]) return;
      const part = el("span", "map-cluster__count map-cluster__count--" + status);
      part.appendChild(el("span", "badge__shape"));
      part.appendChild(document.createTextNode(String(counts[status])));
      row.appendChild(part);
      words.push(counts[status] + " " + LABELS[status].toLowerCase());
    });
    node.appendChild(row);
    const text = plural("group", total, "%(count)s settlements: %(words)s", { count: total, words: words.join(", ") }) +
      (stale ? "; " + fill(word("group_stale", "%(count)s stale"), { count: stale }) : "") + ". " + word("zoom_in", "Zoom in to see them.");
    node.dataset.stale = String(stale);
    node.title = text;
    node.setAttribute("aria-label", text);
    return window.L.divIcon({ className: "map-cluster", html: node, iconSize: null, iconAnchor: [0, 0] });
  }

  // Labels to keep first when they collide: what is disputed matters most.
  const LABEL_PRIORITY = { contested: 0, russian_control: 1, ukrainian_control: 1, unknown: 2 };

  // Close settlements' labels would print over each other, over the markers and under the
  // map's controls. In priority order, each label goes right of its marker, else left, else
  // above or below it, else it is hidden until the reader zooms in; every marker keeps its
  // shape, its name on hover and its popup. All boxes are measured in one pass and the
  // classes set in another (no layout thrashing), and a grid of cells keeps the checks
  // near-linear for thousands of markers.
  const GAP_PX = 4;
  const CELL_PX = 64;
  const SLACK_PX = 3;
  const PLACEMENTS = ["right", "left", "above", "below"];

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

  function candidateBoxes(shape, label) {
    const width = label.right - label.left;
    const height = label.bottom - label.top;
    const midX = (shape.left + shape.right) / 2;
    return {
      right: { left: shape.right + GAP_PX, right: shape.right + GAP_PX + width, top: label.top, bottom: label.bottom },
      left: { left: shape.left - GAP_PX - width, right: shape.left - GAP_PX, top: label.top, bottom: label.bottom },
      above: { left: midX - width / 2, right: midX + width / 2, top: shape.top - GAP_PX - height, bottom: shape.top - GAP_PX },
      below: { left: midX - width / 2, right: midX + width / 2, top: shape.bottom + GAP_PX, bottom: shape.bottom + GAP_PX + height },
    };
  }

  function declutterLabels(container) {
    const view = container.getBoundingClientRect();
    // Only markers in view are measured: measuring forces a layout, and labels matter there.
    const L = window.L;
    const map = container.leafletMap;
    const size = map.getSize();
    const markers = Array.from(container.querySelectorAll(".map-marker__inner")).filter(function (m) {
      const at = map.layerPointToContainerPoint(L.DomUtil.getPosition(m.parentElement));
      return at.x > -20 && at.y > -20 && at.x < size.x + 20 && at.y < size.y + 20;
    });
    const clusters = Array.from(container.querySelectorAll(".map-cluster__inner"));
    const controls = Array.from(container.querySelectorAll(".leaflet-control"));
    markers.forEach(function (m) {
      m.classList.remove("map-marker__inner--left", "map-marker__inner--above", "map-marker__inner--below", "map-marker__inner--no-label");
    });
    // Measure everything first (one layout), then decide, then write classes.
    const measured = markers.map(function (m) {
      return {
        node: m,
        shape: m.querySelector(".badge__shape").getBoundingClientRect(),
        label: m.querySelector(".map-marker__label").getBoundingClientRect(),
        priority: LABEL_PRIORITY[m.dataset.status] ?? 1,
      };
    });
    const obstacles = new Obstacles();
    // The controls come first: nothing is written under them.
    controls.forEach(function (c) {
      obstacles.add(c.getBoundingClientRect());
    });
    const groupBoxes = clusters.map(function (c) {
      return c.getBoundingClientRect();
    });
    const fits = function (box) {
      return box.left >= view.left && box.right <= view.right && box.top >= view.top && box.bottom <= view.bottom;
    };
    const inView = function (box) {
      return box.right > view.left && box.left < view.right && box.bottom > view.top && box.top < view.bottom;
    };
    measured.sort(function (a, b) {
      return a.priority - b.priority;
    });
    // A marker drawn over another one (nearly the same place): only the first is named, or
    // a name would sit beside the wrong marker.
    measured.forEach(function (m) {
      if (!inView(m.shape)) return;
      m.stacked = obstacles.hits(m.shape);
      obstacles.add(m.shape);
    });
    // Then the groups: no name is written over one, but a marker beside one keeps its name.
    groupBoxes.forEach(function (box) {
      obstacles.add(box);
    });
    let hidden = 0;
    const decisions = [];
    measured.forEach(function (m) {
      if (!inView(m.shape)) return;
      let placed = null;
      if (!m.stacked) {
        const boxes = candidateBoxes(m.shape, m.label);
        placed = PLACEMENTS.find(function (name) {
          return fits(boxes[name]) && !obstacles.hits(boxes[name]);
        });
        if (placed) obstacles.add(boxes[placed]);
      }
      if (!placed) hidden++;
      decisions.push([m.node, placed]);
    });
    decisions.forEach(function (d) {
      if (!d[1]) d[0].classList.add("map-marker__inner--no-label");
      else if (d[1] !== "right") d[0].classList.add("map-marker__inner--" + d[1]);
    });
    container.dataset.hiddenLabels = String(hidden);
  }

  // The approximate circle's diameter in pixels at this zoom, for CSS.
  function sizeApproximateCircles(map, container) {
    const centre = map.getCenter();
    const east = L.latLng(centre.lat, centre.lng + APPROXIMATE_RADIUS_M / (111320 * Math.cos((centre.lat * Math.PI) / 180)));
    const px = Math.abs(map.latLngToContainerPoint(east).x - map.latLngToContainerPoint(centre).x);
    container.style.setProperty("--approx-d", Math.max(16, Math.round(2 * px)) + "px");
  }

  function addGeography(map, url) {
    if (!url) return;
    fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (geography) {
        const L = window.L;
        L.geoJSON(geography, {
          pane: "geography",
          interactive: false,
          filter: function (f) {
            return f.properties.kind === "border";
          },
          style: { className: "map-border", weight: 2, color: "#4b5563", dashArray: "8 3 2 3", fill: false },
        }).addTo(map);
        geography.features.forEach(function (f) {
          if (f.properties.kind !== "country") return;
          const c = f.geometry.coordinates;
          L.marker([c[1], c[0]], {
            pane: "geography-labels",
            interactive: false,
            keyboard: false,
            icon: L.divIcon({ className: "map-country", html: el("span", null, f.properties.name), iconSize: null }),
          }).addTo(map);
        });
        if (geography.properties && geography.properties.source) {
          map.attributionControl.addAttribution(word("borders", "Borders: Natural Earth"));
        }
      })
      .catch(function () {
        // Without borders the map still shows every marker: nothing to tell the reader.
      });
  }

  function initMap(container) {
    if (container.dataset.ready) return;
    container.dataset.ready = "1";
    if (!window.L) {
      // Leaflet did not load: show the server's map, as readers without JavaScript see it.
      const image = el("img", "map__image");
      container.classList.add("map--fallback");
      image.src = container.dataset.svg;
      image.alt = container.getAttribute("aria-label");
      container.appendChild(image);
      return;
    }
    container.classList.add("map--live");
    const L = window.L;
    // Zoom limits: the grouping plugin needs a maximum, and below 6 the region is a dot.
    const map = L.map(container, { scrollWheelZoom: false, zoomSnap: 0.25, minZoom: 6, maxZoom: 16 });
    container.leafletMap = map; // for tests and measurements
    map.createPane("geography").style.zIndex = 350;
    map.createPane("geography-labels").style.zIndex = 360;
    L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
    if (container.dataset.tileUrl) {
      L.tileLayer(container.dataset.tileUrl, {
        attribution: container.dataset.attribution || "",
        maxZoom: 18,
      }).addTo(map);
    }
    map.setView([51.2, 35.2], 9);
    addGeography(map, container.dataset.geography);
    fetch(container.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        const bounds = [];
        const markers = [];
        data.features.forEach(function (feature) {
          const p = inPageLanguage(feature.properties);
          const lon = feature.geometry.coordinates[0];
          const lat = feature.geometry.coordinates[1];
          bounds.push([lat, lon]);
          const marker = L.marker([lat, lon], {
            icon: markerIcon(p),
            title: markerLabel(p),
            alt: markerLabel(p),
            keyboard: true,
            status: p.status,
            stale: !!p.stale,
          });
          // Built when opened: thousands of popups up front would slow the first view.
          marker.bindPopup(function () {
            return popupContent(p, container.dataset.asOf, data.known_on);
          });
          markers.push(marker);
        });
        // Without the grouping plugin (it failed to load) every marker is drawn alone.
        const groups = !L.markerClusterGroup ? L.featureGroup() : L.markerClusterGroup({
          maxClusterRadius: markers.length > CROWDED_ABOVE ? CLUSTER_RADIUS_CROWDED_PX : CLUSTER_RADIUS_PX,
          disableClusteringAtZoom: NO_CLUSTERS_FROM_ZOOM,
          showCoverageOnHover: false,
          spiderfyOnMaxZoom: false,
          iconCreateFunction: clusterIcon,
          // Without animation the groups are final when the zoom ends (and motion is calm).
          animate: false,
        });
        if (groups._getExpandedVisibleBounds) {
          groups._getExpandedVisibleBounds = function () {
            return map.getBounds().pad(DRAWN_BEYOND_VIEW);
          };
        }
        if (groups.addLayers) groups.addLayers(markers);
        else markers.forEach(function (m) { groups.addLayer(m); });
        map.addLayer(groups);
        if (bounds.length) {
          // Room for the zoom control (top left), the scale and the attribution (bottom) and
          // the labels (right), so no marker opens under a control; on a phone a fifth of
          // the width for labels, or the markers would be a sliver.
          const labelRoom = Math.min(170, Math.round(container.clientWidth * 0.2));
          map.fitBounds(bounds, { paddingTopLeft: [56, 24], paddingBottomRight: [labelRoom, 40], maxZoom: 11, animate: false });
        }
        const relayout = function () {
          sizeApproximateCircles(map, container);
          declutterLabels(container);
        };
        relayout();
        // After every zoom and pan (moveend follows zoomend), once the groups are final.
        map.on("moveend", relayout);
        container.dataset.markers = String(data.features.length);
      })
      .catch(function (error) {
        container.appendChild(el("p", "map__fallback", fill(word("load_failed", "The map data could not be loaded (%(error)s)."), { error: error.message })));
      });
  }

  function init(root) {
    root.querySelectorAll(".map").forEach(initMap);
  }

  // Content that htmx swaps in later (the date bar, the slider) brings a new map. This file
  // runs before htmx (both deferred, htmx later in the page), so listen for its event on the
  // document rather than through htmx.onLoad.
  document.addEventListener("htmx:load", function (event) {
    init(event.detail.elt);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
})();
