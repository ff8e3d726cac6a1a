"""SQL statements as spans: a client span for each statement an engine runs, without its bound values."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine


def instrument_engines(engines: Iterable[AsyncEngine], provider: TracerProvider) -> None:
    """A client span for every SQL statement the engines run, child of the span current when it runs (the
    activity's, the request's). The engine's listeners are used directly rather than
    ``SQLAlchemyInstrumentor().instrument()``, which would also patch ``create_engine`` for the whole process
    (every later engine, any stack's, traced into this provider) and refuses SQLAlchemy 2.1 by its declared range
    though the events it listens to are unchanged (tests/integration/test_tracing.py holds it to that).

    The span holds the statement as SQLAlchemy sends it, with its ``%(name)s`` placeholders: the bound values
    (customer names, SMS numbers, messages that greet a customer by name) are never read. The sqlcommenter stays
    off (it would add the trace context to the SQL text the server logs)."""
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    # The instrumentation also counts pool connections; those metrics come from elsewhere (Prometheus).
    connections = NoOpMeterProvider().get_meter("mallbots").create_up_down_counter("db.client.connections.usage")
    for engine in engines:
        EngineTracer(tracer, engine.sync_engine, connections, enable_commenter=False)  # type: ignore[no-untyped-call]
