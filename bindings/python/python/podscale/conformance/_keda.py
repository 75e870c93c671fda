"""The ``keda`` family: cron expressions and triggers, ScaledObject poll sequences, and the HPA
KEDA generates."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

import podscale

from ._common import check, check_float, fail


def instant(text: Optional[str]) -> Optional[int]:
    return None if text is None else podscale.to_unix_ms(text)


def cron_next(v: Dict[str, Any]) -> None:
    schedule = podscale.CronSchedule(v["expr"])
    check("next", instant(v["expected_next"]), schedule.next_after(v["from"], v["tz"]))


def cron_parse_error(v: Dict[str, Any]) -> None:
    expected = v["expected_error"]
    try:
        podscale.CronSchedule(v["expr"])
    except podscale.ValidationError as e:
        # robfig panics on a TZ= prefix without a space; podscale refuses it instead.
        if not expected.startswith("robfig panics"):
            check("error", expected, e.message)
        return
    fail(f"expected the error {expected!r}, the expression parsed")


METADATA_PREFIX = "error parsing cron metadata: "


def cron_window(v: Dict[str, Any]) -> None:
    t, expected = v["trigger"], v["expected"]
    metadata = {k: t[k] for k in ("timezone", "start", "end", "desiredReplicas")}
    mode = t.get("windowMode")
    try:
        trigger = podscale.CronTrigger(metadata, index=t["triggerIndex"], window_mode=mode or "Keda")
    except podscale.ValidationError as e:
        if expected["valid"]:
            fail(f"expected a valid trigger, got: {e}")
        check("error", METADATA_PREFIX + expected["error"], e.message)
        return
    if not expected["valid"]:
        fail(f"expected the error {expected.get('error')!r}, the trigger was accepted")
    # Upstream's vectors carry every field; podscale's civil-mode vectors only those they pin.
    def pinned(key: str) -> bool:
        return mode is None or key in expected

    if pinned("metric_name"):
        check("metric_name", expected["metric_name"], trigger.metric_name)
    legacy = (v.get("legacy") or {}).get("metric_name_before_v2_20")
    if legacy is not None:
        before = podscale.CronTrigger(metadata, index=t["triggerIndex"], metric_name_form="BeforeV2_20")
        check("legacy metric_name", legacy, before.metric_name)
    try:
        activity = trigger.evaluate(v["now"])
    except podscale.ValidationError:
        raise
    except podscale.Error as e:
        check("runtime_error", expected.get("runtime_error"), e.message)
        return
    check("active", expected["active"], activity["active"])
    check_float("metric_value", expected["metric_value"], activity["metricValue"])
    for key, got in (("next_start", activity["nextStart"]), ("next_end", activity["nextEnd"])):
        if pinned(key):
            check(key, instant(expected[key]), got)


def metadata_validation(v: Dict[str, Any]) -> None:
    expected = v["expected"]
    try:
        podscale.CronTrigger(v["metadata"])
    except podscale.ValidationError as e:
        if expected["valid"]:
            fail(f"expected valid metadata, got: {e}")
        for want in expected["error_contains"]:
            if want not in e.message:
                fail(f"error {e.message!r} does not contain {want!r}")
        return
    if not expected["valid"]:
        fail("expected an error, the metadata was accepted")


def manifest(so: Dict[str, Any]) -> Dict[str, Any]:
    """A vector's flattened ScaledObject as the manifest people write."""
    metadata = {"name": so.get("name") or "", "annotations": so.get("annotations") or {}}
    if so.get("creationTimestamp") is not None:
        metadata["creationTimestamp"] = so["creationTimestamp"]
    spec: Dict[str, Any] = {}
    for key in ("pollingInterval", "initialCooldownPeriod", "cooldownPeriod", "idleReplicaCount", "minReplicaCount", "maxReplicaCount", "advanced", "fallback"):
        if so.get(key) is not None:
            spec[key] = so[key]
    spec["triggers"] = [
        {k: t[k] for k in ("type", "name", "metricType", "useCachedMetrics", "metadata") if t.get(k) is not None}
        for t in so.get("triggers") or []
    ]
    return {"metadata": metadata, "spec": spec}


