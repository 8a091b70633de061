"""Screenshot a report in headless Chromium for the README:
`python scripts/report_screenshot.py demo/model_drift_report.html docs/report.png`
(1200 px wide, full page, reduced to 256 colours to stay well under 1 MB)."""

from __future__ import annotations

import pathlib
import sys

from PIL import Image
from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def screenshot(html: pathlib.Path, png: pathlib.Path, width: int = 1200) -> pathlib.Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(png), full_page=True)
        browser.close()
    Image.open(png).convert("RGB").quantize(256).save(png, optimize=True)
    return png


if __name__ == "__main__":
    print(screenshot(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])))
