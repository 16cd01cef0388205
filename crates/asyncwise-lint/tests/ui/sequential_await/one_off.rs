// Readings: a migration runs once and in order, often on one connection: awaits in a function
// or module named for one (`migrate_*`, `mod migration`) are left out, in both forms. The same
// code under another name is reported.
async fn migrate_sessions(users_api: &UsersApi, groups_api: &GroupsApi, dst: &Target, rows: Vec<Row>) -> Result<()> {
    for row in rows {
        // ok: a one-off data migration, row by row
        dst.insert_row(&row).await?;
    }
    // ok: a one-off migration's reads
    let users = users_api.list().await?;
    let groups = groups_api.list().await?;
    dst.finish(users, groups).await
}

async fn copy_sessions(dst: &Target, rows: Vec<Row>) -> Result<()> {
    for row in rows {
        dst.insert_row(&row).await?; //~ sequential_await
    }
    Ok(())
}

async fn load_directory(users_api: &UsersApi, groups_api: &GroupsApi) -> Result<(Vec<User>, Vec<Group>)> {
    let users = users_api.list().await?; //~ sequential_await
    let groups = groups_api.list().await?;
    Ok((users, groups))
}

mod migration {
    pub async fn copy_keys(dst: &Target, keys: Vec<Key>) -> Result<()> {
        for key in keys {
            // ok: in the migration module
            dst.put_key(&key).await?;
        }
        Ok(())
    }
}

mod mirror {
    pub async fn copy_keys(dst: &Target, keys: Vec<Key>) -> Result<()> {
        for key in keys {
            dst.put_key(&key).await?; //~ sequential_await
        }
        Ok(())
    }
}
