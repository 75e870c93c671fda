//! The target's `scale` subresource, whatever its kind: found by discovery once per kind, read
//! at each sync, and written only when the replica count changes, with the resource version
//! it was read at, so that a change made meanwhile by someone else is never overwritten.

use std::collections::HashMap;
use std::sync::Mutex;

use k8s_openapi::api::autoscaling::v1::Scale;
use k8s_openapi::api::autoscaling::v2::CrossVersionObjectReference;
use kube::Client;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};

/// How many times a write refused for a stale resource version is tried again.
const CONFLICT_RETRIES: usize = 3;

/// Why the scale subresource could not be read or written.
#[derive(Debug)]
pub enum ScaleError {
    /// `scaleTargetRef.apiVersion` is not `group/version` or `version`.
    BadReference(String),
    /// The kind is not served, or has no `scale` subresource.
    Discovery(kube::Error),
    /// The API call failed (not found, forbidden, …).
    Api(kube::Error),
    /// Someone else changed the replica count between our read and our write: the next sync
    /// decides again from the new count.
    ChangedMeanwhile {
        /// The count we decided from.
        read: i32,
        /// The count found on retry.
        found: i32,
    },
}

impl std::fmt::Display for ScaleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadReference(text) => write!(f, "spec.scaleTargetRef.apiVersion: {text}"),
            Self::Discovery(e) => write!(f, "cannot find the target's kind: {e}"),
            Self::Api(e) => write!(f, "{e}"),
            Self::ChangedMeanwhile { read, found } => write!(
                f,
                "the target's replicas changed from {read} to {found} while this sync decided; \
                 the next sync decides from {found}"
            ),
        }
    }
}

impl std::error::Error for ScaleError {}

impl ScaleError {
    /// Whether the target does not exist (it may be created later).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api(kube::Error::Api(s)) if s.code == 404)
    }
}

/// The targets' kinds, found once each.
#[derive(Debug, Default)]
pub struct ScaleTargets {
    kinds: Mutex<HashMap<(String, String), ApiResource>>,
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

impl ScaleTargets {
    /// The API of the target's kind in `namespace`.
    ///
    /// # Errors
    ///
    /// A malformed `apiVersion`, or a kind discovery does not find.
    pub async fn api(
        &self,
        client: &Client,
        namespace: &str,
        target: &CrossVersionObjectReference,
    ) -> Result<Api<DynamicObject>, ScaleError> {
        let api_version = target
            .api_version
            .clone()
            .unwrap_or_else(|| "v1".to_owned());
        let key = (api_version.clone(), target.kind.clone());
        let known = self
            .kinds
            .lock()
            .map_err(|_| ScaleError::BadReference("discovery cache poisoned".to_owned()))?
            .get(&key)
            .cloned();
        let resource = match known {
            Some(resource) => resource,
            None => {
                let (group, version) = match api_version.split_once('/') {
                    Some((g, v)) => (g.to_owned(), v.to_owned()),
                    None => (String::new(), api_version.clone()),
                };
                if version.is_empty() || api_version.matches('/').count() > 1 {
                    return Err(ScaleError::BadReference(format!(
                        "`{api_version}` is not group/version"
                    )));
                }
                let gvk = GroupVersionKind::gvk(&group, &version, &target.kind);
                let (resource, _) = kube::discovery::pinned_kind(client, &gvk)
                    .await
                    .map_err(ScaleError::Discovery)?;
                if let Ok(mut kinds) = self.kinds.lock() {
                    kinds.insert(key, resource.clone());
                }
                resource
            }
        };
        Ok(Api::namespaced_with(client.clone(), namespace, &resource))
    }
}

/// Reads the target's scale [scaleNamespacer.Get].
///
/// # Errors
///
/// The API call failed.
pub async fn read_scale(api: &Api<DynamicObject>, name: &str) -> Result<Scale, ScaleError> {
    api.get_scale(name).await.map_err(ScaleError::Api)
}

/// Writes `replicas` to the scale read as `read` [scaleNamespacer.Update]. A conflict (the
/// object changed since the read) is retried with a fresh read, as long as the replica count
/// is still the one the decision started from.
///
/// # Errors
///
/// The API call failed, or the count changed meanwhile.
pub async fn write_scale(
    api: &Api<DynamicObject>,
    name: &str,
    read: &Scale,
    replicas: i32,
) -> Result<Scale, ScaleError> {
    let decided_from = read.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
    let mut scale = read.clone();
    let mut attempt = 0;
    loop {
        scale.spec.get_or_insert_with(Default::default).replicas = Some(replicas);
        match api
            .replace_scale(name, &PostParams::default(), &scale)
            .await
        {
            Ok(written) => return Ok(written),
            Err(e) if is_conflict(&e) && attempt < CONFLICT_RETRIES => {
                attempt += 1;
                let fresh = api.get_scale(name).await.map_err(ScaleError::Api)?;
                let found = fresh.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
                if found != decided_from {
                    return Err(ScaleError::ChangedMeanwhile {
                        read: decided_from,
                        found,
                    });
                }
                tracing::debug!(target = name, attempt, "scale write conflicted; retrying");
                scale = fresh;
            }
            Err(e) => return Err(ScaleError::Api(e)),
        }
    }
}
