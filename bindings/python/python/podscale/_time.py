"""Instants and durations in their Python forms, as the core's Unix milliseconds."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from ._errors import ValidationError
from ._native import to_unix_ms

__all__ = ["instants", "to_datetime64"]


def instants(values: Any, name: str = "times") -> np.ndarray:
    """An array of instants as int64 Unix milliseconds.

    Accepts ``numpy.datetime64`` arrays (UTC), integer arrays (Unix ms), aware ``datetime``
    sequences and pandas datetime indexes or series (aware ones converted to UTC).
    A naive ``datetime`` is an error: it names no instant.

    >>> instants(np.array(["2024-05-01T00:00:00"], dtype="datetime64[s]"))
    array([1714521600000])
    >>> instants([0, 15_000])
    array([    0, 15000])
    """
    accessor = getattr(values, "dt", None)
    if accessor is not None and getattr(accessor, "tz", None) is not None:  # an aware pandas series
        values = accessor.tz_convert("UTC").dt.tz_localize(None)
    elif getattr(values, "tz", None) is not None and hasattr(values, "tz_convert"):  # an aware index
        values = values.tz_convert("UTC").tz_localize(None)
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValidationError(f"{name}: a one-dimensional series of instants", name, None)
    kind = array.dtype.kind
    if kind == "M":
        ms = array.astype("datetime64[ms]").astype(np.int64)
        if np.any(np.isnat(array)):
            index = int(np.flatnonzero(np.isnat(array))[0])
            raise ValidationError(f"{name}[{index}]: NaT is not an instant", f"{name}[{index}]", None)
        return np.ascontiguousarray(ms)
    if kind in "iu":
        return np.ascontiguousarray(array.astype(np.int64))
    if kind == "f":
        if not np.all(np.isfinite(array) & (array == np.round(array))):
            raise ValidationError(f"{name}: instants are whole Unix milliseconds", name, None)
        return np.ascontiguousarray(array.astype(np.int64))
    out = np.empty(len(array), dtype=np.int64)
    for i, v in enumerate(array):
        try:
            out[i] = to_unix_ms(v)
        except ValidationError as e:
            raise ValidationError(f"{name}[{i}]: {e}", f"{name}[{i}]", v) from None
    return out


def to_datetime64(ms: np.ndarray) -> np.ndarray:
    """Unix milliseconds as ``datetime64[ms]`` (``i64::MIN`` is NaT)."""
    return np.asarray(ms, dtype=np.int64).view("datetime64[ms]")


def seconds(value: Any) -> float:
    """A duration as seconds: a number, or a ``timedelta``."""
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    return float(value)
