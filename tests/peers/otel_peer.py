#!/usr/bin/env python3
"""A foreign service for obs's propagation tests, built on OpenTelemetry's own Python SDK and its
W3C propagators.

usage:
  otel_peer.py server PORT
      Serves HTTP on 127.0.0.1:PORT; every GET answers, as JSON, what OpenTelemetry's
      propagators read from the request: the trace id, the parent span id, the flags, the
      tracestate and the baggage, plus the raw header values. Prints "ready" once it listens.
  otel_peer.py client URL BAGGAGE_JSON
      Calls URL inside a span of its own, with the given baggage entries set in the context,
      and prints the response body and the ids of the context it sent, as one JSON line.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import baggage, context, propagate, trace
from opentelemetry.sdk.trace import TracerProvider


def serve(port):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            carrier = {}
            for key in self.headers.keys():
                # Several headers of one name are one comma-separated list (RFC 9110).
                carrier[key.lower()] = ",".join(self.headers.get_all(key))
            ctx = propagate.extract(carrier)
            span = trace.get_current_span(ctx).get_span_context()
            body = json.dumps({
                "valid": span.is_valid,
                "trace_id": format(span.trace_id, "032x"),
                "parent_id": format(span.span_id, "016x"),
                "sampled": span.trace_flags.sampled,
                "flags": int(span.trace_flags),
                "tracestate": span.trace_state.to_header(),
                "baggage": dict(baggage.get_all(ctx)),
                "headers": {k.lower(): self.headers.get_all(k) for k in self.headers.keys()},
            }).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


def call(url, entries):
    import requests

    trace.set_tracer_provider(TracerProvider())
    ctx = context.get_current()
    for key, value in entries.items():
        ctx = baggage.set_baggage(key, value, ctx)
    token = context.attach(ctx)
    try:
        with trace.get_tracer("obs-test").start_as_current_span("python-call") as span:
            headers = {}
            propagate.inject(headers)
            response = requests.get(url, headers=headers, timeout=10)
            sent = span.get_span_context()
    finally:
        context.detach(token)
    print(json.dumps({
        "trace_id": format(sent.trace_id, "032x"),
        "span_id": format(sent.span_id, "016x"),
        "sent": headers,
        "status": response.status_code,
        "body": response.text,
    }))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    else:
        call(sys.argv[2], json.loads(sys.argv[3]))
