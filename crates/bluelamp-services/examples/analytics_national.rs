//! The analytics dashboards on a national server's year: 43 forces, 50 accounts
//! each, 365 days of history (about 15 million posts and, counted in the
//! roll-ups, 100 million likes and boosts), generated in SQL, then each
//! dashboard timed as a staff member would open it. Defaults are the national
//! size on PostgreSQL; pass smaller figures for one force on SQLite.
//!
//!     BLUELAMP_TEST_BACKEND=postgres BLUELAMP_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
//!       cargo run --release -p bluelamp-services --example analytics_national [-- FORCES ACCOUNTS DAYS POSTS_PER_DAY]
//!     cargo run --release -p bluelamp-services --example analytics_national -- 1 50 365 19
//!
//! With `BLUELAMP_BENCH_DATABASE_URL` the data is kept and reused by later runs
//! (generation takes minutes at the national size); without, a fresh database.
//!
//! The dashboards read roll-ups only. The raw reaction rows (which no dashboard
//! reads; one post's list of amplifiers uses its index) are generated for one
//! post in fifty; the roll-ups carry every reaction.

use std::time::{Duration, Instant};

use bluelamp_domain::{ForceId, Role, UserId};
use bluelamp_services::analytics::{campaigns, dashboards, Period};
use bluelamp_services::Staff;
use bluelamp_store::testing::TestDatabase;
use bluelamp_store::{Backend, Store};

const FIRST_FORCE: i64 = 1000;
const FIRST_ACCOUNT: i64 = 100_000;
const FIRST_POST: i64 = 10_000_000;
const FIRST_DAY: &str = "2025-12-01";
const CATEGORIES: [&str; 10] = [
    "emergency",
    "safeguarding",
    "rumour",
    "crime-report",
    "intelligence",
    "abuse",
    "complaint",
    "question",
    "praise",
    "other",
];

struct Size {
    forces: i64,
    accounts: i64,
    days: i64,
    per_day: i64,
}

