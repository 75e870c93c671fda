"""Shared fixtures: the repository's vector files, and matplotlib without a display."""

from __future__ import annotations

import os
import pathlib

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = pathlib.Path(__file__).resolve().parents[3]
VECTORS = REPO / "tests" / "vectors"


@pytest.fixture
def cpu_hpa_spec() -> dict:
    return {
        "scaleTargetRef": {"kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
    }


@pytest.fixture
def template() -> dict:
    return {"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}
