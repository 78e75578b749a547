//! Analytics roll-ups: the counting job's reads of what is new and its writes
//! to the roll-up tables ([`counting`]), the follower snapshots ([`audience`]),
//! campaigns ([`campaigns`]) and the dashboards' reads ([`read`]). Dashboards
//! only ever read roll-ups; raw rows are read once, by the counting job, through
//! partial indexes that hold only what it has not yet counted.

pub mod audience;
pub mod campaigns;
pub mod counting;
pub mod reach;
pub mod read;

use sqlx::AnyConnection;

use crate::Result;

/// One column's value in a roll-up key.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Int(i64),
    Text(&'a str),
}

/// Add `adds` to the roll-up row of `table` named by `keys` (its primary key),
/// making the row, with `extra` columns, if it is new. Table and column names
/// are Bluelamp's own constants, never input.
pub async fn bump(
    conn: &mut AnyConnection,
    table: &'static str,
    keys: &[(&'static str, Key<'_>)],
    extra: &[(&'static str, Key<'_>)],
    adds: &[(&'static str, i64)],
) -> Result<()> {
    let columns: Vec<&str> = keys
        .iter()
        .chain(extra)
        .map(|k| k.0)
        .chain(adds.iter().map(|a| a.0))
        .collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let key_names: Vec<&str> = keys.iter().map(|k| k.0).collect();
    let sets: Vec<String> = adds
        .iter()
        .map(|(c, _)| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        columns.join(", "),
        marks.join(", "),
        key_names.join(", "),
        sets.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (_, key) in keys.iter().chain(extra) {
        query = match key {
            Key::Int(v) => query.bind(*v),
            Key::Text(v) => query.bind(*v),
        };
    }
    for (_, add) in adds {
        query = query.bind(*add);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}
