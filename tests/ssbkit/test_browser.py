"""Every report page loads in a real headless Chromium with no console error and no broken image.

Chromium comes from the system packages (Debian ``chromium``), installed by
``.ci/run``; outside CI the test skips with a message when it is absent.
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need_browser():
    missing = []
    if CHROMIUM is None:
        missing.append("the system Chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright")
    if missing:
        message = "headless-browser check needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_pages_load_without_errors(demo_report):
    _need_browser()
    from playwright.sync_api import sync_playwright

    out, _ = demo_report
    pages = sorted(out.glob("*.html"))
    assert (out / "index.html") in pages
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page()
        page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: problems.append(f"failed request: {req.url}"))
        for html in pages:
            page.goto(html.as_uri(), wait_until="load")
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
            )
            problems.extend(f"{html.name}: broken image {src}" for src in broken)
        browser.close()
    assert problems == []
