#!/usr/bin/env python3
"""Structural checks of the development stack (docker-compose.yml and examples/stack/), for a
machine without Docker: what `docker compose up` would trip on, and what would silently not
work (a pipeline naming a processor that is not defined, a dashboard querying a datasource that
is not provisioned, an unpinned image).

usage: check_stack.py REPO_ROOT       prints "ok", or the problems and exits 1
"""
import json
import os
import sys

import yaml

root = sys.argv[1]
problems = []


def load(path):
    with open(os.path.join(root, path)) as f:
        return yaml.safe_load(f)


def check(condition, message):
    if not condition:
        problems.append(message)


compose = load("docker-compose.yml")
services = compose.get("services", {})
expected = {"otel-collector": "contrib", "jaeger": "jaeger:2.", "prometheus": "prometheus:v3.", "alertmanager": "alertmanager:", "grafana": "grafana:"}
for name, image_part in expected.items():
    service = services.get(name)
    check(service is not None, f"compose: no service {name}")
    if service is None:
        continue
    image = service.get("image", "")
    check(image_part in image, f"compose: {name} runs {image!r}, expected {image_part!r}")
    check(":" in image and not image.endswith(":latest"), f"compose: {name} image {image!r} is not pinned to a version")
    for volume in service.get("volumes", []):
        host = volume.split(":")[0]
        check(os.path.exists(os.path.join(root, host)), f"compose: {name} mounts {host}, which does not exist")
    for dependency in service.get("depends_on", []):
        check(dependency in services, f"compose: {name} depends on unknown service {dependency}")
published = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
check(len(published) == len(set(published)), f"compose: a host port is published twice: {published}")
check("4318" in published and "16686" in published and "3000" in published, "compose: OTLP (4318), Jaeger (16686) and Grafana (3000) must be reachable")

collector = load("examples/stack/otel-collector/config.yaml")
defined = {kind: set(collector.get(kind, {}) or {}) for kind in ("receivers", "processors", "exporters")}
pipelines = collector.get("service", {}).get("pipelines", {})
check("traces" in pipelines, "collector: no traces pipeline")
for name, pipeline in pipelines.items():
    for kind in ("receivers", "processors", "exporters"):
        for component in pipeline.get(kind, []):
            check(component in defined[kind], f"collector: pipeline {name} uses {kind[:-1]} {component}, which is not defined")
traces = pipelines.get("traces", {}).get("processors", [])
check("redaction" in traces and "tail_sampling" in traces, "collector: traces must go through redaction and tail_sampling")
check(traces.index("redaction") < traces.index("tail_sampling") if "redaction" in traces and "tail_sampling" in traces else False, "collector: redact before sampling")
check(traces and traces[0] == "memory_limiter", "collector: memory_limiter must come first")
policies = collector.get("processors", {}).get("tail_sampling", {}).get("policies", [])
kinds = {p.get("type") for p in policies}
check({"status_code", "probabilistic"} <= kinds, f"collector: tail_sampling needs an errors policy and a probabilistic one, has {kinds}")
for p in policies:
    if p.get("type") == "status_code":
        check("ERROR" in p.get("status_code", {}).get("status_codes", []), "collector: the status_code policy must keep ERROR")
    if p.get("type") == "probabilistic":
        check(p.get("probabilistic", {}).get("sampling_percentage") == 10, "collector: keep 10% of ordinary traces")
for exporter, config in collector.get("exporters", {}).items():
    endpoint = (config or {}).get("endpoint", "")
    if endpoint:
        host = endpoint.split(":")[0]
        check(host in services, f"collector: exporter {exporter} sends to {host}, not a compose service")
check(collector.get("processors", {}).get("redaction", {}).get("blocked_values"), "collector: the redaction processor blocks no value")

datasources = load("examples/stack/grafana/provisioning/datasources/datasources.yml")["datasources"]
uids = {d["uid"] for d in datasources}
for d in datasources:
    host = d["url"].split("//")[1].split(":")[0]
    check(host in services, f"grafana: datasource {d['name']} points at {host}, not a compose service")
providers = load("examples/stack/grafana/provisioning/dashboards/dashboards.yml")["providers"]
mounts = [v.split(":")[1] for v in services.get("grafana", {}).get("volumes", [])]
for provider in providers:
    check(provider["options"]["path"] in mounts, f"grafana: dashboards provider reads {provider['options']['path']}, which is not mounted")
dashboards = os.path.join(root, "examples/stack/grafana/dashboards")
for name in os.listdir(dashboards):
    with open(os.path.join(dashboards, name)) as f:
        dashboard = json.load(f)
    for panel in dashboard.get("panels", []):
        uid = (panel.get("datasource") or {}).get("uid")
        check(panel.get("type") == "row" or uid in uids, f"grafana: panel {panel.get('title')} of {name} queries datasource {uid}, which is not provisioned")

# Exemplars: stored by Prometheus, shown on the latency panels, and linked to Jaeger.
command = " ".join(services.get("prometheus", {}).get("command", []))
check("exemplar-storage" in command, "prometheus: exemplar storage is not enabled (--enable-feature=exemplar-storage)")
by_uid = {d["uid"]: d for d in datasources}
for d in datasources:
    for destination in (d.get("jsonData") or {}).get("exemplarTraceIdDestinations", []):
        target = by_uid.get(destination.get("datasourceUid"))
        check(target is not None and target["type"] == "jaeger", f"grafana: exemplars of {d['name']} link to {destination}, not a provisioned Jaeger")
        check(destination.get("name") == "trace_id", "grafana: exemplars are linked by their trace_id label")
check(any((d.get("jsonData") or {}).get("exemplarTraceIdDestinations") for d in datasources if d["type"] == "prometheus"), "grafana: the Prometheus datasource does not link exemplars to traces")
for name in os.listdir(dashboards):
    with open(os.path.join(dashboards, name)) as f:
        dashboard = json.load(f)
    latency = [p for p in dashboard.get("panels", []) if p.get("title", "").endswith(": latency")]
    check(latency, f"grafana: {name} has no latency panel")
    for panel in latency:
        check(all(t.get("exemplar") is True for t in panel.get("targets", [])), f"grafana: panel {panel.get('title')} of {name} does not show exemplars")

prometheus = load("examples/stack/prometheus/prometheus.yml")
for alertmanagers in prometheus.get("alerting", {}).get("alertmanagers", []):
    for sc in alertmanagers.get("static_configs", []):
        for target in sc.get("targets", []):
            check(target.split(":")[0] in services, f"prometheus: alertmanager target {target} is not a compose service")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print("ok")
