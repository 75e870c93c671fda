"""The package's exceptions: one hierarchy, raised by every function."""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["Error", "ValidationError"]


class Error(Exception):
    """Anything podscale refuses: bad input, or a decision the core cannot make with it.

    ``message`` is what is wrong, without the field path (``str(e)`` has both).
    """

    message: str

    def __init__(self, text: str, message: Optional[str] = None) -> None:
        super().__init__(text)
        self.message = text if message is None else message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.message))


class ValidationError(Error, ValueError):
    """An input podscale cannot read or that Kubernetes would refuse.

    ``path`` is the field path in the manifests' own names
    (``spec.metrics[0].resource.target.averageUtilization``; empty for the input as a whole)
    and ``value`` the bad value (``None`` when unknown).

    >>> import podscale
    >>> try:
    ...     podscale.HorizontalPodAutoscaler({"scaleTargetRef": {"name": "web"}, "maxReplicas": "ten"})
    ... except podscale.ValidationError as e:
    ...     print(e.path, repr(e.value), "|", e.message)
    maxReplicas 'ten' | invalid type: string "ten", expected i32
    """

    path: str
    value: Any

    def __init__(self, text: str, path: str = "", value: Any = None, message: Optional[str] = None) -> None:
        super().__init__(text, message)
        self.path = path
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.path, self.value, self.message))