impl Size {
    fn all_accounts(&self) -> i64 {
        self.forces * self.accounts
    }
    fn posts(&self) -> i64 {
        self.all_accounts() * self.days * self.per_day
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<i64>().expect("whole numbers"));
    let size = Size {
        forces: args.next().unwrap_or(43),
        accounts: args.next().unwrap_or(50),
        days: args.next().unwrap_or(365),
        per_day: args.next().unwrap_or(19),
    };
    let backend = match std::env::var("BLUELAMP_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let _fresh;
    let store = match std::env::var("BLUELAMP_BENCH_DATABASE_URL") {
        Ok(url) => {
            let store = Store::connect(&url).await.expect("the bench database");
            store.migrate().await.expect("migrations");
            store
        }
        Err(_) => {
            _fresh = TestDatabase::create(backend)
                .await
                .expect("a test database");
            _fresh.store().await.expect("a migrated store")
        }
    };
    let have: i64 = scalar(
        &store,
        &format!("SELECT COUNT(*) AS n FROM posts WHERE id >= {FIRST_POST}"),
    )
    .await;
    if have != size.posts() {
        let started = Instant::now();
        generate(&store, backend, &size).await;
        println!("generated in {:.0} s", started.elapsed().as_secs_f64());
    }
    report(&store, &size).await;
}

async fn scalar(store: &Store, sql: &str) -> i64 {
    use sqlx::Row;
    let mut conn = store.read().await.expect("read");
    sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .expect(sql)
        .try_get("n")
        .expect("n")
}

async fn exec(store: &Store, label: &str, sql: &str) {
    let started = Instant::now();
    let mut tx = store.write().await.expect("write");
    let done = sqlx::query(sql)
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{label}: {e}\n{sql}"));
    tx.commit().await.expect("commit");
    println!(
        "  {label}: {} rows in {:.1} s",
        done.rows_affected(),
        started.elapsed().as_secs_f64()
    );
}

/// SQL for the local day `d` days after the first.
fn day(backend: Backend, d: &str) -> String {
    match backend {
        Backend::Postgres => {
            format!("to_char(DATE '{FIRST_DAY}' + CAST({d} AS INTEGER), 'YYYY-MM-DD')")
        }
        Backend::Sqlite => format!("date('{FIRST_DAY}', '+' || ({d}) || ' days')"),
    }
}

fn two(expr: &str) -> String {
    format!("(CASE WHEN ({expr}) < 10 THEN '0' ELSE '' END || ({expr}))")
}

async fn generate(store: &Store, backend: Backend, s: &Size) {
    println!(
        "generating {} forces x {} accounts x {} days x {} posts a day = {} posts",
        s.forces,
        s.accounts,
        s.days,
        s.per_day,
        s.posts()
    );
    let nums = s.posts() / s.all_accounts() + 1;
    let nums = nums.max(s.all_accounts()).max(s.days * 24).max(400);
    exec(store, "clear", "DROP TABLE IF EXISTS bench_nums").await;
    exec(
        store,
        "numbers table",
        "CREATE TABLE bench_nums (n BIGINT PRIMARY KEY)",
    )
    .await;
    exec(
        store,
        "numbers",
        &match backend {
            Backend::Postgres => format!("INSERT INTO bench_nums SELECT generate_series(0, {nums})"),
            Backend::Sqlite => format!(
                "WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < {nums}) INSERT INTO bench_nums SELECT n FROM c"
            ),
        },
    )
    .await;
    let now = "2026-12-01T00:00:00.000Z";
    let (a, f, days) = (s.accounts, s.forces, s.days);
    let all = s.all_accounts();
    exec(store, "forces", &format!(
        "INSERT INTO forces (id, code, name, domain, time_zone, settings, created_at) \
         SELECT {FIRST_FORCE} + n, 'f' || n, 'Force ' || n, 'f' || n || '.bench.example', 'Europe/London', \
         CASE WHEN n % 20 = 19 THEN '{{\"national_view\":\"hidden\"}}' WHEN n % 10 = 9 THEN '{{\"national_view\":\"totals\"}}' ELSE '{{}}' END, '{now}' \
         FROM bench_nums WHERE n < {f}")).await;
    exec(store, "users", &format!(
        "INSERT INTO users (id, force_id, username, display_name, role, password_hash, created_at, updated_at) \
         SELECT {FIRST_ACCOUNT} + n, {FIRST_FORCE} + n / {a}, 'bench' || n, 'Officer ' || n, 'officer', 'x', '{now}', '{now}' \
         FROM bench_nums WHERE n < {all}")).await;
    exec(store, "accounts", &format!(
        "INSERT INTO accounts (id, force_id, handle, display_name, kind, created_at, updated_at) \
         SELECT {FIRST_ACCOUNT} + n, {FIRST_FORCE} + n / {a}, 'acct' || n, 'Account ' || n, 'corporate', '{now}', '{now}' \
         FROM bench_nums WHERE n < {all}")).await;
    // Post p (0-based) is by account p % all, on day (p / all) % days, at an hour
    // spread over the day; every fifth is a reply to the public, one in fifty was held.
    let per_account = s.posts() / all;
    let d = format!("((k.n / {per_a}) % {days})", per_a = s.per_day);
    exec(store, "posts", &format!(
        "INSERT INTO posts (id, force_id, account_id, author_user_id, body, text, status, kind, decision, findings, \
         published_at, created_at, counted) \
         SELECT {FIRST_POST} + k.n * {all} + x.n, {FIRST_FORCE} + x.n / {a}, {FIRST_ACCOUNT} + x.n, {FIRST_ACCOUNT} + x.n, \
         'Bench post ' || k.n || ' of account ' || x.n || ' #Tweetathon', 'Bench post ' || k.n, 'published', \
         CASE WHEN k.n % 5 = 0 THEN 'reply' ELSE 'update' END, \
         CASE WHEN k.n % 50 = 7 THEN 'hold' ELSE 'publish' END, '[]', \
         {day} || 'T' || {hour} || ':00:00.000Z', {day} || 'T' || {hour} || ':00:00.000Z', 3 \
         FROM bench_nums k CROSS JOIN bench_nums x WHERE k.n < {per_account} AND x.n < {all}",
        day = day(backend, &d), hour = two("(7 + (k.n * 5 + x.n) % 16)"))).await;
    exec(store, "stats_post", &format!(
        "INSERT INTO stats_post (post_id, force_id, account_id, author_user_id, day, kind, likes, boosts) \
         SELECT id, force_id, account_id, author_user_id, substr(published_at, 1, 10), kind, (id * 37) % 9, (id * 11) % 5 \
         FROM posts WHERE id >= {FIRST_POST}")).await;
    exec(store, "stats_account_day", &format!(
        "INSERT INTO stats_account_day (account_id, force_id, day, posts, replies, likes, boosts) \
         SELECT account_id, force_id, day, COUNT(*), SUM(CASE WHEN kind = 'reply' THEN 1 ELSE 0 END), SUM(likes), SUM(boosts) \
         FROM stats_post WHERE post_id >= {FIRST_POST} GROUP BY account_id, force_id, day")).await;
    exec(store, "stats_author_hour", &format!(
        "INSERT INTO stats_author_hour (user_id, force_id, day, hour, weekday, posts, replies) \
         SELECT author_user_id, force_id, substr(published_at, 1, 10), CAST(substr(published_at, 12, 2) AS INTEGER), \
         {weekday}, COUNT(*), SUM(CASE WHEN kind = 'reply' THEN 1 ELSE 0 END) \
         FROM posts WHERE id >= {FIRST_POST} GROUP BY author_user_id, force_id, substr(published_at, 1, 10), substr(published_at, 12, 2)",
        weekday = match backend {
            Backend::Postgres => "CAST(EXTRACT(ISODOW FROM CAST(substr(published_at, 1, 10) AS DATE)) AS INTEGER) - 1".to_string(),
            Backend::Sqlite => "(CAST(strftime('%w', substr(published_at, 1, 10)) AS INTEGER) + 6) % 7".to_string(),
        })).await;
    exec(store, "stats_check_day", &format!(
        "INSERT INTO stats_check_day (user_id, force_id, day, decision, rule, drafts) \
         SELECT author_user_id, force_id, substr(published_at, 1, 10), decision, rule, COUNT(*) FROM \
         (SELECT author_user_id, force_id, published_at, decision, '(all)' AS rule FROM posts WHERE id >= {FIRST_POST} \
          UNION ALL SELECT author_user_id, force_id, published_at, decision, 'personal-data' FROM posts WHERE id >= {FIRST_POST} AND decision = 'hold') t \
         GROUP BY author_user_id, force_id, substr(published_at, 1, 10), decision, rule")).await;
    // Each account's community: 400 people a month, some far busier than others.
    let months = (days + 29) / 30;
    exec(store, "stats_amplifier_month", &format!(
        "INSERT INTO stats_amplifier_month (account_id, month, actor_id, likes, boosts) \
         SELECT {FIRST_ACCOUNT} + x.n, substr({month}, 1, 7), 'https://m' || (k.n % 40) || '.example/users/u' || ((k.n * 7 + x.n) % 5000), \
         1 + (k.n * 13 + x.n) % 17, (k.n * 3 + x.n) % 9 \
         FROM bench_nums x CROSS JOIN bench_nums m CROSS JOIN bench_nums k \
         WHERE x.n < {all} AND m.n < {months} AND k.n < 400",
        month = day(backend, "m.n * 30 + 15"))).await;
    let cat = format!(
        "CASE {} END",
        CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, c)| format!("WHEN ca.n = {i} THEN '{c}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    exec(store, "stats_response_day", &format!(
        "INSERT INTO stats_response_day (force_id, day, account_id, category, shift, received, answered, answer_minutes, \
         answered_in_target, closed, close_minutes) \
         SELECT {FIRST_FORCE} + fo.n, {day}, CASE WHEN ac.n = 0 THEN 0 ELSE {FIRST_ACCOUNT} + fo.n * {a} + ac.n END, \
         {cat}, CASE WHEN sh.n = 0 THEN 'early' WHEN sh.n = 1 THEN 'late' ELSE 'night' END, \
         5 + (fo.n + dd.n) % 7, 4 + (fo.n + dd.n) % 6, 60 * (4 + (fo.n + dd.n) % 6), 3, 4, 600 \
         FROM bench_nums fo CROSS JOIN bench_nums dd CROSS JOIN bench_nums ac CROSS JOIN bench_nums ca CROSS JOIN bench_nums sh \
         WHERE fo.n < {f} AND dd.n < {days} AND ac.n < 6 AND ac.n < {a} + 1 AND ca.n < 10 AND sh.n < 3",
        day = day(backend, "dd.n"))).await;
    // Followers: each account's channels grow through the year; one force in
    // ten grows much faster.
    exec(store, "audience_daily", &format!(
        "INSERT INTO audience_daily (account_id, force_id, channel, day, followers) \
         SELECT {FIRST_ACCOUNT} + x.n, {FIRST_FORCE} + x.n / {a}, \
         CASE WHEN ch.n = 0 THEN 'fediverse' WHEN ch.n = 1 THEN 'bluesky' WHEN ch.n = 2 THEN 'x' WHEN ch.n = 3 THEN 'email' ELSE 'feeds' END, \
         {day}, (500 + (x.n * 37) % 4000) * (1 + ch.n) / 2 + dd.n * (1 + ((x.n / {a}) % 10) / 9 * 4) * (1 + ch.n) / 3 \
         FROM bench_nums x CROSS JOIN bench_nums ch CROSS JOIN bench_nums dd WHERE x.n < {all} AND ch.n < 5 AND dd.n < {days}",
        day = day(backend, "dd.n"))).await;
    exec(store, "audience_force_daily", &format!(
        "INSERT INTO audience_force_daily (force_id, channel, day, followers) \
         SELECT force_id, channel, day, SUM(followers) FROM audience_daily WHERE account_id >= {FIRST_ACCOUNT} \
         GROUP BY force_id, channel, day")).await;
    exec(store, "post_reactions (one post in fifty)", &format!(
        "INSERT INTO post_reactions (activity_id, post_id, actor_id, kind, created_at, counted) \
         SELECT 'https://m.example/a/' || p.id || '/' || k.n, p.id, 'https://m' || (k.n % 40) || '.example/users/u' || ((p.id + k.n) % 5000), \
         CASE WHEN k.n % 3 = 0 THEN 'announce' ELSE 'like' END, p.published_at, 1 \
         FROM posts p CROSS JOIN bench_nums k WHERE p.id >= {FIRST_POST} AND p.id % 50 = 0 AND k.n < 7")).await;
    exec(store, "campaign", &format!(
        "INSERT INTO campaigns (id, force_id, tag, tag_key, title, starts_at, ends_at, national, created_by, created_at) \
         VALUES (9000, {FIRST_FORCE}, 'Tweetathon', 'tweetathon', 'National tweet-a-thon', '2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z', 1, {FIRST_ACCOUNT}, '{now}')")).await;
    exec(store, "campaign forces", &format!(
        "INSERT INTO campaign_forces (campaign_id, force_id, joined_at) SELECT 9000, {FIRST_FORCE} + n, '{now}' FROM bench_nums WHERE n < {f}")).await;
    exec(
        store,
        "campaign counts",
        &format!(
            "INSERT INTO campaign_counts (campaign_id, force_id, hour, posts) \
         SELECT 9000, {FIRST_FORCE} + fo.n, '2026-11-20T' || {hour}, 20 + (fo.n * 7 + h.n) % 40 \
         FROM bench_nums fo CROSS JOIN bench_nums h WHERE fo.n < {f} AND h.n < 24",
            hour = two("h.n")
        ),
    )
    .await;
    exec(
        store,
        "analyse",
        match backend {
            Backend::Postgres => "ANALYZE",
            Backend::Sqlite => "ANALYZE",
        },
    )
    .await;
}

