"""KEDA: cron schedules in KEDA's dialect, the cron trigger's window (one instant or a whole
array of them), and ScaledObject polls with caller-owned state.

>>> import podscale
>>> quarter_hour = podscale.CronTrigger({"timezone": "Asia/Seoul", "start": "00,15,30,45 * * * *",
...                                      "end": "05,20,35,50 * * * *", "desiredReplicas": "1"})
>>> quarter_hour.evaluate("2024-05-01T10:17:00+09:00")["active"]
True
>>> windows = quarter_hour.evaluate_many(np.arange("2024-05-01T01:00", "2024-05-01T01:20", 5, dtype="datetime64[m]"))
>>> list(windows["active"])
[True, False, False, True]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _frames, _native
from ._native import CronSchedule, ScaledObject, ScaledObjectState
from ._time import instants, to_datetime64

__all__ = ["CronSchedule", "CronTrigger", "ScaledObject", "ScaledObjectState", "next_after_many"]


class CronTrigger(_native.CronTrigger):
    """A KEDA ``cron`` trigger from its ``metadata`` (``timezone``, ``start``, ``end``,
    ``desiredReplicas``), checked as KEDA checks it. ``window_mode="Civil"`` chooses
    podscale's window rule (the latest firings decide) over KEDA's (the default)."""

    def evaluate_many(self, times: Any) -> Any:
        """The trigger at each instant, in one call: ``active``, ``metric_value``,
        ``next_start`` and ``next_end`` (NaT: none), as a DataFrame indexed by time (numpy
        arrays without pandas)."""
        t = instants(times)
        out = self._evaluate_many(t)
        out["time"] = to_datetime64(t)
        out["next_start"] = to_datetime64(out["next_start"])
        out["next_end"] = to_datetime64(out["next_end"])
        return _frames.frame(out, _plot_window)


def next_after_many(schedule: CronSchedule, times: Any, timezone: str = "Etc/UTC") -> np.ndarray:
    """``schedule.next_after`` for each instant, as ``datetime64[ms]`` (NaT: none)."""
    return to_datetime64(schedule._next_after_many(instants(times), timezone))


def _plot_window(data: Any, ax: Any) -> Any:
    ax = _frames.axes(ax)
    ax.step(_frames.times(data), data["metric_value"], where="post", label="metric (desiredReplicas while active)")
    ax.legend(loc="upper left")
    return ax
