// The hpa family, part 1: the replica calculator of kube-controller-manager, every metric kind.
//
// Op "hpa_replicas" runs one of the seven Get*Replicas methods of upstream's own
// podautoscaler.ReplicaCalculator, built with podautoscaler.NewReplicaCalculator over
//   - upstream's own metrics client (metricsclient.NewRESTMetricsClient), so the extraction
//     rules of metrics/client.go (a pod's sum over containers, a missing container or usage,
//     "no metrics returned") are upstream's too; only the three API clients under it are fakes
//     that serve the case's samples;
//   - a pod lister from corelisters.NewPodLister over an indexer filled with the case's pods.
//
// Time: every instant upstream compares with time.Now() arrives as an age in whole seconds
// before "now"; the harness turns it into base.Add(-age), where base is time.Now() read while
// building the inputs, and waits until the clock has moved past base before calling upstream.
// Upstream therefore always decides at an instant a little (well under a second) after base.
// The podscale side models exactly that: its ages are the same whole seconds before instant 0
// and it decides at now = 1 ms. With whole-second ages every strict comparison (After and
// Before alike) then has one answer on both sides, exact boundaries included; with podscale
// deciding at 0, a Before on an exact boundary would be false in podscale and true here.
// That holds only while upstream decides less than hpaDecisionMargin after base: past it, a
// comparison on a boundary could flip. hpaCheckDecidedInTime turns such a call (a machine
// loaded enough to stall the harness for a second) into a fault, never into an answer that
// could read as a disagreement.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"
	"unsafe"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	metricsclient "k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"
	customapi "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalapi "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	metricsapi "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	resourceclient "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
	customclient "k8s.io/metrics/pkg/client/custom_metrics"
	externalclient "k8s.io/metrics/pkg/client/external_metrics"
)

const hpaNamespace = "ns"

// The controller flags podscale's defaults use (ReadinessPeriods::default): 5 min and 30 s.
const (
	hpaCPUInitializationPeriod       = 5 * time.Minute
	hpaDelayOfInitialReadinessStatus = 30 * time.Second
)

// hpaDecisionMargin bounds how long after base upstream may decide: ages are whole seconds, so
// any instant strictly inside (base, base + 1 s) gives every comparison the same answer as
// podscale's 1 ms (see the file comment).
const hpaDecisionMargin = time.Second

// hpaCheckDecidedInTime is the fault for a call that ended hpaDecisionMargin or more after base:
// upstream's time.Now() may then have been past the margin, and its answer cannot be compared.
func hpaCheckDecidedInTime(base time.Time) error {
	if elapsed := time.Since(base); elapsed >= hpaDecisionMargin {
		return fmt.Errorf("timing assumption broken: upstream decided %v after the reference instant, "+
			"not within %v (machine overloaded?); the answer is not comparable", elapsed, hpaDecisionMargin)
	}
	return nil
}

// hpaSeconds is a whole number of seconds (an age or a window). Decoding refuses a value whose
// time.Duration would overflow int64 nanoseconds, which Go's multiplication would silently wrap.
type hpaSeconds int64

func (s *hpaSeconds) UnmarshalJSON(raw []byte) error {
	var v int64
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	if v > math.MaxInt64/int64(time.Second) || v < math.MinInt64/int64(time.Second) {
		return fmt.Errorf("%d s does not fit a time.Duration", v)
	}
	*s = hpaSeconds(v)
	return nil
}

func (s hpaSeconds) duration() time.Duration { return time.Duration(s) * time.Second }

func init() {
	hpaCheckTolerancesLayout()
	registerCase("hpa_replicas", (*hpaReplicaCase).run)
}

// hpaTolerancesMirror has the layout of podautoscaler.Tolerances, whose fields are unexported and
// which has no constructor: the only way to pass per-direction tolerances to the calculator is
// to build this struct and reinterpret it (hpaNewTolerances). hpaCheckTolerancesLayout proves at
// startup that the two agree, so a change of the upstream struct stops the harness instead of
// silently passing wrong tolerances.
type hpaTolerancesMirror struct {
	scaleDown float64
	scaleUp   float64
}

func hpaNewTolerances(down, up float64) podautoscaler.Tolerances {
	m := hpaTolerancesMirror{scaleDown: down, scaleUp: up}
	return *(*podautoscaler.Tolerances)(unsafe.Pointer(&m))
}

