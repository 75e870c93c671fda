//! Kubernetes manifests as people write them for a cluster, read for what the simulator needs.
//!
//! A file holds one or more YAML documents (`---`). Documents of the kinds below are read;
//! any other kind (a Service, a ConfigMap) is listed in [`Manifests::ignored`], so the files
//! of a real application load unchanged.
//!
//! | `apiVersion` | `kind` | module |
//! | --- | --- | --- |
//! | `apps/v1` | `Deployment`, `StatefulSet`, `ReplicaSet` | [`deployment`] |
//! | `autoscaling/v2`, `autoscaling/v1` | `HorizontalPodAutoscaler` | [`hpa`] |
//! | `keda.sh/v1alpha1` | `ScaledObject` | [`scaled_object`] |
//! | `autoscaling.k8s.io/v1` | `VerticalPodAutoscaler` | [`vpa`] |
//!
//! Every error names the file, the document (from 1), the object and the field path, and the
//! line when the YAML parser knows it.
//!
//! ```
//! use podscale_controller::manifest::Manifests;
//! let yaml = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n\
//!             metadata: {name: web}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  \
//!             maxReplicas: ten\n";
//! let err = Manifests::default().add("hpa.yaml", yaml).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "hpa.yaml:6: document 1 (HorizontalPodAutoscaler/web): spec.maxReplicas: \
//!      invalid type: string \"ten\", expected i32"
//! );
//! ```

pub mod deployment;
pub mod hpa;
pub mod quantity;
pub mod scaled_object;
pub mod vpa;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{InputError, Location};

pub use deployment::Deployment;
pub use hpa::Hpa;
pub use scaled_object::ScaledObject;
pub use vpa::Vpa;

/// `metadata`: the name, and the annotations KEDA reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Metadata {
    /// `name`.
    pub name: String,
    /// `annotations`.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// `scaleTargetRef` or `targetRef`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TargetRef {
    /// `kind`; KEDA defaults it to Deployment.
    #[serde(default)]
    pub kind: String,
    /// `name`.
    pub name: String,
}

/// Where an object came from, to name it in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// The YAML document, from 1.
    pub document: usize,
    /// `Kind/name`.
    pub object: String,
}

impl Origin {
    /// An error at `path` of this object.
    pub fn error(&self, path: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError::new(
            &self.file,
            Location::Field {
                document: Some(self.document),
                object: Some(self.object.clone()),
                path: path.into(),
                line: None,
            },
            message,
        )
    }
}

/// An object read from a manifest, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// The object.
    pub object: T,
    /// Its file, document and name.
    pub origin: Origin,
}

/// Everything read from the manifest files: at most one of each kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifests {
    /// The workload.
    pub workload: Option<Loaded<Deployment>>,
    /// Its HorizontalPodAutoscaler.
    pub hpa: Option<Loaded<Hpa>>,
    /// Its ScaledObject.
    pub scaled_object: Option<Loaded<ScaledObject>>,
    /// Its VerticalPodAutoscaler.
    pub vpa: Option<Loaded<Vpa>>,
    /// Objects of other kinds, `Kind/name (file, document N)`, left alone.
    pub ignored: Vec<String>,
}

/// The kinds the simulator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Workload,
    Hpa,
    ScaledObject,
    Vpa,
}

/// `apiVersion` and `kind` of a document, and its name when it has one.
fn type_of(value: &serde_norway::Value) -> (String, String, String) {
    let text = |v: Option<&serde_norway::Value>| {
        v.and_then(serde_norway::Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let metadata = value.get("metadata");
    (
        text(value.get("apiVersion")),
        text(value.get("kind")),
        text(metadata.and_then(|m| m.get("name"))),
    )
}

/// Which of the simulator's kinds a document is, or why it cannot be read.
fn classify(api_version: &str, kind: &str) -> Result<Option<Kind>, String> {
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    let read = match (group, kind) {
        ("apps", "Deployment" | "StatefulSet" | "ReplicaSet") => Some(Kind::Workload),
        ("autoscaling", "HorizontalPodAutoscaler") => match api_version {
            "autoscaling/v2" | "autoscaling/v2beta2" | "autoscaling/v1" => Some(Kind::Hpa),
            _ => {
                return Err(format!(
                    "{api_version} is not supported; write the HorizontalPodAutoscaler as \
                     autoscaling/v2"
                ));
            }
        },
        ("keda.sh", "ScaledObject") => Some(Kind::ScaledObject),
        ("autoscaling.k8s.io", "VerticalPodAutoscaler") => Some(Kind::Vpa),
        _ => None,
    };
    Ok(read)
}

/// The line of a YAML error, when the parser knows it.
fn yaml_line(error: &serde_norway::Error) -> Option<usize> {
    error.location().map(|l| l.line())
}

/// The message of a YAML error without the position the parser appends (it is shown as a line
/// number in front instead).
fn yaml_message(error: &serde_norway::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) if error.location().is_some() => text.get(..at).unwrap_or(&text).to_string(),
        _ => text,
    }
}

