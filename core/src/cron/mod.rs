//! Cron expressions in KEDA's dialect (robfig/cron v3.0.1 with five fields), evaluated in IANA
//! time zones exactly as Go evaluates them, DST gaps and overlaps included.
//!
//! ```
//! use podscale::cron::{Schedule, Zone};
//! let schedule = Schedule::parse("0 9 * * Mon-Fri")?;
//! let seoul = Zone::from_name("Asia/Seoul").unwrap();
//! // Friday 2024-05-03 10:00 KST: the next firing is Monday 09:00 KST.
//! let next = schedule.next_after(1_714_698_000_000, seoul);
//! assert_eq!(next, Some(1_714_953_600_000));
//! # Ok::<(), podscale::cron::CronError<'static>>(())
//! ```

mod error;
mod next;
mod previous;
mod schedule;
mod wall_clock;
mod zone;

pub use error::{CronError, CronField, RobfigMessage};
pub use schedule::Schedule;
pub use zone::{Zone, ZoneError};
