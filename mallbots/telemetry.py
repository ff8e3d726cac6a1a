"""Traces (OTLP/HTTP) from the HTTP request through the workflow and its activities; SDK metrics."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


def tracer_provider(otlp_endpoint: str, service_name: str = "mallbots") -> TracerProvider:
    """A provider exporting to ``<otlp_endpoint>/v1/traces``. Not installed globally: the stack hands
    it to FastAPI's instrumentation and Temporal's interceptor, so two stacks in one process stay apart."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    return provider


def tracing_interceptor(provider: TracerProvider) -> TracingInterceptor:
    """On the client, it also covers every worker built from that client (workflows and activities)."""
    return TracingInterceptor(tracer=provider.get_tracer("temporalio"))


def metrics_runtime(bind_address: str) -> Runtime:
    """The Temporal SDK's own metrics (task latencies, slots, polls…) served for Prometheus."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))