func hpaCheckTolerancesLayout() {
	hpaMustMirror(reflect.TypeOf(podautoscaler.Tolerances{}), reflect.TypeOf(hpaTolerancesMirror{}))
	// The layout could match with the fields swapped in meaning: upstream's own String() says
	// which value is which.
	if got, want := hpaNewTolerances(0.25, 0.5).String(), "[down:25.0%, up:50.0%]"; got != want {
		panic(fmt.Sprintf("podautoscaler.Tolerances mirror is wrong: String() = %q, want %q", got, want))
	}
}

// hpaMustMirror panics unless mirror has the same fields (names, types, offsets) as upstream.
func hpaMustMirror(upstream, mirror reflect.Type) {
	if upstream.Size() != mirror.Size() || upstream.NumField() != mirror.NumField() {
		panic(fmt.Sprintf("%v does not mirror %v", mirror, upstream))
	}
	for i := 0; i < upstream.NumField(); i++ {
		u, m := upstream.Field(i), mirror.Field(i)
		if u.Name != m.Name || u.Type != m.Type || u.Offset != m.Offset {
			panic(fmt.Sprintf("%v.%s does not mirror %v.%s", mirror, m.Name, upstream, u.Name))
		}
	}
}

// hpaReplicaCase is one call of the replica calculator; field meanings as in
// tests/differential/src/hpa/replicas.rs, which generates it.
type hpaReplicaCase struct {
	Function string `json:"function"`
	// currentReplicas, or statusReplicas for the two per-pod functions.
	Replicas      int32              `json:"replicas"`
	Target        int64              `json:"target"`
	Resource      string             `json:"resource"`
	Container     string             `json:"container"`
	ToleranceDown float64            `json:"tolerance_down"`
	ToleranceUp   float64            `json:"tolerance_up"`
	Pods          []hpaPodCase       `json:"pods"`
	ResourceData  []hpaResourceEntry `json:"resource_metrics"`
	PodData       []hpaPodSample     `json:"pod_metrics"`
	ObjectValue   int64              `json:"object_value_milli"`
	ExternalData  []int64            `json:"external_values_milli"`
}

type hpaPodCase struct {
	Name     string      `json:"name"`
	Phase    string      `json:"phase"`
	Deleting bool        `json:"deleting"`
	StartAge *hpaSeconds `json:"start_age_s"`
	Ready    *struct {
		Status string     `json:"status"`
		Age    hpaSeconds `json:"age_s"`
	} `json:"ready"`
	Containers  []hpaContainerCase `json:"containers"`
	PodRequests *hpaRequests       `json:"pod_requests"`
	// spec.overhead (RuntimeClass overhead), counted by resourcehelpers.PodRequests.
	Overhead *hpaRequests `json:"overhead"`
}

type hpaContainerCase struct {
	Name     string      `json:"name"`
	Kind     string      `json:"kind"` // Regular, Sidecar (restartable init container) or Init
	Requests hpaRequests `json:"requests"`
}

// hpaRequests are milli-values; nil means "not requested".
type hpaRequests struct {
	CPU    *int64 `json:"cpu"`
	Memory *int64 `json:"memory"`
}

func (r hpaRequests) list() v1.ResourceList {
	l := v1.ResourceList{}
	if r.CPU != nil {
		l[v1.ResourceCPU] = *resource.NewMilliQuantity(*r.CPU, resource.DecimalSI)
	}
	if r.Memory != nil {
		l[v1.ResourceMemory] = *resource.NewMilliQuantity(*r.Memory, resource.DecimalSI)
	}
	return l
}

type hpaResourceEntry struct {
	Pod        string     `json:"pod"`
	Age        hpaSeconds `json:"age_s"`
	Window     hpaSeconds `json:"window_s"`
	Containers []struct {
		Name  string      `json:"name"`
		Usage hpaRequests `json:"usage"`
	} `json:"containers"`
}

type hpaPodSample struct {
	Pod    string     `json:"pod"`
	Value  int64      `json:"value_milli"`
	Age    hpaSeconds `json:"age_s"`
	Window *int64     `json:"window_s"` // windowSeconds, an int64 in the API too
}

// hpaReplicaAnswer is upstream's answer; Usage is the utilization's raw average for
// GetResourceReplicas and the reported usage otherwise.
type hpaReplicaAnswer struct {
	Error       bool   `json:"error"`
	Replicas    int32  `json:"replicas"`
	Utilization int32  `json:"utilization"`
	Usage       int64  `json:"usage_milli"`
	Message     string `json:"message,omitempty"`
}

func hpaAgo(base time.Time, age hpaSeconds) time.Time {
	return base.Add(-age.duration())
}

