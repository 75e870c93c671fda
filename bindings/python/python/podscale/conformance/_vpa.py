"""The ``vpa`` family: histograms and checkpoints, the container model, estimators, the pod
recommender, capping, proportional limits and the updater's priority."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import podscale
from podscale import vpa

from ._common import GO_ZERO_TIME_MS, bits, byte_count, check, check_float, cpu, fail, milli, ms

# ---- the vectors' objects as Kubernetes objects ---------------------------------------------


def resources(r: Optional[Dict[str, Any]]) -> Dict[str, str]:
    """``{cpu_m, memory_bytes}`` as a resource list."""
    out: Dict[str, str] = {}
    if r and r.get("cpu_m") is not None:
        out["cpu"] = milli(r["cpu_m"])
    if r and r.get("memory_bytes") is not None:
        out["memory"] = str(int(r["memory_bytes"]))
    return out


def from_resources(r: Dict[str, Any]) -> Dict[str, int]:
    out = {}
    if r.get("cpu") is not None:
        out["cpu_m"] = cpu(r["cpu"])
    if r.get("memory") is not None:
        out["memory_bytes"] = byte_count(r["memory"])
    return out


def recommendation(r: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "containerName": r["container"],
        **{key: resources(r.get(field)) for key, field in (("target", "target"), ("lowerBound", "lower_bound"), ("upperBound", "upper_bound"), ("uncappedTarget", "uncapped_target"))},
    }


def recommendations(v: Dict[str, Any], key: str) -> Any:
    return None if v.get(key) is None else [recommendation(r) for r in v[key]]


def compare_recommendations(expected: List[Dict[str, Any]], got: List[Dict[str, Any]]) -> None:
    check("recommendation containers", [r["container"] for r in expected], [r["containerName"] for r in got])
    for want, have in zip(expected, got):
        for key, field in (("target", "target"), ("lowerBound", "lower_bound"), ("upperBound", "upper_bound"), ("uncappedTarget", "uncapped_target")):
            check(f"{want['container']} {field}", from_resources(resources(want.get(field))), from_resources(have[key]))


def pod(p: Dict[str, Any]) -> Dict[str, Any]:
    def requirements(c: Dict[str, Any]) -> Dict[str, Any]:
        return {"requests": resources(c.get("requests")), "limits": resources(c.get("limits"))}

    return {
        "spec": {"containers": [{"name": c["name"], "resources": requirements(c)} for c in p["containers"]]},
        "status": {"containerStatuses": [{"name": s["name"], "resources": requirements(s)} for s in p.get("container_statuses") or []]},
    }


def policy(v: Dict[str, Any]) -> Optional[podscale.ResourcePolicy]:
    p = v.get("policy")
    if p is None:
        return None
    entries = []
    for c in p["container_policies"]:
        entry: Dict[str, Any] = {"containerName": c["container_name"]}
        if c.get("mode") is not None:
            entry["mode"] = c["mode"]
        if c.get("min_allowed") is not None:
            entry["minAllowed"] = resources(c["min_allowed"])
        if c.get("max_allowed") is not None:
            entry["maxAllowed"] = resources(c["max_allowed"])
        if c.get("controlled_values") is not None:
            entry["controlledValues"] = c["controlled_values"]
        entries.append(entry)
    return podscale.ResourcePolicy({"containerPolicies": entries})


def limit_range(v: Dict[str, Any], key: str) -> Any:
    item = v.get(key)
    if item is None:
        return None
    return {k: resources(item.get(k)) for k in ("min", "max", "default")}


def time_ms(v: Dict[str, Any], key: str) -> int:
    """A vector instant in seconds; null is Go's zero time."""
    return GO_ZERO_TIME_MS if v.get(key) is None else ms(v[key])


