package main

// Benchmarks of upstream's HPA decision, the Go side of `make bench-compare`: the same workloads
// as core/benches/hpa.rs `hpa/one_resource_metric_10_pods` and `hpa/five_metrics_1000_pods`.
//
// podscale's `decide` is upstream's reconcileAutoscaler up to the scale write, so the Go side
// runs that part of reconcileAutoscaler on a real HorizontalController (NewHorizontalController,
// wired to in-memory informers and a fake metrics client):
//
//	recordInitialRecommendation, computeReplicasForMetrics, normalizeDesiredReplicasWithBehaviors
//
// These are unexported methods, reached by //go:linkname (the build passes
// -ldflags=-checklinkname=0): there is no exported way to run one decision without a cluster.
// normalizeDesiredReplicasWithBehaviors, the recommendation mirror and its checked accessor
// (hpaRecommendationMirror, hpaRecommendationsOf) are hpa_behavior.go's, the harness's own.
//
// Differences from the Rust side:
//   - the fake metrics client returns prebuilt PodMetricsInfo maps; the real client converts the
//     metrics API's response into a fresh map on every call, which is not timed here (Go does
//     less);
//   - reconcileAutoscaler's DeepCopy of the HPA, its V(4) log lines and its rescale-reason
//     string are not timed, and the HPA object is reused, so after the first iteration its
//     conditions are updated in place rather than appended (Go does less);
//   - upstream lists the pods from its informer cache, once in validateAndParseSelector (which
//     also checks that no other HPA selects them) and once per pod-based metric; podscale
//     receives the pod list as input, which its caller lists once per sync (Go does more);
//   - the recommendation history is restored by one map store per iteration (the decision
//     appends to it); the Rust side restores its state by a clone outside the timing, so its
//     state is cold in cache and Go's is warm.
//
// Every identifier declared here starts with "bench": the family files of package main are
// written separately.

import (
	"context"
	"fmt"
	"testing"
	"time"
	_ "unsafe" // for go:linkname

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	autoscalingdefaults "k8s.io/kubernetes/pkg/apis/autoscaling/v2"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	metricsclient "k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"
)

//go:linkname benchEnqueueHPA k8s.io/kubernetes/pkg/controller/podautoscaler.(*HorizontalController).enqueueHPA
func benchEnqueueHPA(a *podautoscaler.HorizontalController, obj interface{})

//go:linkname benchRecordInitialRecommendation k8s.io/kubernetes/pkg/controller/podautoscaler.(*HorizontalController).recordInitialRecommendation
func benchRecordInitialRecommendation(a *podautoscaler.HorizontalController, currentReplicas int32, key string)

//go:linkname benchComputeReplicasForMetrics k8s.io/kubernetes/pkg/controller/podautoscaler.(*HorizontalController).computeReplicasForMetrics
func benchComputeReplicasForMetrics(a *podautoscaler.HorizontalController, ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, scale *autoscalingv1.Scale,
	metricSpecs []autoscalingv2.MetricSpec) (replicas int32, metric string, statuses []autoscalingv2.MetricStatus, timestamp time.Time, err error)

// The HPA's namespace and name, and the selector of its target's pods (all labelled app=web).
const (
	benchNamespace = "default"
	benchHPAName   = "web"
	benchSelector  = "app=web"
)

// The controller's default sync period: the Rust side's recommendations are one sync apart.
const benchSyncPeriod = 15 * time.Second

func BenchmarkHpa(b *testing.B) {
	b.Run("one_resource_metric_10_pods", func(b *testing.B) {
		benchRunDecision(b, benchOneResourceMetric10Pods(b), 12)
	})
	// Metric proposals: cpu 70% of request against 60% gives 1167, memory 825, the app
	// container's cpu, the pods metric and the external queue are within tolerance (1000); the
	// maximum, 1167, is within the stabilization window's and the rate limits' bounds. podscale's
	// decide gives 12 and 1167 too.
	b.Run("five_metrics_1000_pods", func(b *testing.B) {
		benchRunDecision(b, benchFiveMetrics1000Pods(b), 1167)
	})
}

// benchDecision is one HPA, its controller and the recommendation history the Rust side starts
// every iteration with.
type benchDecision struct {
	controller *podautoscaler.HorizontalController
	hpa        *autoscalingv2.HorizontalPodAutoscaler
	scale      *autoscalingv1.Scale
	key        string
	// history has one spare element of capacity: the decision appends its recommendation there
	// without allocating, and restoring the slice header undoes it.
	history []hpaRecommendationMirror
}

