//! Leader election against a real kube-apiserver: two replicas competing for one Lease, time
//! moved by hand on each replica's own clock, and the run loop failing over for real.
//!
//! These need the binaries of `make controlplane`, so they are ignored by a plain `cargo test`:
//! `cargo test -p podscale-controller --test leader_election -- --include-ignored`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http::{Method, Request};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::PostParams;
use kube::client::Body;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use podscale_controller::clock::{ManualClock, SystemClock};
use podscale_controller::leader_election::{LeaderElector, LeaseTimings};
use podscale_controlplane::ControlPlane;

const NAMESPACE: &str = "default";
/// 2027-01-15T08:00:00Z.
const T0: i64 = 1_800_000_000_000;

fn start_control_plane() -> ControlPlane {
    let started = Instant::now();
    let cp = ControlPlane::start().unwrap_or_else(|e| panic!("needs `make controlplane`?\n{e}"));
    eprintln!("control plane ready in {:?}", started.elapsed());
    cp
}

async fn client(cp: &ControlPlane) -> Client {
    let kubeconfig = Kubeconfig::read_from(cp.kubeconfig_path()).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn elector(client: Client, lease: &str, identity: &str, clock: &ManualClock) -> LeaderElector {
    LeaderElector::new(
        client,
        NAMESPACE,
        lease,
        identity,
        LeaseTimings::default(),
        clock.clone(),
    )
    .unwrap()
}

async fn read_lease(client: &Client, name: &str) -> (Option<String>, i32) {
    let lease = Api::<Lease>::namespaced(client.clone(), NAMESPACE)
        .get(name)
        .await
        .unwrap();
    let spec = lease.spec.unwrap();
    (spec.holder_identity, spec.lease_transitions.unwrap_or(0))
}

#[tokio::test]
#[ignore = "needs `make controlplane`"]
async fn second_replica_waits_out_the_lease_on_its_own_clock() {
    let cp = start_control_plane();
    let c = client(&cp).await;
    let lease = "expiry";
    let clock_a = ManualClock::new(T0);
    // An hour ahead: judged by the holder's renewTime, the lease would look long expired.
    let clock_b = ManualClock::new(T0 + 3_600_000);
    let mut a = elector(c.clone(), lease, "replica-a", &clock_a);
    let mut b = elector(c.clone(), lease, "replica-b", &clock_b);
    let advance = |ms| {
        clock_a.advance(ms);
        clock_b.advance(ms);
    };

    assert!(
        a.try_acquire_or_renew().await.unwrap(),
        "a creates the lease"
    );
    assert!(!b.try_acquire_or_renew().await.unwrap(), "held by a");
    assert_eq!(read_lease(&c, lease).await, (Some("replica-a".into()), 0));

    // a keeps renewing: b never takes over, however long.
    for _ in 0..10 {
        advance(2_000);
        assert!(a.try_acquire_or_renew().await.unwrap());
        assert!(!b.try_acquire_or_renew().await.unwrap());
    }
    // a stops renewing (hung, partitioned). b saw the last renewal 0 ms ago on its clock.
    advance(10_000);
    assert!(!a.is_leader(), "a steps down at its renew deadline");
    assert!(!b.try_acquire_or_renew().await.unwrap());
    advance(4_999);
    assert!(
        !b.try_acquire_or_renew().await.unwrap(),
        "1 ms before the lease runs out"
    );
    assert_eq!(read_lease(&c, lease).await, (Some("replica-a".into()), 0));
    advance(1);
    assert!(
        b.try_acquire_or_renew().await.unwrap(),
        "the lease ran out on b's clock"
    );
    assert!(b.is_leader());
    assert_eq!(read_lease(&c, lease).await, (Some("replica-b".into()), 1));

    // a comes back: its fast path is refused (stale resourceVersion), it reads, it yields.
    assert!(!a.try_acquire_or_renew().await.unwrap());
    assert!(!a.is_leader());
    assert_eq!(
        a.observed_record().unwrap().holder_identity,
        "replica-b",
        "a has seen b take over"
    );
    advance(2_000);
    assert!(b.try_acquire_or_renew().await.unwrap(), "b renews");
    assert_eq!(read_lease(&c, lease).await, (Some("replica-b".into()), 1));
    cp.stop().unwrap();
}

/// A small deterministic generator, so a failure replays the same interleaving.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

#[tokio::test]
#[ignore = "needs `make controlplane`"]
async fn never_two_leaders_over_interleaved_steps() {
    let cp = start_control_plane();
    let c = client(&cp).await;
    let lease = "interleaved";
    // Different offsets, same rate: skew must not matter.
    let clock_a = ManualClock::new(T0);
    let clock_b = ManualClock::new(T0 - 7 * 60_000);
    let mut a = elector(c.clone(), lease, "replica-a", &clock_a);
    let mut b = elector(c.clone(), lease, "replica-b", &clock_b);
    let mut rng = Lcg(0x9d5c_0b1e);
    let mut holders = Vec::new();
    let mut lead_steps = [0_u32; 2];
    // (which replica, iterations left): a replica that stalls (hung, partitioned) skips its
    // turns for a while, which is what lets the other take over.
    let mut stall: Option<(u64, u64)> = None;
    for step in 0..300 {
        let ms = rng.next(3_000) as i64;
        clock_a.advance(ms);
        clock_b.advance(ms);
        stall = match stall {
            Some((_, 0)) => None,
            Some((who, left)) => Some((who, left - 1)),
            None if rng.next(12) == 0 => Some((rng.next(2), 4 + rng.next(16))),
            None => None,
        };
        let stalled = stall.map(|(who, _)| who);
        // Either may step first; each sometimes misses a turn even when not stalled.
        let order = if rng.next(2) == 0 { [0, 1] } else { [1, 0] };
        for who in order {
            if stalled == Some(who) || rng.next(6) == 0 {
                continue;
            }
            let elector = if who == 0 { &mut a } else { &mut b };
            elector.try_acquire_or_renew().await.unwrap();
            let (la, lb) = (a.is_leader(), b.is_leader());
            assert!(!(la && lb), "both lead after step {step}");
        }
        lead_steps[0] += u32::from(a.is_leader());
        lead_steps[1] += u32::from(b.is_leader());
        let (holder, _) = read_lease(&c, lease).await;
        if holders.last() != Some(&holder) {
            holders.push(holder);
        }
    }
    let (_, transitions) = read_lease(&c, lease).await;
    eprintln!(
        "holders in turn: {}; steps led: a {}, b {}; leaseTransitions {transitions}",
        holders.len(),
        lead_steps[0],
        lead_steps[1]
    );
    // The sequence is only a test if the lease changed hands, both ways, several times.
    assert!(holders.len() >= 4, "{holders:?}");
    assert!(lead_steps.iter().all(|&n| n > 10), "{lead_steps:?}");
    // Every change of holder after the first acquisition counted one transition.
    assert_eq!(transitions as usize, holders.len() - 1);
    cp.stop().unwrap();
}

#[tokio::test]
#[ignore = "needs `make controlplane`"]
async fn release_lets_the_other_replica_acquire_at_once() {
    let cp = start_control_plane();
    let c = client(&cp).await;
    let lease = "release";
    let clock_a = ManualClock::new(T0);
    let clock_b = ManualClock::new(T0);
    let mut a = elector(c.clone(), lease, "replica-a", &clock_a);
    let mut b = elector(c.clone(), lease, "replica-b", &clock_b);
    assert!(a.try_acquire_or_renew().await.unwrap());
    assert!(!b.try_acquire_or_renew().await.unwrap());

    // b cannot release what it does not hold.
    assert!(!b.release().await.unwrap());
    assert_eq!(read_lease(&c, lease).await, (Some("replica-a".into()), 0));

    assert!(a.release().await.unwrap());
    assert!(!a.is_leader());
    assert_eq!(read_lease(&c, lease).await, (None, 0));
    // No time passes: a free lease needs no waiting.
    assert!(b.try_acquire_or_renew().await.unwrap());
    assert_eq!(read_lease(&c, lease).await, (Some("replica-b".into()), 1));
    assert!(!a.try_acquire_or_renew().await.unwrap());
    cp.stop().unwrap();
}

#[tokio::test]
#[ignore = "needs `make controlplane`"]
async fn a_write_between_read_and_write_is_a_conflict_not_an_error() {
    let cp = start_control_plane();
    let c = client(&cp).await;
    let lease = "conflict";
    let clock_a = ManualClock::new(T0);
    let clock_b = ManualClock::new(T0);
    let mut a = elector(c.clone(), lease, "replica-a", &clock_a);

    // b's client lets someone else write the Lease just before b's first PUT reaches the API
    // server, after b's GET: the race client-go's resourceVersion check exists for.
    let meddled = Arc::new(AtomicBool::new(false));
    let service = {
        let inner = c.clone();
        let meddled = meddled.clone();
        tower::service_fn(move |request: Request<Body>| {
            let inner = inner.clone();
            let meddled = meddled.clone();
            async move {
                if request.method() == Method::PUT && !meddled.swap(true, Ordering::SeqCst) {
                    let leases = Api::<Lease>::namespaced(inner.clone(), NAMESPACE);
                    let mut current = leases.get("conflict").await?;
                    if let Some(spec) = current.spec.as_mut() {
                        // Replica a's late renewal, written by hand.
                        spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
                    }
                    leases
                        .replace("conflict", &PostParams::default(), &current)
                        .await?;
                }
                inner.send(request).await
            }
        })
    };
    let mut b = elector(
        Client::new(service, NAMESPACE),
        lease,
        "replica-b",
        &clock_b,
    );

    assert!(a.try_acquire_or_renew().await.unwrap());
    assert!(!b.try_acquire_or_renew().await.unwrap());
    clock_b.advance(15_000);
    // b reads an expired lease and tries to take it; the PUT carries the resourceVersion b
    // read, which the meddling write made stale.
    let taken = b.try_acquire_or_renew().await;
    assert!(meddled.load(Ordering::SeqCst), "the PUT was intercepted");
    assert!(
        !taken.unwrap(),
        "a conflict is not leader, and not an error"
    );
    assert!(!b.is_leader());
    assert_eq!(read_lease(&c, lease).await, (Some("replica-a".into()), 0));
    // Next step b reads the changed record: the countdown starts again from now.
    assert!(!b.try_acquire_or_renew().await.unwrap());
    clock_b.advance(14_999);
    assert!(!b.try_acquire_or_renew().await.unwrap());
    clock_b.advance(1);
    assert!(b.try_acquire_or_renew().await.unwrap());
    assert_eq!(read_lease(&c, lease).await, (Some("replica-b".into()), 1));
    cp.stop().unwrap();
}

/// Waits until the receiver holds `want`, or panics after `within`. Returns how long it took.
async fn wait_for(
    rx: &mut tokio::sync::watch::Receiver<bool>,
    want: bool,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    tokio::time::timeout(within, rx.wait_for(|v| *v == want))
        .await
        .unwrap_or_else(|_| panic!("not {want} within {within:?}"))
        .unwrap();
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs `make controlplane`"]
async fn run_fails_over_at_once_on_shutdown_and_after_the_lease_on_a_crash() {
    let cp = start_control_plane();
    let c = client(&cp).await;
    let lease = "run";
    // Short real timings: the loop sleeps for real here.
    let timings = LeaseTimings {
        lease_duration: Duration::from_secs(2),
        renew_deadline: Duration::from_millis(1_500),
        retry_period: Duration::from_millis(200),
    };
    let start = |identity: &str| {
        let le = LeaderElector::new(c.clone(), NAMESPACE, lease, identity, timings, SystemClock)
            .unwrap();
        let leading = le.subscribe();
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(le.run(async move {
            let _ = stopped.wait_for(|s| *s).await;
        }));
        (leading, stop, task)
    };

    let (mut a_leads, stop_a, task_a) = start("replica-a");
    wait_for(&mut a_leads, true, Duration::from_secs(5)).await;
    let (mut b_leads, _stop_b, task_b) = start("replica-b");
    // b keeps trying for more than a lease duration while a renews.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(!*b_leads.borrow());
    assert!(*a_leads.borrow());

    // Graceful shutdown of a: it stops acting, releases, and b takes over without waiting
    // out the lease.
    let shutdown_at = Instant::now();
    stop_a.send(true).unwrap();
    task_a.await.unwrap();
    assert!(!*a_leads.borrow());
    let failover = wait_for(&mut b_leads, true, Duration::from_secs(5)).await;
    let failover = failover.max(shutdown_at.elapsed());
    eprintln!("failover after a graceful shutdown: {failover:?}");
    assert!(
        failover < timings.lease_duration,
        "released, so faster than the lease duration: {failover:?}"
    );
    assert_eq!(read_lease(&c, lease).await, (Some("replica-b".into()), 1));

    // A crash of b (its task is dropped, nothing released): a new replica waits out the
    // lease, counted from when it saw b's last renewal.
    let (mut c_leads, _stop_c, _task_c) = start("replica-c");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!*c_leads.borrow());
    let crashed_at = Instant::now();
    task_b.abort();
    let failover = wait_for(&mut c_leads, true, Duration::from_secs(10)).await;
    let failover = failover.max(crashed_at.elapsed());
    eprintln!("failover after a crash: {failover:?}");
    // At least the lease duration less about one retry period (b's last renewal may precede
    // the crash by that much), at most the lease duration plus two jittered retries (c's read
    // of that renewal, c's attempt after expiry) and the requests.
    assert!(
        failover >= timings.lease_duration - 2 * timings.retry_period,
        "{failover:?}"
    );
    assert!(failover < Duration::from_secs(4), "{failover:?}");
    assert_eq!(read_lease(&c, lease).await, (Some("replica-c".into()), 2));
    cp.stop().unwrap();
}