impl Manifests {
    /// Reads every file.
    ///
    /// # Errors
    ///
    /// The first file that cannot be read or holds a bad manifest.
    pub fn read(paths: &[PathBuf]) -> Result<Self, InputError> {
        let mut manifests = Self::default();
        for path in paths {
            let text = std::fs::read_to_string(path)
                .map_err(|e| InputError::file(path, format!("cannot read: {e}")))?;
            manifests.add(path, &text)?;
        }
        Ok(manifests)
    }

    /// Adds the documents of one file, `text`, read from `file`.
    ///
    /// # Errors
    ///
    /// YAML that does not parse, a document of a known kind with a missing or malformed field,
    /// or a second object of a kind already read.
    pub fn add(&mut self, file: impl AsRef<Path>, text: &str) -> Result<(), InputError> {
        let file = file.as_ref();
        // First pass: what each document is. Second pass: each known one, typed, so errors
        // carry both the field path and the line.
        let mut types = Vec::new();
        for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
            let number = index.saturating_add(1);
            let value = serde_norway::Value::deserialize(document).map_err(|e| {
                InputError::new(
                    file,
                    Location::Field {
                        document: Some(number),
                        object: None,
                        path: String::new(),
                        line: yaml_line(&e),
                    },
                    yaml_message(&e),
                )
            })?;
            types.push((!value.is_null()).then(|| type_of(&value)));
        }
        for (index, (document, kind)) in serde_norway::Deserializer::from_str(text)
            .zip(types)
            .enumerate()
        {
            let Some((api_version, kind, name)) = kind else {
                continue; // an empty document, such as a trailing `---`
            };
            let origin = Origin {
                file: file.to_path_buf(),
                document: index.saturating_add(1),
                object: format!("{kind}/{name}"),
            };
            if api_version.is_empty() || kind.is_empty() {
                return Err(origin.error(
                    if api_version.is_empty() {
                        "apiVersion"
                    } else {
                        "kind"
                    },
                    "missing: every manifest names its apiVersion and kind",
                ));
            }
            match classify(&api_version, &kind).map_err(|e| origin.error("apiVersion", e))? {
                None => self.ignored.push(format!(
                    "{} ({}, document {})",
                    origin.object,
                    file.display(),
                    origin.document
                )),
                Some(Kind::Workload) => {
                    let object = typed(document, &origin)?;
                    place(&mut self.workload, object, origin, "workload")?;
                }
                Some(Kind::Hpa) => {
                    let object: Hpa = typed(document, &origin)?;
                    object.to_spec(&origin)?;
                    place(&mut self.hpa, object, origin, "HorizontalPodAutoscaler")?;
                }
                Some(Kind::ScaledObject) => {
                    let object: ScaledObject = typed(document, &origin)?;
                    object.to_keda(&origin)?.generated_hpa(&origin)?;
                    place(&mut self.scaled_object, object, origin, "ScaledObject")?;
                }
                Some(Kind::Vpa) => {
                    let object: Vpa = typed(document, &origin)?;
                    object.container_policies(&origin)?;
                    place(&mut self.vpa, object, origin, "VerticalPodAutoscaler")?;
                }
            }
        }
        Ok(())
    }
}

/// One document as `T`, or an error with the field path and line.
fn typed<T: DeserializeOwned>(
    document: serde_norway::Deserializer<'_>,
    origin: &Origin,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(document).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_path(&yaml_message(&inner), &path);
        InputError::new(
            &origin.file,
            Location::Field {
                document: Some(origin.document),
                object: Some(origin.object.clone()),
                path: if path == "." { String::new() } else { path },
                line: yaml_line(&inner),
            },
            message,
        )
    })
}

/// serde_norway starts some messages with the path it tracked itself; the path is shown once,
/// from serde_path_to_error.
fn strip_path(message: &str, path: &str) -> String {
    message
        .strip_prefix(path)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(message)
        .to_string()
}

/// Keeps the first object of a kind; a second one is an error naming both.
fn place<T>(
    slot: &mut Option<Loaded<T>>,
    object: T,
    origin: Origin,
    what: &str,
) -> Result<(), InputError> {
    if let Some(first) = slot {
        return Err(origin.error(
            "",
            format!(
                "a second {what}; the first is {} ({}, document {}). Simulate one workload \
                 at a time",
                first.origin.object,
                first.origin.file.display(),
                first.origin.document
            ),
        ));
    }
    *slot = Some(Loaded { object, origin });
    Ok(())
}