def aggregation(c: Dict[str, Any]) -> Any:
    out = {
        "memory_aggregation_interval": c["memory_aggregation_interval_s"],
        "memory_aggregation_interval_count": c["memory_aggregation_interval_count"],
        "oom_bump_up_ratio": c["oom_bump_up_ratio"],
        "oom_min_bump_up_bytes": c["oom_min_bump_up_bytes"],
    }
    if "cpu_half_life_s" in c:
        out["cpu_histogram_decay_half_life"] = c["cpu_half_life_s"]
        out["memory_histogram_decay_half_life"] = c["memory_half_life_s"]
    return out


def recommender(c: Dict[str, Any]) -> Any:
    keys = (
        "target_cpu_percentile", "lower_bound_cpu_percentile", "upper_bound_cpu_percentile",
        "target_memory_percentile", "lower_bound_memory_percentile", "upper_bound_memory_percentile",
        "safety_margin_fraction", "pod_min_cpu_millicores", "pod_min_memory_mb",
    )
    out: Dict[str, Any] = {k: c[k] for k in keys}
    out["confidence_interval_cpu"] = c["confidence_interval_cpu_s"]
    out["confidence_interval_memory"] = c["confidence_interval_memory_s"]
    return out


# ---- histograms -----------------------------------------------------------------------------


def options(o: Dict[str, Any]) -> podscale.HistogramOptions:
    if o["kind"] == "linear":
        return podscale.HistogramOptions(type="linear", max_value=o["max_value"], bucket_size=o["bucket_size"], epsilon=o["epsilon"])
    return podscale.HistogramOptions(
        type="exponential", max_value=o["max_value"], first_bucket_size=o["first_bucket_size"], ratio=o["ratio"], epsilon=o["epsilon"]
    )


def histogram_options(v: Dict[str, Any]) -> None:
    o = options(v["input"]["options"])
    queries, results = v["input"]["queries"], v["expected"]["results"]
    check("number of results", len(queries), len(results))
    for i, (q, r) in enumerate(zip(queries, results)):
        what = f"queries[{i}]"
        if q["op"] == "num_buckets":
            check(f"{what} num_buckets", r["expect"], o.num_buckets)
        elif q["op"] == "find_bucket":
            check(f"{what} find_bucket({q['value']})", r["expect"], o.find_bucket(q["value"]))
        elif q["op"] == "bucket_start":
            start = o.bucket_start(q["bucket"])
            if start is None:
                fail(f"{what}: bucket {q['bucket']} out of range")
                return
            check(f"{what} bucket_start bits", int(r["expect_bits"], 16), bits(start))
            check_float(f"{what} bucket_start", r["expect"], start)
        else:
            fail(f"{what}: unknown query {q['op']!r}")


def weight_tolerance(v: Dict[str, Any]) -> Optional[float]:
    text = v["check"]
    if text == "exact":
        return None
    prefix = "bucket weights: abs "
    if not text.startswith(prefix):
        fail(f"unknown check {text!r}")
    number = text[len(prefix):].replace("(", " ").replace(";", " ").split()[0]
    return float(number)


def checkpoint(c: Dict[str, Any]) -> Dict[str, Any]:
    reference = time_ms(c, "reference_unix_s")
    return {
        "totalWeight": c["total_weight"],
        "bucketWeights": {int(i): int(w) for i, w in c["bucket_weights"]},
        "referenceTimestamp": None if reference == GO_ZERO_TIME_MS else reference,
    }


def check_state(what: str, want: Dict[str, Any], h: podscale.Histogram, decaying: bool, tolerance: Optional[float]) -> None:
    got = h.state()
    check(f"{what} min_bucket", want["min_bucket"], got["minBucket"])
    check(f"{what} max_bucket", want["max_bucket"], got["maxBucket"])
    check_float(f"{what} total_weight", want["total_weight"], got["totalWeight"])
    check(f"{what} non-zero buckets", [i for i, _ in want["bucket_weights"]], [i for i, _ in got["bucketWeights"]])
    for (bucket, w), (_, g) in zip(want["bucket_weights"], got["bucketWeights"]):
        if tolerance is None:
            check_float(f"{what} bucket_weights[{bucket}]", w, g)
        elif abs(w - g) > tolerance:
            fail(f"{what} bucket_weights[{bucket}]: expected {w!r} within {tolerance:e}, got {g!r}")
    if decaying:
        check(f"{what} reference", time_ms(want, "reference_unix_s"), got["referenceTimestamp"])
    elif "reference_unix_s" in want:
        fail(f"{what}: a plain histogram has no reference")


