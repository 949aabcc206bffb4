// Progressive enhancement only: every page works without this file.
// - the map page's date slider (the map itself is static/js/map.js, loaded by its pages).
// No HTML is built from data here: text goes in with textContent.
"use strict";

(function () {
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
    root.querySelectorAll("#map-slider").forEach(initSlider);
  }

  function start() {
    if (window.htmx) window.htmx.onLoad(init);
    else init(document);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