func (c *hpaReplicaCase) pods(base time.Time) ([]*v1.Pod, error) {
	var out []*v1.Pod
	for _, p := range c.Pods {
		pod := &v1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: hpaNamespace, Labels: map[string]string{"app": "x"}},
			Status:     v1.PodStatus{Phase: v1.PodPhase(p.Phase)},
		}
		if p.Deleting {
			t := metav1.NewTime(base)
			pod.DeletionTimestamp = &t
		}
		if p.StartAge != nil {
			t := metav1.NewTime(hpaAgo(base, *p.StartAge))
			pod.Status.StartTime = &t
		}
		if p.Ready != nil {
			pod.Status.Conditions = []v1.PodCondition{{
				Type:               v1.PodReady,
				Status:             v1.ConditionStatus(p.Ready.Status),
				LastTransitionTime: metav1.NewTime(hpaAgo(base, p.Ready.Age)),
			}}
		}
		for _, cc := range p.Containers {
			container := v1.Container{Name: cc.Name, Resources: v1.ResourceRequirements{Requests: cc.Requests.list()}}
			switch cc.Kind {
			case "Regular":
				pod.Spec.Containers = append(pod.Spec.Containers, container)
			case "Sidecar":
				always := v1.ContainerRestartPolicyAlways
				container.RestartPolicy = &always
				pod.Spec.InitContainers = append(pod.Spec.InitContainers, container)
			case "Init":
				pod.Spec.InitContainers = append(pod.Spec.InitContainers, container)
			default:
				return nil, fmt.Errorf("unknown container kind %q", cc.Kind)
			}
		}
		if p.PodRequests != nil {
			pod.Spec.Resources = &v1.ResourceRequirements{Requests: p.PodRequests.list()}
		}
		if p.Overhead != nil {
			pod.Spec.Overhead = p.Overhead.list()
		}
		out = append(out, pod)
	}
	return out, nil
}

func (c *hpaReplicaCase) run() (*hpaReplicaAnswer, error) {
	// GetResourceReplicas takes the utilization target as an int32 (the API's type).
	if c.Function == "resource_utilization" && (c.Target < math.MinInt32 || c.Target > math.MaxInt32) {
		return nil, fmt.Errorf("utilization target %d is outside int32", c.Target)
	}
	base := time.Now()
	pods, err := c.pods(base)
	if err != nil {
		return nil, err
	}
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, pod := range pods {
		if err := indexer.Add(pod); err != nil {
			return nil, err
		}
	}
	client := metricsclient.NewRESTMetricsClient(
		&hpaFakeResourceMetrics{items: c.resourceItems(base)},
		&hpaFakeCustomMetrics{pods: c.PodData, object: c.ObjectValue, base: base},
		&hpaFakeExternalMetrics{values: c.ExternalData},
	)
	calc := podautoscaler.NewReplicaCalculator(client, corelisters.NewPodLister(indexer), hpaCPUInitializationPeriod, hpaDelayOfInitialReadinessStatus)
	tol := hpaNewTolerances(c.ToleranceDown, c.ToleranceUp)
	selector := labels.SelectorFromSet(labels.Set{"app": "x"})
	res := v1.ResourceName(c.Resource)
	object := &autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "target", APIVersion: "apps/v1"}
	// Upstream must decide strictly after base (see the file comment).
	for !time.Now().After(base) {
	}

	var ans hpaReplicaAnswer
	var callErr error
	switch c.Function {
	case "resource_utilization":
		ans.Replicas, ans.Utilization, ans.Usage, _, callErr = calc.GetResourceReplicas(context.Background(), c.Replicas, int32(c.Target), res, tol, hpaNamespace, selector, c.Container)
	case "resource_average_value":
		ans.Replicas, ans.Usage, _, callErr = calc.GetRawResourceReplicas(context.Background(), c.Replicas, c.Target, res, tol, hpaNamespace, selector, c.Container)
	case "pods":
		ans.Replicas, ans.Usage, _, callErr = calc.GetMetricReplicas(c.Replicas, c.Target, "m", tol, hpaNamespace, selector, labels.Everything())
	case "object_value":
		ans.Replicas, ans.Usage, _, callErr = calc.GetObjectMetricReplicas(c.Replicas, c.Target, "m", tol, hpaNamespace, object, selector, labels.Everything())
	case "object_average_value":
		ans.Replicas, ans.Usage, _, callErr = calc.GetObjectPerPodMetricReplicas(c.Replicas, c.Target, "m", tol, hpaNamespace, object, labels.Everything())
	case "external_value":
		ans.Replicas, ans.Usage, _, callErr = calc.GetExternalMetricReplicas(c.Replicas, c.Target, "m", tol, hpaNamespace, &metav1.LabelSelector{}, selector)
	case "external_average_value":
		ans.Replicas, ans.Usage, _, callErr = calc.GetExternalPerPodMetricReplicas(c.Replicas, c.Target, "m", tol, hpaNamespace, &metav1.LabelSelector{})
	default:
		return nil, fmt.Errorf("unknown function %q", c.Function)
	}
	if err := hpaCheckDecidedInTime(base); err != nil {
		return nil, err
	}
	if callErr != nil {
		// Only error-versus-answer is compared; the message helps reading a reproducer.
		return &hpaReplicaAnswer{Error: true, Message: callErr.Error()}, nil
	}
	return &ans, nil
}

