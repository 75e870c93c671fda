"""What every family's mapping shares: comparisons and the vectors' units."""

from __future__ import annotations

import struct
from typing import Any

import podscale

#: Go's zero time (0001-01-01T00:00:00Z) in Unix ms: what a vector's null instant means.
GO_ZERO_TIME_MS = -62135596800000


def check(what: str, expected: Any, got: Any) -> None:
    """Equal, or a mismatch naming both."""
    from . import Mismatch

    if expected != got:
        raise Mismatch(f"{what}: expected {expected!r}, got {got!r}")


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def check_float(what: str, expected: float, got: float) -> None:
    """Bit for bit (Python reads JSON floats correctly rounded, so the vector's double is exact)."""
    from . import Mismatch

    if bits(float(expected)) != bits(float(got)):
        raise Mismatch(f"{what}: expected {expected!r} ({bits(float(expected)):#018x}), got {got!r} ({bits(float(got)):#018x})")


def fail(message: str) -> None:
    from . import Mismatch

    raise Mismatch(message)


def ms(seconds: Any) -> int:
    """Vector seconds as the API's Unix milliseconds."""
    return int(seconds) * 1000


def milli(value: int) -> str:
    """A vector's milli-units as a quantity."""
    return f"{int(value)}m"


def cpu(text: Any) -> int:
    """A CPU quantity as millicores."""
    return podscale.parse_quantity(text)


def byte_count(text: Any) -> int:
    """A memory quantity as bytes."""
    return podscale.parse_quantity(text, milli=False)
