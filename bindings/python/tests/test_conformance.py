"""Every vector file of tests/vectors through the public API (podscale.conformance), as
``python -m podscale.conformance`` runs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from podscale import conformance

from .conftest import VECTORS

FILES = sorted(VECTORS.glob("*.json"))


def test_the_vector_files_are_there() -> None:
    names = {f.name for f in FILES}
    assert {"hpa.json", "keda.json", "vpa.json"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_vector_file(path) -> None:
    report = conformance.run_file(str(path))
    assert report.failures == [], report.render()
    assert report.passed > 0
    expected_disputes = {f"{d.file}:{d.vector}" for d in conformance.DISPUTES if d.file == path.name}
    assert {d.id for d in report.disputed} == expected_disputes


def test_the_command_line_contract() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "podscale.conformance", *map(str, FILES)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert last.endswith("passed, 0 failed, 1 disputed"), last


def test_a_failure_is_one_line_and_a_nonzero_exit(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"family": "hpa", "vectors": [{"suite": "legacy_limits", "name": "wrong", "input": '
                   '{"current_replicas": 3, "desired_replicas": 20, "min_replicas": 1, "max_replicas": 10, '
                   '"scale_up_limit_factor": 2.0, "scale_up_limit_minimum": 4.0}, '
                   '"expect": {"replicas": 7, "reason": "ScaleUpLimit"}}]}')
    run = subprocess.run([sys.executable, "-m", "podscale.conformance", str(bad)], capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert run.stdout.splitlines() == ["FAIL bad.json:legacy_limits/wrong: replicas: expected 7, got 6", "0 passed, 1 failed"]