def apply_ops(h: podscale.Histogram, ops: List[Dict[str, Any]], results: Optional[List[Any]], make: Any, decaying: bool, tolerance: Optional[float]) -> None:
    for i, op in enumerate(ops):
        name = op["op"]
        what = f"ops[{i}] {name}"
        want = None if results is None else results[i]
        if name in ("add", "sub"):
            call = h.add_sample if name == "add" else h.subtract_sample
            call(op["value"], op["weight"], time_ms(op, "t"))
            if want is not None:
                fail(f"{what}: expected {want!r}, the op returns nothing")
        elif name == "merge":
            other = make()
            apply_ops(other, op["other_ops"], None, make, decaying, tolerance)
            h.merge(other)
        elif name == "load_checkpoint":
            try:
                h.load_checkpoint(checkpoint(op["checkpoint"]))
                outcome = "ok"
            except podscale.Error:
                outcome = "error"
            if want is not None:
                check(what, want, outcome)
        elif name == "percentile":
            got = h.percentile(op["p"])
            if want is not None:
                check_float(f"{what}({op['p']})", want, got)
        elif name == "is_empty":
            if want is not None:
                check(what, want, h.is_empty())
        elif name == "state":
            if want is not None:
                check_state(what, want, h, decaying, tolerance)
        elif name == "save_checkpoint":
            if want is not None:
                saved = h.save_checkpoint()
                check_float(f"{what} total_weight", want["total_weight"], saved["totalWeight"])
                check(f"{what} bucket_weights", sorted((int(i), int(w)) for i, w in want["bucket_weights"]), sorted(saved["bucketWeights"].items()))
                if decaying:
                    reference = saved["referenceTimestamp"]
                    check(f"{what} reference", time_ms(want, "reference_unix_s"), GO_ZERO_TIME_MS if reference is None else reference)
        else:
            fail(f"ops[{i}]: unknown op {name!r}")


def histogram_ops(v: Dict[str, Any]) -> None:
    i = v["input"]
    o = options(i["options"])
    half_life = i.get("half_life_s")
    ops, results = i["ops"], v["expected"]["op_results"]
    check("number of op_results", len(ops), len(results))

    def make() -> podscale.Histogram:
        return podscale.Histogram(o, half_life=half_life)

    apply_ops(make(), ops, results, make, half_life is not None, weight_tolerance(v))


# ---- the container model --------------------------------------------------------------------


def container_state(v: Dict[str, Any]) -> None:
    i, e = v["input"], v["expected"]
    aggregate = podscale.ContainerAggregate(trace=True, **aggregation(i["config"]))
    container = podscale.ContainerState()
    accepted = []
    for op in i["ops"]:
        t = ms(op["t"])
        if op["op"] == "add_cpu":
            accepted.append(container.add_cpu_sample(aggregate, t, op["usage_m"]))
        elif op["op"] == "add_memory":
            accepted.append(container.add_memory_sample(aggregate, t, op["usage_bytes"]))
        elif op["op"] == "record_oom":
            accepted.append(container.record_oom(aggregate, t, op["request_bytes"]))
        else:
            fail(f"unknown op {op['op']!r}")
    check("accepted", e["accepted"], accepted)
    calls = aggregate.histogram_updates()
    check("number of histogram calls", len(e["histogram_calls"]), len(calls))
    for n, (want, got) in enumerate(zip(e["histogram_calls"], calls)):
        check(f"call {n} histogram", want["histogram"], got["histogram"])
        check(f"call {n} kind", want["call"], got["call"])
        check_float(f"call {n} value", want["value"], got["value"])
        check_float(f"call {n} weight", want["weight"], got["weight"])
        check(f"call {n} t", ms(want["t"]), got["time"])
    last = e["final"]
    check("window end", ms(last["window_end_unix_s"]), container.window_end)
    check("memory peak", last["memory_peak_bytes"], container.memory_peak)
    check("oom peak", last["oom_peak_bytes"], container.oom_peak)


