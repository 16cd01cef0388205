// Readings: a file named for migrations holds one-off, ordered steps: nothing in it is
// reported, although the same code elsewhere would be (see one_off.rs).
async fn upgrade_groups(pool: &Pool, groups: Vec<Group>) -> Result<()> {
    for group in groups {
        // ok: a migration file
        pool.update_group(&group).await?;
    }
    Ok(())
}

async fn read_both(users_api: &UsersApi, groups_api: &GroupsApi) -> Result<(Vec<User>, Vec<Group>)> {
    // ok: a migration file
    let users = users_api.list().await?;
    let groups = groups_api.list().await?;
    Ok((users, groups))
}
