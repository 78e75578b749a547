//! Id-window paging, as Mastodon's clients page (`max_id`, `since_id`, `min_id`,
//! `limit`): ids are increasing, so a window is a range of ids.

/// Which ids a page covers. `min_id` asks for the ids just above it (oldest
/// first, then turned newest-first); otherwise the newest below `max_id` and
/// above `since_id`.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdWindow {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

impl IdWindow {
    /// The SQL condition on `column` and its order, with the bind values for
    /// `$first` and `$first + 1` (lower bound exclusive, upper bound exclusive).
    pub(crate) fn clause(&self, column: &str, first: usize) -> (String, i64, i64) {
        let lower = self.min_id.or(self.since_id).unwrap_or(0);
        let upper = self.max_id.unwrap_or(i64::MAX);
        let order = if self.min_id.is_some() { "ASC" } else { "DESC" };
        (
            format!(
                "{column} > ${first} AND {column} < ${} ORDER BY {column} {order}",
                first + 1
            ),
            lower,
            upper,
        )
    }

    /// Rows fetched oldest first (for `min_id`) are given back newest first.
    pub(crate) fn settle<T>(&self, mut rows: Vec<T>) -> Vec<T> {
        if self.min_id.is_some() {
            rows.reverse();
        }
        rows
    }

    pub(crate) fn bounded_limit(&self) -> i64 {
        self.limit.clamp(1, 80)
    }
}
