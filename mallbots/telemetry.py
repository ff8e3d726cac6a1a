"""Traces (OTLP/HTTP) from the HTTP request through its update, workflows, activities and SQL; SDK metrics.

Everything here is wired only when ``MALLBOTS_OTLP_ENDPOINT`` is set: without it no provider exists, no engine
has a listener, the app has no tracing middleware and the client no interceptor, so the untraced path costs
nothing. A trace of a checkout::

    PUT /api/baskets/{basket_id}/checkout            (FastAPI, the root)
      StartWorkflowUpdate:checkout                   (the API's Temporal client)
        ValidateUpdate:checkout, HandleUpdate:checkout
        StartActivity:apply_basket_event → RunActivity:apply_basket_event → INSERT … (SQL)
        StartChildWorkflow:OrderWorkflow
          RunWorkflow:OrderWorkflow
          StartActivity:authorize_customer → RunActivity:authorize_customer → QueryWorkflow:get_customer
          StartActivity:create_shopping_list → RunActivity:create_shopping_list → SELECT …, …
          … every saga step the same way, and each projection of the order's events

The saga's spans carry ``mallbots.order_id``, and so does the HTTP span of a route that names an order.
SQL spans hold the statement with its placeholders, never the bound values (names, SMS numbers).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import opentelemetry.context
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from starlette.routing import compile_path
from starlette.types import Scope
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor
from temporalio.worker import HandleUpdateInput, WorkflowInterceptorClassInput

from workflows.baskets.messages import basket_workflow_id
from workflows.ordering.messages import order_workflow_id

ORDER_ID = "mallbots.order_id"
_WORKFLOW_ID = "temporalWorkflowID"  # the attribute Temporal's interceptor puts on each of its spans
_ORDER_PREFIX = order_workflow_id("")
_BASKET_PREFIX = basket_workflow_id("")
# A checkout starts the order whose ID is the basket's (``BasketWorkflow._start_order``): these spans of the
# basket workflow are about that order.
_CHECKOUT_SPANS = frozenset(
    {
        "StartWorkflowUpdate:checkout",
        "ValidateUpdate:checkout",
        "HandleUpdate:checkout",
        "StartChildWorkflow:OrderWorkflow",
    }
)
# Routes whose path names an order: ``{order_id}``, or the basket that a checkout turns into one.
_ORDER_PATH_PARAMS = ("order_id",)
_CHECKOUT_ROUTE = "/api/baskets/{basket_id}/checkout"
_UNTRACED_URLS = "/metrics$,/liveness$,/readiness$"  # scrapes and probes: a trace every few seconds, about nothing


def tracer_provider(otlp_endpoint: str, service_name: str = "mallbots") -> TracerProvider:
    """A provider exporting to ``<otlp_endpoint>/v1/traces``. Not installed globally: the stack hands
    it to FastAPI's instrumentation, Temporal's interceptor and the engines, so two stacks in one process stay
    apart."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(OrderIdAttribute())  # before the exporter's: it sees the attribute at the end
    exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    return provider


# ---- the order ID on the spans -----------------------------------------------------------------


def order_id_of(name: str, attributes: Mapping[str, Any] | None) -> str | None:
    """The order a Temporal span is about: its workflow is ``order:<id>``, or it is the checkout of basket <id>."""
    workflow_id = (attributes or {}).get(_WORKFLOW_ID)
    if not isinstance(workflow_id, str):
        return None
    if workflow_id.startswith(_ORDER_PREFIX):
        return workflow_id.removeprefix(_ORDER_PREFIX) or None
    if name in _CHECKOUT_SPANS and workflow_id.startswith(_BASKET_PREFIX):
        return workflow_id.removeprefix(_BASKET_PREFIX) or None
    return None


