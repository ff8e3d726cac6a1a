"""The UI screenshot tool's parts: reading `mallbots up`'s banner, watching the `up` process (a stand-in that
prints a banner and answers SIGINT as told), and the WebDriver client against a real headless Chromium on a
local page. The whole tool runs against a real `make run` by `scripts/ui_screenshots.py`."""

from __future__ import annotations

import struct
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mallbots.tools.screenshots import (
    CHROMEDRIVER,
    CHROMIUM,
    Browser,
    ScreenshotError,
    UpProcess,
    WebDriverError,
    _counted,
    _dom_text,
    chromium,
    parse_banner,
)

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"
BANNER = f"""\
2026-12-01 16:14:02,162 INFO mallbots.codec: made a payload encryption key for the dev stack
seeded 3 stores, 6 products, 2 customers
MallBots is up
  API          http://127.0.0.1:39381/api
  OpenAPI docs http://127.0.0.1:39381/docs
  Temporal UI  http://127.0.0.1:44009
  Codec        http://127.0.0.1:39381/codec (the UI decodes payloads through it)
  Codec token  Xk7XGfbYWWfvX82tx0Fxy-lFyI6_reKsGmHc1pYpa68TY (from /tmp/x/data/codec-token)
  Temporal     127.0.0.1:46199
  Postgres     postgresql+psycopg://postgres@127.0.0.1:42865/mallbots
  Tokens       `mallbots token --role operator --subject me` prints one; the
demo mall's:
    operator          {TOKEN}
    store owner       {TOKEN}
    customer Ada Lovelace {TOKEN}
    bot               {TOKEN}
Ctrl-C stops everything.
"""


def test_the_banner_gives_the_urls_the_codec_token_and_each_actors_token() -> None:
    banner = parse_banner(BANNER)

    assert banner.api_url == "http://127.0.0.1:39381"
    assert banner.ui_url == "http://127.0.0.1:44009"
    assert banner.codec_url == "http://127.0.0.1:39381/codec"
    assert banner.codec_token == "Xk7XGfbYWWfvX82tx0Fxy-lFyI6_reKsGmHc1pYpa68TY"
    assert banner.tokens == {who: TOKEN for who in ("operator", "store owner", "customer Ada Lovelace", "bot")}
    assert banner.token("customer Ada Lovelace") == TOKEN


def test_a_token_the_banner_does_not_list_is_named_with_those_it_does() -> None:
    with pytest.raises(ScreenshotError, match=r"no token for 'customer Grace Hopper' \(it has \['bot'"):
        parse_banner(BANNER).token("customer Grace Hopper")


@pytest.mark.parametrize(
    ("left_out", "named"),
    [("  Codec ", "Codec, Codec token"), ("  Temporal UI", "Temporal UI"), ("  API ", "API")],
)
def test_a_banner_without_a_line_the_screenshots_need_says_which(left_out: str, named: str) -> None:
    text = "\n".join(line for line in BANNER.splitlines() if not line.startswith(left_out))

    with pytest.raises(ScreenshotError, match=f"has no {named} line"):
        parse_banner(text)


def test_a_banner_without_tokens_is_refused() -> None:
    text = "\n".join(line for line in BANNER.splitlines() if TOKEN not in line)

    with pytest.raises(ScreenshotError, match="lists no tokens"):
        parse_banner(text)


# ---- the `up` process ---------------------------------------------------------------------------------------


def _fake_up(tmp_path: Path, on_sigint: str, *, banner: bool = True) -> Path:
    """A stand-in for `mallbots up --seed`: prints the banner (or dies first), then on SIGINT runs ``on_sigint``."""
    script = tmp_path / "mallbots"
    script.write_text(
        f"#!{sys.executable}\n"
        "import signal, sys, time\n"
        f"if not {banner}:\n"
        "    print('cannot start: no port', flush=True); sys.exit(2)\n"
        "def stop(*_):\n"
        "    print('stopping…', flush=True)\n"
        f"    {on_sigint}\n"
        "signal.signal(signal.SIGINT, stop)\n"  # before the banner, as `up` does
        f"print({BANNER!r}, flush=True)\n"
        "while True: time.sleep(0.05)\n"
    )
    script.chmod(0o755)
    return script


