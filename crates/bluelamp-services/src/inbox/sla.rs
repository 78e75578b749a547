//! Response-time targets (SLA clocks) for inbox messages, and the force's local
//! time. Each category has a target; a message's clock runs from its arrival
//! until it is answered or closed. When the force sets office hours, clocks run
//! only inside them, in the force's time zone, except for emergencies and
//! safeguarding, which never wait for the morning.

use bluelamp_domain::force::OfficeHours;
use bluelamp_store::inbox::Message;
use bluelamp_store::{forces, Store};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::{ServiceError, ServiceResult, Staff};

/// The target, in minutes, for a message whose primary category is `category`;
/// `None` for spam, which waits for nobody.
pub fn target_minutes(category: &str) -> Option<i64> {
    Some(match category {
        "emergency" => 15,
        "safeguarding" => 30,
        "rumour" => 60,
        "crime-report" | "intelligence" => 4 * 60,
        "abuse" => 8 * 60,
        "complaint" | "question" => 24 * 60,
        "praise" | "other" => 72 * 60,
        _ => return None,
    })
}

/// Categories whose clock ignores office hours.
fn always_running(category: &str) -> bool {
    matches!(category, "emergency" | "safeguarding")
}

/// A force's clock settings: its time zone and office hours.
#[derive(Debug, Clone)]
pub struct LocalClock {
    pub zone: TimeZone,
    pub zone_name: String,
    pub office_hours: Option<OfficeHours>,
}

impl LocalClock {
    pub fn new(zone_name: &str, office_hours: Option<&str>) -> LocalClock {
        // A zone name was validated when saved; UTC if the database lacks it.
        let zone = TimeZone::get(zone_name).unwrap_or(TimeZone::UTC);
        LocalClock {
            zone,
            zone_name: zone_name.to_string(),
            office_hours: office_hours.and_then(|h| OfficeHours::parse(h).ok()),
        }
    }

    /// Whether `at` falls inside office hours (always, when there are none).
    pub fn is_open(&self, at: Timestamp) -> bool {
        let Some(hours) = self.office_hours else {
            return true;
        };
        let local = at.to_zoned(self.zone.clone());
        let minute = local.hour() as u32 * 60 + local.minute() as u32;
        (hours.start_minute..hours.end_minute).contains(&minute)
    }

    /// A stored UTC time as the force reads it: "30 Nov 2026, 18:04 GMT".
    pub fn display(&self, utc: &str) -> String {
        match utc.parse::<Timestamp>() {
            Ok(at) => at
                .to_zoned(self.zone.clone())
                .strftime("%-d %b %Y, %H:%M %Z")
                .to_string(),
            Err(_) => utc.to_string(),
        }
    }

    /// Minutes the clock ran between `from` and `to`: all of them, or only those
    /// inside office hours.
    pub fn running_minutes(&self, from: Timestamp, to: Timestamp, category: &str) -> i64 {
        if to <= from {
            return 0;
        }
        let Some(hours) = self.office_hours.filter(|_| !always_running(category)) else {
            return (to.as_second() - from.as_second()) / 60;
        };
        let mut day = from.to_zoned(self.zone.clone()).date();
        let last = to.to_zoned(self.zone.clone()).date();
        let mut seconds = 0i64;
        while day <= last {
            let at = |minute: u32| {
                day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
                    .to_zoned(self.zone.clone())
                    .map(|z| z.timestamp())
            };
            if let (Ok(open), Ok(close)) = (at(hours.start_minute), at(hours.end_minute)) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    seconds += end.as_second() - start.as_second();
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        seconds / 60
    }
}

/// A message's clock as the inbox shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Clock {
    pub target_minutes: i64,
    pub running_minutes: i64,
    /// Negative once breached.
    pub remaining_minutes: i64,
    pub breached: bool,
}