def check_aggregate_histogram(what: str, want: Dict[str, Any], state: Dict[str, Any], tolerance: float) -> None:
    check(f"{what} min bucket", want["min_bucket"], state["minBucket"])
    check(f"{what} max bucket", want["max_bucket"], state["maxBucket"])
    check_float(f"{what} total weight", want["total_weight"], state["totalWeight"])
    check(f"{what} reference", ms(want["reference_unix_s"]), state["referenceTimestamp"])
    check(f"{what} buckets", [i for i, _ in want["bucket_weights"]], [i for i, _ in state["bucketWeights"]])
    for (index, w), (_, g) in zip(want["bucket_weights"], state["bucketWeights"]):
        if abs(w - g) > tolerance:
            fail(f"{what} bucket {index}: expected {w!r}, got {g!r}")


def check_checkpoint(what: str, want: Dict[str, Any], got: Dict[str, Any]) -> None:
    check_float(f"{what} total weight", want["total_weight"], got["totalWeight"])
    check(f"{what} reference", ms(want["reference_unix_s"]), got["referenceTimestamp"])
    check(f"{what} buckets", [(int(i), int(w)) for i, w in want["bucket_weights"]], sorted(got["bucketWeights"].items()))


def aggregate_state(v: Dict[str, Any]) -> None:
    i, e, vid = v["input"], v["expected"], v["id"]
    if vid == "aggregate/by_container_name":
        t = ms(i["sample_time_unix_s"])
        merged: Dict[str, podscale.ContainerAggregate] = {}
        for p in i["pods"]:
            for name, usage in p["containers"].items():
                # Each pod's container has its own aggregate; the VPA merges them by name.
                own = podscale.ContainerAggregate()
                container = podscale.ContainerState()
                container.add_cpu_sample(own, t, usage["cpu_m"])
                container.add_memory_sample(own, t, usage["memory_bytes"])
                merged.setdefault(name, podscale.ContainerAggregate()).merge(own)
        for name, count in e["total_samples_count"].items():
            check(f"{name} samples", count, merged[name].total_samples_count)
        app = e["app-A"]
        check_aggregate_histogram("app-A cpu", app["cpu_histogram"], merged["app-A"].histogram_state("cpu"), 1e-15)
        check_aggregate_histogram("app-A memory", app["memory_histogram"], merged["app-A"].histogram_state("memory"), 1e-15)
    elif vid == "aggregate/save_checkpoint":
        aggregate = podscale.ContainerAggregate()
        aggregate.first_sample_start = ms(i["first_sample_start_unix_s"])
        aggregate.last_sample_start = ms(i["last_sample_start_unix_s"])
        aggregate.total_samples_count = i["total_samples_count"]
        # Samples straight into the aggregate's histograms, as upstream's test adds them.
        cpu_h = podscale.Histogram(podscale.HistogramOptions(preset="cpu"), half_life=86400)
        mem_h = podscale.Histogram(podscale.HistogramOptions(preset="memory"), half_life=86400)
        for value, weight, t in i["cpu_adds"]:
            cpu_h.add_sample(value, weight, ms(t))
        for value, weight, t in i["memory_adds"]:
            mem_h.add_sample(value, weight, ms(t))
        saved = aggregate_with(aggregate, cpu_h, mem_h).save_checkpoint(0)
        check("version", e["version"], saved["version"])
        check("first sample", ms(e["first_sample_start_unix_s"]), saved["firstSampleStart"])
        check("last sample", ms(e["last_sample_start_unix_s"]), saved["lastSampleStart"])
        check("samples", e["total_samples_count"], saved["totalSamplesCount"])
        check_checkpoint("cpu", e["cpu_histogram"], saved["cpuHistogram"])
        check_checkpoint("memory", e["memory_histogram"], saved["memoryHistogram"])
    elif vid == "aggregate/is_expired":
        got = []
        for case in i["cases"]:
            aggregate = podscale.ContainerAggregate(
                memory_aggregation_interval=i["memory_aggregation_interval_s"],
                memory_aggregation_interval_count=i["memory_aggregation_interval_count"],
            )
            aggregate.total_samples_count = case["total_samples_count"]
            if "last_sample_start_unix_s" in case:
                aggregate.last_sample_start = ms(case["last_sample_start_unix_s"])
            if "creation_time_unix_s" in case:
                aggregate.creation_time = ms(case["creation_time_unix_s"])
            got.append(aggregate.is_expired(ms(case["now_unix_s"])))
        check("expired", e["expired"], got)
    else:
        fail(f"unknown aggregate_state vector {vid!r}")


