//! The controller's process: the pod cache, the leader election, the PodScaler loop and the
//! HTTP endpoints, started together and stopped together on SIGTERM. Only the replica holding
//! the Lease syncs; the others keep their caches warm, so a failover acts at once.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::leader_election::{LeaderElector, LeaseTimings};
use crate::metrics_api::MetricsSource;
use crate::ops_server::{Health, OpsServer};
use crate::podscaler::PodScaler;
use crate::reconciler::{Context, Settings, SyncError, pod_reflector};
use crate::telemetry::Metrics;

/// How the controller runs (the flags of `podscale run`).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Sync period, PodScalers in one namespace or all, event reporter.
    pub settings: Settings,
    /// Watch PodScalers and pods in this namespace only; every namespace when `None`.
    pub namespace: Option<String>,
    /// Where `/metrics`, `/healthz` and `/readyz` listen.
    pub ops_addr: SocketAddr,
    /// Compete for a Lease (run several replicas); without it this replica always acts.
    pub leader_election: bool,
    /// The Lease's namespace and name.
    pub lease: (String, String),
    /// This replica's identity in the Lease (its pod name).
    pub identity: String,
    /// Lease duration, renew deadline and retry period.
    pub lease_timings: LeaseTimings,
    /// PodScalers synced at the same time.
    pub concurrency: u16,
}

/// Why the controller could not start.
#[derive(Debug)]
pub enum RunError {
    /// The HTTP endpoints could not listen.
    Listen(std::io::Error),
    /// The leader election is misconfigured.
    LeaderElection(crate::leader_election::LeaderElectionError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Listen(e) => write!(f, "cannot listen for /metrics and the probes: {e}"),
            Self::LeaderElection(e) => write!(f, "leader election: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// A spawned task that ends with the future that spawned it: if [`run`] is dropped midway
/// (its task aborted), nothing it started keeps running, renewing the lease for a controller
/// that no longer syncs.
struct Owned(tokio::task::JoinHandle<()>);

impl Drop for Owned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A shutdown every task can wait on.
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Runs the controller until `shutdown` resolves; returns once every task has stopped (the
/// Lease released, in-flight syncs finished).
///
/// # Errors
///
/// The endpoints cannot listen, or the leader election is misconfigured.
pub async fn run<M: MetricsSource, C: Clock + Clone>(
    client: Client,
    metrics_source: M,
    clock: C,
    options: RunOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut owned = vec![Owned(tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    }))];
    let metrics = Arc::new(Metrics::new());
    let health = Health::new();
    let stop_rx_ops = stop_rx.clone();
    let ops = OpsServer::bind(options.ops_addr, metrics.clone(), health.clone())
        .await
        .map_err(RunError::Listen)?;
    let ops_task = Owned(tokio::spawn(async move {
        if let Err(e) = ops.serve(stopped(stop_rx_ops)).await {
            tracing::error!(error = %e, "serving /metrics and the probes failed");
        }
    }));

    let (pods, pods_task) = pod_reflector(client.clone(), options.namespace.as_deref());
    owned.push(Owned(tokio::spawn(pods_task)));

    let (leading_tx, leading) = watch::channel(!options.leader_election);
    let election_task = if options.leader_election {
        let elector = LeaderElector::new(
            client.clone(),
            &options.lease.0,
            &options.lease.1,
            &options.identity,
            options.lease_timings,
            clock.clone(),
        )
        .map_err(RunError::LeaderElection)?;
        let mut elected = elector.subscribe();
        owned.push(Owned(tokio::spawn(async move {
            while elected.changed().await.is_ok() {
                let leader = *elected.borrow();
                if leading_tx.send(leader).is_err() {
                    break;
                }
            }
        })));
        Some(Owned(tokio::spawn(elector.run(stopped(stop_rx.clone())))))
    } else {
        None
    };

    let ctx = Arc::new(
        Context::new(
            client.clone(),
            metrics_source,
            clock,
            pods.clone(),
            options.settings.clone(),
        )
        .with_leadership(leading.clone()),
    );
    let scalers: Api<PodScaler> = match &options.namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let controller = Controller::new(scalers, watcher::Config::default())
        .with_config(ControllerConfig::default().concurrency(options.concurrency));
    let scaler_store = controller.store();

    // A replica that gains the lease syncs everything at once; one that loses it forgets
    // its states, since the new leader writes from now on.
    let (reconcile_all_tx, reconcile_all_rx) = futures::channel::mpsc::channel::<()>(1);
    {
        let mut leading = leading.clone();
        let ctx = ctx.clone();
        let metrics = metrics.clone();
        let mut trigger = reconcile_all_tx;
        metrics.set_leader(*leading.borrow());
        owned.push(Owned(tokio::spawn(async move {
            while leading.changed().await.is_ok() {
                let leader = *leading.borrow_and_update();
                metrics.set_leader(leader);
                if leader {
                    tracing::info!("acquired the lease: syncing every PodScaler");
                    let _ = trigger.try_send(());
                } else {
                    tracing::info!("lost the lease: standing by");
                    ctx.forget_all();
                }
            }
        })));
    }

    // States and gauges of deleted PodScalers go.
    {
        let ctx = ctx.clone();
        let metrics = metrics.clone();
        let store = scaler_store.clone();
        let period = options.settings.sync_period;
        let mut stop = stop_rx.clone();
        owned.push(Owned(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(period) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                let live: HashSet<String> = store.state().iter().filter_map(|s| s.uid()).collect();
                for (namespace, name) in ctx.retain(&live) {
                    metrics.forget(&namespace, &name);
                }
            }
        })));
    }

    pods.wait_until_ready().await.ok();
    health.set_synced(true);
    tracing::info!("pod cache synced; running");

    let reconcile_metrics = metrics.clone();
    Controller::reconcile_all_on(controller, reconcile_all_rx)
        .graceful_shutdown_on(stopped(stop_rx.clone()))
        .run(
            move |scaler: Arc<PodScaler>, ctx: Arc<Context<M, C>>| {
                let metrics = reconcile_metrics.clone();
                async move { reconcile(scaler, ctx, metrics).await }
            },
            |_scaler, _error: &SyncError, ctx: Arc<Context<M, C>>| {
                Action::requeue(ctx.settings().sync_period.min(Duration::from_secs(5)))
            },
            ctx,
        )
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "reconcile did not complete");
            }
        })
        .await;

    health.set_synced(false);
    // The election releases the lease and the endpoints answer what is in flight; if this
    // future is dropped while waiting, the guards abort them instead.
    for mut task in std::iter::once(ops_task).chain(election_task) {
        let _ = (&mut task.0).await;
    }
    drop(owned);
    tracing::info!("stopped");
    Ok(())
}

