// Progressive enhancement only: every page works without this file.
// - After the date control swaps the page in place, focus moves to the page's heading, so a
//   keyboard or screen-reader user lands on what changed instead of the top of the document.
// - A click on a slice of the region chart moves to that date (the same dates are links in
//   the table beside the chart, for keyboards and without JavaScript).
"use strict";

(function () {
  document.addEventListener("htmx:afterSettle", function (event) {
    const target = event.detail && event.detail.target;
    if (!target || target.id !== "page") return;
    const heading = document.querySelector("#main h1");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  });

  document.addEventListener("click", function (event) {
    const slice = event.target.closest && event.target.closest("[data-href]");
    if (!slice || !slice.closest(".chart")) return;
    const link = document.querySelector('a.chart__day[href="' + CSS.escape(slice.getAttribute("data-href")) + '"]');
    if (link) link.click();  // boosted like every link of the page: swapped in, not reloaded
    else window.location.assign(slice.getAttribute("data-href"));
  });
})();