def aggregate_with(aggregate: podscale.ContainerAggregate, cpu_h: podscale.Histogram, mem_h: podscale.Histogram) -> podscale.ContainerAggregate:
    """The aggregate with these histograms (its state is plain data: swap them in)."""
    state = aggregate.to_dict()
    state["cpu_usage"] = cpu_h.to_dict()["decaying"]
    state["memory_peaks"] = mem_h.to_dict()["decaying"]
    return podscale.ContainerAggregate.from_dict(state)


# ---- estimators and the recommender ---------------------------------------------------------


def estimator(v: Dict[str, Any]) -> None:
    i, e, vid = v["input"], v["expected"], v["id"]
    if vid.startswith("estimator/confidence_") and vid != "estimator/confidence_multiplier_table":
        base = i["base"]
        aggregate = podscale.ContainerAggregate()
        for t, usage in i["cpu_samples"]:
            aggregate.add_cpu_sample(ms(t), usage)
        confidence = aggregate.confidence(i["confidence_interval_s"])
        check_float("confidence", e["confidence"], confidence)
        exponent = i["exponent"]
        if exponent != int(exponent):
            fail(f"exponent {exponent} is not an integer")
        check("cpu", e["cpu_m"], vpa.with_confidence_multiplier(base.get("cpu_m") or 0, i["multiplier"], int(exponent), confidence))
        check("memory", e["memory_bytes"], vpa.with_confidence_multiplier(base.get("memory_bytes") or 0, i["multiplier"], int(exponent), confidence))
    elif vid == "estimator/margin":
        base = i["base"]
        check("cpu", e["cpu_m"], vpa.with_margin(base.get("cpu_m") or 0, i["margin_fraction"]))
        check("memory", e["memory_bytes"], vpa.with_margin(base.get("memory_bytes") or 0, i["margin_fraction"]))
    elif vid == "estimator/confidence_multiplier_table":
        for row, want in zip(i["rows"], e["results"]):
            got = vpa.with_confidence_multiplier(row["base"], row["multiplier"], int(row["exponent"]), row["confidence"])
            if isinstance(want, str) and want.startswith("NaN -> int64"):
                # 0 * Inf is NaN, whose int64 conversion Go leaves to the platform.
                if got not in (0, -(2**63)):
                    fail(f"{row['label']}: expected a platform NaN conversion, got {got}")
            else:
                check(row["label"], want, got)
    elif vid == "estimator/memory_bucket4_pow_sensitivity":
        h = podscale.Histogram(podscale.HistogramOptions(preset="memory"))
        for value, weight in i["memory_histogram_adds"]:
            h.add_sample(value, weight)
        value = h.percentile(i["percentile"])
        check("percentile bits", int(e["percentile_bits"], 16), bits(value))
        check_float("percentile", e["percentile_value"], value)
        check("bucket", e["bucket"], h.state()["maxBucket"])
        before = vpa.memory_amount_from_bytes(value)
        check("bytes before margin", e["memory_bytes_before_margin"], before)
        check("bytes after margin", e["memory_bytes_after_margin"], vpa.with_margin(before, i["margin_fraction"]))
    else:
        fail(f"unknown estimator vector {vid!r}")


