//! IANA time zones by name, from compiled-in tz data: no file system, no allocation.

use core::fmt;

use tz::timezone::TimeZoneRef;

/// A time zone of the IANA database (tzdb 2026b), or UTC.
///
/// Looked up by name at run time as Go's `time.LoadLocation` does: the name must match exactly
/// (case included); `""` and `"UTC"` are UTC. `"Local"` (the process's zone in Go) is refused:
/// a decision must not depend on the machine it runs on.
///
/// ```
/// use podscale::cron::Zone;
/// let seoul = Zone::from_name("Asia/Seoul")?;
/// assert_eq!(seoul.offset_seconds(1_700_000_000), 9 * 3600);
/// assert_eq!(seoul.name(), "Asia/Seoul");
/// assert!(Zone::from_name("Mars/Olympus").is_err());
/// # Ok::<(), podscale::cron::ZoneError<'static>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Zone {
    name: &'static str,
    rules: Option<&'static TimeZoneRef<'static>>,
}

impl Zone {
    /// Coordinated Universal Time.
    pub const UTC: Self = Self {
        name: "UTC",
        rules: None,
    };

    /// The zone named `name` [time.LoadLocation].
    ///
    /// # Errors
    ///
    /// [`ZoneError::Unknown`] for a name that is not in the database, [`ZoneError::Local`] for
    /// `"Local"`.
    pub fn from_name(name: &str) -> Result<Self, ZoneError<'_>> {
        match name {
            "" | "UTC" => return Ok(Self::UTC),
            "Local" => return Err(ZoneError::Local),
            _ => {}
        }
        // The database lookup ignores case; Go's loader, reading files, does not.
        let canonical = tzdb_data::TZ_NAMES
            .binary_search(&name)
            .ok()
            .and_then(|index| tzdb_data::TZ_NAMES.get(index))
            .copied();
        match (canonical, tzdb_data::find_tz(name.as_bytes())) {
            (Some(canonical), Some(rules)) => Ok(Self {
                name: canonical,
                rules: Some(rules),
            }),
            _ => Err(ZoneError::Unknown { name }),
        }
    }

    /// The zone's name as given to [`Zone::from_name`] (`"UTC"` for UTC).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The offset from UTC, in seconds, in effect at `unix_seconds` [Location.lookup].
    pub fn offset_seconds(&self, unix_seconds: i64) -> i32 {
        let Some(rules) = self.rules else {
            return 0;
        };
        match rules.find_local_time_type(unix_seconds) {
            Ok(local) => local.ut_offset(),
            // Past the last transition of a zone without a rule for the future, Go keeps the
            // last transition's offset.
            Err(_) => rules
                .transitions()
                .last()
                .and_then(|last| rules.local_time_types().get(last.local_time_type_index()))
                .map_or(0, |local| local.ut_offset()),
        }
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <&'de str>::deserialize(deserializer)?;
        Self::from_name(name).map_err(serde::de::Error::custom)
    }
}

/// Why a zone name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneError<'a> {
    /// Not a zone of the database.
    Unknown {
        /// The name given.
        name: &'a str,
    },
    /// `"Local"`: the machine's zone, which a deterministic decision cannot use.
    Local,
}

impl fmt::Display for ZoneError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Go's wording, which KEDA passes on.
            Self::Unknown { name } => write!(f, "unknown time zone {name}"),
            Self::Local => f.write_str(
                "time zone \"Local\" depends on the machine; name an IANA zone such as Etc/UTC",
            ),
        }
    }
}

impl core::error::Error for ZoneError<'_> {}
