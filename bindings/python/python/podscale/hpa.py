"""The HorizontalPodAutoscaler: ``autoscaling/v2`` specs as written in YAML, single decisions
with their explanation, replays over numpy arrays, and the controller's pieces one at a time.

>>> import podscale
>>> hpa = podscale.HorizontalPodAutoscaler(
...     {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 10,
...      "metrics": [{"type": "Resource", "resource": {"name": "cpu",
...                   "target": {"type": "Utilization", "averageUtilization": 50}}}]},
...     pod_template={"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}})
>>> state = podscale.HpaState()
>>> d = hpa.decide(state, now=0, replicas=2, usage="190m")   # 95% of request for a 50% target
>>> d.desired_replicas, d.reason, d.metrics[0]["current"]
(4, 'MetricAboveTarget', {'averageUtilization': 95, 'averageValue': '190m'})
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _frames, _native
from ._errors import ValidationError
from ._native import (
    Decision,
    HpaState,
    calculate_replicas,
    default_behavior,
    group_pods,
    limit_replicas_legacy,
    limit_replicas_with_behavior,
    replicas_change_per_period,
    scale_limit,
    stabilize,
    store_scale_event,
)
from ._time import instants, to_datetime64

__all__ = [
    "Decision",
    "HorizontalPodAutoscaler",
    "HpaState",
    "calculate_replicas",
    "default_behavior",
    "group_pods",
    "limit_replicas_legacy",
    "limit_replicas_with_behavior",
    "replicas_change_per_period",
    "scale_limit",
    "stabilize",
    "store_scale_event",
]

_REASONS = np.array(_native.REPLAY_REASONS, dtype=object)


def _amounts(values: Any, name: str, ndim: int) -> np.ndarray:
    array = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    if array.ndim != ndim:
        raise ValidationError(f"{name}: expected a {ndim}-dimensional array", name, None)
    return array


class HorizontalPodAutoscaler(_native.HorizontalPodAutoscaler):
    """An ``autoscaling/v2`` HorizontalPodAutoscaler, from its ``spec`` or its whole manifest.

    ``controller`` holds kube-controller-manager's flags and feature gates
    (``{"tolerance": 0.1, "downscaleStabilization": "5m", "featureGates": {"HPAScaleToZero": True}}``);
    ``pod_template`` (a Deployment or its ``spec.template``) is what replayed pods request;
    ``validate=False`` takes a spec as stored, unknown metric types included.
    """

    def replay(
        self,
        times: Any,
        usage: Any = None,
        *,
        total: Any = None,
        per_pod: Any = None,
        replicas: Any = None,
        initial_replicas: Optional[int] = None,
        state: Optional[HpaState] = None,
    ) -> Any:
        """Replays the HPA at each instant of ``times`` over identical Running and Ready pods
        of the pod template, in one call (no Python loop per step; the GIL is released).

        What the pods use, in milli-units of the metrics' resource (millicores for ``cpu``;
        ``NaN`` is a missing sample): ``usage`` per pod, ``total`` shared by the pods of each
        step, or ``per_pod`` (steps × pods). Without ``replicas`` each step starts from the
        previous decision (closed loop); with it, from the recorded counts. ``state`` carries
        over between calls (a new one by default).

        Returns a DataFrame indexed by time (numpy arrays without pandas): ``replicas``,
        ``desired_replicas``, ``metric_replicas`` (-1: none), ``rescale``, ``utilization``
        (-1: none), ``scaling_limited`` and the conditions' reasons.

        >>> import podscale
        >>> hpa = podscale.HorizontalPodAutoscaler(
        ...     {"scaleTargetRef": {"name": "web"}, "maxReplicas": 10,
        ...      "metrics": [{"type": "Resource", "resource": {"name": "cpu",
        ...                   "target": {"type": "Utilization", "averageUtilization": 50}}}]},
        ...     pod_template={"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}})
        >>> out = hpa.replay(np.arange(4) * 15_000, total=[400, 400, 400, 100])
        >>> list(out["desired_replicas"])
        [4, 4, 4, 4]
        """
        state = HpaState() if state is None else state
        t = instants(times)
        arrays: dict[str, Any] = {}
        given = [(k, v) for k, v in (("usage", usage), ("total", total), ("per_pod", per_pod)) if v is not None]
        if len(given) != 1:
            raise ValidationError("give exactly one of usage, total or per_pod", "usage", None)
        name, values = given[0]
        arrays[name] = _amounts(values, name, 2 if name == "per_pod" else 1)
        if replicas is not None:
            arrays["replicas"] = np.ascontiguousarray(np.asarray(replicas, dtype=np.int64))
        out = self._replay(state, t, initial_replicas=initial_replicas, **arrays)
        out["time"] = to_datetime64(out["time"])
        for key in ("scaling_limited_reason", "scaling_active_reason", "able_to_scale_reason"):
            out[key] = _REASONS[out[key]]
        return _frames.frame(out, _plot_replay, {"max_replicas": self.max_replicas, "min_replicas": self.min_replicas})


def _plot_replay(data: Any, ax: Any) -> Any:
    ax = _frames.axes(ax)
    x = _frames.times(data)
    ax.step(x, data["replicas"], where="post", label="replicas")
    ax.step(x, data["desired_replicas"], where="post", label="desired", linestyle="--")
    ax.set_ylabel("replicas")
    ax.legend(loc="upper left")
    return ax
