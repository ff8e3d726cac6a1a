"""``mallbots``: run the whole system, one service, migrations, the simulator and the benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from mallbots.deploy_cli import deploy
from mallbots.settings import SERVICES, Settings

if TYPE_CHECKING:
    from mallbots.stack import Stack
    from mallbots.tools.client import TokenMint

app = typer.Typer(help="MallBots on Temporal", no_args_is_help=True, add_completion=False)
console = Console()


def _services(names: list[str] | None) -> list[str]:
    if not names or names == ["all"]:
        return list(SERVICES)
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        raise typer.BadParameter(f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    return names


def _stop_requested(doing: Callable[[], str] = lambda: "stopping", deadline: float | None = None) -> asyncio.Event:
    """Set by Ctrl-C or SIGTERM from now on (installed once the stack is up, so a hung start can still be
    interrupted the ordinary way). From that signal on the process ends within ``deadline`` seconds
    (``EXIT_DEADLINE_SECONDS`` unless the workers' graceful shutdown needs longer: ``stop_deadline_seconds``)
    whatever the stop is blocked in, and a second one ends it at once, killing our child servers. ``doing``
    says what the stop is busy with, for the log."""
    from mallbots.devstack.lifetime import EXIT_DEADLINE_SECONDS, exit_after, exit_on_signal

    deadline = EXIT_DEADLINE_SECONDS if deadline is None else deadline

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def first() -> None:
        stop.set()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        exit_on_signal(doing)
        exit_after(deadline, doing)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, first)
    return stop


@contextlib.asynccontextmanager
async def _leaving_if_abandoned(stack: Stack) -> AsyncIterator[Stack]:
    """The stack, run and stopped; then, if its stop abandoned something (it said what), the process leaves at
    once: what was abandoned could hold up the event loop's or the interpreter's exit, and all of ours is
    stopped."""
    async with stack:
        yield stack
    if stack.abandoned:
        from mallbots.devstack.lifetime import exit_now

        exit_now(0)


def _leave_stopped() -> None:
    """Everything is stopped: leave without the interpreter's finalization, during which the Temporal SDK core's
    threads may still release the GIL into a finalizing interpreter (a fatal error at exit)."""
    from mallbots.devstack.lifetime import exit_now

    exit_now(0)


def _require_external(settings: Settings, services: list[str]) -> None:
    """A single service runs against existing infrastructure; it never starts its own."""
    if settings.temporal_address is None:
        raise typer.BadParameter("set MALLBOTS_TEMPORAL_ADDRESS to the Temporal frontend")
    for name in services:
        try:
            settings.database_url_for(name)
        except RuntimeError as err:
            raise typer.BadParameter(str(err)) from err


def _require_payload_keys(settings: Settings) -> None:
    """A process joining a deployment (not the embedded dev stack) needs the deployment's payload keys."""
    from mallbots.codec import PrivacyConfigError, codec_token, payload_keys

    if not settings.payload_encryption:
        return  # nothing to check; the stack says loudly that it runs in clear
    try:
        payload_keys(settings)
        codec_token(settings)
    except PrivacyConfigError as err:
        raise typer.BadParameter(str(err)) from err


def _run_stack(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs a command's stack; a privacy, authentication, transport or metrics setting it cannot start with, or a
    schema its database user may not bring to head, ends it with the reason, no traceback."""
    from api.auth import AuthConfigError
    from mallbots.codec import PrivacyConfigError
    from mallbots.metrics import MetricsAddressError
    from mallbots.migrate import MigrationRightsError
    from mallbots.transport import TransportConfigError

    try:
        asyncio.run(main())
    except (
        PrivacyConfigError,
        TransportConfigError,
        AuthConfigError,
        MigrationRightsError,
        MetricsAddressError,
    ) as err:
        console.print(f"[red]cannot start[/]: {err}")
        raise typer.Exit(2) from None


def _logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("alembic", "httpx", "temporalio.worker._worker"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    from mallbots.logs import install_activity_failure_filter, install_trace_ids

    install_activity_failure_filter()  # one line per failed activity attempt, not a traceback
    install_trace_ids()  # trace_id=<32 hex> on the lines logged under a span (MALLBOTS_OTLP_ENDPOINT)


@app.command()
def up(
    seed: Annotated[bool, typer.Option(help="load a small demo mall through the public API")] = False,
    port: Annotated[int | None, typer.Option(help="API port (default MALLBOTS_API_PORT or 8080)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="where Temporal and Postgres keep their state")] = None,
) -> None:
    """Everything on this machine: Temporal dev server + UI, Postgres, all workers and the API."""
    from mallbots.processes import api_sdk_metrics_address, describe_children, layout_of, numbered_address
    from mallbots.stack import Stack, StackOptions, stop_deadline_seconds

    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    _logging(settings)

    async def run() -> None:
        options = StackOptions(settings=settings, api_port=port, processes=layout_of(settings))
        async with _leaving_if_abandoned(Stack(options)) as stack:
            stop = _stop_requested(lambda: stack.stopping or "stopping", stop_deadline_seconds(stack.settings))
            seeded = None
            if seed and stack.verifier is not None and stack.issuer is None:
                console.print("not seeding: the API trusts an OIDC issuer, and only it hands out tokens")
            elif seed:
                from mallbots.tools.seed import seed_demo_mall

                seeding = asyncio.ensure_future(seed_demo_mall(stack.api_url, stack.issuer))
                await asyncio.wait([seeding, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
                if not seeding.done():
                    seeding.cancel()
                    console.print("stopping before the demo mall was seeded…")
                    return
                seeded = seeding.result()
                console.print(f"[green]seeded[/] {seeded.summary}")
            console.print(f"[bold]MallBots is up[/]\n  API          {stack.api_url}/api")
            console.print(f"  OpenAPI docs {stack.api_url}/docs")
            if stack.temporal is not None and stack.options.ui:
                console.print(f"  Temporal UI  {stack.temporal.ui_url}")
            if stack.codec_url:
                console.print(f"  Codec        {stack.codec_url} (the UI decodes payloads through it)")
                kept = codec_token_file(stack) or "MALLBOTS_CODEC_TOKEN"
                console.print(f"  Codec token  {stack.codec_token} (from {kept})", soft_wrap=True)
            elif stack.payload_keys is None:
                console.print("  [bold red]Payload encryption is OFF[/] (MALLBOTS_PAYLOAD_ENCRYPTION=off)")
            console.print(f"  Temporal     {stack.temporal_address}")
            if stack.postgres is not None:
                console.print(f"  Postgres     {stack.postgres.url}")
            if stack.children:
                console.print(f"  Processes    {describe_children(stack.children)}")
            console.print(f"  Metrics      {stack.api_url}/metrics (the API)")
            workers = max(1, sum(child.kind == "worker" for child in stack.children))
            for index in range(workers):
                which = f"worker process {index + 1}" if stack.children else "the workers"
                if address := numbered_address(stack.settings.metrics_address, index):
                    console.print(f"               http://{address}/metrics ({which})")
                if address := numbered_address(stack.settings.temporal_metrics_address, index):
                    console.print(f"               http://{address}/metrics (the SDK and the workflows, {which})")
            if options.processes is not None:
                for index in range(sum(child.kind == "api" for child in stack.children)):
                    if address := api_sdk_metrics_address(stack.settings, options.processes, index):
                        console.print(f"               http://{address}/metrics (the SDK, API process {index + 1})")
            _print_auth(stack, seeded.tokens if seeded is not None else {})
            console.print("Ctrl-C stops everything.")
            await stop.wait()
            console.print("stopping…")

    _run_stack(run)


def _print_auth(stack: Stack, tokens: dict[str, str]) -> None:
    """How to call the API: loudly when anyone may, else the demo mall's tokens (valid 12 hours)."""
    if stack.verifier is None:
        console.print("  [bold red]Authentication is OFF[/] (MALLBOTS_AUTH=off): anyone may do anything")
        return
    if stack.issuer is None:
        console.print(f"  Tokens       from {stack.settings.auth_issuer} (audience {stack.settings.auth_audience})")
        return
    console.print("  Tokens       `mallbots token --role operator --subject me` prints one; the demo mall's:")
    for who, token in tokens.items():
        console.print(f"    {who:<17} {token}", soft_wrap=True)


def codec_token_file(stack: Stack) -> str | None:
    """Where the dev stack keeps the token it made, for the banner (None when it came from the settings)."""
    from mallbots.codec import DEV_TOKEN_FILE

    if stack.settings.codec_token is not None or not stack.embedded or not stack.options.persistent:
        return None
    return str(stack.settings.data_dir / DEV_TOKEN_FILE)


@app.command()
def worker(
    service: Annotated[list[str] | None, typer.Option(help="service(s) to run; repeat, or 'all'")] = None,
    migrate: Annotated[bool, typer.Option(help="bring the services' schemas to head first")] = True,
    ready_fd: Annotated[int | None, typer.Option(hidden=True, help="tell a parent stack here once polling")] = None,
) -> None:
    """Run the workers of one or more services against MALLBOTS_TEMPORAL_ADDRESS and the service databases."""
    from mallbots.processes import say_ready
    from mallbots.stack import Stack, StackOptions, stop_deadline_seconds

    settings = Settings()
    _logging(settings)
    services = _services(service)
    _require_external(settings, services)
    _require_payload_keys(settings)

    async def run() -> None:
        options = StackOptions(settings=settings, run_api=False, services=services, migrate=migrate)
        async with _leaving_if_abandoned(Stack(options)) as stack:
            if ready_fd is None:
                console.print(f"workers for {', '.join(options.services)} on {stack.temporal_address}")
            stop = _stop_requested(lambda: stack.stopping or "stopping", stop_deadline_seconds(stack.settings))
            say_ready(ready_fd)
            await stop.wait()

    _run_stack(run)
    _leave_stopped()


@app.command()
def api(
    service: Annotated[
        list[str] | None, typer.Option(help="service(s) whose routes to serve; repeat, or 'all'")
    ] = None,
    port: Annotated[int | None, typer.Option(help="API port")] = None,
    migrate: Annotated[bool, typer.Option(help="bring the services' schemas to head first")] = True,
    socket_fd: Annotated[int | None, typer.Option(hidden=True, help="serve on this inherited socket")] = None,
    ready_fd: Annotated[int | None, typer.Option(hidden=True, help="tell a parent stack here once serving")] = None,
) -> None:
    """Serve the REST API of one or more services (no workers)."""
    from mallbots.processes import say_ready
    from mallbots.stack import Stack, StackOptions, stop_deadline_seconds

    settings = Settings()
    _logging(settings)
    services = _services(service)
    _require_external(settings, services)
    _require_payload_keys(settings)

    async def run() -> None:
        options = StackOptions(
            settings=settings,
            run_workers=False,
            services=services,
            api_port=port,
            migrate=migrate,
            api_socket_fd=socket_fd,
        )
        async with _leaving_if_abandoned(Stack(options)) as stack:
            if ready_fd is None:
                console.print(f"API for {', '.join(options.services)} on {stack.api_url}")
                if stack.codec_url:
                    console.print(f"codec endpoint on {stack.codec_url}")
            stop = _stop_requested(lambda: stack.stopping or "stopping", stop_deadline_seconds(stack.settings))
            say_ready(ready_fd)
            await stop.wait()

    _run_stack(run)
    _leave_stopped()


@app.command()
def bench(
    orders: Annotated[int, typer.Option(help="orders to take from checkout to completed", min=1)] = 200,
    concurrency: Annotated[int, typer.Option(help="orders in flight at once", min=1)] = 20,
    floor: Annotated[bool, typer.Option(help="also measure the Temporal server's floor")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the document (schema mallbots.bench/2)")] = False,
    open_baskets: Annotated[
        int, typer.Option(help="then open this many baskets and leave them open, sampling the workers' memory", min=0)
    ] = 0,
) -> None:
    """Whole orders (checkout → approved → picked → paid → completed) on a fresh embedded stack: orders/s,
    latency percentiles, tasks per order from the histories, CPU per order of each process, the Temporal
    floor at the same concurrency and the ratios."""
    import json
    import os
    import tempfile

    from mallbots.processes import layout_of
    from mallbots.stack import Stack, ephemeral_options
    from mallbots.tools.bench import render, run_bench

    logging.basicConfig(level=logging.WARNING)
    layout = layout_of(Settings())

    async def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="mallbots-bench-") as tmp:
            options = ephemeral_options(Path(tmp), processes=layout)
            if "MALLBOTS_LOG_LEVEL" not in os.environ:  # the bench's processes log as the bench does: warnings
                options.settings = options.settings.model_copy(update={"log_level": "WARNING"})
            async with Stack(options) as stack:
                return await run_bench(stack, orders, concurrency, floor, open_baskets)

    if not as_json:
        for table in render(asyncio.run(run())):
            console.print(table)
        return
    _keep_stdout_for_the_document()
    doc = asyncio.run(run())
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    sys.stdout.flush()


@app.command()
def busywork(
    clients: Annotated[int, typer.Option(help="simulated users acting at once")] = 4,
    duration: Annotated[float, typer.Option(help="seconds to run")] = 30.0,
    api_url: Annotated[str | None, typer.Option(help="a running API (default: start an embedded stack)")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed, for a repeatable run")] = None,
) -> None:
    """The book's user simulator: shoppers browse, buy or abandon; admins add stores; bots pick lists."""
    import tempfile

    from rich.live import Live
    from rich.table import Table

    from mallbots.stack import Stack, ephemeral_options
    from mallbots.tools.busywork import Tally, run_busywork

    logging.basicConfig(level=logging.WARNING)

    def render(tally: Tally) -> Table:
        table = Table(title=f"busywork · {clients} clients · {duration:.0f}s")
        table.add_column("what")
        table.add_column("count", justify="right")
        for name, count in sorted(tally.done.items()):
            table.add_row(name, str(count))
        for name, count in sorted(tally.refused.items()):
            table.add_row(f"[yellow]refused[/] {name}", str(count))
        for name, count in sorted(tally.failed.items()):
            table.add_row(f"[red]failed[/] {name}", str(count))
        return table

    async def run() -> Tally:
        with Live(render(Tally()), console=console, refresh_per_second=4) as live:
            if api_url:
                mint = _dev_stack_mint()
                return await run_busywork(api_url, clients, duration, lambda t: live.update(render(t)), seed, mint)
            with tempfile.TemporaryDirectory(prefix="mallbots-busywork-") as tmp:
                async with Stack(ephemeral_options(Path(tmp))) as stack:
                    mint = stack.token if stack.issuer is not None else None
                    on_progress = lambda t: live.update(render(t))  # noqa: E731
                    return await run_busywork(stack.api_url, clients, duration, on_progress, seed, mint)

    tally = asyncio.run(run())
    console.print()  # the summary apart from the table
    console.print(f"{tally.total} actions, {sum(tally.refused.values())} refused, {sum(tally.failed.values())} failed")
    if tally.mostly_refused:
        console.print(
            "[red]most actions were refused[/]: is --api-url the API of a running `mallbots up` (its banner's API "
            "line), started from this directory (its tokens are signed with the key in MALLBOTS_DATA_DIR)?"
        )
    raise typer.Exit(1 if tally.failed or tally.mostly_refused else 0)


def _dev_stack_mint() -> TokenMint | None:
    """Tokens for a running API of the dev stack (``mallbots up`` here, same data dir), signed with its key;
    None when authentication is off. An API that trusts an OIDC issuer takes no token made here."""
    from mallbots.identity import DEV_SIGNING_KEY_FILE, local_issuer

    settings = Settings()
    if not settings.auth:
        return None
    if settings.auth_issuer is not None:
        raise typer.BadParameter("the API trusts an OIDC issuer: the simulator cannot make tokens for it")
    issuer = local_issuer(settings, dev_key=settings.data_dir / DEV_SIGNING_KEY_FILE)
    assert issuer is not None
    return lambda role, subject: issuer.mint(subject, [role])


@app.command("new-payload-key")
def new_payload_key(
    key_id: Annotated[str | None, typer.Option("--id", help="the key's ID (default key-<UTC date and time>)")] = None,
) -> None:
    """Print a new payload encryption key as `id=base64key`: put it first in MALLBOTS_PAYLOAD_KEYS (or the first
    line of MALLBOTS_PAYLOAD_KEYS_FILE) to rotate, keeping the old ones after it while histories need them."""
    from datetime import UTC, datetime

    from mallbots.codec import PayloadKey, PayloadKeyError

    try:
        key = PayloadKey.generate(key_id or f"key-{datetime.now(UTC):%Y%m%d-%H%M%S}")
    except PayloadKeyError as err:
        raise typer.BadParameter(str(err)) from err
    typer.echo(key.line())


@app.command()
def token(
    role: Annotated[list[str], typer.Option(help="customer, store_owner, bot or operator; repeat for several")],
    subject: Annotated[str, typer.Option(help="who the token stands for (a customer's, owner's or bot's ID)")],
    ttl: Annotated[int, typer.Option(help="hours the token is valid")] = 12,
) -> None:
    """Print a bearer token of the local issuer (the dev stack's key in its data dir, or
    MALLBOTS_AUTH_SIGNING_KEY_FILE): `curl -H "Authorization: Bearer $(mallbots token --role operator
    --subject me)" …`. With an OIDC issuer configured, tokens come from that identity provider instead."""
    from datetime import timedelta

    from api.auth import SUBJECT_PATTERN, AuthConfigError, Role
    from mallbots.identity import DEV_SIGNING_KEY_FILE, local_issuer

    settings = Settings()
    if not settings.auth:
        raise typer.BadParameter("authentication is off (MALLBOTS_AUTH=off): no token is needed")
    if settings.auth_issuer is not None:
        raise typer.BadParameter(f"tokens come from the identity provider {settings.auth_issuer}, not from here")
    known = {r.value for r in Role}
    unknown = sorted(set(role) - known)
    if unknown:
        raise typer.BadParameter(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
    if not SUBJECT_PATTERN.fullmatch(subject):
        raise typer.BadParameter("the subject must be 1-200 printable characters, no spaces")
    if not 0 < ttl <= 24 * 366:
        raise typer.BadParameter("the ttl is 1 to 8784 hours")
    dev_key = settings.data_dir / DEV_SIGNING_KEY_FILE
    try:
        issuer = local_issuer(settings, dev_key=dev_key)
    except AuthConfigError as err:
        raise typer.BadParameter(str(err)) from err
    assert issuer is not None
    typer.echo(issuer.mint(subject, [Role(r) for r in role], timedelta(hours=ttl)))


@app.command()
def migrate() -> None:
    """Apply every service's migrations to its database."""
    from mallbots import migrate as migrations
    from mallbots.transport import TransportConfigError, database_tls

    settings = Settings()
    urls = {s: settings.database_url_for(s) for s in SERVICES}
    try:
        tls = database_tls(settings)
    except TransportConfigError as err:
        raise typer.BadParameter(str(err)) from err
    migrations.upgrade_all(urls, tls)
    console.print("migrated " + ", ".join(migrations.migrated_services()))


ops = typer.Typer(
    help="Operator tools: one order's story, stuck sagas, parked events, task-queue load. Exit 0: fine or nothing "
    "found; 1: found a problem (or not found); 2: bad usage, or Temporal or a database cannot be reached.",
    no_args_is_help=True,
)
app.add_typer(ops, name="ops")

AddressOption = Annotated[str | None, typer.Option(help="Temporal frontend (default MALLBOTS_TEMPORAL_ADDRESS)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
app.add_typer(deploy, name="deploy")


def _ops_temporal(address: str | None) -> tuple[Settings, str, Any]:
    """The settings, the Temporal frontend and the payload keys an operator command uses: the deployment's
    (MALLBOTS_TEMPORAL_ADDRESS, MALLBOTS_PAYLOAD_KEYS(_FILE)), or, against the dev stack of `mallbots up` (no
    address given), its own key file if it made one. A setting that cannot be used is bad usage (exit 2)."""
    from mallbots.codec import DEV_KEYS_FILE, PrivacyConfigError, payload_keys
    from mallbots.transport import TransportConfigError, temporal_transport

    # A tool never serves the SDK's metrics: the port is a worker's.
    settings = Settings().model_copy(update={"temporal_metrics_address": None})
    target = address or settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    dev_keys = settings.data_dir / DEV_KEYS_FILE
    local = address is None and settings.temporal_address is None and dev_keys.exists()
    try:
        keys = payload_keys(settings, dev_keys=dev_keys if local else None)
        temporal_transport(settings)  # a TLS setting that cannot be used: said here, not as a traceback
    except (PrivacyConfigError, TransportConfigError) as err:
        raise typer.BadParameter(str(err)) from err
    return settings, target, keys


class _Unreachable(Exception):
    """Temporal or a database could not be reached: the command could not look (exit 2)."""


OPS_CONNECT_SECONDS = 5.0  # connect_temporal retries a refused port (a dev server about to serve): not for ever


async def _ops_client(settings: Settings, target: str, keys: Any) -> Any:
    from mallbots.bootstrap import connect_temporal

    try:
        async with asyncio.timeout(OPS_CONNECT_SECONDS):
            return await connect_temporal(settings, target, keys=keys)
    except TimeoutError:
        raise _Unreachable(f"cannot reach Temporal at {target} (no answer in {OPS_CONNECT_SECONDS:g}s)") from None
    except RuntimeError as err:  # the SDK's "failed client connect"
        raise _Unreachable(f"cannot reach Temporal at {target}: {err}") from err


def _ops_exit(run: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Runs an operator command and leaves with its code; one that could not reach Temporal or a database says
    so (on stderr: stdout stays the command's JSON or table) and exits 2. Client-only commands can abort at
    interpreter exit (SDK issue 300): ``os._exit``."""
    import os

    from sqlalchemy.exc import ProgrammingError, SQLAlchemyError
    from temporalio.service import RPCError

    errors = Console(stderr=True)
    _keep_stdout_for_the_document()
    try:
        code = asyncio.run(run())
    except _Unreachable as err:
        errors.print(f"[red]{err}[/]")
        code = 2
    except RPCError as err:
        errors.print(f"[red]Temporal refused or failed the call[/]: {err.status.name if err.status else ''} {err}")
        code = 2
    except (SQLAlchemyError, OSError) as err:
        from activities.shared.poison import describe

        hint = " (not migrated yet? `mallbots migrate`)" if isinstance(err, ProgrammingError) else ""
        errors.print(f"[red]cannot read the read models[/]: {describe(err)}{hint}")
        code = 2
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _keep_stdout_for_the_document() -> None:
    """From here on standard output carries only what this command prints (its JSON or table): the Temporal SDK
    core writes its warnings (a retried call, a task timed out under load) to file descriptor 1, which now goes
    to standard error, while ``sys.stdout`` writes to the original standard output."""
    import io
    import os

    sys.stdout.flush()
    document_out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = io.TextIOWrapper(os.fdopen(document_out, "wb"), encoding="utf-8", line_buffering=True)


def _print_json(document: object) -> None:
    import json

    typer.echo(json.dumps(document, indent=2, default=str))


@ops.command("stuck")
def stuck(
    older_than: Annotated[int, typer.Option(help="seconds a saga may run before it counts as stuck")] = 300,
    address: AddressOption = None,
    as_json: JsonOption = False,
) -> None:
    """List order sagas still pending (waiting on a step or compensating) after --older-than seconds: their
    step and the activity they wait on (exit 1 when there are any, so it can back an alert)."""
    from datetime import timedelta

    from rich.table import Table

    from mallbots.tools.operators import find_stuck_sagas

    settings, target, keys = _ops_temporal(address)

    async def run() -> int:
        client = await _ops_client(settings, target, keys)
        found = await find_stuck_sagas(client, timedelta(seconds=older_than))
        if as_json:
            _print_json([saga.as_json() for saga in found])
        elif not found:
            console.print(f"no saga pending for more than {older_than}s")
        else:
            table = Table(title=f"sagas pending for more than {older_than}s on {target}")
            table.add_column("workflow ID", no_wrap=True, min_width=42)  # whole, to copy (order: + a UUID)
            for column in ("age", "current step", "waiting on"):
                table.add_column(column, overflow="fold")
            for saga in found:
                table.add_row(saga.workflow_id, str(saga.age).split(".")[0], saga.step, saga.pending)
            console.print(table)
        return 1 if found else 0

    _ops_exit(run)


# The command's first name, kept for scripts and alerts written for it.
app.command("stuck-sagas", help="Same as `mallbots ops stuck`.")(stuck)


@ops.command("order")
def order(
    order_id: Annotated[str, typer.Argument(help="the order's ID (a checked-out basket's ID)")],
    address: AddressOption = None,
    as_json: JsonOption = False,
) -> None:
    """The story of one order: its status in every read model that holds it, its saga's step, the steps and
    compensations it ran (from the workflow's history), its payment, shopping list, invoice, the messages sent
    about it, and its page in the Temporal UI. Exit 1 when no read model and no workflow knows the order."""
    from domain.shared.errors import DomainError
    from domain.shared.text import require_id
    from mallbots.tools.dead_letters import databases_for
    from mallbots.tools.ops_order import ORDER_SERVICES, order_story, print_story

    try:
        require_id(order_id, "order ID")
    except DomainError as err:
        raise typer.BadParameter(err.message) from err
    settings, target, keys = _ops_temporal(address)
    try:
        databases = databases_for(settings, ORDER_SERVICES)
    except RuntimeError as err:
        raise typer.BadParameter(str(err)) from err
    ui_base = settings.temporal_ui_url or f"http://127.0.0.1:{settings.temporal_ui_port}"

    async def run() -> int:
        try:
            client = await _ops_client(settings, target, keys)
            story = await order_story(
                client, databases, order_id, ui_base=ui_base, namespace=settings.temporal_namespace
            )
        finally:
            await databases.dispose()
        if as_json:
            _print_json(story.as_json())
        elif not story.exists:
            console.print(f"no order {order_id}: no read model holds it and Temporal has no workflow for it")
        else:
            print_story(console, story)
        return 0 if story.exists else 1

    _ops_exit(run)


@ops.command("stats")
def stats(
    window: Annotated[int, typer.Option(help="seconds over which completions are counted", min=1)] = 300,
    queue: Annotated[list[str] | None, typer.Option(help="only this task queue (repeat for several)")] = None,
    address: AddressOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per task queue (one per service): workers polling it, backlog (count and age), tasks dispatched per
    second, workflows running, and completed per minute over --window; the same as GET /api/ops/stats. Exit 1
    when a queue has no poller at all (no worker runs that service)."""
    from datetime import timedelta

    from api.routers.ops import MAX_WINDOW_SECONDS, collect_stats
    from mallbots.tools.ops_stats import TASK_QUEUES, as_document, stats_table, unpolled

    unknown = sorted(set(queue or ()) - set(TASK_QUEUES))
    if unknown:
        raise typer.BadParameter(f"unknown task queue(s) {', '.join(unknown)}; choose from {', '.join(TASK_QUEUES)}")
    if window > MAX_WINDOW_SECONDS:
        raise typer.BadParameter(f"the window is at most {MAX_WINDOW_SECONDS} seconds")
    queues = [q for q in TASK_QUEUES if not queue or q in queue]
    settings, target, keys = _ops_temporal(address)

    async def run() -> int:
        client = await _ops_client(settings, target, keys)
        found = await collect_stats(client, queues, timedelta(seconds=window))
        idle = unpolled(found)
        if as_json:
            _print_json(as_document(found))
        else:
            console.print(stats_table(found, target))
            if idle:
                console.print(f"[red]no worker polls[/] {', '.join(idle)}")
        return 1 if idle else 0

    _ops_exit(run)


@ops.command("dead-letters")
def dead_letters(
    service: Annotated[list[str] | None, typer.Option(help="only this service (repeat for several)")] = None,
    retry: Annotated[bool, typer.Option("--retry", help="re-apply each parked event through its projection")] = False,
    letter_id: Annotated[
        int | None, typer.Option("--id", help="only this dead letter (IDs are per service: give --service)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """List the events a projection parked because retrying could not fix them (exit 1 when there are any),
    or re-apply them with --retry once the cause is fixed (exit 1 when one still fails)."""
    import json

    from rich.table import Table
    from sqlalchemy.exc import ProgrammingError, SQLAlchemyError

    from mallbots.tools.dead_letters import databases_for, list_dead_letters, retry_dead_letters

    services = _services(service)
    if letter_id is not None and len(services) != 1:
        raise typer.BadParameter("dead-letter IDs are numbered per service: give --service with --id")
    try:
        databases = databases_for(Settings(), services)
    except RuntimeError as err:
        raise typer.BadParameter(str(err)) from err

    async def run() -> int:
        try:
            if retry:
                outcomes = await retry_dead_letters(databases, services, letter_id=letter_id)
                if as_json:
                    typer.echo(json.dumps([o.as_json() for o in outcomes], indent=2))
                else:
                    for line in [o.summary for o in outcomes] or ["no parked events to re-apply"]:
                        typer.echo(line)
                return 0 if all(o.done for o in outcomes) else 1
            letters = await list_dead_letters(databases, services)
            if as_json:
                typer.echo(json.dumps([letter.as_json() for letter in letters], indent=2))
            elif not letters:
                typer.echo("no parked events")
            else:
                table = Table(title=f"{len(letters)} parked event(s)")
                columns = ("service", "id", "projection", "event", "aggregate", "number", "attempts")
                for column in (*columns, "first failure", "last failure", "error"):
                    table.add_column(column, overflow="fold")
                for d in letters:
                    table.add_row(
                        d.service,
                        str(d.id),
                        d.projection,
                        d.event_name,
                        d.aggregate_id,
                        str(d.event_number),
                        str(d.attempts),
                        f"{d.first_failed_at:%Y-%m-%d %H:%M:%S}",
                        f"{d.last_failed_at:%Y-%m-%d %H:%M:%S}",
                        d.error_line,
                    )
                console.print(table)
            return 1 if letters else 0
        finally:
            await databases.dispose()

    try:
        code = asyncio.run(run())
    except (SQLAlchemyError, OSError) as err:  # exit 2, not 1: "could not look" is not "found some"
        from activities.shared.poison import describe

        hint = " (not migrated yet? `mallbots migrate`)" if isinstance(err, ProgrammingError) else ""
        console.print(f"[red]cannot read the dead letters[/]: {describe(err)}{hint}")
        code = 2
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
