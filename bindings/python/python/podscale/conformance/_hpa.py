"""The ``hpa`` family: each suite through the public function its upstream test exercises."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import podscale
from podscale import hpa

from ._common import check, cpu, fail, milli, ms

# ---- the vectors' objects as Kubernetes objects ---------------------------------------------


def amounts(values: Dict[str, int]) -> Dict[str, str]:
    return {name: milli(v) for name, v in values.items()}


def pod(p: Dict[str, Any]) -> Dict[str, Any]:
    containers: List[dict] = []
    init: List[dict] = []
    for c in p["containers"]:
        entry = {"name": c["name"], "resources": {"requests": amounts(c["requests_milli"])}}
        kind = c.get("kind") or "Regular"
        if kind == "Regular":
            containers.append(entry)
        else:
            init.append({**entry, "restartPolicy": "Always" if kind == "Sidecar" else "Never"})
    spec: Dict[str, Any] = {"containers": containers, "initContainers": init}
    if p.get("pod_requests_milli") is not None:
        spec["resources"] = {"requests": amounts(p["pod_requests_milli"])}
    if p.get("overhead_milli") is not None:
        spec["overhead"] = amounts(p["overhead_milli"])
    status: Dict[str, Any] = {"phase": p["phase"], "conditions": []}
    if p.get("start_time") is not None:
        status["startTime"] = ms(p["start_time"])
    ready = p.get("ready_condition")
    if ready is not None:
        status["conditions"].append(
            {"type": "Ready", "status": ready["status"], "lastTransitionTime": ms(ready["last_transition_time"])}
        )
    metadata: Dict[str, Any] = {"name": p["name"]}
    if p["deleting"]:
        metadata["deletionTimestamp"] = 0
    return {"metadata": metadata, "spec": spec, "status": status}


def pod_metrics(m: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "metadata": {"name": m["pod"]},
        "timestamp": ms(m["timestamp"]),
        "window": m["window_seconds"],
        "containers": [{"name": c["name"], "usage": amounts(c["usage_milli"])} for c in m["containers"]],
    }


def pods_metric(m: Dict[str, Any]) -> Dict[str, Any]:
    return {"pod": m["pod"], "value": milli(m["value_milli"]), "timestamp": ms(m["timestamp"]), "window": m["window_seconds"]}


def rules(r: Optional[Dict[str, Any]]) -> Any:
    if r is None:
        return None
    out: Dict[str, Any] = {}
    if r.get("stabilization_window_seconds") is not None:
        out["stabilizationWindowSeconds"] = r["stabilization_window_seconds"]
    if r.get("select_policy") is not None:
        out["selectPolicy"] = r["select_policy"]
    if r.get("policies") is not None:
        out["policies"] = [{"type": p["type"], "value": p["value"], "periodSeconds": p["period_seconds"]} for p in r["policies"]]
    if r.get("tolerance") is not None:
        out["tolerance"] = r["tolerance"]
    return out


def events(list_: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{"replicaChange": e["replica_change"], "timestamp": ms(e["timestamp"]), "outdated": bool(e.get("outdated") or False)} for e in list_]


def recommendations(list_: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{"replicas": r["replicas"], "timestamp": ms(r["timestamp"])} for r in list_]


def readiness(v: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "cpu_initialization_period": v["cpu_initialization_period_seconds"],
        "initial_readiness_delay": v["delay_of_initial_readiness_status_seconds"],
    }


DIRECTION: Dict[str, Any] = {"scale_up": "ScaleUp", "scale_down": "ScaleDown"}

# ---- suites ---------------------------------------------------------------------------------


def defaults(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    key = "scaleUp" if i["direction"] == "scale_up" else "scaleDown"
    got = hpa.default_behavior({key: rules(i["rules"])})[key]
    check("stabilization_window_seconds", e["stabilization_window_seconds"], got["stabilizationWindowSeconds"])
    check("select_policy", e["select_policy"], got["selectPolicy"])
    policies = [{"type": p["type"], "value": p["value"], "period_seconds": p["periodSeconds"]} for p in got["policies"] or []]
    check("policies", e["policies"], policies)


def group_pods(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    got = hpa.group_pods(
        pods=[pod(p) for p in i["pods"]],
        pod_metrics=[
            {"metadata": {"name": m["pod"]}, "timestamp": ms(m["timestamp"]), "window": m["window_seconds"], "containers": []}
            for m in i["metrics"]
        ],
        resource=i.get("resource"),
        now=0,
        **readiness(i),
    )
    check("ready_pod_count", e["ready_pod_count"], got["readyPodCount"])
    check("unready_pods", sorted(e["unready_pods"]), got["unreadyPods"])
    check("missing_pods", sorted(e["missing_pods"]), got["missingPods"])
    check("ignored_pods", sorted(e["ignored_pods"]), got["ignoredPods"])


# The replica calculator's functions, as the metric (type, target type) that selects each.
CALCULATOR = {
    "GetResourceReplicas": ("Resource", "Utilization"),
    "GetRawResourceReplicas": ("Resource", "AverageValue"),
    "GetMetricReplicas": ("Pods", "AverageValue"),
    "GetObjectMetricReplicas": ("Object", "Value"),
    "GetObjectPerPodMetricReplicas": ("Object", "AverageValue"),
    "GetExternalMetricReplicas": ("External", "Value"),
    "GetExternalPerPodMetricReplicas": ("External", "AverageValue"),
}


def target(kind: str, value: Any) -> Dict[str, Any]:
    if kind == "Utilization":
        return {"type": "Utilization", "averageUtilization": value}
    if kind == "AverageValue":
        return {"type": "AverageValue", "averageValue": None if value is None else milli(value)}
    return {"type": "Value", "value": None if value is None else milli(value)}


def replica_calculator(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    source, target_type = CALCULATOR[i["function"]]
    t = target(target_type, i["target"])
    if source == "Resource" and i.get("container"):
        metric = {"type": "ContainerResource", "containerResource": {"name": i["resource"], "container": i["container"], "target": t}}
    elif source == "Resource":
        metric = {"type": "Resource", "resource": {"name": i["resource"], "target": t}}
    else:
        metric = {"type": source, source.lower(): {"metric": {"name": "metric"}, "target": t}}
    request: Dict[str, Any] = {
        "current_replicas": i["current_replicas"],
        "metric": metric,
        "scale_up_tolerance": i["tolerances"]["scale_up"],
        "scale_down_tolerance": i["tolerances"]["scale_down"],
        "pods": [pod(p) for p in i["pods"]],
        "now": 0,
        **readiness(i),
    }
    if "resource_metrics" in i:
        request["pod_metrics"] = [pod_metrics(m) for m in i["resource_metrics"]]
    if "pod_metrics" in i:
        request["pods_metrics"] = [pods_metric(m) for m in i["pod_metrics"]]
    if "object_metric_milli" in i:
        request["object_value"] = milli(i["object_metric_milli"])
    if "external_metrics_milli" in i:
        request["external_values"] = [milli(v) for v in i["external_metrics_milli"]]
    want_error = e.get("error_contains")
    try:
        got = hpa.calculate_replicas(**request)
    except podscale.Error as err:
        if want_error is not None and want_error in str(err):
            return
        fail(f"expected {'an error containing ' + repr(want_error) if want_error else 'a proposal'}, got error {err}")
    if want_error is not None:
        fail(f"expected an error containing {want_error!r}, got a proposal")
    check("replicas", e["replicas"], got["replicas"])
    if target_type == "Utilization":
        check("utilization", e["utilization"], got["averageUtilization"])
        check("raw_value_milli", e["raw_value_milli"], cpu(got["usage"]))
    else:
        check("usage_milli", e["usage_milli"], cpu(got["usage"]))


def legacy_limits(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    got = hpa.limit_replicas_legacy(
        current_replicas=i["current_replicas"],
        desired_replicas=i["desired_replicas"],
        min_replicas=i["min_replicas"],
        max_replicas=i["max_replicas"],
        scale_up_limit_factor=i["scale_up_limit_factor"],
        scale_up_limit_minimum=i["scale_up_limit_minimum"],
    )
    check("replicas", e["replicas"], got["replicas"])
    check("reason", e["reason"], got["reason"])


def stabilize_legacy(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    got = hpa.stabilize(
        recommendations=recommendations(i["recommendations"]),
        desired_replicas=i["desired_replicas"],
        window=i["window_seconds"],
        now=0,
    )
    check("replicas", e["replicas"], got["replicas"])
    check("recommendations_after_len", e["recommendations_after_len"], len(got["recommendations"]))


def stabilize_behavior(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    got = hpa.stabilize(
        recommendations=recommendations(i["recommendations"]),
        desired_replicas=i["desired_replicas"],
        current_replicas=i["current_replicas"],
        scale_up_window=i["scale_up_window_seconds"],
        scale_down_window=i["scale_down_window_seconds"],
        now=0,
    )
    check("replicas", e["replicas"], got["replicas"])
    if e.get("recommendations_after") is not None:
        check("recommendations_after", e["recommendations_after"], [r["replicas"] for r in got["recommendations"]])


def scale_limit(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    got = hpa.scale_limit(
        direction=DIRECTION[i["direction"]],
        current_replicas=i["current_replicas"],
        rules=rules(i["rules"]),
        scale_up_events=events(i["scale_up_events"]),
        scale_down_events=events(i["scale_down_events"]),
        now=0,
    )
    check("limit", e["limit"], got)


def behavior_rate(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    got = hpa.limit_replicas_with_behavior(
        current_replicas=i["current_replicas"],
        desired_replicas=i["desired_replicas"],
        min_replicas=i["min_replicas"],
        max_replicas=i["max_replicas"],
        scale_up=rules(i["scale_up"]),
        scale_down=rules(i["scale_down"]),
        scale_up_events=events(i["scale_up_events"]),
        scale_down_events=events(i["scale_down_events"]),
        now=0,
    )
    check("replicas", e["replicas"], got["replicas"])
    check("reason", e["reason"], got["reason"])


def scale_events(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    before = events(i["events_before"])
    check(
        "replicas_change_last_60s_before",
        e["replicas_change_last_60s_before"],
        hpa.replicas_change_per_period(period_seconds=60, events=before, now=0),
    )
    after = before
    # storeScaleEvent does nothing for an HPA without behavior.
    if i.get("rules") is not None:
        prev, new = i["prev_replicas"], i["new_replicas"]
        change = new - prev if i["direction"] == "scale_up" else prev - new
        after = hpa.store_scale_event(events=before, rules=rules(i["rules"]), replica_change=change, now=0)
    want = [(x["replica_change"], x["outdated"]) for x in e["events_after"]]
    check("events_after", want, [(x["replicaChange"], x["outdated"]) for x in after])


def controller_metric(m: Dict[str, Any]) -> Dict[str, Any]:
    kind = m["type"]
    if kind not in ("Resource", "ContainerResource", "Pods", "Object", "External"):
        return {"type": kind}
    t = m["target"]
    value_key = {"Utilization": "average_utilization", "AverageValue": "average_value_milli"}.get(t["type"], "value_milli")
    tgt = target(t["type"], t.get(value_key))
    if kind == "Resource":
        return {"type": kind, "resource": {"name": m["name"], "target": tgt}}
    if kind == "ContainerResource":
        return {"type": kind, "containerResource": {"name": m["name"], "container": m["container"], "target": tgt}}
    return {"type": kind, kind.lower(): {"metric": {"name": m["metric"]}, "target": tgt}}


def controller(i: Dict[str, Any], e: Dict[str, Any]) -> None:
    c, gates = i["config"], i["feature_gates"]
    spec: Dict[str, Any] = {
        "scaleTargetRef": {"kind": "Deployment", "name": "target"},
        "maxReplicas": i["max_replicas"],
        "metrics": [controller_metric(m) for m in i["metrics"]],
    }
    if i.get("min_replicas") is not None:
        spec["minReplicas"] = i["min_replicas"]
    if i.get("behavior") is not None:
        b = i["behavior"]
        spec["behavior"] = {k: rules(b.get(v)) for k, v in (("scaleUp", "scale_up"), ("scaleDown", "scale_down")) if b.get(v) is not None}
    autoscaler = podscale.HorizontalPodAutoscaler(
        spec,
        controller={
            "tolerance": c["tolerance"],
            "downscaleStabilization": c["downscale_stabilization_window_seconds"],
            "cpuInitializationPeriod": c["cpu_initialization_period_seconds"],
            "initialReadinessDelay": c["delay_of_initial_readiness_status_seconds"],
            "scaleUpLimitFactor": c["scale_up_limit_factor"],
            "scaleUpLimitMinimum": c["scale_up_limit_minimum"],
            "featureGates": {
                "HPAScaleToZero": gates["HPAScaleToZero"],
                "HPAConfigurableTolerance": gates["HPAConfigurableTolerance"],
                "PodLevelResources": True,
            },
        },
        validate=False,
    )
    # The state as the caller keeps it between syncs (HpaState.to_dict's shape).
    def core_events(list_: List[dict]) -> List[dict]:
        return [{"replica_change": x["replica_change"], "timestamp_ms": ms(x["timestamp"]), "outdated": bool(x.get("outdated") or False)} for x in list_]

    state = podscale.HpaState.from_dict(
        {
            "recommendations": None
            if i.get("recommendations") is None
            else [{"replicas": r["replicas"], "timestamp_ms": ms(r["timestamp"])} for r in i["recommendations"]],
            "scale_up_events": core_events(i["scale_up_events"]),
            "scale_down_events": core_events(i["scale_down_events"]),
            "conditions": [
                {"type": x["type"], "status": x["status"], "reason": x["reason"], "last_transition_time_ms": 0}
                for x in i["conditions_before"]
            ],
            "desired_replicas": i["status_desired_replicas"],
            "last_scale_time_ms": None,
        }
    )
    failing = i["metric_api_errors"]
    observation: Dict[str, Any] = {
        "replicas": i["spec_replicas"],
        "statusReplicas": i["status_replicas"],
        "pods": [pod(p) for p in i["pods"]],
        "podsMetrics": {},
        "objectMetrics": {},
        "externalMetrics": {},
    }
    if not failing.get("resource"):
        observation["podMetrics"] = [pod_metrics(m) for m in i.get("resource_metrics", [])]
    for m in i["metrics"]:
        if m["type"] == "Pods" and not failing.get("custom"):
            observation["podsMetrics"][m["metric"]] = [pods_metric(x) for x in i.get("pod_metrics", [])]
        if m["type"] == "Object" and not failing.get("custom"):
            observation["objectMetrics"][m["metric"]] = milli(i["object_metric_milli"])
        if m["type"] == "External" and not failing.get("external"):
            observation["externalMetrics"][m["metric"]] = [milli(v) for v in i["external_metrics_milli"]]
    decision = autoscaler.decide(state, observation, now=0)
    check("desired_replicas", e["desired_replicas"], state.desired_replicas)
    check("rescale", e["rescale"], decision.rescale)
    want = [(x["type"], x["status"], x["reason"]) for x in e["conditions"]]
    check("conditions", want, [(x["type"], x["status"], x["reason"]) for x in state.conditions])
    if e.get("cpu_utilization") is not None:
        got = next((m["current"].get("averageUtilization") for m in decision.metrics if m["current"].get("averageUtilization") is not None), None)
        check("cpu_utilization", e["cpu_utilization"], got)


SUITES = {
    "defaults": defaults,
    "group_pods": group_pods,
    "replica_calculator": replica_calculator,
    "legacy_limits": legacy_limits,
    "stabilize_legacy": stabilize_legacy,
    "stabilize_behavior": stabilize_behavior,
    "scale_limit": scale_limit,
    "behavior_rate": behavior_rate,
    "scale_events": scale_events,
    "controller": controller,
}


def run(vector: Dict[str, Any]) -> None:
    suite = vector["suite"]
    if suite not in SUITES:
        fail(f"unknown hpa suite {suite!r}")
    SUITES[suite](vector["input"], vector["expect"])