def test_up_is_read_up_to_its_banner_and_stopped_by_sigint(tmp_path: Path) -> None:
    up = UpProcess(_fake_up(tmp_path, "sys.exit(0)"), tmp_path / "data", tmp_path / "up.log")
    up.start()

    assert up.banner(timeout=20).ui_url == "http://127.0.0.1:44009"
    assert up.stop(timeout=20) < 20
    assert "stopping…" in (tmp_path / "up.log").read_text()


@pytest.mark.parametrize(
    ("on_sigint", "complaint"),
    [
        ("sys.exit(3)", "exit code 3"),
        ("print('WARNING stopped in 9 s, abandoning: the workers'); sys.exit(0)", "its stop abandoned something"),
        ("print('Traceback (most recent call last):'); sys.exit(0)", "a traceback"),
    ],
)
def test_an_unclean_stop_is_a_failure_that_says_why(tmp_path: Path, on_sigint: str, complaint: str) -> None:
    up = UpProcess(_fake_up(tmp_path, on_sigint), tmp_path / "data", tmp_path / "up.log")
    up.start()
    up.banner(timeout=20)

    with pytest.raises(ScreenshotError, match=f"did not stop cleanly \\({complaint}"):
        up.stop(timeout=20)


def test_an_up_that_exits_before_its_banner_shows_what_it_printed(tmp_path: Path) -> None:
    up = UpProcess(_fake_up(tmp_path, "sys.exit(0)", banner=False), tmp_path / "data", tmp_path / "up.log")
    up.start()

    with pytest.raises(ScreenshotError, match=r"exited with 2 before it was up:\ncannot start: no port"):
        up.banner(timeout=20)


def test_an_up_that_ignores_sigint_is_killed_and_reported(tmp_path: Path) -> None:
    up = UpProcess(_fake_up(tmp_path, "pass"), tmp_path / "data", tmp_path / "up.log")
    up.start()
    up.banner(timeout=20)

    with pytest.raises(ScreenshotError, match="did not exit within 1s of SIGINT"):
        up.stop(timeout=1)


# ---- the browser ----------------------------------------------------------------------------------------------

PAGE = b"""<!doctype html><html><body style="margin:0;background:#fff">
<h1><span>2</span> <span>Workflows</span></h1>
<div style="height:2000px"></div>
<button onclick="setTimeout(() => { document.getElementById('said').textContent = 'clicked &amp; done' }, 150)">
Press</button>
<p id="said"></p>
<script>setTimeout(() => { const d = document.createElement('div'); d.id = 'late';
d.textContent = 'arrived late'; document.body.prepend(d) }, 300)</script>
</body></html>"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    with chromium(width=800, height=600) as browser:
        yield browser


def test_waiting_polls_the_page_until_what_it_must_show_is_there(browser: Browser, page_url: str) -> None:
    browser.goto(page_url)

    assert browser.wait_for("document.getElementById('late')?.textContent", "the late element") == "arrived late"
    assert browser.js(f"return {_counted(2)};") is True
    assert browser.js(f"return {_counted(3)};") is False


def test_a_wait_that_times_out_names_what_it_waited_for_and_what_the_page_shows(
    browser: Browser, page_url: str
) -> None:
    browser.goto(page_url)

    with pytest.raises(WebDriverError, match=r"waited 1s for the impossible on http://127\.0\.0\.1.*Workflows"):
        browser.wait_for("document.getElementById('never')", "the impossible", timeout=1)


def test_a_click_reaches_a_button_below_the_fold_and_the_dom_shows_its_effect(browser: Browser, page_url: str) -> None:
    browser.goto(page_url)
    browser.click("//button[normalize-space(.)='Press']")
    browser.wait_for("document.getElementById('said').textContent", "the click's effect")

    assert "clicked & done" in _dom_text(browser.source())


def test_a_screenshot_is_the_viewport_at_the_size_it_was_set_to(
    browser: Browser, page_url: str, tmp_path: Path
) -> None:
    browser.goto(page_url)
    browser.set_viewport(640, 480)

    png = browser.screenshot(tmp_path / "shot.png")

    assert png.startswith(b"\x89PNG") and (tmp_path / "shot.png").read_bytes() == png
    assert struct.unpack(">II", png[16:24]) == (640, 480)


def test_an_element_that_is_not_there_is_a_webdriver_error(browser: Browser, page_url: str) -> None:
    browser.goto(page_url)

    with pytest.raises(WebDriverError, match="no such element"):
        browser.click("//button[normalize-space(.)='Not here']")
