"""Audit the pages with tools nobody here wrote: axe-core, Lighthouse 12 and the Nu HTML checker.

`make audit` runs this script. It builds a demo tracker of its own in a temporary folder
(the demo data, an editor, a reviewer and one claim waiting for review, so that every page has
something to show), serves it, and then:

1. axe-core, injected by Chromium, on every page at 1280 and 375 px wide;
2. Lighthouse (desktop and mobile presets) on the main reading pages, several runs each,
   reporting the median score of each category;
3. the Nu HTML checker on the HTML of every page.

The results are written to `docs/AUDIT.md` (committed: the figures a reader can check). This is
a measurement, not a test: `make test` holds the axe part as browser tests
(`tests/browser/test_accessibility.py`), the rest needs Java and ~150 MB of npm packages.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "audit" / "node_modules"
# axe-core comes with the project's own npm packages (the browser tests use it too).
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LIGHTHOUSE = TOOLS / ".bin" / "lighthouse"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "audit-password-1234"

# (path, who reads it): None is an anonymous reader.
PAGES: list[tuple[str, str | None]] = [
    ("/", None),
    ("/map", None),
    ("/timeline", None),
    ("/contested", None),
    ("/settlements", None),
    ("/settlements/gornal", None),
    ("/sources", None),
    ("/sources/deepstate", None),
    ("/claims/1", None),
    ("/login", None),
    ("/claims/new", "editor"),
    ("/review", "reviewer"),
    ("/import", "editor"),
    ("/audit", "reviewer"),
]
LIGHTHOUSE_PAGES = ["/", "/map", "/timeline", "/settlements/gornal"]
WIDTHS = (1280, 375)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "kursk-tracker"), *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


def log_in(client: httpx.Client, username: str) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    response.raise_for_status()


@contextmanager
def demo_tracker() -> Iterator[str]:
    """A seeded tracker with an editor, a reviewer and a pending claim, served on a free port."""
    folder = Path(tempfile.mkdtemp(prefix="kt-audit-"))
    port = free_port()
    env = {
        **os.environ,
        "KT_DATABASE_URL": f"sqlite:///{folder}/audit.db",
        "KT_SECRET_KEY": "audit-" + "x" * 40,
    }
    cli(env, "db", "upgrade")
    cli(env, "seed")
    cli(env, "user", "create", "editor", "--role", "editor", stdin=PASSWORD)
    cli(env, "user", "create", "reviewer", "--role", "reviewer", stdin=PASSWORD)
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "kursk-tracker"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base_url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the audit server did not start; see {folder}/server.log")
            time.sleep(0.2)
        with httpx.Client(base_url=base_url, follow_redirects=True) as editor:
            log_in(editor, "editor")
            form = editor.get("/claims/new").text
            token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            editor.post(
                "/claims/new",
                data={
                    "csrf_token": token,
                    "settlement": "gornal",
                    "source": "deepstate",
                    "status": "contested",
                    "as_of": "2025-04-20",
                    "published_on": "2025-04-21",
                    "source_url": "https://example.org/report",
                    "verification": "unverified",
                    "summary": "A claim waiting for review, so that the review queue has a row.",
                },
            ).raise_for_status()
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Results:
    axe: dict[tuple[str, int], list[dict[str, object]]] = field(default_factory=dict)
    lighthouse: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)
    vnu: dict[str, list[str]] = field(default_factory=dict)


def run_axe(base_url: str, results: Results) -> None:
    from playwright.sync_api import sync_playwright

    script = AXE.read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for width in WIDTHS:
            contexts = {}
            for who in (None, "editor", "reviewer"):
                context = browser.new_context(viewport={"width": width, "height": 900})
                if who:
                    page = context.new_page()
                    page.goto(base_url + "/login")
                    page.fill("input[name=username]", who)
                    page.fill("input[name=password]", PASSWORD)
                    page.locator("form[action='/login'] button[type=submit]").click()
                    page.wait_for_load_state()
                    page.close()
                contexts[who] = context
            for path, who in PAGES:
                page = contexts[who].new_page()
                page.goto(base_url + path)
                # evaluate() runs outside the page's CSP, which (rightly) refuses inline scripts.
                page.evaluate(script)
                violations = page.evaluate(
                    """async () => (await axe.run(document, {resultTypes: ['violations']}))
                        .violations.map(v => ({id: v.id, impact: v.impact,
                          nodes: v.nodes.length, help: v.help}))"""
                )
                results.axe[(path, width)] = violations
                page.close()
            for context in contexts.values():
                context.close()
        browser.close()


def run_lighthouse(base_url: str, runs: int, results: Results) -> None:
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    with tempfile.TemporaryDirectory() as folder:
        for path in LIGHTHOUSE_PAGES:
            for preset in ("desktop", "mobile"):
                scores: dict[str, list[float]] = {}
                for run in range(runs):
                    report = Path(folder) / f"{preset}-{run}.json"
                    command = [
                        str(LIGHTHOUSE),
                        base_url + path,
                        "--quiet",
                        "--output=json",
                        f"--output-path={report}",
                        "--chrome-flags=--headless=new --no-sandbox",
                    ]
                    if preset == "desktop":
                        command.append("--preset=desktop")
                    # A run now and then fails to start Chromium on a busy machine: try again.
                    for attempt in range(3):
                        done = subprocess.run(command, env=env, capture_output=True, text=True)
                        if done.returncode == 0:
                            break
                        print(
                            f"lighthouse {preset} {path}: attempt {attempt + 1} failed: "
                            f"{done.stderr.strip()[-300:]}",
                            file=sys.stderr,
                        )
                    else:
                        raise RuntimeError(f"Lighthouse failed three times on {path} ({preset})")
                    categories = json.loads(report.read_text())["categories"]
                    for name, category in categories.items():
                        scores.setdefault(name, []).append(round(category["score"] * 100))
                results.lighthouse[(path, preset)] = scores
                print(f"lighthouse {preset} {path}: {median_scores(scores)}", file=sys.stderr)


def median_scores(scores: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) for name, values in scores.items()}


def run_vnu(base_url: str, results: Results) -> None:
    clients = {None: httpx.Client(base_url=base_url, follow_redirects=True)}
    for who in ("editor", "reviewer"):
        clients[who] = httpx.Client(base_url=base_url, follow_redirects=True)
        log_in(clients[who], who)
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for index, (path, who) in enumerate(PAGES):
            file = Path(folder) / f"page-{index}.html"
            file.write_text(clients[who].get(path).text)
            files[file.name] = path
            results.vnu[path] = []
        checked = subprocess.run(
            ["java", "-jar", str(VNU), "--errors-only", "--format", "json"]
            + [str(Path(folder) / name) for name in files],
            capture_output=True,
            text=True,
        )
        for message in json.loads(checked.stderr or '{"messages": []}')["messages"]:
            # The checker names files as file: URLs; the file name is enough to tell them apart.
            path = files.get(message.get("url", "").rsplit("/", 1)[-1], "?")
            results.vnu.setdefault(path, []).append(
                f"line {message.get('lastLine', '?')}: {message.get('message', '')}"
            )
    for client in clients.values():
        client.close()


def report(results: Results, runs: int) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# Audit: what outside tools say about the pages",
        "",
        f"Made by `make audit` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{commit}`, "
        "against the demo data (with one claim waiting for review). Tools: axe-core "
        "(injected by Chromium), Lighthouse 12.2.3 (median of "
        f"{runs} runs), the Nu HTML checker (errors only). The axe part also runs in "
        "`make test` (`tests/browser/test_accessibility.py`).",
        "",
        "## axe-core: violations per page",
        "",
        "| page | 1280 px | 375 px |",
        "|---|---|---|",
    ]
    for path, _who in PAGES:
        cells = []
        for width in WIDTHS:
            found = results.axe.get((path, width))
            if found is None:
                cells.append("not run")
            elif not found:
                cells.append("0")
            else:
                cells.append(
                    f"{len(found)}: " + ", ".join(f"{v['id']} ({v['nodes']})" for v in found)
                )
        lines.append(f"| `{path}` | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "## Lighthouse: median scores",
        "",
        "| page | preset | performance | accessibility | best practices | SEO |",
        "|---|---|---|---|---|---|",
    ]
    for (path, preset), scores in results.lighthouse.items():
        median = median_scores(scores)
        lines.append(
            f"| `{path}` | {preset} | {median.get('performance', '?'):g} | "
            f"{median.get('accessibility', '?'):g} | {median.get('best-practices', '?'):g} | "
            f"{median.get('seo', '?'):g} |"
        )
    if not results.lighthouse:
        lines.append("| (not run) | | | | | |")
    lines += ["", "## Nu HTML checker: errors per page", "", "| page | errors |", "|---|---|"]
    for path, _who in PAGES:
        errors = results.vnu.get(path)
        if errors is None:
            lines.append(f"| `{path}` | not run |")
        else:
            shown = "; ".join(errors[:3]).replace("|", "\\|")
            lines.append(f"| `{path}` | {len(errors)}{': ' + shown if errors else ''} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Lighthouse runs per page and preset")
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "AUDIT.md")
    args = parser.parse_args()
    results = Results()
    with demo_tracker() as base_url:
        run_axe(base_url, results)
        run_vnu(base_url, results)
        if not args.skip_lighthouse:
            run_lighthouse(base_url, args.runs, results)
    text = report(results, args.runs)
    args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
