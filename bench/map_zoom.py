"""How long the map takes to zoom with the benchmark's thousands of markers.

Starts the tracker on the benchmark's dataset (bench/run.py makes it: 5,000 settlements,
about 4,500 of them with coordinates), opens /map in Debian's Chromium and times each
``setZoom`` (animation off) from the call to ``zoomend`` plus one painted frame, so the work
the page does on ``zoomend`` (placing labels) is counted. A measurement, not a test: it
writes its section into bench/RESULTS.md between markers, or prints it.

    .venv/bin/python bench/map_zoom.py [--quick] [--print] [--label after]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import FULL, QUICK, dataset, tracker  # noqa: E402

BEGIN, END = "<!-- map_zoom: begin -->", "<!-- map_zoom: end -->"
CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = [(1280, 900), (375, 740)]
# Zoom steps relative to the level the page opens at: in three levels, out past it, back.
STEPS = [1, 2, 3, 2, 1, 0, -1, 0]

# Leaflet sets window.L when its script runs: catch every map it makes, without relying on
# the page exposing its map (the page before this change did not).
CATCH_MAPS = """
(() => {
  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return leaflet; },
    set(value) {
      leaflet = value;
      if (value && value.Map && !value.__caught) {
        value.__caught = true;
        value.Map.addInitHook(function () { (window.__maps = window.__maps || []).push(this); });
      }
    },
  });
})();
"""

# One zoom: the call, then zoomend (after the page's own handlers, registered earlier), then
# two animation frames so that the frame showing the new zoom has been painted.
ZOOM_ONCE = """
async (zoom) => {
  const map = window.__maps[0];
  const began = performance.now();
  await new Promise((resolve) => {
    map.once("zoomend", () => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    map.setZoom(zoom, { animate: false });
  });
  return performance.now() - began;
}
"""


def measure(base: str, width: int, height: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        # The page forbids eval (CSP); the measuring code below is ours, not the page's.
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        page.add_init_script(CATCH_MAPS)
        began = time.perf_counter()
        page.goto(base + "/map", timeout=600_000)
        page.wait_for_function(
            "document.querySelector('.map') && document.querySelector('.map').dataset.markers",
            timeout=600_000,
        )
        # Let the first layout and label placement settle before timing zooms.
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)))")
        ready = time.perf_counter() - began
        markers = int(page.evaluate("document.querySelector('.map').dataset.markers"))
        start_zoom = float(page.evaluate("window.__maps[0].getZoom()"))
        timings = []
        for step in STEPS:
            timings.append(float(page.evaluate(ZOOM_ONCE, start_zoom + step)))
        in_dom = int(page.evaluate("document.querySelectorAll('.leaflet-marker-icon').length"))
        browser.close()
    return {
        "width": width,
        "markers": markers,
        "ready": ready,
        "start_zoom": start_zoom,
        "timings": timings,
        "in_dom": in_dom,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    parser.add_argument("--label", default="after", help="a name for this run (before/after)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.work.mkdir(parents=True, exist_ok=True)
    path = dataset(args.work, sizes.settlements, sizes.claims)
    rows = []
    with tracker(f"sqlite:///{path}") as (base, _proc):
        for width, height in VIEWPORTS:
            result = measure(base, width, height)
            timings = result["timings"]
            rows.append(
                f"| {args.label} | {result['width']} | {result['markers']:,} | "
                f"{result['ready']:.1f} | {statistics.median(timings):.0f} | "
                f"{max(timings):.0f} | {result['in_dom']:,} |"
            )
            print(rows[-1], flush=True)
    lines = [
        BEGIN,
        "## Map zoom\n",
        f"{sizes.settlements:,} settlements, {sizes.claims:,} claims, SQLite, one worker, "
        f"{date.today().isoformat()}, Debian's Chromium (headless, no GPU). `/map` as known now; "
        f"each `setZoom` without animation, {len(STEPS)} steps around the opening zoom "
        f"({', '.join(f'{s:+d}' for s in STEPS)}), timed from the call to `zoomend` plus two "
        "animation frames (the page's own `zoomend` work, placing labels, included). "
        "`bench/map_zoom.py`.\n",
        "| code | width (px) | markers | page ready (s) | zoom median (ms) | zoom max (ms) "
        "| marker elements after |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        '"page ready" for the first width includes the server\'s cold start (deriving every '
        'status), so only the zoom columns compare. "before" is the map with one DOM marker '
        'per settlement and every label measured on each zoom; "after" groups markers with '
        "the markercluster plugin, draws them a tenth beyond the view and measures only the "
        "labels in view. Single runs on a shared two-core machine: the maximum varies most.",
        END,
    ]
    section = "\n".join(lines) + "\n"
    if args.print:
        print(section)
        return
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if BEGIN in text and END in text:
        # Keep the rows of other runs (the code before a change, say) beside this one's.
        kept = [
            line
            for line in text.split(BEGIN, 1)[1].split(END, 1)[0].splitlines()
            if line.startswith("| ")
            and not line.startswith("| code ")
            and line.split("|")[1].strip() != args.label
        ]
        at = lines.index(rows[0]) if rows else lines.index("")
        lines[at:at] = kept
        section = "\n".join(lines) + "\n"
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