def pod_recommender(v: Dict[str, Any]) -> None:
    i, e = v["input"], v["expected"]
    minimum = from_resources(
        vpa.pod_min_resources(i["containers"], pod_min_cpu_millicores=i["pod_min_cpu_millicores"], pod_min_memory_mb=i["pod_min_memory_mb"])
    )
    check("per-container minimum", e["per_container_min"], minimum)
    # Upstream's test stubs the estimators with constants; the minimum wraps them.
    estimate = i["estimators_return"]
    target = {
        "cpu_m": vpa.with_min_resource(estimate.get("cpu_m") or 0, minimum.get("cpu_m", 0)),
        "memory_bytes": vpa.with_min_resource(estimate.get("memory_bytes") or 0, minimum.get("memory_bytes", 0)),
    }
    check("target", e["target"], target)


def pipeline(v: Dict[str, Any]) -> None:
    i, e = v["input"], v["expected"]
    config = i["config"]
    aggregates: Dict[str, podscale.ContainerAggregate] = {}
    accepted: Dict[str, List[List[bool]]] = {}
    for c in i["containers"]:
        aggregate = podscale.ContainerAggregate(**aggregation(config))
        flags = []
        for stream in c["streams"]:
            # One pod's instance of the container, feeding the shared aggregate.
            state = podscale.ContainerState()
            got = []
            for kind, t, amount in stream:
                if kind == "cpu":
                    got.append(state.add_cpu_sample(aggregate, ms(t), amount))
                elif kind == "memory":
                    got.append(state.add_memory_sample(aggregate, ms(t), amount))
                elif kind == "oom":
                    got.append(state.record_oom(aggregate, ms(t), amount))
                else:
                    fail(f"unknown event {kind!r}")
            flags.append(got)
        accepted[c["name"]] = flags
        aggregates[c["name"]] = aggregate
    options = recommender(config)
    result: Dict[str, Any] = {r["containerName"]: r for r in vpa.recommend(list(aggregates.items()), **options)}
    minimum = from_resources(vpa.pod_min_resources(len(aggregates), **options))
    for name, aggregate in aggregates.items():
        want = e[name]
        rec: Any = result.get(name)
        if rec is None:
            fail(f"no recommendation for {name}")
        for key, field in (("target", "target"), ("lowerBound", "lower_bound"), ("upperBound", "upper_bound")):
            check(f"{name} {field}", from_resources(resources(want[field])), from_resources(rec[key]))
        check(f"{name} uncapped target", from_resources(rec["target"]), from_resources(rec["uncappedTarget"]))
        inter = want["intermediate"]
        check(f"{name} samples", inter["total_samples_count"], aggregate.total_samples_count)
        check(f"{name} first sample", ms(inter["first_sample_start_unix_s"]), aggregate.first_sample_start)
        check(f"{name} last sample", ms(inter["last_sample_start_unix_s"]), aggregate.last_sample_start)
        check_float(f"{name} confidence", inter["confidence"], aggregate.confidence(config["confidence_interval_cpu_s"]))
        for key, resource in (("cpu_percentile_cores", "cpu"), ("memory_percentile_bytes", "memory")):
            for p, value in inter[key].items():
                check_float(f"{name} {key} {p}", value, aggregate.percentile(resource, float(p)))  # type: ignore[arg-type]
        check(f"{name} cpu reference", ms(inter["cpu_histogram_reference_unix_s"]), aggregate.histogram_state("cpu")["referenceTimestamp"])
        check(f"{name} memory reference", ms(inter["memory_histogram_reference_unix_s"]), aggregate.histogram_state("memory")["referenceTimestamp"])
        check(f"{name} per-container minimum", from_resources(resources(inter["per_container_min"])), minimum)
        if "accepted" in inter:
            check(f"{name} accepted", inter["accepted"], accepted[name])