func benchRunDecision(b *testing.B, d benchDecision, want int32) {
	// The controller's recommendation history, keyed by HPA: upstream offers no way to seed it,
	// and the Rust side starts from a seeded history. hpa_behavior.go's init checked the layout.
	recommendations := *hpaRecommendationsOf(d.controller)
	ctx := b.Context()
	current := d.scale.Spec.Replicas
	minReplicas := *d.hpa.Spec.MinReplicas
	decide := func() int32 {
		recommendations[d.key] = d.history
		benchRecordInitialRecommendation(d.controller, current, d.key)
		desired, _, _, _, err := benchComputeReplicasForMetrics(d.controller, ctx, d.hpa, d.scale, d.hpa.Spec.Metrics)
		if err != nil {
			b.Fatalf("computeReplicasForMetrics: %v", err)
		}
		return normalizeDesiredReplicasWithBehaviors(d.controller, d.hpa, d.key, current, desired, minReplicas)
	}

	// The recommendations are stamped relative to the wall clock, which upstream reads itself;
	// one benchmark run lasts far less than the 10 s between the oldest one and the window's edge.
	benchStampHistory(d.history, time.Now())
	if got := decide(); got != want {
		b.Fatalf("desired replicas: got %d, want %d; conditions %+v", got, want, d.hpa.Status.Conditions)
	}
	var got int32
	for b.Loop() {
		got = decide()
	}
	if got != want {
		b.Fatalf("desired replicas after the loop: got %d, want %d", got, want)
	}
}

// benchHistory is `count` recommendations of `replicas` with one spare element of capacity.
func benchHistory(count int, replicas int32) []hpaRecommendationMirror {
	history := make([]hpaRecommendationMirror, count, count+1)
	for i := range history {
		history[i].recommendation = replicas
	}
	return history
}

// benchStampHistory spaces the recommendations one sync apart, the newest 5 s before now and
// the oldest first, as the Rust side's history().
func benchStampHistory(history []hpaRecommendationMirror, now time.Time) {
	for i := range history {
		age := 5*time.Second + time.Duration(len(history)-1-i)*benchSyncPeriod
		history[i].timestamp = now.Add(-age)
	}
}

func benchPodName(i int) string { return fmt.Sprintf("web-7d9f8c6b5-%05d", i) }

// benchContainer is one container and its requests; a zero memory request is left out.
type benchContainer struct {
	name     string
	cpuMilli int64
	memory   int64 // bytes
}

// benchRunningReadyPod mirrors podscale's Pod::running_ready: running, Ready since long before
// the CPU initialization period, so every metric counts.
func benchRunningReadyPod(name string, containers []benchContainer) *v1.Pod {
	longAgo := metav1.NewTime(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: benchNamespace, Labels: map[string]string{"app": "web"}},
		Status: v1.PodStatus{
			Phase:      v1.PodRunning,
			StartTime:  &longAgo,
			Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: longAgo}},
		},
	}
	for _, c := range containers {
		requests := v1.ResourceList{v1.ResourceCPU: *resource.NewMilliQuantity(c.cpuMilli, resource.DecimalSI)}
		if c.memory != 0 {
			requests[v1.ResourceMemory] = *resource.NewQuantity(c.memory, resource.BinarySI)
		}
		pod.Spec.Containers = append(pod.Spec.Containers, v1.Container{
			Name:      c.name,
			Resources: v1.ResourceRequirements{Requests: requests},
		})
	}
	return pod
}

// benchMetricsClient answers the replica calculator from prebuilt maps. The calculator leaves
// them unchanged when every pod is ready and has a metric, as here.
type benchMetricsClient struct {
	resource  map[benchResourceKey]metricsclient.PodMetricsInfo
	pods      map[string]metricsclient.PodMetricsInfo
	external  map[string][]int64
	timestamp time.Time
}

// benchResourceKey names a resource metric: container "" is the sum over the pod's containers.
type benchResourceKey struct {
	resource  v1.ResourceName
	container string
}

func (m *benchMetricsClient) GetResourceMetric(_ context.Context, resource v1.ResourceName, _ string, _ labels.Selector, container string) (metricsclient.PodMetricsInfo, time.Time, error) {
	info, ok := m.resource[benchResourceKey{resource, container}]
	if !ok {
		return nil, time.Time{}, fmt.Errorf("no %s metrics for container %q", resource, container)
	}
	return info, m.timestamp, nil
}

func (m *benchMetricsClient) GetRawMetric(metricName string, _ string, _ labels.Selector, _ labels.Selector) (metricsclient.PodMetricsInfo, time.Time, error) {
	info, ok := m.pods[metricName]
	if !ok {
		return nil, time.Time{}, fmt.Errorf("no pods metric %q", metricName)
	}
	return info, m.timestamp, nil
}

