"""Series results as a pandas DataFrame when pandas is installed (numpy arrays otherwise),
each with a ``.plot()`` that draws what matters with matplotlib."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np

__all__ = ["frame", "Columns"]

Plotter = Callable[[Any, Any], Any]


class Columns(Dict[str, np.ndarray]):
    """Columns of numpy arrays (pandas is not installed); ``time`` is ``datetime64[ms]``."""

    _plotter: Optional[Plotter] = None
    attrs: Dict[str, Any]

    def plot(self, ax: Any = None) -> Any:
        """Draws the series with matplotlib; returns the axes."""
        if self._plotter is None:
            raise TypeError("nothing to plot")
        return self._plotter(self, ax)


def _frame_class() -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    def plot(self: Any, *args: Any, **kwargs: Any) -> Any:
        """Without arguments (or only ``ax``): podscale's view of the data; otherwise pandas'."""
        if args or set(kwargs) - {"ax"} or self._plotter is None:
            return pd.plotting.PlotAccessor(self)(*args, **kwargs)
        return self._plotter(self, kwargs.get("ax"))

    # Built with type(): a DataFrame subclass only when pandas is there. Derived frames
    # (slices, arithmetic) are plain DataFrames.
    return type(
        "PodscaleFrame",
        (pd.DataFrame,),
        {
            "_metadata": ["_plotter"],
            "_plotter": None,
            "_constructor": property(lambda self: pd.DataFrame),
            "plot": plot,
            "__doc__": "A DataFrame whose plot() without arguments draws podscale's view of it.",
        },
    )


_FRAME: Any = None


def frame(columns: Dict[str, np.ndarray], plotter: Optional[Plotter] = None, attrs: Optional[Dict[str, Any]] = None) -> Any:
    """A DataFrame indexed by ``time`` (UTC) when pandas is installed, else ``Columns``."""
    global _FRAME
    try:
        import pandas as pd  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        out = Columns(columns)
        out._plotter = plotter
        out.attrs = dict(attrs or {})
        return out
    if _FRAME is None:
        _FRAME = _frame_class()
    data = dict(columns)
    time = data.pop("time")
    index = pd.DatetimeIndex(time, name="time").tz_localize("UTC")
    out = _FRAME(data, index=index)
    out._plotter = plotter
    out.attrs.update(attrs or {})
    return out


def axes(ax: Any) -> Any:
    """``ax``, or a new figure's axes."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(10, 4))
    return ax


def times(data: Any) -> Any:
    """The x axis: the DataFrame's index or the ``time`` column."""
    return data.index if hasattr(data, "index") and not isinstance(data, dict) else data["time"]
