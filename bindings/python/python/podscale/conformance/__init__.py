"""Conformance vectors (``tests/vectors/*.json``) through podscale's public Python API.

Each vector's inputs are mapped onto the calls a user would make (``HorizontalPodAutoscaler``,
``calculate_replicas``, ``CronTrigger``, ``ScaledObject.poll``, ``Histogram``,
``ContainerAggregate``, …) and the answers compared with what the vector expects. The contract is
the Rust runner's (``podscale-conformance``): one line per failure, the last line
``N passed, M failed`` (``, K disputed`` when any vector is disputed), a non-zero exit on any
failure. A vector whose expected value upstream's own code contradicts is reported as disputed:
neither passed nor failed, and the run fails if it starts passing or fails another way.

    python -m podscale.conformance tests/vectors/*.json
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from . import _hpa, _keda, _vpa

__all__ = ["DISPUTES", "Dispute", "Failure", "Report", "run_document", "run_file"]


class Mismatch(Exception):
    """A vector whose answer differs from what it expects."""


@dataclass(frozen=True)
class Dispute:
    """An expected value upstream's own code contradicts: the vector, the exact failure it
    produces, and upstream's answer."""

    file: str
    vector: str
    detail: str
    evidence: str


#: The same disputes as the Rust runner's (tests/src/disputes.rs).
DISPUTES = [
    Dispute(
        file="vpa.json",
        vector="conv/resources_as_resource_list",
        detail="case 6 memory_value_bytes_ceil: expected 839494370, got 839500432",
        evidence=(
            'ResourcesAsResourceList(memory 839500000, humanize) is "800.61Mi" = 800.61 x 2^20 = '
            "839500431.36 bytes, whose Quantity.Value() is 839500432 (vertical-pod-autoscaler v1.8.1 "
            "with apimachinery v0.37.2, run by the vpa_resources_as_resource_list op of tests/upstream); "
            "the vector's note multiplied wrongly"
        ),
    )
]


@dataclass
class Failure:
    """One vector that did not pass: ``file:suite/name`` and what went wrong."""

    id: str
    detail: str


@dataclass
class Report:
    """The outcome of one or more files."""

    passed: int = 0
    failures: List[Failure] = field(default_factory=list)
    disputed: List[Failure] = field(default_factory=list)

    def merge(self, other: "Report") -> None:
        self.passed += other.passed
        self.failures.extend(other.failures)
        self.disputed.extend(other.disputed)

    def render(self) -> str:
        lines = [f"DISPUTED {f.id}: {f.detail}" for f in self.disputed]
        lines += [f"FAIL {f.id}: {f.detail}" for f in self.failures]
        last = f"{self.passed} passed, {len(self.failures)} failed"
        if self.disputed:
            last += f", {len(self.disputed)} disputed"
        return "\n".join(lines + [last]) + "\n"


KEDA_SUITES: Dict[str, Callable[[Any], Any]] = {
    "cron_next": _keda.cron_next,
    "cron_parse_errors": _keda.cron_parse_error,
    "cron_window": _keda.cron_window,
    "trigger_metadata_validation": _keda.metadata_validation,
    "scaledobject_sequences": _keda.sequence,
    "hpa_and_bounds": _keda.hpa_and_bounds,
}


def _cases(label: str, doc: Any, report: Report) -> List[Any]:
    family = doc.get("family") if isinstance(doc, dict) else None
    cases: List[Any] = []
    if family in ("hpa", "vpa"):
        vectors = doc.get("vectors")
        if not isinstance(vectors, list):
            report.failures.append(Failure(label, 'no "vectors" array'))
            return []
        for index, v in enumerate(vectors):
            if family == "hpa":
                cid = f"{v.get('suite', '?')}/{v.get('name', f'#{index}')}"
                cases.append((cid, _hpa.run, v))
            else:
                cases.append((v.get("id", f"#{index}"), _vpa.run, v))
    elif family == "keda":
        for suite, vectors in doc.items():
            if not isinstance(vectors, list):
                continue
            if suite not in KEDA_SUITES:
                report.failures.append(Failure(f"{label}:{suite}", "unknown suite"))
                continue
            counted = (doc.get("counts") or {}).get(suite)
            if counted is not None and counted != len(vectors):
                report.failures.append(
                    Failure(f"{label}:{suite}", f"counts says {counted} vectors, the suite has {len(vectors)}")
                )
            for index, v in enumerate(vectors):
                cases.append((f"{suite}/{v.get('id', f'#{index}')}", KEDA_SUITES[suite], v))
    else:
        report.failures.append(Failure(label, f"unknown vector family {family!r}"))
    return cases


def run_document(label: str, doc: Any) -> Report:
    """Runs every vector of a parsed vector file named ``label``."""
    report = Report()
    for cid, run, vector in _cases(label, doc, report):
        detail: Optional[str] = None
        try:
            run(vector)
        except Mismatch as e:
            detail = str(e)
        except Exception as e:  # a malformed vector, or an error the vector did not expect
            detail = f"{type(e).__name__}: {e}"
        dispute = next((d for d in DISPUTES if d.file == label and d.vector == cid), None)
        full = f"{label}:{cid}"
        if detail is None and dispute is None:
            report.passed += 1
        elif detail is None:
            report.failures.append(Failure(full, "passes, but is listed as disputed: remove it from DISPUTES"))
        elif dispute is not None and dispute.detail == detail:
            report.disputed.append(Failure(full, f"{detail}; upstream's own code: {dispute.evidence}"))
        else:
            report.failures.append(Failure(full, detail))
    return report


def run_file(path: str) -> Report:
    """Runs every vector of the file at ``path``."""
    label = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return Report(failures=[Failure(label, f"cannot read: {e}")])
    return run_document(label, doc)
