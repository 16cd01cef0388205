// Readings: awaits ordered by what they do rather than by a value are dependent: two statements
// handed the same transaction mutably, also as `t.as_mut()` (a shared `&pool` is no such
// dependency); a write and a later read of the same key (the same argument, as written); and
// loops whose code shows the items' order matters: the iterated expression reversed, the
// collection sorted or reversed before the loop, or the iteration timing itself
// (`Instant::now()`, `.elapsed()`, here or in the awaited fn of this file).
use std::time::Instant;

async fn save(t: &mut Transaction<'_>, user: User, role: Role) -> Result<(), Error> {
    // ok: both statements run on the transaction, in order
    let user_id = insert_user(t.as_mut(), &user).await?;
    let role_id = insert_role(t.as_mut(), &role).await?;
    link(user_id, role_id);
    Ok(())
}

async fn two_reports(pool: &Pool) -> Result<(), Error> {
    let daily = daily_query().fetch_one(&pool).await?; //~ sequential_await
    let weekly = weekly_query().fetch_one(&pool).await?;
    show(daily, weekly);
    Ok(())
}

async fn insert_each(t: &mut Transaction<'_>, users: Vec<User>) -> Result<(), Error> {
    let mut ids = Vec::new();
    for user in users {
        // ok: every insert runs on the one transaction
        let id = insert_user(t.as_mut(), &user).await?;
        ids.push(id);
    }
    Ok(())
}

async fn write_then_read(key: String, value: Bytes) -> Result<Bytes, Error> {
    // ok: the read sees what the write left
    let stored = kv::put(&key, value).await?;
    let current = kv::get(&key).await?;
    Ok(check(stored, current))
}

async fn write_one_read_another(a: String, b: String, value: Bytes) -> Result<Bytes, Error> {
    let stored = kv::put(&a, value).await?; //~ sequential_await
    let other = kv::get(&b).await?;
    Ok(check(stored, other))
}

async fn remove_deepest_first(mut dirs: Vec<PathBuf>) -> std::io::Result<()> {
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in &dirs {
        // ok: sorted deepest first: a parent goes after its children
        tokio::fs::remove_dir(dir).await?;
    }
    Ok(())
}

async fn remove_in_reverse(dirs: Vec<PathBuf>) -> std::io::Result<()> {
    for dir in dirs.iter().rev() {
        // ok: reversed on purpose
        tokio::fs::remove_dir(dir).await?;
    }
    Ok(())
}

async fn remove_files(mut files: Vec<PathBuf>, mut others: Vec<PathBuf>) -> std::io::Result<()> {
    others.sort();
    for file in &files {
        tokio::fs::remove_file(file).await?; //~ sequential_await
    }
    Ok(())
}

async fn run_benchmark(config: &BenchConfig) -> Report {
    let started = Instant::now();
    config.drive().await;
    Report::new(started.elapsed())
}

async fn sweep(configs: Vec<BenchConfig>) -> Vec<Report> {
    let mut reports = Vec::new();
    for config in &configs {
        // ok: each run is timed; overlapping runs would measure each other
        let report = run_benchmark(config).await;
        reports.push(report);
    }
    reports
}

async fn fetch_pages(client: &Client, urls: Vec<String>) -> Vec<Page> {
    let mut pages = Vec::new();
    for url in &urls {
        let page = fetch_page(client, url).await; //~ sequential_await
        pages.push(page);
    }
    pages
}