func (m *benchMetricsClient) GetObjectMetric(metricName string, _ string, _ *autoscalingv2.CrossVersionObjectReference, _ labels.Selector) (int64, time.Time, error) {
	return 0, time.Time{}, fmt.Errorf("no object metric %q", metricName)
}

func (m *benchMetricsClient) GetExternalMetric(metricName string, _ string, _ labels.Selector) ([]int64, time.Time, error) {
	values, ok := m.external[metricName]
	if !ok {
		return nil, time.Time{}, fmt.Errorf("no external metric %q", metricName)
	}
	return values, m.timestamp, nil
}

// benchNoEvents stands in for the events API: events are recorded only on failures, which the
// benchmarks never reach, so its (nil) methods are never called.
type benchNoEvents struct{ typedcorev1.EventInterface }

func (e benchNoEvents) Events(string) typedcorev1.EventInterface { return e }

// benchPodInformer and benchHPAInformer are informers that are never started: their caches are
// filled directly, as a synced informer's would be.
type benchPodInformer struct{ informer cache.SharedIndexInformer }

func (i benchPodInformer) Informer() cache.SharedIndexInformer { return i.informer }
func (i benchPodInformer) Lister() corelisters.PodLister {
	return corelisters.NewPodLister(i.informer.GetIndexer())
}

type benchHPAInformer struct{ informer cache.SharedIndexInformer }

func (i benchHPAInformer) Informer() cache.SharedIndexInformer { return i.informer }
func (i benchHPAInformer) Lister() autoscalinglisters.HorizontalPodAutoscalerLister {
	return autoscalinglisters.NewHorizontalPodAutoscalerLister(i.informer.GetIndexer())
}

// benchInformer resyncs at the sync period, as the controller asks of it (it is never run).
func benchInformer(example runtime.Object) cache.SharedIndexInformer {
	return cache.NewSharedIndexInformer(&cache.ListWatch{}, example, benchSyncPeriod,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
}

// benchNewDecision builds a controller with kube-controller-manager's default flags (5 min
// downscale stabilization, 0.1 tolerance, 5 min CPU initialization, 30 s initial readiness
// delay), its pod cache holding `pods`, and `hpa` registered as enqueueHPA does on an informer
// event.
func benchNewDecision(b *testing.B, hpa *autoscalingv2.HorizontalPodAutoscaler, pods []*v1.Pod, metrics *benchMetricsClient, history []hpaRecommendationMirror) benchDecision {
	podInformer := benchPodInformer{benchInformer(&v1.Pod{})}
	for _, pod := range pods {
		if err := podInformer.informer.GetIndexer().Add(pod); err != nil {
			b.Fatal(err)
		}
	}
	// The API server defaults behavior before the controller sees it.
	autoscalingdefaults.SetDefaults_HorizontalPodAutoscalerBehavior(hpa)
	controller := podautoscaler.NewHorizontalController(b.Context(), benchNoEvents{}, nil, nil, nil, metrics,
		benchHPAInformer{benchInformer(&autoscalingv2.HorizontalPodAutoscaler{})}, podInformer,
		benchSyncPeriod, 5*time.Minute, 0.1, 5*time.Minute, 30*time.Second)
	benchEnqueueHPA(controller, hpa)
	replicas := int32(len(pods))
	// Last sync's status; upstream reads it only to label its metrics.
	hpa.Status.CurrentReplicas = replicas
	return benchDecision{
		controller: controller,
		hpa:        hpa,
		scale: &autoscalingv1.Scale{
			Spec:   autoscalingv1.ScaleSpec{Replicas: replicas},
			Status: autoscalingv1.ScaleStatus{Replicas: replicas, Selector: benchSelector},
		},
		key:     benchNamespace + "/" + benchHPAName,
		history: history,
	}
}

func benchHPA(minReplicas, maxReplicas int32, metrics []autoscalingv2.MetricSpec, behavior *autoscalingv2.HorizontalPodAutoscalerBehavior) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: benchHPAName, Namespace: benchNamespace},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: benchHPAName, APIVersion: "apps/v1"},
			MinReplicas:    &minReplicas,
			MaxReplicas:    maxReplicas,
			Metrics:        metrics,
			Behavior:       behavior,
		},
	}
}

func benchUtilization(percent int32) autoscalingv2.MetricTarget {
	return autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &percent}
}

func benchAverageValue(milli int64, format resource.Format) autoscalingv2.MetricTarget {
	return autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: resource.NewMilliQuantity(milli, format)}
}