fn staff(role: Role, force: i64, user: i64) -> Staff {
    Staff {
        user_id: Some(UserId(user)),
        username: "bench".into(),
        display_name: "Bench".into(),
        role,
        force_id: Some(ForceId(force)),
        scopes: None,
        ip: None,
        token_id: None,
        app_account: None,
    }
}

async fn time<F, Fut, T>(label: &str, runs: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    f().await; // warm the cache, as a dashboard opened twice would be
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<44} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms",
        ms(times[runs / 2]),
        ms(times[runs * 95 / 100]),
        ms(times[runs - 1])
    );
}

async fn report(store: &Store, s: &Size) {
    let posts = scalar(
        store,
        &format!("SELECT COUNT(*) AS n FROM posts WHERE id >= {FIRST_POST}"),
    )
    .await;
    let reactions = scalar(
        store,
        "SELECT CAST(COALESCE(SUM(likes + boosts), 0) AS BIGINT) AS n FROM stats_post",
    )
    .await;
    println!("{posts} posts; {reactions} likes and boosts in the roll-ups");
    let today = jiff::civil::Date::new(2026, 11, 30).expect("a date");
    let month = Period::parse(None, None, today).expect("30 days");
    let quarter = Period::parse(Some("2026-09-01"), None, today).expect("90 days");
    let year = Period::parse(Some("2025-12-01"), None, today).expect("a year");
    let admin = staff(Role::ForceAdmin, FIRST_FORCE, FIRST_ACCOUNT);
    let server = staff(Role::ServerAdmin, FIRST_FORCE, FIRST_ACCOUNT);
    let officer = staff(Role::Officer, FIRST_FORCE, FIRST_ACCOUNT + 3);
    let runs = 20;
    time("force audience, 30 days", runs, || async {
        dashboards::audience(store, &admin, month)
            .await
            .expect("dashboard");
    })
    .await;
    time("force audience, a year", runs, || async {
        dashboards::audience(store, &admin, year)
            .await
            .expect("dashboard");
    })
    .await;
    if s.forces > 1 {
        time("national view, 30 days", runs, || async {
            dashboards::national(store, &server, month)
                .await
                .expect("dashboard");
        })
        .await;
        time("national view, a year", runs, || async {
            dashboards::national(store, &server, year)
                .await
                .expect("dashboard");
        })
        .await;
    }
    time("response times, 30 days", runs, || async {
        dashboards::responses(store, &admin, month)
            .await
            .expect("dashboard");
    })
    .await;
    time("response times, a year", runs, || async {
        dashboards::responses(store, &admin, year)
            .await
            .expect("dashboard");
    })
    .await;
    time("top amplifiers of an account, 30 days", runs, || async {
        dashboards::amplification(store, &admin, FIRST_ACCOUNT + 1, month)
            .await
            .expect("dashboard");
    })
    .await;
    time("top amplifiers of an account, a year", runs, || async {
        dashboards::amplification(store, &admin, FIRST_ACCOUNT + 1, year)
            .await
            .expect("dashboard");
    })
    .await;
    time("one post's amplifiers", runs, || async {
        dashboards::post_amplification(store, &admin, FIRST_POST + s.all_accounts() * 100)
            .await
            .expect("dashboard");
    })
    .await;
    time("an officer's style profile, 90 days", runs, || async {
        dashboards::style(store, &officer, UserId(FIRST_ACCOUNT + 3), quarter)
            .await
            .expect("dashboard");
    })
    .await;
    time("an officer's style profile, a year", runs, || async {
        dashboards::style(store, &officer, UserId(FIRST_ACCOUNT + 3), year)
            .await
            .expect("dashboard");
    })
    .await;
    // The same questions answered from the raw rows instead, for comparison
    // (what the roll-ups save).
    let raw = |sql: String| async move {
        let mut conn = store.read().await.expect("read");
        sqlx::query(&sql)
            .fetch_all(&mut *conn)
            .await
            .expect("raw query");
    };
    time("RAW: a force's posts per account, a year", 5, || {
        raw(format!(
            "SELECT account_id, COUNT(*) AS n FROM posts WHERE force_id = {FIRST_FORCE} \
             AND published_at >= '2025-12-01' GROUP BY account_id"
        ))
    })
    .await;
    time("RAW: an officer's posts by hour, a year", 5, || {
        raw(format!(
            "SELECT substr(published_at, 12, 2) AS h, COUNT(*) AS n FROM posts \
             WHERE author_user_id = {} AND published_at >= '2025-12-01' GROUP BY substr(published_at, 12, 2)",
            FIRST_ACCOUNT + 3
        ))
    })
    .await;
    time("a national campaign's live count", runs, || async {
        campaigns::view(store, &admin, 9000)
            .await
            .expect("dashboard");
    })
    .await;
}
