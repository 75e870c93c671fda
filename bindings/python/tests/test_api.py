"""The API's shapes: units, errors, explanations, frames and plots, the simulator, and the
documentation's examples (run as doctests)."""

from __future__ import annotations

import datetime as dt
import doctest
import pathlib
import pickle

import numpy as np
import pandas as pd
import pytest

import podscale
import podscale._errors
import podscale._time
import podscale.hpa
import podscale.keda
import podscale.vpa

from .conftest import REPO

UTC = dt.timezone.utc


def test_instants_in_every_form(cpu_hpa_spec, template) -> None:
    hpa = podscale.HorizontalPodAutoscaler(cpu_hpa_spec, pod_template=template)
    forms = [1_714_521_600_000, dt.datetime(2024, 5, 1, tzinfo=UTC), np.datetime64("2024-05-01T00:00:00"), "2024-05-01T09:00:00+09:00"]
    decisions = [hpa.decide(podscale.HpaState(), now=t, replicas=2, usage=150) for t in forms]
    assert {d.conditions[0]["lastTransitionTime"] for d in decisions} == {1_714_521_600_000}


def test_a_naive_datetime_is_an_error(cpu_hpa_spec, template) -> None:
    hpa = podscale.HorizontalPodAutoscaler(cpu_hpa_spec, pod_template=template)
    naive = dt.datetime(2024, 5, 1)
    with pytest.raises(podscale.ValidationError) as e:
        hpa.decide(podscale.HpaState(), now=naive, replicas=2, usage=150)
    assert e.value.path == "now" and "naive" in str(e.value)
    with pytest.raises(podscale.ValidationError, match="naive"):
        hpa.replay([naive], usage=[100.0])


def test_durations_as_seconds_timedelta_or_text(cpu_hpa_spec, template) -> None:
    for window in (60, dt.timedelta(minutes=1), "1m"):
        hpa = podscale.HorizontalPodAutoscaler(cpu_hpa_spec, pod_template=template, controller={"downscaleStabilization": window})
        state = podscale.HpaState()
        hpa.decide(state, now=0, replicas=4, usage=100)
        assert hpa.decide(state, now=45_000, replicas=4, usage=10).desired_replicas == 4  # inside the window
        assert hpa.decide(state, now=75_000, replicas=4, usage=10).desired_replicas == 1


def test_a_decision_explains_itself(cpu_hpa_spec, template) -> None:
    hpa = podscale.HorizontalPodAutoscaler(cpu_hpa_spec, pod_template=template)
    d = hpa.decide(podscale.HpaState(), now=0, replicas=1, usage="900m")
    # 450% of request for a 50% target wants 9; without behavior, the legacy limit allows max(2 × 1, 4).
    assert (d.current_replicas, d.desired_replicas, d.rescale) == (1, 4, True)
    assert d.metric_replicas == 9 and d.reason == "MetricAboveTarget" and d.reason_metric == 0
    assert d.metrics == [{"type": "Resource", "name": "cpu", "replicas": 9, "current": {"averageUtilization": 450, "averageValue": "900m"}, "error": None}]
    assert d.condition("ScalingLimited")["reason"] == "ScaleUpLimit"
    assert d.to_dict()["desiredReplicas"] == 4


def test_a_full_observation(cpu_hpa_spec) -> None:
    hpa = podscale.HorizontalPodAutoscaler(cpu_hpa_spec)
    pods = [
        {
            "metadata": {"name": f"web-{i}"},
            "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}}}]},
            "status": {"phase": "Running", "startTime": "2024-05-01T00:00:00Z",
                       "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T00:00:30Z"}]},
        }
        for i in range(2)
    ]
    metrics = [
        {"metadata": {"name": f"web-{i}"}, "timestamp": "2024-05-01T01:00:00Z", "window": "30s",
         "containers": [{"name": "app", "usage": {"cpu": "190m"}}]}
        for i in range(2)
    ]
    now = dt.datetime(2024, 5, 1, 1, tzinfo=UTC)
    d = hpa.decide(podscale.HpaState(), {"replicas": 2, "pods": pods, "podMetrics": metrics}, now=now)
    assert d.desired_replicas == 4
    # The resource metrics API failing is a condition, not an exception.
    d = hpa.decide(podscale.HpaState(), {"replicas": 2, "pods": pods}, now=now)
    assert d.condition("ScalingActive")["reason"] == "FailedGetResourceMetric"
    with pytest.raises(podscale.ValidationError) as e:
        hpa.decide(podscale.HpaState(), {"replicas": 2, "pods": [{"metadata": {"name": "x"}, "status": {"phase": "Dancing"}}]}, now=now)
    assert e.value.path == "pods[0].status.phase" and e.value.value == "Dancing"


def test_errors_form_one_hierarchy() -> None:
    assert issubclass(podscale.ValidationError, podscale.Error)
    assert issubclass(podscale.ValidationError, ValueError)
    with pytest.raises(podscale.ValidationError) as e:
        podscale.CronSchedule("61 * * * *")
    assert e.value.message == "end of range (61) above maximum (59): 61"
    with pytest.raises(podscale.Error):
        podscale.CronTrigger({"timezone": "Mars/Olympus", "start": "0 * * * *", "end": "5 * * * *", "desiredReplicas": "1"}).evaluate(0)
    err = pickle.loads(pickle.dumps(podscale.ValidationError("x: bad", "x", 3, "bad")))
    assert (err.path, err.value, err.message) == ("x", 3, "bad")