# ---- conversions, capping, limits, priority -------------------------------------------------


def resource_conversion(v: Dict[str, Any]) -> None:
    i, e, vid = v["input"], v["expected"], v["id"]
    check("number of results", len(i["cases"]), len(e["results"]))
    for n, (case, want) in enumerate(zip(i["cases"], e["results"])):
        what = f"case {n}"
        if vid == "conv/cores_from_cpu_amount":
            check_float(what, want, vpa.cores_from_cpu_amount(case["cpu_m"]))
        elif vid in ("conv/scale_resource", "conv/scale_resource_clamp"):
            check(what, want, vpa.scale_resource(case["amount"], case["factor"]))
        elif vid == "conv/round_up_to_scale":
            error = None
            try:
                rounded = vpa.round_up_to_scale(case["value"], case["scale"])
            except podscale.ValidationError as err:
                # Upstream returns the value unchanged with its error.
                rounded, error = case["value"], err.message
            check(what, want["value"], rounded)
            check(f"{what} error", want.get("error") is not None, error is not None)
            if want.get("error") is not None and error is not None and not error.startswith(want["error"]):
                fail(f"{what}: error {error} does not start with {want['error']!r}")
        elif vid == "conv/resources_as_resource_list":
            listed = vpa.resources_as_resource_list(
                {"cpu": milli(case["cpu_m"]), "memory": str(case["memory_bytes"])},
                humanize_memory=case["humanize"],
                round_cpu_millicores=case["round_cpu_millicores"],
                round_memory_bytes=case["round_memory_bytes"],
            )
            check(f"{what} cpu", want["cpu_m"], cpu(listed["cpu"]))
            if want.get("memory_quantity") is not None:
                check(f"{what} memory quantity", want["memory_quantity"], listed["memory"])
            key = "memory_value_bytes_ceil" if "memory_value_bytes_ceil" in want else "memory_bytes"
            check(f"{what} {key}", want[key], byte_count(listed["memoryBytes"]))
        elif vid == "conv/humanize_memory_quantity":
            check(what, want, vpa.humanize_memory(case["bytes"]))
        else:
            fail(f"unknown resource_conversion vector {vid!r}")


FIELDS: Dict[str, Any] = {"Target": "target", "LowerBound": "lowerBound", "UpperBound": "upperBound"}


def capping(v: Dict[str, Any]) -> None:
    i, e = v["input"], v["expected"]
    function = i["function"]
    recs = recommendations(i, "recommendation")
    got: Any
    if function.startswith("ApplyVPAPolicy"):
        got = vpa.apply_vpa_policy(recs, policy(i), resources(i.get("global_max_allowed")))
        compare_recommendations(e["recommendation"], got)
        return
    p = pod(i["pod"])
    if function.startswith("applyPodLimitRange"):
        field = function.split("field=")[1].rstrip(")")
        got = vpa.apply_pod_limit_range(recs, p, limit_range(i, "pod_limit_range"), resource=i["resource"], bound=FIELDS[field])
        compare_recommendations(e["recommendation"], got)
        return
    if function != "cappingRecommendationProcessor.Apply":
        fail(f"unknown capping function {function!r}")
    got = vpa.apply_capping(
        recs,
        p,
        policy=policy(i),
        container_limit_range=limit_range(i, "container_limit_range"),
        pod_limit_range=limit_range(i, "pod_limit_range"),
    )
    if got is None:
        check("recommendation", None, e.get("recommendation"))
        check("annotations", None, e["annotations"])
        return
    compare_recommendations(e["recommendation"], got["recommendations"])
    # Annotations are unordered sets per container (Go iterates maps).
    check("annotations", {k: set(x) for k, x in e["annotations"].items()}, {k: set(x) for k, x in got["annotations"].items()})