def ideal_hpa(so: podscale.ScaledObject, replicas: int, seen: List[Dict[str, Any]], targets: List[float]) -> int:
    """The idealised HPA of the vectors' model (spec section 6.2): the largest
    ``ceil(metric / target)`` over non-erroring triggers within the generated HPA's bounds,
    never below the current count while a trigger errors; paused-scale-in/out forbid
    decreases/increases. (The test model, not a rule of podscale: the real HPA is
    ``HorizontalPodAutoscaler``.)"""
    if replicas < 1:
        return replicas
    proposals = [math.ceil(o["metric"] / t) for o, t in zip(seen, targets) if not o.get("error")]
    if not proposals:
        return replicas
    low, high = so.hpa_bounds
    desired = min(max(max(proposals), low), high)
    annotations = so.annotations
    if any(o.get("error") for o in seen) or annotations["pausedScaleIn"]:
        desired = max(desired, replicas)
    if annotations["pausedScaleOut"]:
        desired = min(desired, replicas)
    return desired


def sequence(v: Dict[str, Any]) -> None:
    so_json = v["scaledObject"]
    so = podscale.ScaledObject(manifest(so_json))
    targets = [float(t["hpaTargetAverageValue"]) for t in so_json["triggers"]]
    if v["hpa_model"] != "ideal":
        fail(f"unknown hpa_model {v['hpa_model']!r}")
    replicas = v["initial"]["replicas"]
    state = podscale.ScaledObjectState(last_active_time=v["initial"].get("lastActiveTime"))
    condition = None
    check("number of expected entries", len(v["observations"]), len(v["expected"]))
    for obs, exp in zip(v["observations"], v["expected"]):
        at = obs["t"]
        check(f"at {at}: t", instant(exp["t"]), instant(at))
        seen = [{"active": o["active"], "metric": o["metric"], "error": bool(o.get("error") or False)} for o in obs["triggers"]]
        poll = so.poll(state, seen, replicas=replicas, now=at)
        want_action = exp["keda_action"]
        action = poll["action"]
        check(
            f"at {at}: keda_action",
            None if want_action is None else (want_action["kind"], want_action["scale_from"], want_action["scale_to"]),
            None if action is None else (action["kind"], action["scaleFrom"], action["scaleTo"]),
        )
        # A paused poll leaves the Active condition as it was.
        if poll["active"] is not None:
            condition = poll["active"]
        check(f"at {at}: active_condition", exp["active_condition"], condition)
        check(f"at {at}: last_active_time", instant(exp.get("last_active_time")), state.last_active_time)
        if action is not None and action["written"]:
            replicas = action["scaleTo"]
        if poll["paused"]:
            # KEDA deletes the HPA of a paused ScaledObject and holds paused-replicas (spec 5.8).
            paused = so.annotations["pausedReplicas"]
            replicas = replicas if paused is None else paused
        else:
            replicas = ideal_hpa(so, replicas, seen, targets)
        check(f"at {at}: replicas_after", exp["replicas_after"], replicas)


def hpa_and_bounds(v: Dict[str, Any]) -> None:
    so = podscale.ScaledObject(manifest(v["input"]))
    expected = v["expected"]
    for key, want in expected.items():
        if key == "hpaMinReplicas":
            check(key, want, so.hpa_bounds[0])
        elif key == "hpaMaxReplicas":
            check(key, want, so.hpa_bounds[1])
        elif key == "hpaName":
            check(key, want, so.hpa_name)
        elif key == "hpaMetrics":
            check(key, want, so.generated_hpa()["metrics"])
        elif key == "valid":
            try:
                so.validate()
            except podscale.ValidationError as e:
                if want:
                    fail(f"expected valid, got error {e.message}")
                if "error" in expected:
                    check("error", expected["error"], e.message)
                if "error_contains" in expected and expected["error_contains"] not in e.message:
                    fail(f"error {e.message!r} does not contain {expected['error_contains']!r}")
                continue
            if not want:
                fail("expected an error, the ScaledObject is valid")
        elif key in ("error", "error_contains"):
            if "valid" not in expected:
                fail(f"expected.{key} without expected.valid")
        else:
            fail(f"unknown expectation {key!r}")
