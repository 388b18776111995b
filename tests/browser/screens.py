"""What the browser tests share besides fixtures: how Chromium is found and launched (Debian's
package through `executable_path`: Playwright downloads no browser), a page at a width and
color scheme, and the screenshots docs/ shows (written when SANDBOX_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = os.environ.get("SANDBOX_CHROMIUM") or shutil.which("chromium") or ""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def open_page(browser: Any, sandbox: httpx.Client, width: int = 1280, scheme: str = "light") -> Any:
    """A page of a new browser context at `width` CSS pixels, in the light or dark scheme."""
    context = browser.new_context(
        base_url=str(sandbox.base_url),
        viewport={"width": width, "height": 800},
        color_scheme=scheme,
    )
    opened = context.new_page()
    opened.set_default_timeout(5000)
    return opened


def shot(page: Any, name: str, full_page: bool = True) -> None:
    """The page, whole or (full_page=False: a page whose frame a whole-page picture leaves
    blank, as Chromium draws a sandboxed frame apart) as far as the screen shows it."""
    if os.environ.get("SANDBOX_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
