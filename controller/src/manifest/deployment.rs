//! The workload: an `apps/v1` Deployment (or StatefulSet, ReplicaSet: the same fields), read for
//! what the simulator models, its replica count and its container's CPU request and limit.

use serde::Deserialize;

use super::quantity::ResourceList;
use super::{Metadata, Origin};
use crate::error::InputError;

/// The workload manifest, the fields the simulator reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Deployment {
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec`.
    pub spec: DeploymentSpec,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSpec {
    /// `replicas`; unset means 1.
    pub replicas: Option<i32>,
    /// `template`.
    pub template: PodTemplateSpec,
}

/// `spec.template`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PodTemplateSpec {
    /// `spec.template.spec`.
    pub spec: PodSpec,
}

/// `spec.template.spec`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PodSpec {
    /// `containers`.
    pub containers: Vec<Container>,
}

/// One of `containers`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `resources`.
    #[serde(default)]
    pub resources: Resources,
    /// `readinessProbe`.
    pub readiness_probe: Option<Probe>,
}

/// `resources`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Resources {
    /// `requests`.
    #[serde(default)]
    pub requests: ResourceList,
    /// `limits`.
    #[serde(default)]
    pub limits: ResourceList,
}

/// `readinessProbe`: when the pod first becomes Ready.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// `initialDelaySeconds`.
    pub initial_delay_seconds: Option<i32>,
}

/// The container the simulator models, with what it requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeledContainer<'a> {
    /// Its position in `containers`.
    pub index: usize,
    /// `name`.
    pub name: &'a str,
    /// `resources.requests.cpu`, millicores.
    pub cpu_request_m: i64,
    /// `resources.limits.cpu`, millicores.
    pub cpu_limit_m: Option<i64>,
    /// `readinessProbe.initialDelaySeconds`, milliseconds.
    pub readiness_delay_ms: Option<i64>,
}

impl Deployment {
    /// `spec.replicas`, 1 when unset (the API default).
    pub fn replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }

    /// The container the simulation models: the one named `name`, or the only (or first)
    /// one. The simulator runs one container per pod; the others are left out.
    ///
    /// # Errors
    ///
    /// No container of that name, no containers, or a container without a positive CPU
    /// request (utilization is measured against it), naming the field.
    pub fn modeled_container(
        &self,
        origin: &Origin,
        name: Option<&str>,
    ) -> Result<ModeledContainer<'_>, InputError> {
        let containers = &self.spec.template.spec.containers;
        let found = match name {
            Some(name) => containers.iter().enumerate().find(|(_, c)| c.name == name),
            None => containers.iter().enumerate().next(),
        };
        let Some((index, container)) = found else {
            let message = match name {
                Some(name) => format!("no container named `{name}`"),
                None => "no containers".to_string(),
            };
            return Err(origin.error("spec.template.spec.containers", message));
        };
        let path = format!("spec.template.spec.containers[{index}].resources");
        let cpu_request_m = match container.resources.requests.cpu {
            Some(cpu) if cpu.0 > 0 => cpu.0,
            Some(cpu) => {
                return Err(origin.error(
                    format!("{path}.requests.cpu"),
                    format!("{}m is not a positive request", cpu.0),
                ));
            }
            None => {
                return Err(origin.error(
                    format!("{path}.requests.cpu"),
                    "missing: CPU utilization is measured against the request, so the \
                     simulator needs one",
                ));
            }
        };
        let cpu_limit_m = container.resources.limits.cpu.map(|c| c.0);
        if let Some(limit) = cpu_limit_m.filter(|l| *l < cpu_request_m) {
            return Err(origin.error(
                format!("{path}.limits.cpu"),
                format!("{limit}m is below the request of {cpu_request_m}m"),
            ));
        }
        let readiness_delay_ms = container
            .readiness_probe
            .as_ref()
            .and_then(|p| p.initial_delay_seconds)
            .map(|s| i64::from(s.max(0)) * 1000);
        Ok(ModeledContainer {
            index,
            name: &container.name,
            cpu_request_m,
            cpu_limit_m,
            readiness_delay_ms,
        })
    }
}