/// The clock of an open message at `now` (`None` once answered or closed, or for spam).
pub fn clock(message: &Message, now: Timestamp, local: &LocalClock) -> Option<Clock> {
    if matches!(message.status.as_str(), "answered" | "closed") {
        return None;
    }
    let target = target_minutes(&message.primary)?;
    let received = message.received_at.parse::<Timestamp>().ok()?;
    let running = local.running_minutes(received, now, &message.primary);
    Some(Clock {
        target_minutes: target,
        running_minutes: running,
        remaining_minutes: target - running,
        breached: running > target,
    })
}

/// "2 h 5 min", "45 min", "3 d 2 h".
pub fn human_minutes(minutes: i64) -> String {
    let m = minutes.abs();
    match (m / (24 * 60), (m / 60) % 24, m % 60) {
        (0, 0, min) => format!("{min} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, min) => format!("{h} h {min} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The clock settings of the staff member's force.
pub async fn local_clock(store: &Store, staff: &Staff) -> ServiceResult<LocalClock> {
    let force = staff.force_id.ok_or_else(|| {
        ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "force",
            "choose a force first",
        ))
    })?;
    let mut conn = store.read().await?;
    let force = forces::get(&mut conn, force).await?;
    Ok(LocalClock::new(
        &force.time_zone,
        force.settings.office_hours.as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn office_hours_pause_the_clock_overnight_in_local_time_across_the_clock_change() {
        let london = LocalClock::new("Europe/London", Some("08:00-20:00"));
        // 19:00 to 09:00 next morning in winter (UTC = GMT): one hour each side.
        assert_eq!(
            london.running_minutes(
                at("2026-11-30T19:00:00Z"),
                at("2026-12-01T09:00:00Z"),
                "question"
            ),
            120
        );
        // Emergencies never pause.
        assert_eq!(
            london.running_minutes(
                at("2026-11-30T19:00:00Z"),
                at("2026-12-01T09:00:00Z"),
                "emergency"
            ),
            14 * 60
        );
        // Summer (BST, UTC+1): office hours are 07:00-19:00 UTC. 18:30-19:30 UTC runs 30 minutes.
        assert_eq!(
            london.running_minutes(
                at("2026-07-01T18:30:00Z"),
                at("2026-07-01T19:30:00Z"),
                "question"
            ),
            30
        );
        // Without office hours the clock always runs.
        let always = LocalClock::new("Europe/London", None);
        assert_eq!(
            always.running_minutes(
                at("2026-11-30T19:00:00Z"),
                at("2026-12-01T09:00:00Z"),
                "question"
            ),
            14 * 60
        );
    }

    #[test]
    fn times_show_in_the_forces_zone_with_its_name() {
        let london = LocalClock::new("Europe/London", None);
        assert_eq!(
            london.display("2026-07-01T18:30:00.000Z"),
            "1 Jul 2026, 19:30 BST"
        );
        assert_eq!(
            london.display("2026-11-30T18:30:00.000Z"),
            "30 Nov 2026, 18:30 GMT"
        );
        assert_eq!(human_minutes(-125), "2 h 5 min");
        assert_eq!(human_minutes(45), "45 min");
        assert_eq!(human_minutes(3 * 24 * 60 + 130), "3 d 2 h");
    }

    #[test]
    fn office_hours_are_open_by_local_time() {
        let london = LocalClock::new("Europe/London", Some("08:00-20:00"));
        assert!(london.is_open(at("2026-07-01T07:30:00Z")), "08:30 BST");
        assert!(!london.is_open(at("2026-12-01T07:30:00Z")), "07:30 GMT");
        assert!(
            !london.is_open(at("2026-12-01T20:00:00Z")),
            "20:00 is closed"
        );
        assert!(LocalClock::new("Europe/London", None).is_open(at("2026-12-01T03:00:00Z")));
    }

    #[test]
    fn targets_follow_the_category() {
        assert_eq!(target_minutes("emergency"), Some(15));
        assert_eq!(target_minutes("spam"), None);
    }
}
