"""``podscale.simulate``: the ``podscale simulate`` command from Python, on the same manifests
and demand series, with the same run."""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, List, Optional, Tuple, Union

import numpy as np

from . import _frames, _native
from ._errors import ValidationError
from ._time import instants, to_datetime64

__all__ = ["simulate"]

Manifest = Union[str, "os.PathLike[str]", dict]


def _manifest_texts(manifests: Union[Manifest, Iterable[Manifest]]) -> List[Tuple[str, str]]:
    items = [manifests] if isinstance(manifests, (str, dict, os.PathLike)) else list(manifests)
    out = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            kind = item.get("kind", "manifest")
            name = (item.get("metadata") or {}).get("name", index)
            # JSON is YAML: the command's reader takes it as written.
            out.append((f"{kind}/{name}", json.dumps(item)))
        elif isinstance(item, os.PathLike) or (isinstance(item, str) and "\n" not in item and os.path.exists(item)):
            path = os.fspath(item)
            with open(path, encoding="utf-8") as f:
                out.append((path, f.read()))
        elif isinstance(item, str):
            out.append((f"manifests[{index}]", item))
        else:
            raise ValidationError(f"manifests[{index}]: a dict, YAML text or a file path", f"manifests[{index}]", item)
    return out


def _demand(demand: Any, column: str, start: Any) -> dict:
    if isinstance(demand, os.PathLike) or (isinstance(demand, str) and "\n" not in demand and os.path.exists(demand)):
        path = os.fspath(demand)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        kind = "prometheus" if text.lstrip().startswith("{") else "csv"
        return {"demand_format": kind, "demand_name": path, "demand_text": text}
    if isinstance(demand, str):
        kind = "prometheus" if demand.lstrip().startswith("{") else "csv"
        return {"demand_format": kind, "demand_text": demand}
    if hasattr(demand, "index") and hasattr(demand, "to_numpy") and getattr(demand, "ndim", 0) == 1:
        times, values = demand.index, demand.to_numpy()  # a pandas Series indexed by time
    elif isinstance(demand, dict) or hasattr(demand, "columns"):
        if "time" not in demand or column not in demand:
            raise ValidationError(f"demand: needs `time` and `{column}` columns", "demand", None)
        times, values = demand["time"], demand[column]
    else:
        raise ValidationError("demand: a CSV or Prometheus file or text, a Series, or time and value columns", "demand", None)
    raw = np.asarray(getattr(times, "to_numpy", lambda: times)())
    relative = raw.dtype.kind == "m"  # timedeltas: offsets from `start`
    ms = raw.astype("timedelta64[ms]").astype(np.int64) if relative else instants(times, "demand.time")
    return {
        "demand_format": "columns",
        "column": column,
        "times": np.ascontiguousarray(ms),
        "values": np.ascontiguousarray(np.round(np.asarray(values, dtype=np.float64)).astype(np.int64)),
        "relative": relative,
    }


def simulate(
    manifests: Union[Manifest, Iterable[Manifest]],
    demand: Any,
    *,
    column: str = "cpu",
    step: Any = None,
    sync_period: Any = None,
    cpu_per_request: Any = None,
    think_time: Any = None,
    pod_startup: Any = None,
    readiness_delay: Any = None,
    start: Any = None,
    title: Optional[str] = None,
) -> Any:
    """Replays manifests (a Deployment and its HorizontalPodAutoscaler, KEDA ScaledObject with
    cron triggers, or VerticalPodAutoscaler; dicts, YAML text or file paths) under a demand
    series, exactly as ``podscale simulate`` does.

    The demand is what ``--demand`` reads (a CSV file or text: ``time,cpu``, ``time,rps`` or
    ``time,clients``; a Prometheus ``query_range`` answer), or a pandas Series or columns
    ``time`` and ``column`` (``cpu`` in millicores, ``rps`` in milli-requests per second, or
    ``clients``). Durations are seconds, ``timedelta`` or text (``"40ms"``).

    Returns a DataFrame indexed by time (numpy arrays without pandas) whose ``.plot()`` draws
    replicas, demand and recommendations with matplotlib.

    >>> import podscale
    >>> web = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    ...        "spec": {"template": {"spec": {"containers": [
    ...            {"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}}}
    >>> hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
    ...        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 10,
    ...                 "metrics": [{"type": "Resource", "resource": {"name": "cpu",
    ...                     "target": {"type": "Utilization", "averageUtilization": 50}}}]}}
    >>> timeline = podscale.simulate([web, hpa], "time,cpu\\n0s,400m\\n10m,400m\\n")
    >>> int(timeline["spec_replicas"].iloc[-1])
    4
    """
    options = {
        k: v
        for k, v in {
            "step": step,
            "sync_period": sync_period,
            "cpu_per_request": cpu_per_request,
            "think_time": think_time,
            "pod_startup": pod_startup,
            "readiness_delay": readiness_delay,
            "start": start,
            "title": title,
        }.items()
        if v is not None
    }
    out = _native._simulate(_manifest_texts(manifests), **_demand(demand, column, start), **options)
    columns = {k: (np.asarray(v, dtype=object) if isinstance(v, list) else v) for k, v in out["columns"].items()}
    columns["time"] = to_datetime64(columns["time"])
    attrs = {k: out[k] for k in ("title", "target_utilization", "min_replicas", "max_replicas")}
    return _frames.frame(columns, _plot_simulation, attrs)


def _plot_simulation(data: Any, ax: Any) -> Any:
    ax = _frames.axes(ax)
    x = _frames.times(data)
    ax.step(x, data["spec_replicas"], where="post", label="pods")
    ax.step(x, data["ready_replicas"], where="post", label="ready", linestyle="--")
    ax.set_ylabel("replicas")
    right = ax.twinx()
    right.plot(x, data["demand_cpu"], color="grey", alpha=0.6, label="demand (m)")
    if np.any(np.isfinite(np.asarray(data["vpa_target_cpu"], dtype=float))):
        right.plot(x, data["vpa_target_cpu"], color="tab:green", label="VPA target (m)")
    right.set_ylabel("CPU (millicores)")
    attrs = getattr(data, "attrs", {})
    ax.set_title(attrs.get("title", ""))
    ax.legend(loc="upper left")
    right.legend(loc="upper right")
    return ax
