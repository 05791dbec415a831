#!/usr/bin/env python3
"""A real OTLP receiver for obs's tests: oteltest's HttpSink (or, with --grpc, its GrpcSink) on
PORT.

Every request it receives is appended to OUT as one JSON line:
{"signal": "traces" | "logs" | "metrics", "request": <the request as OTLP-JSON>}
with trace and span ids in hex, as OTLP-JSON writes them. It prints "ready" once it listens,
and runs until it is killed.

usage: otlp_sink.py [--grpc] PORT OUT
"""
import base64
import json
import logging
import sys
import threading

from google.protobuf.json_format import MessageToDict
from oteltest.sink import GrpcSink, HttpSink, RequestHandler

ID_KEYS = {"traceId", "spanId", "parentSpanId"}


def hex_ids(value):
    if isinstance(value, dict):
        return {
            k: base64.b64decode(v).hex() if k in ID_KEYS and isinstance(v, str) else hex_ids(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [hex_ids(v) for v in value]
    return value


class Recorder(RequestHandler):
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()

    def write(self, signal, request):
        line = json.dumps({"signal": signal, "request": hex_ids(MessageToDict(request))})
        with self.lock, open(self.out, "a") as f:
            f.write(line + "\n")

    def handle_trace(self, request, headers):
        self.write("traces", request)

    def handle_logs(self, request, headers):
        self.write("logs", request)

    def handle_metrics(self, request, headers):
        self.write("metrics", request)


def main():
    args = sys.argv[1:]
    grpc = args[0] == "--grpc"
    if grpc:
        args = args[1:]
    port, out = int(args[0]), args[1]
    logging.basicConfig(level=logging.WARNING)
    logger = logging.getLogger("otlp_sink")
    if grpc:
        sink = GrpcSink(Recorder(out), logger, port=port)
        sink.start()
        print("ready", flush=True)
        sink.wait_for_termination()
    else:
        sink = HttpSink(Recorder(out), logger, port=port, daemon=False)
        sink.start()
        print("ready", flush=True)
        sink.svr_thread.join()


if __name__ == "__main__":
    main()
