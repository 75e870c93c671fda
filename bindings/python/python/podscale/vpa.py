"""The VerticalPodAutoscaler recommender, bit for bit: histograms and checkpoints, the
aggregate state of a container name, samples fed from numpy arrays, recommendations, and the
post-processing (resource policy, capping, proportional limits, the updater's priority).

>>> import podscale
>>> aggregate = podscale.ContainerAggregate()
>>> container = podscale.ContainerState()
>>> t = 1_700_000_000_000 + np.arange(60) * 60_000          # an hour, a sample a minute
>>> cpu_ok, memory_ok = container.add_samples(aggregate, t, cpu=np.full(60, 500.0), memory=np.full(60, 4 << 20))
>>> bool(cpu_ok.all())
True
>>> podscale.recommend({"app": aggregate})[0]["target"]    # 500m's bucket ends at 511m, +15%
{'cpu': '587m', 'memory': '250Mi'}
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _frames, _native
from ._native import (
    ContainerAggregate,
    Histogram,
    HistogramOptions,
    ResourcePolicy,
    apply_capping,
    apply_pod_limit_range,
    apply_vpa_policy,
    cores_from_cpu_amount,
    cpu_amount_from_cores,
    eviction_order,
    humanize_memory,
    is_quick_oom,
    memory_amount_from_bytes,
    pod_min_resources,
    priority_less,
    proportional_limit,
    recommend,
    resources_as_resource_list,
    round_up_to_scale,
    scale_resource,
    update_priority,
    with_confidence_multiplier,
    with_margin,
    with_min_resource,
)
from ._time import instants, to_datetime64

__all__ = [
    "ContainerAggregate",
    "ContainerState",
    "Histogram",
    "HistogramOptions",
    "ResourcePolicy",
    "apply_capping",
    "apply_pod_limit_range",
    "apply_vpa_policy",
    "cores_from_cpu_amount",
    "cpu_amount_from_cores",
    "eviction_order",
    "humanize_memory",
    "is_quick_oom",
    "memory_amount_from_bytes",
    "pod_min_resources",
    "priority_less",
    "proportional_limit",
    "recommend",
    "replay_recommendations",
    "resources_as_resource_list",
    "round_up_to_scale",
    "scale_resource",
    "update_priority",
    "with_confidence_multiplier",
    "with_margin",
    "with_min_resource",
]


def _series(values: Any, n: int) -> Optional[np.ndarray]:
    if values is None:
        return None
    array = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    if array.ndim == 0:
        array = np.full(n, float(array))
    return array


class ContainerState(_native.ContainerState):
    """One pod's container as the recommender tracks it (CPU deduplication, the memory peak
    of each aggregation window, OOM kills), feeding a ``ContainerAggregate``."""

    def add_samples(self, aggregate: ContainerAggregate, times: Any, cpu: Any = None, memory: Any = None) -> Tuple[np.ndarray, np.ndarray]:
        """Feeds samples in one call (the GIL is released): ``cpu`` in millicores and
        ``memory`` in bytes measured at ``times`` (``NaN`` or negative: no sample). Returns
        whether each CPU and each memory sample was accepted (boolean arrays)."""
        t = instants(times)
        return self._add_samples(aggregate, t, _series(cpu, len(t)), _series(memory, len(t)))


def replay_recommendations(
    times: Any,
    cpu: Any = None,
    memory: Any = None,
    *,
    container: str = "app",
    every: Any = 60,
    policy: Optional[ResourcePolicy] = None,
    aggregation: Optional[dict[str, Any]] = None,
    recommender: Optional[dict[str, Any]] = None,
) -> Any:
    """Feeds one container's samples (``cpu`` millicores, ``memory`` bytes) into the
    recommender and recommends ``every`` (seconds or a timedelta; the recommender's 1 min by
    default), the VPA's ``policy`` applied. A DataFrame indexed by time (numpy arrays without
    pandas): ``target_cpu``, ``target_memory``, ``lower_bound_*``, ``upper_bound_*``.

    >>> t = np.arange(120) * 60_000
    >>> out = replay_recommendations(t, cpu=np.full(120, 500.0), memory=np.full(120, 300e6), every=3600)
    >>> float(out["target_cpu"].iloc[-1]), float(out["target_memory"].iloc[-1])
    (587.0, 351198544.0)
    """
    t = instants(times)
    out = _native._replay_recommendations(
        t,
        _series(cpu, len(t)),
        _series(memory, len(t)),
        container=container,
        every=every,
        policy=policy,
        aggregation=aggregation,
        recommender=recommender,
    )
    out["time"] = to_datetime64(out["time"])
    return _frames.frame(out, _plot_recommendations)


def _plot_recommendations(data: Any, ax: Any) -> Any:
    ax = _frames.axes(ax)
    x = _frames.times(data)
    ax.plot(x, data["target_cpu"], label="target")
    ax.fill_between(x, data["lower_bound_cpu"], data["upper_bound_cpu"], alpha=0.2, label="lower–upper bound")
    ax.set_ylabel("CPU (millicores)")
    ax.legend(loc="upper left")
    return ax
