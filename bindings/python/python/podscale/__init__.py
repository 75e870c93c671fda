"""podscale: Kubernetes autoscaling decisions (the HorizontalPodAutoscaler, KEDA's cron trigger
and ScaledObject, the VerticalPodAutoscaler recommender) exactly as upstream makes them, from
the manifests you keep in YAML.

Every decision is made by podscale's Rust core; this package reads Kubernetes' own shapes and
names (``minReplicas``, ``stabilizationWindowSeconds``, quantities such as ``"200m"``) and hands
back plain data: dicts, picklable state objects, numpy arrays, and pandas DataFrames when pandas
is installed.

Instants are aware ``datetime``\\ s, ``numpy.datetime64`` or Unix milliseconds (a naive
``datetime`` is an error); durations are ``timedelta``\\ s or seconds. Every error is a
``podscale.Error``; bad input is a ``podscale.ValidationError`` (also a ``ValueError``) with
the field ``path`` and the bad ``value``.
"""

from __future__ import annotations

from . import hpa, keda, vpa
from ._errors import Error, ValidationError
from ._native import __version__, format_quantity, parse_quantity, to_unix_ms
from ._simulate import simulate
from .hpa import (
    Decision,
    HorizontalPodAutoscaler,
    HpaState,
)
from .keda import CronSchedule, CronTrigger, ScaledObject, ScaledObjectState
from .vpa import (
    ContainerAggregate,
    ContainerState,
    Histogram,
    HistogramOptions,
    ResourcePolicy,
    recommend,
    replay_recommendations,
)

__all__ = [
    "ContainerAggregate",
    "ContainerState",
    "CronSchedule",
    "CronTrigger",
    "Decision",
    "Error",
    "Histogram",
    "HistogramOptions",
    "HorizontalPodAutoscaler",
    "HpaState",
    "ResourcePolicy",
    "ScaledObject",
    "ScaledObjectState",
    "ValidationError",
    "__version__",
    "format_quantity",
    "hpa",
    "keda",
    "parse_quantity",
    "recommend",
    "replay_recommendations",
    "simulate",
    "to_unix_ms",
    "vpa",
]
