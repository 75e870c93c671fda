"""Properties on random inputs (hypothesis): decisions against independently computed
expectations, batch calls against one call per element, state through pickle and dicts, and
bad input refused with its path and value."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podscale

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def cpu_hpa(target: int, low: int, high: int, request_m: int) -> podscale.HorizontalPodAutoscaler:
    return podscale.HorizontalPodAutoscaler(
        {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}],
        },
        pod_template={"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": f"{request_m}m"}}}]}},
    )


def expected_first_sync(replicas: int, usage_m: int, request_m: int, target: int, low: int, high: int) -> int:
    """The first sync of a CPU-utilization HPA without behavior, computed here from upstream's
    rules (not by podscale): the replica calculator's integer utilization and tolerance, the
    downscale stabilization window holding the current count, the legacy scale-up limit
    (max(2 × current, 4)), then minReplicas/maxReplicas."""
    if replicas > high:
        return high
    if replicas < low:
        return low
    utilization = (replicas * usage_m * 100) // (replicas * request_m)
    ratio = utilization / target
    proposal = replicas if abs(1.0 - ratio) <= 0.1 else math.ceil(ratio * replicas)
    desired = max(proposal, replicas)  # the scale-down stabilization window starts at the current count
    desired = min(desired, max(2 * replicas, 4))
    return min(max(desired, low), high)


@SETTINGS
@given(
    replicas=st.integers(1, 40),
    usage_m=st.integers(0, 8000),
    request_m=st.integers(1, 4000),
    target=st.integers(1, 150),
    low=st.integers(1, 5),
    high=st.integers(5, 60),
)
def test_a_first_cpu_sync_matches_upstreams_rules(replicas, usage_m, request_m, target, low, high) -> None:
    hpa = cpu_hpa(target, low, high, request_m)
    decision = hpa.decide(podscale.HpaState(), now=0, replicas=replicas, usage=usage_m)
    assert decision.desired_replicas == expected_first_sync(replicas, usage_m, request_m, target, low, high)


@SETTINGS
@given(
    usage=st.lists(st.integers(0, 3000), min_size=1, max_size=60),
    target=st.integers(10, 120),
)
def test_a_replay_is_the_same_as_one_decision_per_step(usage, target) -> None:
    hpa = cpu_hpa(target, 1, 20, 200)
    times = np.arange(len(usage), dtype=np.int64) * 15_000
    replayed = hpa.replay(times, usage=np.array(usage, dtype=float))
    state = podscale.HpaState()
    replicas = 1
    for t, u, want in zip(times, usage, replayed["desired_replicas"]):
        d = hpa.decide(state, now=int(t), replicas=replicas, usage=u)
        assert d.desired_replicas == want
        if d.rescale:
            replicas = d.desired_replicas
    # The per-pod form with every pod using the same is the same replay.
    per_pod = np.repeat(np.array(usage, dtype=float)[:, None], 20, axis=1)
    assert list(hpa.replay(times, per_pod=per_pod)["desired_replicas"]) == list(replayed["desired_replicas"])


@SETTINGS
@given(syncs=st.lists(st.tuples(st.integers(1, 10), st.integers(0, 2000)), min_size=1, max_size=30))
def test_hpa_state_round_trips_through_pickle_and_dicts(syncs) -> None:
    hpa = podscale.HorizontalPodAutoscaler(
        {
            "scaleTargetRef": {"name": "web"},
            "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}},
        },
        pod_template={"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}}}]}},
    )
    state = podscale.HpaState()
    for i, (replicas, usage) in enumerate(syncs):
        hpa.decide(state, now=i * 15_000, replicas=replicas, usage=usage)
    assert pickle.loads(pickle.dumps(state)) == state
    assert podscale.HpaState.from_dict(state.to_dict()) == state
    assert copy.deepcopy(state) == state
    # The restored state decides the next sync exactly as the original.
    restored = pickle.loads(pickle.dumps(state))
    a = hpa.decide(state, now=len(syncs) * 15_000, replicas=3, usage=500)
    b = hpa.decide(restored, now=len(syncs) * 15_000, replicas=3, usage=500)
    assert a == b and state == restored


@SETTINGS
@given(
    samples=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 2**33)), min_size=1, max_size=80),
    step_s=st.integers(1, 600),
)
def test_vpa_batch_feeding_is_one_call_per_sample_and_state_round_trips(samples, step_s) -> None:
    times = 1_700_000_000_000 + np.arange(len(samples), dtype=np.int64) * step_s * 1000
    cpu = np.array([s[0] for s in samples], dtype=float)
    memory = np.array([s[1] for s in samples], dtype=float)
    batch_aggregate, batch_state = podscale.ContainerAggregate(), podscale.ContainerState()
    cpu_ok, memory_ok = batch_state.add_samples(batch_aggregate, times, cpu=cpu, memory=memory)
    one_aggregate, one_state = podscale.ContainerAggregate(), podscale.ContainerState()
    for t, c, m, c_ok, m_ok in zip(times, cpu, memory, cpu_ok, memory_ok):
        assert one_state.add_cpu_sample(one_aggregate, int(t), int(c)) == c_ok
        assert one_state.add_memory_sample(one_aggregate, int(t), int(m)) == m_ok
    assert one_aggregate == batch_aggregate and one_state == batch_state
    assert podscale.recommend({"app": one_aggregate}) == podscale.recommend({"app": batch_aggregate})
    for value in (batch_aggregate, batch_state):
        assert pickle.loads(pickle.dumps(value)) == value
        assert type(value).from_dict(value.to_dict()) == value


@SETTINGS
@given(instants=st.lists(st.integers(1_600_000_000_000, 1_900_000_000_000), min_size=1, max_size=40))
def test_cron_windows_over_an_array_are_the_same_as_one_at_a_time(instants) -> None:
    trigger = podscale.CronTrigger(
        {"timezone": "America/New_York", "start": "30 6 * * 1-5", "end": "10 22 * * *", "desiredReplicas": "4"}
    )
    many = trigger.evaluate_many(np.array(instants, dtype=np.int64))
    for i, t in enumerate(instants):
        one = trigger.evaluate(t)
        assert bool(many["active"].iloc[i]) == one["active"]
        assert float(many["metric_value"].iloc[i]) == one["metricValue"]
        assert int(many["next_start"].iloc[i].value // 1_000_000) == one["nextStart"]


@SETTINGS
@given(milli=st.integers(-(10**12), 10**12), memory=st.integers(0, 2**50))
def test_quantities_round_trip(milli, memory) -> None:
    assert podscale.parse_quantity(podscale.format_quantity(milli)) == milli
    assert podscale.parse_quantity(podscale.format_quantity(memory, "memory"), milli=False) == memory


BAD_INTEGERS = st.one_of(st.text(min_size=1, max_size=8), st.floats(allow_nan=False).filter(lambda x: x != int(x) if math.isfinite(x) else True), st.lists(st.integers(), max_size=2))


@SETTINGS
@given(bad=BAD_INTEGERS)
def test_a_bad_field_is_refused_with_its_path_and_value(bad) -> None:
    spec = {
        "scaleTargetRef": {"name": "web"},
        "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": bad}}}],
    }
    try:
        podscale.HorizontalPodAutoscaler(spec)
    except podscale.ValidationError as e:
        assert e.path == "metrics[0].resource.target.averageUtilization"
        assert e.value == bad or (isinstance(bad, float) and math.isnan(bad))
        assert isinstance(e, ValueError)
    else:
        raise AssertionError(f"{bad!r} was accepted")
    try:
        podscale.HorizontalPodAutoscaler({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"}, "spec": spec})
    except podscale.ValidationError as e:
        assert e.path == "spec.metrics[0].resource.target.averageUtilization"
