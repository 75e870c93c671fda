"""The Python package's speed (`make bench-python`): one HPA decision from Python, a week of
15-second syncs replayed in one call, and a million VPA samples fed from numpy arrays.
Each figure is the best of several runs, against the targets of issue 7."""

from __future__ import annotations

import time

import numpy as np

import podscale

SPEC = {
    "scaleTargetRef": {"kind": "Deployment", "name": "web"},
    "minReplicas": 1,
    "maxReplicas": 20,
    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
}
TEMPLATE = {"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}


def best(run, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def single_decision() -> float:
    hpa = podscale.HorizontalPodAutoscaler(SPEC, pod_template=TEMPLATE)
    state = podscale.HpaState()
    n = 100_000
    usage = [150.0 + (i % 7) * 20.0 for i in range(n)]

    def run() -> None:
        decide = hpa.decide
        for i in range(n):
            decide(state, now=i * 15_000, replicas=2, usage=usage[i])

    return best(run, 5) / n


def week_replay(per_pod: bool) -> float:
    """A week of 15 s syncs: the workload's total CPU (a daily wave, 2 to 8 pods), or each
    pod at 125% of its request (the HPA at maxReplicas, 20 pods, every step)."""
    hpa = podscale.HorizontalPodAutoscaler(SPEC, pod_template=TEMPLATE)
    steps = 7 * 24 * 3600 // 15
    assert steps == 40_320
    times = np.arange(steps, dtype=np.int64) * 15_000
    rng = np.random.default_rng(0)
    if per_pod:
        usage = np.full(steps, 250.0)
        return best(lambda: hpa.replay(times, usage=usage))
    total = np.maximum(0.0, 500 + 300 * np.sin(np.arange(steps) / 5760 * 2 * np.pi) + rng.normal(0, 30, steps))
    return best(lambda: hpa.replay(times, total=total))


def million_vpa_samples() -> float:
    n = 1_000_000
    times = 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 15_000
    rng = np.random.default_rng(0)
    cpu = rng.gamma(4.0, 100.0, n)

    def run() -> None:
        podscale.ContainerState().add_samples(podscale.ContainerAggregate(), times, cpu=cpu)

    return best(run, 5)


def main() -> None:
    rows = [
        ("one HPA decision (decide, 2 pods, 1 CPU metric)", single_decision() * 1e6, "µs", 2.0),
        ("replay 40,320 steps (a week at 15 s, 2-8 pods)", week_replay(False) * 1e3, "ms", 20.0),
        ("replay 40,320 steps (a week at 15 s, 20 pods)", week_replay(True) * 1e3, "ms", 20.0),
        ("feed 1,000,000 VPA CPU samples (add_samples)", million_vpa_samples() * 1e3, "ms", 100.0),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, unit, target in rows:
        verdict = "ok" if value < target else "SLOWER THAN TARGET"
        print(f"{name:<{width}}  {value:8.2f} {unit}   (target < {target:g} {unit}: {verdict})")


if __name__ == "__main__":
    main()
