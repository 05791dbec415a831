#!/usr/bin/env python3
"""A foreign service for obs's tests: OpenTelemetry's own Python SDK, with the `requests`
instrumentation, calls URL inside a span and prints, as one JSON line, the trace id and the id of
the CLIENT span whose context it sent in `traceparent`.

usage: otel_client.py URL
"""
import json
import sys

import requests
from opentelemetry import trace
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
RequestsInstrumentor().instrument()

with trace.get_tracer("obs-test").start_as_current_span("python-checkout"):
    response = requests.get(sys.argv[1], timeout=10)

client = next(s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CLIENT)
print(json.dumps({
    "trace_id": format(client.context.trace_id, "032x"),
    "client_span_id": format(client.context.span_id, "016x"),
    "status": response.status_code,
    "body": response.text,
}))