class OrderIdAttribute(SpanProcessor):
    """Puts ``mallbots.order_id`` on every span Temporal's interceptor makes for an order's workflow or for the
    checkout that starts it (the workflow spans are made and ended in one go inside the SDK, so a processor is the
    one place to add to them), and on the HTTP request it was made in when that span is in this process (so a
    direct ``POST /api/ordering`` is found by the order it created)."""

    def on_start(self, span: Span, parent_context: opentelemetry.context.Context | None = None) -> None:
        order_id = order_id_of(span.name, span.attributes)
        if order_id is None:
            return
        span.set_attribute(ORDER_ID, order_id)
        parent = trace.get_current_span(parent_context)
        if (
            isinstance(parent, ReadableSpan)
            and parent.is_recording()
            and parent.kind is trace.SpanKind.SERVER
            and ORDER_ID not in (parent.attributes or {})
        ):
            parent.set_attribute(ORDER_ID, order_id)

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@functools.lru_cache(maxsize=512)
def _order_id_in(route: str) -> tuple[re.Pattern[str], str] | None:
    """For a route template that names an order: its regex and the path parameter holding the order ID."""
    param = (
        "basket_id" if route == _CHECKOUT_ROUTE else next((p for p in _ORDER_PATH_PARAMS if f"{{{p}}}" in route), None)
    )
    if param is None:
        return None
    regex, _, _ = compile_path(route)
    return regex, param


def _order_id_of_request(span: trace.Span, scope: Scope) -> None:
    """FastAPI's request hook: ``mallbots.order_id`` on the HTTP span of a route whose path names an order. The
    hook runs before routing: the instrumentation has matched the route template (``http.route``) already, the
    order ID is read from the path by that template."""
    attributes = getattr(span, "attributes", None) or {}
    route = attributes.get("http.route")
    found = _order_id_in(route) if isinstance(route, str) and span.is_recording() else None
    if found is None:
        return
    regex, param = found
    match = regex.match(scope.get("path", ""))
    if match is not None and match.group(param):
        span.set_attribute(ORDER_ID, match.group(param))


# ---- wiring ------------------------------------------------------------------------------------


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    """One server span per request (no spans for each ASGI message sent or received, nor for scrapes and
    probes), with the order ID of the routes that name one."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        server_request_hook=_order_id_of_request,
        excluded_urls=_UNTRACED_URLS,
        exclude_spans=["receive", "send"],
    )


# ---- Temporal ----------------------------------------------------------------------------------


class _UpdatesInTheirRequestsTrace(TracingWorkflowInboundInterceptor):
    """An update's validator and handler run in the trace of the request that sent the update.

    Temporal's interceptor runs every handler in the context of the workflow's start and only links the update's
    own span: a checkout (an update of the basket, started long before) and the order saga it starts would land in
    the trace of the ``POST /api/baskets`` that opened the basket. Here, when the update carries a trace context,
    its validator's and handler's spans, and whatever the handler starts (activities, the child order workflow),
    are children of the client's ``StartWorkflowUpdate`` span instead. Without one (an untraced client) nothing
    changes. Replay-safe as the base: no span is made while replaying, and the context changes no decision."""

    def _update_context(self, input: HandleUpdateInput) -> opentelemetry.context.Context | None:
        header = input.headers.get(self.header_key)
        if not header:
            return None
        carrier = self.payload_converter.from_payloads([header])[0]
        if not carrier:
            return None
        context = self.text_map_propagator.extract(carrier)
        if trace.get_current_span(context) is trace.INVALID_SPAN:
            return None
        return self._set_on_context(context)

    @contextmanager
    def _attached(self, context: opentelemetry.context.Context) -> Iterator[None]:
        token = opentelemetry.context.attach(context)
        try:
            yield
        finally:
            opentelemetry.context.detach(token)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        context = self._update_context(input)
        if context is None:
            return super().handle_update_validator(input)
        with self._attached(context):
            self._completed_span(f"ValidateUpdate:{input.update}", kind=trace.SpanKind.SERVER)
            self.next.handle_update_validator(input)  # the base's own span and context skipped on purpose

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        context = self._update_context(input)
        if context is None:
            return await super().handle_update_handler(input)
        with self._attached(context):
            self._completed_span(f"HandleUpdate:{input.update}", kind=trace.SpanKind.SERVER)
            return await self.next.handle_update_handler(input)


class _RequestTracingInterceptor(TracingInterceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)  # registers the extern function the workflow spans are made by
        return _UpdatesInTheirRequestsTrace


def tracing_interceptor(provider: TracerProvider) -> TracingInterceptor:
    """On the client, it also covers every worker built from that client (workflows and activities)."""
    return _RequestTracingInterceptor(tracer=provider.get_tracer("temporalio"))
