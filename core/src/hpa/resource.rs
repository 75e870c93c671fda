//! Resource names and amounts, as in a container's `resources.requests`.

use core::fmt;

/// A resource name. CPU and memory, which autoscaling is nearly always about, are compared as
/// integers; any other name as a string.
///
/// ```
/// use podscale::hpa::ResourceName;
/// assert_eq!(ResourceName::from("cpu"), ResourceName::Cpu);
/// assert_eq!(ResourceName::from("nvidia.com/gpu").as_str(), "nvidia.com/gpu");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceName<'a> {
    /// `cpu`.
    Cpu,
    /// `memory`.
    Memory,
    /// Any other resource, for example `ephemeral-storage` or an extended resource.
    Other(&'a str),
}

impl<'a> ResourceName<'a> {
    /// The name as written in manifests.
    pub const fn as_str(&self) -> &'a str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Other(name) => name,
        }
    }
}

impl<'a> From<&'a str> for ResourceName<'a> {
    fn from(name: &'a str) -> Self {
        match name {
            "cpu" => Self::Cpu,
            "memory" => Self::Memory,
            other => Self::Other(other),
        }
    }
}

impl fmt::Display for ResourceName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ResourceName<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de: 'a, 'a> serde::Deserialize<'de> for ResourceName<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'de str>::deserialize(deserializer).map(Self::from)
    }
}

/// An amount of one resource, in milli-units (`"250m"` CPU is 250, `"1"` is 1000).
///
/// ```
/// use podscale::hpa::{ResourceAmount, ResourceName};
/// let cpu = ResourceAmount::new("cpu", 250);
/// assert_eq!((cpu.resource, cpu.milli), (ResourceName::Cpu, 250));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResourceAmount<'a> {
    /// Resource name.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub resource: ResourceName<'a>,
    /// Amount in milli-units.
    pub milli: i64,
}

impl<'a> ResourceAmount<'a> {
    /// An amount of the resource named `resource`.
    pub fn new(resource: &'a str, milli: i64) -> Self {
        Self {
            resource: ResourceName::from(resource),
            milli,
        }
    }

    /// An amount of CPU, in millicores.
    pub const fn cpu(millicores: i64) -> Self {
        Self {
            resource: ResourceName::Cpu,
            milli: millicores,
        }
    }

    /// An amount of memory, in milli-bytes (as upstream's `MilliValue`).
    pub const fn memory(milli_bytes: i64) -> Self {
        Self {
            resource: ResourceName::Memory,
            milli: milli_bytes,
        }
    }
}

/// The amount of `resource` in `amounts`, if listed.
pub(crate) fn find_amount(
    amounts: &[ResourceAmount<'_>],
    resource: ResourceName<'_>,
) -> Option<i64> {
    amounts
        .iter()
        .find(|a| a.resource == resource)
        .map(|a| a.milli)
}
