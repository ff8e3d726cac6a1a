"""/docs and /redoc work offline: their pages name no other host, every asset comes from the app itself, and a
real headless Chromium renders the operations of the live OpenAPI document (Swagger UI) on a machine without
internet, as this one is."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile

import httpx
import pytest

from mallbots.stack import Stack

ASSET = re.compile(r'(?:src|href)="([^"]+)"')
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",  # the page's scripts run (virtual time) until they settle
]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_loads_every_asset_from_the_app_itself(stack: Stack, page: str) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        html = await http.get(page)
        assets = ASSET.findall(html.text)

        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        assert "://" not in html.text, "the page names another host (a CDN)"
        assert any(a.endswith(".js") for a in assets), assets
        for asset in assets:
            loaded = await http.get(asset)
            assert loaded.status_code == 200 and loaded.content, asset


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here: `apt-get install chromium` (Debian)")
async def test_swagger_ui_renders_the_live_operations_in_a_real_headless_browser(stack: Stack) -> None:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="mallbots-chromium-") as profile:
        command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", f"{stack.api_url}/docs"]
        # The API is served by this test's event loop: Chromium runs beside it, not blocking it.
        process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        dom, _ = await asyncio.wait_for(process.communicate(), 120)

    rendered = dom.decode()
    assert 'class="swagger-ui"' in rendered, rendered[:2000]
    assert "MallBots on Temporal" in rendered  # the document's title, read from /openapi.json
    assert "/api/ordering/{order_id}" in rendered  # an operation of the live document
    assert rendered.count("opblock-summary-path") >= 40, "Swagger UI rendered too few of the operations"