def test_keda_poll_and_state() -> None:
    so = podscale.ScaledObject(
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "quarter-hour"},
            "spec": {"scaleTargetRef": {"name": "web"}, "cooldownPeriod": 300, "triggers": [{"type": "cron", "metadata": {
                "timezone": "Asia/Seoul", "start": "00,15,30,45 * * * *", "end": "05,20,35,50 * * * *", "desiredReplicas": "1"}}]},
        }
    )
    state = podscale.ScaledObjectState()
    poll = so.poll(state, [{"active": True, "metric": 1.0}], replicas=0, now=0)
    assert poll["action"]["scaleTo"] == 1 and state.last_active_time == 0
    assert so.poll(state, [{"active": False}], replicas=1, now=300_000)["action"] is None
    assert so.poll(state, [{"active": False}], replicas=1, now=300_001)["action"]["scaleTo"] == 0
    assert pickle.loads(pickle.dumps(state)) == state
    hpa = so.generated_hpa()
    assert hpa["name"] == "keda-hpa-quarter-hour" and hpa["metrics"][0]["external"]["target"] == {"type": "AverageValue", "averageValue": "1"}


def test_vpa_policy_caps_the_recommendation() -> None:
    aggregate, container = podscale.ContainerAggregate(), podscale.ContainerState()
    t = np.arange(600, dtype=np.int64) * 60_000
    container.add_samples(aggregate, t, cpu=np.full(600, 3000.0), memory=np.full(600, 2e9))
    policy = podscale.ResourcePolicy({"containerPolicies": [{"containerName": "*", "maxAllowed": {"cpu": 1, "memory": "1Gi"}}]})
    capped = podscale.vpa.apply_vpa_policy(podscale.recommend({"app": aggregate}), policy)
    assert capped[0]["target"] == {"cpu": "1", "memory": "1Gi"}
    with pytest.raises(podscale.ValidationError) as e:
        podscale.ResourcePolicy({"containerPolicies": [{"containerName": "app", "minAllowed": {"cpu": 2}, "maxAllowed": {"cpu": 1}}]})
    assert e.value.path == "containerPolicies[0].minAllowed"


def test_histograms_and_checkpoints() -> None:
    h = podscale.Histogram(podscale.HistogramOptions(preset="memory"), half_life=dt.timedelta(hours=24))
    h.add_sample(600e6, 1.0, 1_700_086_400_000)
    assert h.percentile(0.95) == 623227119.0763164
    restored = podscale.Histogram(podscale.HistogramOptions(preset="memory"), half_life=86400)
    restored.load_checkpoint(h.save_checkpoint())
    assert restored.save_checkpoint() == h.save_checkpoint()
    assert pickle.loads(pickle.dumps(h)) == h


SIMULATION_MANIFESTS = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
     "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}, "limits": {"cpu": "500m"}}}]}}}},
    {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
     "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 10,
              "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}},
]


def test_simulate_from_dicts_yaml_and_series(tmp_path) -> None:
    csv = "time,cpu\n0s,100m\n5m,900m\n20m,100m\n"
    from_text = podscale.simulate(SIMULATION_MANIFESTS, csv)
    assert isinstance(from_text, pd.DataFrame)
    # 900m served at 50% of 200m: 9 pods (one pod alone is capped at its 500m limit).
    assert from_text["spec_replicas"].max() == 9
    series = pd.Series([100, 900, 100], index=pd.to_timedelta(["0s", "5m", "20m"]))
    assert podscale.simulate(SIMULATION_MANIFESTS, series)["spec_replicas"].tolist() == from_text["spec_replicas"].tolist()
    path = tmp_path / "load.csv"
    path.write_text(csv)
    assert podscale.simulate(SIMULATION_MANIFESTS, str(path))["spec_replicas"].tolist() == from_text["spec_replicas"].tolist()
    with pytest.raises(podscale.ValidationError) as e:
        podscale.simulate([SIMULATION_MANIFESTS[0], {**SIMULATION_MANIFESTS[1], "spec": {**SIMULATION_MANIFESTS[1]["spec"], "maxReplicas": "ten"}}], csv)
    assert e.value.path == "spec.maxReplicas"


def test_frames_plot_with_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    timeline = podscale.simulate(SIMULATION_MANIFESTS, "time,cpu\n0s,100m\n5m,900m\n20m,100m\n")
    ax = timeline.plot()
    assert ax.get_ylabel() == "replicas"
    assert timeline.plot(y="spec_replicas") is not None  # pandas' own plot with arguments


def test_without_pandas_the_columns_are_numpy_arrays(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    out = podscale.simulate(SIMULATION_MANIFESTS, "time,cpu\n0s,100m\n1m,100m\n")
    assert isinstance(out, dict) and out["time"].dtype == np.dtype("datetime64[ms]")
    assert callable(out.plot)


@pytest.mark.parametrize(
    "module",
    [podscale, podscale._errors, podscale._time, podscale.hpa, podscale.keda, podscale.vpa, podscale._simulate],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module) -> None:
    result = doctest.testmod(module, globs={"np": np, **vars(module)}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_readme_examples() -> None:
    readme = pathlib.Path(__file__).resolve().parents[1] / "README.md"
    result = doctest.testfile(str(readme), module_relative=False, globs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
