"""The README's screenshots of the Temporal web UI, and a real-browser check that it decodes payloads only
through the codec endpoint (``scripts/ui_screenshots.py``).

One run: ``mallbots up --seed`` as ``make run`` starts it (its own data folder and free ports, in a temporary
folder), a few orders through the REST API under the tokens its banner prints (completed, rejected for a payment
below the total — compensated —, rejected for a disabled customer, cancelled, approved), then headless Chromium
photographs the UI at fixed viewport sizes into ``docs/screenshots/`` and reads a seeded customer's history from
the rendered DOM three ways: through the codec endpoint the dev server hands the UI (the name and SMS number are
there, decoded), with a wrong codec token and with the endpoint unreachable (neither is anywhere on the page,
only ciphertext); last, SIGINT to ``up`` and a check that it stopped cleanly. Exits 1, saying which step or check
failed, otherwise.

Chromium is driven through chromedriver's W3C WebDriver protocol: plain HTTP and JSON over httpx, no browser
library. It is started the way this offline machine needs it: headless, no sandbox (root), everything that would
phone home turned off (QUIC, component updates, sync, background networking: else it stalls on refused
connections), a fresh profile every time, so no setting of an earlier run leaks into this one. Every wait polls
the page for what it must show (a JavaScript condition), never a fixed sleep.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import html
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx

from api.auth import customer_id_of
from mallbots.tools.client import ApiError, MallbotsClient
from mallbots.tools.seed import DEMO_BOT, DEMO_CUSTOMERS

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=en-US",
)
# The W3C name of an element reference in a WebDriver answer.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    """The browser could not do what was asked (chromedriver's own error and message), or did not in time."""


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One WebDriver session: navigate, run JavaScript, wait for a condition in the page, click, screenshot."""

    def __init__(self, http: httpx.Client, session_id: str) -> None:
        self._http = http
        self._session = f"/session/{session_id}"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, f"{self._session}{path}", json=body)
        except httpx.HTTPError as err:
            raise WebDriverError(f"{method} {path}: chromedriver did not answer: {err}") from None
        return _value(response, f"{method} {path}")

    def goto(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    @property
    def url(self) -> str:
        return str(self._call("GET", "/url"))

    def js(self, script: str, *args: Any) -> Any:
        """Runs ``script`` (a function body: ``return …``; ``arguments[i]`` are ``args``) in the page."""
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def cdp(self, command: str, **params: Any) -> Any:
        """A Chrome DevTools Protocol command (chromedriver's ``goog/cdp/execute`` extension)."""
        return self._call("POST", "/goog/cdp/execute", {"cmd": command, "params": params})

    def set_viewport(self, width: int, height: int) -> None:
        """The page's viewport exactly (a headless window's size includes browser chrome it does not draw)."""
        self.cdp("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def wait_for(self, condition: str, what: str, *, timeout: float = 30.0, interval: float = 0.2) -> Any:
        """Polls the JavaScript expression ``condition`` until it is truthy and answers its value; after
        ``timeout`` seconds raises WebDriverError naming ``what`` was awaited, the page and what it shows."""
        deadline = time.monotonic() + timeout
        last_error = ""
        while True:
            try:
                value = self.js(f"return ({condition});")
                if value:
                    return value
            except WebDriverError as err:  # the page is between two documents: try again
                last_error = f" (last error: {err})"
            if time.monotonic() > deadline:
                raise WebDriverError(
                    f"waited {timeout:.0f}s for {what} on {self.url}{last_error}; the page shows: {self.text()[:600]!r}"
                )
            time.sleep(interval)

    def text(self) -> str:
        """What the page shows as text (``document.body.innerText``)."""
        try:
            return str(self.js("return document.body ? document.body.innerText : '';"))
        except WebDriverError:
            return ""

    def source(self) -> str:
        """The rendered DOM, serialized (WebDriver's getPageSource)."""
        return str(self._call("GET", "/source"))

    def find(self, xpath: str) -> str:
        """The first element matching ``xpath`` (its WebDriver reference)."""
        found = self._call("POST", "/element", {"using": "xpath", "value": xpath})
        return str(found[ELEMENT])

    def click(self, xpath: str) -> None:
        """A real click (WebDriver's element click: pointer events) on the first match, scrolled to the middle
        of the viewport first (sticky headers and footers would take a click at an edge)."""
        element = self.find(xpath)
        self.js("arguments[0].scrollIntoView({block: 'center'});", {ELEMENT: element})
        self._call("POST", f"/element/{element}/click", {})

    def move_pointer(self, x: int, y: int) -> None:
        """The mouse to ``x``, ``y`` of the viewport (away from what a click left hovered)."""
        move = {"type": "pointerMove", "duration": 0, "x": x, "y": y, "origin": "viewport"}
        pointer = {"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [move]}
        self._call("POST", "/actions", {"actions": [pointer]})

    def screenshot(self, path: Path) -> bytes:
        """The viewport as a PNG, written to ``path``."""
        png = base64.b64decode(str(self._call("GET", "/screenshot")))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return png


def _value(response: httpx.Response, what: str) -> Any:
    try:
        body = response.json()
    except ValueError:
        raise WebDriverError(f"{what}: chromedriver answered {response.status_code}: {response.text[:300]}") from None
    value = body.get("value") if isinstance(body, dict) else None
    if response.status_code >= 400:
        error = value if isinstance(value, dict) else {}
        message = str(error.get("message", response.text)).splitlines()[0]
        raise WebDriverError(f"{what}: {error.get('error', response.status_code)}: {message}")
    return value


@contextmanager
def chromium(
    *,
    width: int,
    height: int,
    chromium_path: str = CHROMIUM,
    chromedriver_path: str = CHROMEDRIVER,
    log_dir: Path | None = None,
    start_timeout: float = 30.0,
) -> Iterator[Browser]:
    """chromedriver on a free loopback port, one headless Chromium session with a fresh profile and a
    ``width`` x ``height`` viewport; both stopped (and the profile removed) on leaving."""
    for binary in (chromium_path, chromedriver_path):
        if shutil.which(binary) is None:
            raise WebDriverError(f"{binary} is not installed (Debian: apt-get install chromium chromium-driver)")
    profile = Path(tempfile.mkdtemp(prefix="mallbots-chromium-"))
    port = free_port()
    log = (log_dir or profile) / "chromedriver.log"
    driver = subprocess.Popen(
        [chromedriver_path, f"--port={port}", f"--log-path={log}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=httpx.Timeout(120.0, connect=5.0))
    session: str | None = None
    try:
        _wait_until_ready(http, driver, start_timeout)
        capabilities = {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 60_000, "script": 30_000},
            "goog:chromeOptions": {
                "binary": chromium_path,
                "args": [*CHROMIUM_ARGS, f"--user-data-dir={profile / 'profile'}", f"--window-size={width},{height}"],
            },
        }
        answer = _value(
            http.post("/session", json={"capabilities": {"alwaysMatch": capabilities}}), "starting Chromium"
        )
        session = str(cast(dict[str, Any], answer)["sessionId"])
        browser = Browser(http, session)
        browser.set_viewport(width, height)
        yield browser
    finally:
        if session is not None:
            with contextlib.suppress(httpx.HTTPError):
                http.delete(f"/session/{session}", timeout=15)
        http.close()
        driver.terminate()
        try:
            driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_until_ready(http: httpx.Client, driver: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if driver.poll() is not None:
            raise WebDriverError(f"chromedriver exited at start (exit code {driver.returncode})")
        try:
            if http.get("/status", timeout=2).json()["value"]["ready"]:
                return
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass
        if time.monotonic() > deadline:
            raise WebDriverError(f"chromedriver was not ready within {timeout:.0f}s")
        time.sleep(0.1)


# ---- the running system: `mallbots up --seed` ---------------------------------------------------------------


@dataclass(frozen=True)
class Banner:
    """What ``mallbots up`` prints once everything serves: the URLs, the codec token and the demo mall's tokens."""

    api_url: str  # without /api
    ui_url: str
    codec_url: str
    codec_token: str
    tokens: dict[str, str]  # who ("operator", "store owner", "customer Ada Lovelace", "bot"…) → bearer token

    def token(self, who: str) -> str:
        try:
            return self.tokens[who]
        except KeyError:
            raise ScreenshotError(
                f"the banner of `mallbots up --seed` has no token for {who!r} (it has {sorted(self.tokens)})"
            ) from None


class ScreenshotError(Exception):
    """A step failed; the message says which, and why."""


_BANNER_LINES = {
    "api_url": re.compile(r"^\s+API\s+(?P<v>https?://\S+?)/api\s*$"),
    "ui_url": re.compile(r"^\s+Temporal UI\s+(?P<v>https?://\S+?)/?\s*$"),
    "codec_url": re.compile(r"^\s+Codec\s+(?P<v>https?://\S+)\s"),
    "codec_token": re.compile(r"^\s+Codec token\s+(?P<v>\S+)"),
}
_TOKEN_LINE = re.compile(r"^ {4}(?P<who>\S.*?)\s+(?P<token>eyJ[\w-]*\.[\w-]+\.[\w-]+)\s*$")
BANNER_END = "Ctrl-C stops everything."


def parse_banner(text: str) -> Banner:
    """Reads the banner of ``mallbots up --seed``; a line it needs and cannot find is named in the error (a
    stack without its UI, without payload encryption or without local tokens cannot be photographed)."""
    found: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for line in text.splitlines():
        for name, pattern in _BANNER_LINES.items():
            match = pattern.match(line)
            if match and name not in found:
                found[name] = match["v"]
        if token := _TOKEN_LINE.match(line):
            tokens[token["who"]] = token["token"]
    labels = {"api_url": "API", "ui_url": "Temporal UI", "codec_url": "Codec", "codec_token": "Codec token"}
    missing = [labels[name] for name in labels if name not in found]
    if missing:
        raise ScreenshotError(
            f"the banner of `mallbots up` has no {', '.join(missing)} line (needed: the Temporal UI, payload"
            f" encryption with its codec endpoint, and the local token issuer); it printed:\n{text}"
        )
    if not tokens:
        raise ScreenshotError(f"the banner of `mallbots up --seed` lists no tokens; it printed:\n{text}")
    return Banner(tokens=tokens, **found)


class UpProcess:
    """``mallbots up --seed`` as a child process, as ``make run`` starts it, but with its own data folder and
    free ports (so it runs beside a ``make run`` of this machine), and without the caller's ``MALLBOTS_*``
    settings (the photographs show the defaults). Its output goes to ``log``."""

    def __init__(self, mallbots: Path, data_dir: Path, log: Path) -> None:
        self.mallbots = mallbots
        self.data_dir = data_dir
        self.log = log
        self.lines: list[str] = []
        self._banner_seen = threading.Event()
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLBOTS_")}
        # Its banner is printed by rich: wide enough that no URL or token is wrapped, and no colour codes.
        env |= {"COLUMNS": "500", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1"}
        env |= {"MALLBOTS_TEMPORAL_PORT": str(free_port()), "MALLBOTS_TEMPORAL_UI_PORT": str(free_port())}
        command = [str(self.mallbots), "up", "--seed", "--data-dir", str(self.data_dir), "--port", str(free_port())]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # a Ctrl-C of ours is forwarded by stop(), once, not delivered twice
        )
        self._reader = threading.Thread(target=self._read, name="mallbots-up-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        with self.log.open("w") as log:
            for line in self._process.stdout:
                self.lines.append(line)
                log.write(line)
                log.flush()
                if line.strip() == BANNER_END:
                    self._banner_seen.set()

    def banner(self, timeout: float) -> Banner:
        """Waits until the stack is up and seeded, and reads its banner."""
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while not self._banner_seen.wait(0.2):
            if self._process.poll() is not None:
                raise ScreenshotError(
                    f"`mallbots up --seed` exited with {self._process.returncode} before it was up:\n{self._tail()}"
                )
            if time.monotonic() > deadline:
                raise ScreenshotError(f"`mallbots up --seed` was not up within {timeout:.0f}s:\n{self._tail()}")
        return parse_banner(self.output)

    def stop(self, timeout: float) -> float:
        """SIGINT (a Ctrl-C), then checks it exited cleanly within ``timeout`` seconds: exit code 0, nothing
        abandoned, no traceback. Answers how long the stop took."""
        process = self._process
        if process is None or process.poll() is not None:
            raise ScreenshotError(f"`mallbots up` was no longer running at the end:\n{self._tail()}")
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ScreenshotError(
                f"`mallbots up` did not exit within {timeout:.0f}s of SIGINT:\n{self._tail()}"
            ) from None
        took = time.monotonic() - started
        if self._reader is not None:
            self._reader.join(timeout=5)
        problems = []
        if code != 0:
            problems.append(f"exit code {code}")
        if "abandoning:" in self.output:
            problems.append("its stop abandoned something")
        if "Traceback (most recent call last)" in self.output:
            problems.append("a traceback in its output")
        if problems:
            raise ScreenshotError(f"`mallbots up` did not stop cleanly ({'; '.join(problems)}):\n{self._tail()}")
        return took

    def kill(self) -> None:
        """The last resort: the whole process group (its Temporal and Postgres children too)."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def _tail(self, lines: int = 40) -> str:
        return "".join(self.lines[-lines:]) or "(no output)"


# ---- orders to photograph -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orders:
    completed: str
    rejected_payment: str  # the payment authorized below the total: compensated (shopping list, payment)
    rejected_disabled: str  # the customer was disabled before checkout: rejected at step 1, nothing held
    cancelled: str
    approved: str  # left waiting for a bot

    @property
    def rejected(self) -> tuple[str, str]:
        return self.rejected_payment, self.rejected_disabled


SETTLE_SECONDS = 60.0


async def place_orders(banner: Banner) -> Orders:
    """A few orders through the REST API, each actor under its own token from the banner, each waited for
    until its read model says it settled."""
    ada, grace = customer_id_of("ada"), customer_id_of("grace")
    async with MallbotsClient(banner.api_url, token=banner.token("store owner")) as owner:
        as_ada = owner.acting_as(banner.token("customer Ada Lovelace"))
        as_grace = owner.acting_as(banner.token("customer Grace Hopper"))
        as_bot = owner.acting_as(banner.token("bot"))
        as_operator = owner.acting_as(banner.token("operator"))
        products = {p["sku"]: str(p["id"]) for s in await owner.get_stores() for p in await owner.get_catalog(s["id"])}

        def sku(code: str) -> str:
            if code not in products:
                raise ScreenshotError(f"the demo mall has no product {code} (it has {sorted(products)})")
            return products[code]

        async def checkout(who: MallbotsClient, customer: str, amount: str, items: dict[str, int]) -> str:
            payment = await who.authorize_payment(customer, amount)
            basket = await who.start_basket(customer)
            for code, quantity in items.items():
                await who.add_item(basket, sku(code), quantity)
            await who.checkout(basket, payment)
            return basket  # the order's ID is the basket's

        async def settled(who: MallbotsClient, order: str, status: str) -> None:
            found = await who.wait_for_order(order, {status, "rejected", "cancelled"}, within=SETTLE_SECONDS)
            if found["status"] != status:
                raise ScreenshotError(f"order {order} ended {found['status']}, not {status}: {found.get('reason')}")

        completed = await checkout(as_ada, ada, "100.00", {"BK-DDIA": 1, "GG-USBC": 2})
        await settled(as_ada, completed, "approved")
        await as_bot.assign_bot(completed, DEMO_BOT)
        await as_bot.complete_shopping_list(completed)
        await settled(as_ada, completed, "ready")
        await as_ada.pay_invoice(completed)
        await settled(as_ada, completed, "completed")

        rejected_payment = await checkout(as_grace, grace, "50.00", {"GG-NCH": 1, "GR-SDL": 2})
        await settled(as_grace, rejected_payment, "rejected")

        # The basket and payment first: a disabled customer may start neither.
        payment = await as_grace.authorize_payment(grace, "20.00")
        basket = await as_grace.start_basket(grace)
        await as_grace.add_item(basket, sku("GR-APL"), 3)
        await as_operator.disable_customer(grace)
        try:
            await as_grace.checkout(basket, payment)
            await settled(as_grace, basket, "rejected")
        finally:
            await as_operator.enable_customer(grace)
        rejected_disabled = basket

        cancelled = await checkout(as_ada, ada, "20.00", {"GR-APL": 2, "GR-SDL": 1})
        await settled(as_ada, cancelled, "approved")
        await as_ada.cancel_order(cancelled)
        await settled(as_ada, cancelled, "cancelled")

        approved = await checkout(as_ada, ada, "60.00", {"BK-GO": 1})
        await settled(as_ada, approved, "approved")
    return Orders(completed, rejected_payment, rejected_disabled, cancelled, approved)


# ---- the Temporal UI --------------------------------------------------------------------------------------------

NAMESPACE = "default"
WIDTH = 1600
# What the codec endpoint opens and nothing else shows: a seeded customer's name and SMS number.
DEMO_NAME, DEMO_SMS = next((name, sms) for subject, name, sms in DEMO_CUSTOMERS if subject == "ada")
ENCRYPTED = base64.b64encode(b"binary/encrypted").decode()  # a payload's encoding as the UI shows it undecoded
# The UI's own per-browser settings (its localStorage), as an operator would set them in the UI.
UI_CODEC_ENDPOINT, UI_CODEC_OVERRIDE = "endpoint", "overrideRemoteCodecConfiguration"
UI_TABLE_COLUMNS = "namespace-workflow-table-columns"
ORDER_COLUMNS = ["Status", "Workflow ID", "OrderStatus", "CustomerId"]
CODEC_OK = "[data-testid=data-encoder-status-success]"
CODEC_FAILED = "[data-testid=data-encoder-status-error]"


class TemporalUi:
    """The UI's pages, and its HTTP API (what the UI itself reads) to know when the server has caught up."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=f"{self.url}/api/v1/namespaces/{NAMESPACE}", timeout=10)

    def workflows(self, query: str) -> list[dict[str, Any]]:
        response = self.http.get("/workflows", params={"query": query})
        response.raise_for_status()
        return cast(list[dict[str, Any]], response.json().get("executions", []))

    def run_id(self, workflow_id: str) -> str:
        response = self.http.get(f"/workflows/{workflow_id}")
        response.raise_for_status()
        return str(response.json()["workflowExecutionInfo"]["execution"]["runId"])

    def list_page(self, query: str) -> str:
        return f"{self.url}/namespaces/{NAMESPACE}/workflows?query={urllib.parse.quote(query)}"

    def workflow_page(self, workflow_id: str, *, history: bool = False) -> str:
        path = (
            f"{self.url}/namespaces/{NAMESPACE}/workflows/{urllib.parse.quote(workflow_id)}/{self.run_id(workflow_id)}"
        )
        return f"{path}/history" if history else path

    def wait_until_listed(self, expected: dict[str, str], closed: set[str], timeout: float) -> None:
        """Until visibility lists each ``order:<id>`` under its ``OrderStatus`` (and the ``closed`` ones as
        completed runs): the UI's list pages read the same index, which lags the read models a little."""
        deadline = time.monotonic() + timeout
        while True:
            missing = []
            for order, status in expected.items():
                query = f'WorkflowId = "order:{order}" AND OrderStatus = "{status}"'
                runs = self.workflows(query)
                done = any(r.get("status") == "WORKFLOW_EXECUTION_STATUS_COMPLETED" for r in runs)
                if not runs or (order in closed and not done):
                    missing.append(f"order:{order} ({status})")
            if not missing:
                return
            if time.monotonic() > deadline:
                raise ScreenshotError(f"Temporal's visibility did not list {', '.join(missing)} within {timeout:.0f}s")
            time.sleep(0.25)


def _contains_all(*texts: str) -> str:
    """A page condition: the page shows every one of ``texts``."""
    return " && ".join(f"document.body.innerText.includes({json.dumps(t)})" for t in texts)


def _counted(count: int) -> str:
    """A page condition: the list's header says it found ``count`` workflows."""
    return f"/(^|\\s){count}\\s+Workflows?\\b/.test(document.body.innerText)"


def _open(browser: Browser, ui: TemporalUi, url: str, storage: dict[str, Any]) -> None:
    """``url`` in a UI whose per-browser settings are exactly ``storage`` (set on its origin, then a fresh load,
    which is when the UI reads them)."""
    if not browser.url.startswith(ui.url):
        browser.goto(f"{ui.url}/namespaces/{NAMESPACE}/workflows")
    browser.js(
        "localStorage.clear(); for (const [k, v] of Object.entries(arguments[0])) localStorage.setItem(k, v);",
        {key: json.dumps(value) for key, value in storage.items()},
    )
    browser.goto(url)


def _settle(browser: Browser) -> None:
    """Scrolled to the top-left, no button focused or hovered, fonts loaded: the screenshot shows the page as
    an operator who just opened it sees it."""
    browser.js(
        "window.scrollTo(0, 0); document.querySelectorAll('*').forEach(e => {"
        " if (e.scrollLeft) e.scrollLeft = 0; if (e.scrollTop) e.scrollTop = 0; });"
        " if (document.activeElement) document.activeElement.blur();"
    )
    browser.move_pointer(WIDTH - 2, 60)  # the top right corner under the header: nothing there to hover
    browser.wait_for("document.fonts.status === 'loaded'", "the page's fonts")
    time.sleep(0.3)  # a few animation frames: an expanded row animates open, a hover fades out


@dataclass(frozen=True)
class Shot:
    file: str
    what: str


def _shoot(browser: Browser, out: Path | None, file: str, what: str, height: int, shots: list[Shot]) -> None:
    if out is None:
        return
    _settle(browser)
    png = browser.screenshot(out / file)
    width, tall = struct.unpack(">II", png[16:24])  # a PNG's IHDR: width, height
    if (width, tall) != (WIDTH, height) or len(png) < 20_000:
        raise ScreenshotError(f"{out / file} is {width}x{tall}, {len(png)} bytes: not the page it should show")
    shots.append(Shot(str(out / file), what))


def order_lists(browser: Browser, ui: TemporalUi, orders: Orders, out: Path, shots: list[Shot]) -> None:
    """(1) the workflow list filtered by the ``OrderStatus`` search attribute, and every order with its status."""
    columns = {NAMESPACE: [{"label": c, "pinned": c in ("Status", "Workflow ID")} for c in ORDER_COLUMNS]}
    height = 640
    browser.set_viewport(WIDTH, height)
    _open(browser, ui, ui.list_page('OrderStatus = "rejected"'), {UI_TABLE_COLUMNS: columns})
    browser.wait_for(
        f"{_counted(2)} && {_contains_all(*(f'order:{o}' for o in orders.rejected))}", "the rejected orders"
    )
    _shoot(browser, out, "orders-rejected.png", 'the workflow list filtered by OrderStatus = "rejected"', height, shots)
    everyone = [orders.completed, *orders.rejected, orders.cancelled, orders.approved]
    _open(browser, ui, ui.list_page('WorkflowType = "OrderWorkflow"'), {UI_TABLE_COLUMNS: columns})
    browser.wait_for(f"{_counted(5)} && {_contains_all(*(f'order:{o}' for o in everyone))}", "every order")
    _shoot(browser, out, "orders.png", "every order with its OrderStatus column", height, shots)


def rejected_order(browser: Browser, ui: TemporalUi, orders: Orders, out: Path, shots: list[Shot]) -> None:
    """(2) the order rejected for a payment below its total: its saga steps, the failed one and the
    compensations, in the timeline (oldest first)."""
    height = 1300
    browser.set_viewport(WIDTH, height)
    _open(browser, ui, ui.workflow_page(f"order:{orders.rejected_payment}"), {})
    browser.wait_for(f"document.querySelector({json.dumps(CODEC_OK)})", "the UI to decode the order through the codec")
    steps = ("authorize_customer", "create_shopping_list", "confirm_payment", "release_payment", "cancel_shopping_list")
    browser.wait_for(_contains_all(*steps, "OrderRejected"), "the saga's steps and compensations in the timeline")
    browser.click("//button[normalize-space(.)='Descending']")
    browser.wait_for(_contains_all("Ascending"), "the timeline in ascending order")
    _shoot(
        browser,
        out,
        "order-compensations.png",
        "a rejected order's timeline: steps, the failure, compensations",
        height,
        shots,
    )


# ---- the decode check (issue 13): the UI shows personal data only through the codec endpoint ---------------


@dataclass(frozen=True)
class Check:
    case: str
    ok: bool
    detail: str


def _dom_text(source: str) -> str:
    """The rendered DOM's text: tags dropped, entities read (the JSON viewer wraps every token in a span)."""
    return html.unescape(re.sub(r"<[^>]+>", "", source))


def _where(browser: Browser, needle: str) -> list[str]:
    """Where the page shows ``needle``: each line with the label before it."""
    lines = [line.strip() for line in browser.text().splitlines() if line.strip()]
    return [f"{lines[i - 1]}: {line}" if i else line for i, line in enumerate(lines) if needle in line]


def customer_history(browser: Browser, ui: TemporalUi, customer: str, storage: dict[str, Any]) -> str:
    """A customer's history, oldest first, its registration (the update that carries the name and the SMS
    number) expanded. Answers what the UI says of its codec: "decoded" or "failed"."""
    _open(browser, ui, ui.workflow_page(f"customer:{customer}", history=True), storage)
    status = browser.wait_for(
        f"document.querySelector({json.dumps(CODEC_OK)}) ? 'decoded'"
        f" : document.querySelector({json.dumps(CODEC_FAILED)}) ? 'failed' : ''",
        "the UI to call its codec endpoint (a success or failure icon)",
    )
    browser.wait_for(_contains_all("Workflow Execution Update Accepted"), "the customer's registration in the history")
    browser.click("//button[normalize-space(.)='Descending']")  # oldest first: the registration near the top
    browser.wait_for(_contains_all("Ascending"), "the history in ascending order")
    browser.click("//*[normalize-space(text())='Workflow Execution Update Accepted']")
    browser.wait_for(
        f"{_contains_all('Accepted Request Sequencing')} && ({_contains_all(DEMO_SMS)} || {_contains_all(ENCRYPTED)})",
        "the registration's request, expanded (decoded or not)",
    )
    return str(status)


def check_decoding(
    browser: Browser, ui: TemporalUi, banner: Banner, out: Path | None, shots: list[Shot]
) -> list[Check]:
    """Loads a seeded customer's history in the real UI three ways and reads the rendered DOM: through the
    codec endpoint the dev server hands the UI, the customer's name and SMS number are there, decoded; with a
    wrong codec token, or a codec endpoint nothing answers, neither is anywhere on the page, only ciphertext."""
    customer = customer_id_of("ada")
    height = 1500
    browser.set_viewport(WIDTH, height)
    checks: list[Check] = []

    status = customer_history(browser, ui, customer, {})
    _shoot(
        browser,
        out,
        "customer-decoded.png",
        "a customer's registration decoded through the codec endpoint",
        height,
        shots,
    )
    text = _dom_text(browser.source())
    case = "through the dev server's codec endpoint"
    checks.append(Check(case, status == "decoded", f"the UI's codec status: {status}"))
    decoded_name = re.search(rf'"name":\s*{re.escape(json.dumps(DEMO_NAME))}', text) is not None
    checks.append(Check(case, decoded_name, f'the decoded payload shows "name": "{DEMO_NAME}"'))
    checks.append(Check(case, DEMO_SMS in text, f"the decoded payload shows the SMS number {DEMO_SMS}"))

    refused = {
        "with a wrong codec token": f"{banner.api_url}/codec/not-the-codec-token",
        "with the codec endpoint unreachable": f"http://127.0.0.1:{free_port()}/codec",
    }
    for case, endpoint in refused.items():
        status = customer_history(browser, ui, customer, {UI_CODEC_ENDPOINT: endpoint, UI_CODEC_OVERRIDE: True})
        if case.startswith("with a wrong"):
            _shoot(
                browser,
                out,
                "customer-codec-refused.png",
                "the same history when the codec refuses the UI",
                height,
                shots,
            )
        text = _dom_text(browser.source())
        checks.append(Check(case, status == "failed", f"the UI says its codec failed (status: {status})"))
        checks.append(
            Check(case, ENCRYPTED in text, "the payloads are shown as ciphertext (encoding binary/encrypted)")
        )
        for what, secret in (("name", DEMO_NAME), ("SMS number", DEMO_SMS)):
            seen = secret in text
            where = "; ".join(_where(browser, secret)) or "in the DOM only (not as visible text)"
            checks.append(
                Check(
                    case,
                    not seen,
                    f"the customer's {what} is nowhere on the page" + (f" — it is: {where}" if seen else ""),
                )
            )
    return checks


# ---- the whole run ------------------------------------------------------------------------------------------


ROOT = Path(__file__).resolve().parents[2]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Starts `mallbots up --seed` (like `make run`), places a few orders, photographs the Temporal "
        "UI with headless Chromium and checks in the real browser that payloads are decoded only through the codec "
        "endpoint. Exits 1 when a step or a check fails."
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where the PNGs go")
    parser.add_argument("--check-only", action="store_true", help="the decode check alone: no screenshots written")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data, logs) afterwards")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--chromedriver", default=CHROMEDRIVER)
    parser.add_argument("--start-timeout", type=float, default=240.0, help="seconds for `mallbots up --seed`")
    return parser.parse_args(argv)


def _mallbots() -> Path:
    beside = Path(sys.executable).with_name("mallbots")
    found = beside if beside.exists() else shutil.which("mallbots")
    if not found:
        raise ScreenshotError("no `mallbots` command beside this Python or on PATH (run `make install`)")
    return Path(found)


def _keep_page(browser: Browser, work: Path) -> None:
    """The page a step failed on, for the one who reads the failure."""
    with contextlib.suppress(WebDriverError, OSError):
        browser.screenshot(work / "failed.png")
        (work / "failed.html").write_text(browser.source())
        print(f"the page at the failure: {work / 'failed.png'}, {work / 'failed.html'}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="mallbots-screenshots-"))
    out = None if args.check_only else args.out.resolve()
    up: UpProcess | None = None
    shots: list[Shot] = []
    checks: list[Check] = []
    failed, stopped = True, False

    def step(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f}s] {message}", flush=True)

    try:
        up = UpProcess(_mallbots(), work / "data", work / "up.log")
        step(f"starting `mallbots up --seed` (data and log in {work})")
        up.start()
        banner = up.banner(args.start_timeout)
        step(f"up: API {banner.api_url}, Temporal UI {banner.ui_url}")
        ui = TemporalUi(banner.ui_url)
        orders = None
        if out is not None:  # the decode check reads a seeded customer: it needs no orders
            orders = asyncio.run(place_orders(banner))
            step("orders settled: completed, 2 rejected, cancelled, approved")
            ui.wait_until_listed(
                {
                    orders.completed: "completed",
                    orders.rejected_payment: "rejected",
                    orders.rejected_disabled: "rejected",
                    orders.cancelled: "cancelled",
                    orders.approved: "approved",
                },
                closed={orders.completed, *orders.rejected, orders.cancelled},
                timeout=SETTLE_SECONDS,
            )
        with chromium(
            width=WIDTH, height=1000, chromium_path=args.chromium, chromedriver_path=args.chromedriver, log_dir=work
        ) as browser:
            step("Chromium is up")
            try:
                if out is not None and orders is not None:
                    order_lists(browser, ui, orders, out, shots)
                    rejected_order(browser, ui, orders, out, shots)
                    step(f"{len(shots)} screenshots of orders")
                checks = check_decoding(browser, ui, banner, out, shots)
                step("decode check done")
            except Exception:
                _keep_page(browser, work)
                raise
        took = up.stop(timeout=30)
        stopped = True
        step(f"`mallbots up` stopped cleanly on SIGINT in {took:.1f}s")
        failed = not all(c.ok for c in checks)
        if failed:
            print("FAILED: the decode check (its FAIL lines below say what the page showed)", file=sys.stderr)
    except (ScreenshotError, WebDriverError, httpx.HTTPError, ApiError, TimeoutError) as err:
        print(f"FAILED: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        if up is not None and not stopped:
            with contextlib.suppress(ScreenshotError):
                up.stop(timeout=30)
            up.kill()
    for shot in shots:
        print(f"  {shot.file}: {shot.what}")
    if checks:
        print("decode check (the rendered DOM of a customer's history in Chromium):")
        for check in checks:
            print(f"  {'ok  ' if check.ok else 'FAIL'} {check.case}: {check.detail}")
    print(f"{'FAILED' if failed else 'done'} in {time.monotonic() - started:.0f}s")
    if failed or args.keep:
        print(f"kept {work} (the stack's data, up.log, chromedriver.log)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0
