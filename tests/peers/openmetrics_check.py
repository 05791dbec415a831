#!/usr/bin/env python3
"""Parses an OpenMetrics exposition from stdin with PyPI prometheus-client's OpenMetrics parser
(which enforces the format's rules: # EOF, counter and histogram structure, exemplars, _created)
and prints, as JSON, its families and every exemplar. Exits non-zero, with the parser's error,
if the exposition breaks a rule."""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

text = sys.stdin.read()
families = []
exemplars = []
for family in text_string_to_metric_families(text):
    families.append({"name": family.name, "type": family.type, "samples": len(family.samples)})
    for sample in family.samples:
        if sample.exemplar is not None:
            exemplars.append({
                "sample": sample.name,
                "labels": sample.labels,
                "exemplar": sample.exemplar.labels,
                "value": sample.exemplar.value,
                "timestamp": None if sample.exemplar.timestamp is None else float(sample.exemplar.timestamp),
            })
print(json.dumps({"families": families, "exemplars": exemplars}))
