"""The browser suite's fixtures: a real server, Debian's headless Chromium driven by
Playwright (screens.py), a page at 1280 px; every test is skipped, with one line saying why,
where either is not installed (`make test` and CI install both)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import server
from screens import CHROMIUM, FLAGS, open_page


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with server(tmp_path_factory.mktemp("browser")) as (_, client):
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM:
        pytest.skip("no Chromium (apt-get install chromium): browser tests skipped")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, sandbox: httpx.Client) -> Iterator[Any]:
    assert sandbox.post("/_sandbox/tenants/demo/reset").status_code == 200
    opened = open_page(browser, sandbox)
    yield opened
    opened.context.close()
