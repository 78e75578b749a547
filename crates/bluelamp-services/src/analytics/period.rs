//! The period a dashboard covers: whole local days, at most two years, so
//! every figure comes from a bounded range of daily roll-ups.

use bluelamp_domain::Invalid;
use jiff::civil::Date;

/// Inclusive range of local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

/// As JSON: `{"from": "2026-11-01", "to": "2026-11-30"}`.
impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Period", 2)?;
        s.serialize_field("from", &self.from_text())?;
        s.serialize_field("to", &self.to_text())?;
        s.end()
    }
}

impl Period {
    /// The longest period served (two years of daily roll-ups).
    pub const MAX_DAYS: i32 = 731;
    /// Longer periods are drawn weekly ([`Period::chart_days`]).
    pub const DAILY_UP_TO: i32 = 92;
    /// Without dates: the 30 days up to `today`.
    pub const DEFAULT_DAYS: i64 = 30;

    /// From the `from` and `to` a person typed (YYYY-MM-DD, either may be blank).
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Period, Invalid> {
        let day = |field: &'static str, text: Option<&str>| -> Result<Option<Date>, Invalid> {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(t) => t.parse::<Date>().map(Some).map_err(|_| {
                    Invalid::new(
                        field,
                        format!("'{}' is not a date; use YYYY-MM-DD", clip(t)),
                    )
                }),
            }
        };
        let to = day("to", to)?.unwrap_or(today);
        let from = match day("from", from)? {
            Some(from) => from,
            None => to
                .checked_sub(jiff::Span::new().days(Self::DEFAULT_DAYS - 1))
                .map_err(|_| Invalid::new("to", "that date is out of range"))?,
        };
        if from > to {
            return Err(Invalid::new("from", "the start must not be after the end"));
        }
        let days = (to - from).get_days() + 1;
        if days > Self::MAX_DAYS {
            return Err(Invalid::new(
                "from",
                format!(
                    "{days} days is longer than the {} days these figures cover at once; choose a shorter period",
                    Self::MAX_DAYS
                ),
            ));
        }
        Ok(Period { from, to })
    }

    pub fn from_text(&self) -> String {
        self.from.to_string()
    }

    pub fn to_text(&self) -> String {
        self.to.to_string()
    }

    /// The months the period touches, "YYYY-MM".
    pub fn months(&self) -> (String, String) {
        (
            self.from.strftime("%Y-%m").to_string(),
            self.to.strftime("%Y-%m").to_string(),
        )
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            out.push(day.to_string());
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        out
    }

    /// The days a chart of the period draws: every day up to a quarter; beyond,
    /// one a week and the last, so a year is 53 points rather than 365.
    pub fn chart_days(&self) -> Option<Vec<String>> {
        if self.length_days() <= Self::DAILY_UP_TO {
            return None;
        }
        let all = self.days();
        let mut days: Vec<String> = all.iter().step_by(7).cloned().collect();
        if days.last() != all.last() {
            days.extend(all.last().cloned());
        }
        Some(days)
    }

    pub fn length_days(&self) -> i32 {
        (self.to - self.from).get_days() + 1
    }
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 30).unwrap()
    }

    #[test]
    fn blank_dates_give_the_last_thirty_days() {
        let p = Period::parse(None, Some(" "), today()).unwrap();
        assert_eq!(p.to_text(), "2026-11-30");
        assert_eq!(p.from_text(), "2026-11-01");
        assert_eq!(p.length_days(), 30);
        assert_eq!(p.days().len(), 30);
    }

    #[test]
    fn ten_years_is_refused_with_a_reason() {
        let err = Period::parse(Some("2016-11-30"), Some("2026-11-30"), today()).unwrap_err();
        assert_eq!(err.field, "from");
        assert!(err.message.contains("shorter period"), "{}", err.message);
        assert!(Period::parse(Some("2025-12-01"), Some("2026-11-30"), today()).is_ok());
    }

    #[test]
    fn a_year_is_drawn_weekly_and_a_month_daily() {
        let month = Period::parse(None, None, today()).unwrap();
        assert_eq!(month.chart_days(), None);
        let year = Period::parse(Some("2025-12-01"), None, today()).unwrap();
        let days = year.chart_days().unwrap();
        assert_eq!(days.len(), 53);
        assert_eq!(days.first().map(String::as_str), Some("2025-12-01"));
        assert_eq!(days.last().map(String::as_str), Some("2026-11-30"));
    }

    #[test]
    fn bad_or_reversed_dates_are_refused() {
        assert_eq!(
            Period::parse(Some("30/11/2026"), None, today())
                .unwrap_err()
                .field,
            "from"
        );
        assert_eq!(
            Period::parse(None, Some("2026-13-01"), today())
                .unwrap_err()
                .field,
            "to"
        );
        assert!(Period::parse(Some("2026-11-30"), Some("2026-11-01"), today()).is_err());
        let p = Period::parse(Some("2026-10-15"), Some("2026-11-02"), today()).unwrap();
        assert_eq!(p.months(), ("2026-10".into(), "2026-11".into()));
    }
}