func (c *hpaReplicaCase) resourceItems(base time.Time) []metricsapi.PodMetrics {
	items := make([]metricsapi.PodMetrics, 0, len(c.ResourceData))
	for _, e := range c.ResourceData {
		m := metricsapi.PodMetrics{
			ObjectMeta: metav1.ObjectMeta{Name: e.Pod, Namespace: hpaNamespace},
			Timestamp:  metav1.NewTime(hpaAgo(base, e.Age)),
			Window:     metav1.Duration{Duration: e.Window.duration()},
		}
		for _, cu := range e.Containers {
			m.Containers = append(m.Containers, metricsapi.ContainerMetrics{Name: cu.Name, Usage: cu.Usage.list()})
		}
		items = append(items, m)
	}
	return items
}

// hpaFakeResourceMetrics is the metrics.k8s.io API: it lists the case's pod metrics.
type hpaFakeResourceMetrics struct {
	items []metricsapi.PodMetrics
}

func (f *hpaFakeResourceMetrics) PodMetricses(string) resourceclient.PodMetricsInterface { return f }

func (f *hpaFakeResourceMetrics) Get(context.Context, string, metav1.GetOptions) (*metricsapi.PodMetrics, error) {
	return nil, fmt.Errorf("not served")
}

func (f *hpaFakeResourceMetrics) List(context.Context, metav1.ListOptions) (*metricsapi.PodMetricsList, error) {
	return &metricsapi.PodMetricsList{Items: f.items}, nil
}

func (f *hpaFakeResourceMetrics) Watch(context.Context, metav1.ListOptions) (watch.Interface, error) {
	return nil, fmt.Errorf("not served")
}

// hpaFakeCustomMetrics is the custom.metrics.k8s.io API: per-pod samples and one object value.
type hpaFakeCustomMetrics struct {
	pods   []hpaPodSample
	object int64
	base   time.Time
}

func (f *hpaFakeCustomMetrics) RootScopedMetrics() customclient.MetricsInterface { return f }

func (f *hpaFakeCustomMetrics) NamespacedMetrics(string) customclient.MetricsInterface { return f }

func (f *hpaFakeCustomMetrics) GetForObject(schema.GroupKind, string, string, labels.Selector) (*customapi.MetricValue, error) {
	return &customapi.MetricValue{Value: *resource.NewMilliQuantity(f.object, resource.DecimalSI)}, nil
}

func (f *hpaFakeCustomMetrics) GetForObjects(schema.GroupKind, labels.Selector, string, labels.Selector) (*customapi.MetricValueList, error) {
	list := &customapi.MetricValueList{}
	for _, s := range f.pods {
		list.Items = append(list.Items, customapi.MetricValue{
			DescribedObject: v1.ObjectReference{Kind: "Pod", Name: s.Pod, Namespace: hpaNamespace},
			Timestamp:       metav1.NewTime(hpaAgo(f.base, s.Age)),
			WindowSeconds:   s.Window,
			Value:           *resource.NewMilliQuantity(s.Value, resource.DecimalSI),
		})
	}
	return list, nil
}

// hpaFakeExternalMetrics is the external.metrics.k8s.io API: the case's values.
type hpaFakeExternalMetrics struct {
	values []int64
}

func (f *hpaFakeExternalMetrics) NamespacedMetrics(string) externalclient.MetricsInterface { return f }

func (f *hpaFakeExternalMetrics) List(string, labels.Selector) (*externalapi.ExternalMetricValueList, error) {
	list := &externalapi.ExternalMetricValueList{}
	for _, v := range f.values {
		list.Items = append(list.Items, externalapi.ExternalMetricValue{Value: *resource.NewMilliQuantity(v, resource.DecimalSI)})
	}
	return list, nil
}