/// One reconcile: a sync when this replica leads, then the next one a sync period later.
async fn reconcile<M: MetricsSource, C: Clock>(
    scaler: Arc<PodScaler>,
    ctx: Arc<Context<M, C>>,
    metrics: Arc<Metrics>,
) -> Result<Action, SyncError> {
    let period = ctx.settings().sync_period;
    if !ctx.is_leading() {
        return Ok(Action::requeue(period));
    }
    // Woken early (by this replica's own status write, say): wait for the period.
    if let Some(wait) = ctx.due_in(&scaler) {
        return Ok(Action::requeue(wait));
    }
    let started = Instant::now();
    let namespace = scaler.namespace().unwrap_or_default();
    let name = scaler.name_any();
    match ctx.sync(&scaler).await {
        Ok(summary) => {
            let current = summary.current_replicas.unwrap_or(0);
            metrics.reconciled(
                &namespace,
                &name,
                current,
                summary.desired_replicas.unwrap_or(current),
                started.elapsed(),
            );
            if let Some(problem) = summary.problem {
                metrics.reconcile_failed(problem);
            }
            tracing::debug!(%namespace, %name, ?summary, "synced");
            Ok(Action::requeue(period))
        }
        Err(e) => {
            metrics.reconcile_failed(e.reason());
            tracing::warn!(%namespace, %name, error = %e, "sync failed");
            Err(e)
        }
    }
}
