//! The `VerticalPodAutoscaler` (`autoscaling.k8s.io/v1`): its resource policy, applied to the
//! recommender's output as the recommender does before writing the status.

use podscale::vpa::{
    ContainerResourcePolicy, ContainerScalingMode, ControlledResources, ControlledValues, Resources,
};
use serde::Deserialize;

use super::quantity::ResourceList;
use super::{Metadata, Origin, TargetRef};
use crate::error::InputError;

/// A VerticalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Vpa {
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec`.
    pub spec: VpaSpec,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpaSpec {
    /// `targetRef`.
    pub target_ref: TargetRef,
    /// `resourcePolicy`.
    pub resource_policy: Option<ResourcePolicy>,
}

/// `resourcePolicy`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicy {
    /// `containerPolicies`.
    #[serde(default)]
    pub container_policies: Vec<ContainerPolicy>,
}

/// One of `containerPolicies`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPolicy {
    /// `containerName`; `*` is every container without a policy of its own.
    pub container_name: String,
    /// `mode`.
    pub mode: Option<Mode>,
    /// `minAllowed`.
    pub min_allowed: Option<ResourceList>,
    /// `maxAllowed`.
    pub max_allowed: Option<ResourceList>,
    /// `controlledResources`.
    pub controlled_resources: Option<Vec<ControlledResource>>,
    /// `controlledValues`.
    pub controlled_values: Option<ControlledValuesManifest>,
}

/// `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Mode {
    /// `Auto`.
    Auto,
    /// `Off`: no recommendation for the container.
    Off,
}

/// One of `controlledResources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlledResource {
    /// `cpu`.
    Cpu,
    /// `memory`.
    Memory,
}

/// `controlledValues`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ControlledValuesManifest {
    /// `RequestsAndLimits`.
    RequestsAndLimits,
    /// `RequestsOnly`.
    RequestsOnly,
}

fn resources(list: Option<&ResourceList>) -> Resources {
    Resources {
        cpu_m: list.and_then(|l| l.cpu).map(|q| q.0),
        memory_bytes: list.and_then(|l| l.memory).map(|q| q.0),
    }
}

impl Vpa {
    /// The core's container policies, borrowing names from the manifest.
    ///
    /// # Errors
    ///
    /// A `minAllowed` above its `maxAllowed`, naming the field.
    pub fn container_policies(
        &self,
        origin: &Origin,
    ) -> Result<Vec<ContainerResourcePolicy<'_>>, InputError> {
        let policies = self
            .spec
            .resource_policy
            .as_ref()
            .map_or(&[][..], |p| &p.container_policies[..]);
        let mut out = Vec::new();
        for (index, p) in policies.iter().enumerate() {
            let min_allowed = resources(p.min_allowed.as_ref());
            let max_allowed = resources(p.max_allowed.as_ref());
            let inverted = |min: Option<i64>, max: Option<i64>| matches!((min, max), (Some(min), Some(max)) if min > max);
            if inverted(min_allowed.cpu_m, max_allowed.cpu_m)
                || inverted(min_allowed.memory_bytes, max_allowed.memory_bytes)
            {
                return Err(origin.error(
                    format!("spec.resourcePolicy.containerPolicies[{index}].minAllowed"),
                    "is above maxAllowed",
                ));
            }
            out.push(ContainerResourcePolicy {
                mode: p.mode.map(|m| match m {
                    Mode::Auto => ContainerScalingMode::Auto,
                    Mode::Off => ContainerScalingMode::Off,
                }),
                min_allowed,
                max_allowed,
                controlled_resources: p.controlled_resources.as_ref().map(|list| {
                    ControlledResources {
                        cpu: list.contains(&ControlledResource::Cpu),
                        memory: list.contains(&ControlledResource::Memory),
                    }
                }),
                controlled_values: p.controlled_values.map(|v| match v {
                    ControlledValuesManifest::RequestsAndLimits => {
                        ControlledValues::RequestsAndLimits
                    }
                    ControlledValuesManifest::RequestsOnly => ControlledValues::RequestsOnly,
                }),
                ..ContainerResourcePolicy::named(&p.container_name)
            });
        }
        Ok(out)
    }
}