// benchOneResourceMetric10Pods: one Resource cpu Utilization metric (50%) over 10 running,
// ready pods requesting 200m and using 120m each, default behavior, 20 recommendations of 10
// in the last 5 minutes. 60% against 50%: a scale-up from 10 to 12.
func benchOneResourceMetric10Pods(b *testing.B) benchDecision {
	now := time.Now()
	pods := make([]*v1.Pod, 10)
	cpu := metricsclient.PodMetricsInfo{}
	for i := range pods {
		pods[i] = benchRunningReadyPod(benchPodName(i), []benchContainer{{"app", 200, 0}})
		cpu[pods[i].Name] = metricsclient.PodMetric{Timestamp: now.Add(-10 * time.Second), Window: 30 * time.Second, Value: 120}
	}
	metrics := &benchMetricsClient{
		resource: map[benchResourceKey]metricsclient.PodMetricsInfo{
			{v1.ResourceCPU, ""}: cpu,
		},
		timestamp: now.Add(-10 * time.Second),
	}
	hpa := benchHPA(1, 100, []autoscalingv2.MetricSpec{{
		Type:     autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{Name: v1.ResourceCPU, Target: benchUtilization(50)},
	}}, &autoscalingv2.HorizontalPodAutoscalerBehavior{})
	return benchNewDecision(b, hpa, pods, metrics, benchHistory(20, 10))
}

// benchFiveMetrics1000Pods: five metrics (Resource cpu Utilization 60%, Resource memory
// AverageValue 300Mi, ContainerResource cpu of "app" Utilization 70%, Pods
// http_requests_per_second AverageValue 100, External queue_depth AverageValue 30) over 1000
// pods of two containers with four usage profiles, a one-hour scale-down window and 240
// recommendations of 1000 in it.
func benchFiveMetrics1000Pods(b *testing.B) benchDecision {
	const mib = 1024 * 1024
	now := time.Now()
	sampled := now.Add(-10 * time.Second)
	containers := []benchContainer{{"app", 200, 256 * mib}, {"sidecar-log", 50, 64 * mib}}
	// Per profile: app cpu (m), app memory (MiB), log cpu (m), log memory (MiB).
	profiles := [4][4]int64{
		{150, 200, 20, 40},
		{170, 230, 25, 45},
		{130, 180, 15, 35},
		{160, 210, 30, 50},
	}
	pods := make([]*v1.Pod, 1000)
	cpu, memory, appCPU, httpRequests := metricsclient.PodMetricsInfo{}, metricsclient.PodMetricsInfo{}, metricsclient.PodMetricsInfo{}, metricsclient.PodMetricsInfo{}
	resourceSample := func(milli int64) metricsclient.PodMetric {
		return metricsclient.PodMetric{Timestamp: sampled, Window: 30 * time.Second, Value: milli}
	}
	for i := range pods {
		name := benchPodName(i)
		pods[i] = benchRunningReadyPod(name, containers)
		p := profiles[i%4]
		// Pod-level resource metrics are the sum over containers, as metrics-server reports them;
		// memory is in milli-bytes, as the metrics client's MilliValue().
		cpu[name] = resourceSample(p[0] + p[2])
		memory[name] = resourceSample((p[1] + p[3]) * mib * 1000)
		appCPU[name] = resourceSample(p[0])
		httpRequests[name] = metricsclient.PodMetric{Timestamp: sampled, Window: time.Minute, Value: 90_000 + int64(i%20)*1_000}
	}
	metrics := &benchMetricsClient{
		resource: map[benchResourceKey]metricsclient.PodMetricsInfo{
			{v1.ResourceCPU, ""}:    cpu,
			{v1.ResourceMemory, ""}: memory,
			{v1.ResourceCPU, "app"}: appCPU,
		},
		pods:      map[string]metricsclient.PodMetricsInfo{"http_requests_per_second": httpRequests},
		external:  map[string][]int64{"queue_depth": {29_500_000}},
		timestamp: sampled,
	}
	window := int32(3600)
	hpa := benchHPA(10, 2000, []autoscalingv2.MetricSpec{
		{
			Type:     autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: v1.ResourceCPU, Target: benchUtilization(60)},
		},
		{
			Type:     autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: v1.ResourceMemory, Target: benchAverageValue(300*mib*1000, resource.BinarySI)},
		},
		{
			Type:              autoscalingv2.ContainerResourceMetricSourceType,
			ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: v1.ResourceCPU, Container: "app", Target: benchUtilization(70)},
		},
		{
			Type: autoscalingv2.PodsMetricSourceType,
			Pods: &autoscalingv2.PodsMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "http_requests_per_second"},
				Target: benchAverageValue(100_000, resource.DecimalSI),
			},
		},
		{
			Type: autoscalingv2.ExternalMetricSourceType,
			External: &autoscalingv2.ExternalMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "queue_depth"},
				Target: benchAverageValue(30_000, resource.DecimalSI),
			},
		},
	}, &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &window},
	})
	return benchNewDecision(b, hpa, pods, metrics, benchHistory(240, 1000))
}