def proportional_limit(v: Dict[str, Any]) -> None:
    i, e = v["input"], v["expected"]
    resource = i["resource"]
    args = {
        key: milli(i[f"{key}_milli"])
        for key in ("original_limit", "original_request", "recommended_request", "default_limit")
        if i.get(f"{key}_milli") is not None
    }
    got = vpa.proportional_limit(resource=resource, **args)
    check("annotation", e["annotation"], got["annotation"] is not None)
    want = e["limit"]
    if want is None:
        check("limit", None, got["limit"])
        return
    if got["limit"] is None:
        fail("expected a limit, got none")
    if "milli" in want:
        value = cpu(got["limit"]) if resource == "cpu" else byte_count(got["limit"]) * 1000
        check("limit (milli)", want["milli"], value)
    else:
        check("limit (units)", want["value_units"], cpu(got["limit"]) if resource == "cpu" else byte_count(got["limit"]))


def priority(p: Dict[str, Any]) -> Dict[str, Any]:
    return {"outsideRecommendedRange": p["outside_recommended_range"], "scaleUp": p["scale_up"], "resourceDiff": p["resource_diff"]}


def update_priority(v: Dict[str, Any]) -> None:
    i, e = v["input"], v["expected"]
    function = i["function"]
    if function == "defaultPriorityProcessor.GetUpdatePriority":
        got = vpa.update_priority(pod(i["pod"]), recommendations(i, "recommendation") or [])
        check("outside_recommended_range", e["outside_recommended_range"], got["outsideRecommendedRange"])
        check("scale_up", e["scale_up"], got["scaleUp"])
        check_float("resource_diff", e["resource_diff"], got["resourceDiff"])
        return
    if function == "PodPriority.Less":
        cases = i["cases"]
        check("prio_less_other", e["prio_less_other"], [vpa.priority_less(priority(c["prio"]), priority(c["other"])) for c in cases])
        check("other_less_prio", e["other_less_prio"], [vpa.priority_less(priority(c["other"]), priority(c["prio"])) for c in cases])
        return
    if not function.startswith("UpdatePriorityCalculator.AddPod"):
        fail(f"unknown update_priority function {function!r}")
    c = i["config"]
    options = {
        "min_change_priority": c["min_change_priority"],
        "pod_lifetime_update_threshold": c["pod_lifetime_update_threshold_s"],
        "evict_after_oom_threshold": c["evict_after_oom_threshold_s"],
    }
    candidates = []
    for p in i["pods"]:
        # The pod is `age_s` old at 0; an OOM, if any, ended `oom_run_s` after its container
        # started.
        quick = False
        if "oom_run_s" in p:
            oom_pod = {
                "spec": {"containers": [{"name": "c"}]},
                "status": {"containerStatuses": [{"name": "c", "lastState": {"terminated": {"reason": "OOMKilled", "startedAt": 0, "finishedAt": ms(p["oom_run_s"])}}}]},
            }
            quick = vpa.is_quick_oom(oom_pod, threshold=c["evict_after_oom_threshold_s"])
        if p.get("quick_oom") is not None:
            check(f"{p['name']} quick OOM", p["quick_oom"], quick)
        candidates.append({"name": p["name"], "priority": priority(p["priority"]), "startTime": -ms(p["age_s"]), "quickOom": quick})
    ranked = vpa.eviction_order(candidates, now=0, **options)
    check("evicted_in_order", e["evicted_in_order"], ranked)


SUITES = {
    "histogram_options": histogram_options,
    "histogram": histogram_ops,
    "checkpoint": histogram_ops,
    "decaying_histogram": histogram_ops,
    "container_state": container_state,
    "aggregate_state": aggregate_state,
    "estimator": estimator,
    "pod_recommender": pod_recommender,
    "pipeline": pipeline,
    "resource_conversion": resource_conversion,
    "capping": capping,
    "proportional_limit": proportional_limit,
    "update_priority": update_priority,
}


def run(vector: Dict[str, Any]) -> None:
    suite = vector["suite"]
    if suite not in SUITES:
        fail(f"unknown vpa suite {suite!r}")
    SUITES[suite](vector)
