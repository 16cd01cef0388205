// Readings: awaits ordered by a shared resource are not independent. In the loop form, a
// send, publish, enqueue or write (first word of the method) on a receiver every iteration
// shares, reached through a field path or a local bound to it, is one ordered stream of output;
// a schema change (`alter_table`, `drop_column`, `create_index`) through one schema manager runs
// on the schema the step before left. The same method called on the item itself (each item its
// own sender) is still independent work. In a run of `let` statements, a zero-argument
// checkout from a pool or a connection-like receiver (`db.get()`, `pool.acquire()`) comes
// before the work that uses it, like a permit, and ends the run.
struct Uploader {
    pusher: Pusher,
}

impl Uploader {
    async fn push_all(&self, plan: Plan) -> Result<()> {
        for (_, info) in plan.paths {
            // ok: every path is queued on the one pusher's work queue, in order
            self.pusher.queue(info).await?;
        }
        Ok(())
    }

    async fn send_each(&self, jobs: Vec<Job>) -> Result<()> {
        for job in jobs {
            // ok: sends on the one shared sender, through a field path
            self.workers.tx.send(job).await?;
        }
        Ok(())
    }

    async fn fetch_each(&self, ids: Vec<u64>) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for id in ids {
            let item = self.api.fetch_item(id).await?; //~ sequential_await
            items.push(item);
        }
        Ok(items)
    }
}

async fn publish_numbered(client: &Client) -> Result<()> {
    for i in 0..50 {
        // ok: publishes on one client are buffered sends, in order
        client.publish("greet.joe", format!("hello {i}").into()).await?;
    }
    Ok(())
}

async fn send_batch(sock: &UdpSocket, packets: Vec<Packet>) -> Result<()> {
    for pkt in packets {
        // ok: datagrams of one batch sent on one socket, in order
        let _ = sock.send_to(pkt.buf, &pkt.addr).await?;
    }
    Ok(())
}

async fn through_a_local(shared: &Shared, events: &[Event]) -> Result<()> {
    let out = &shared.events_out;
    for event in events {
        // ok: the local is bound to the one shared sink
        out.emit(event).await?;
    }
    Ok(())
}

async fn drop_columns(manager: &SchemaManager) -> Result<(), DbErr> {
    for column in ["file_hash", "file_size", "remote_file"] {
        // ok: DDL steps on one table through one schema manager
        manager
            .alter_table(Table::alter().table(Nar).drop_column(Alias::new(column)).to_owned())
            .await?;
    }
    Ok(())
}

async fn index_each(manager: &SchemaManager, tables: &[Table]) -> Result<(), DbErr> {
    for table in tables {
        // ok: schema changes through one manager run in order
        manager.create_index(table.index()).await?;
    }
    Ok(())
}

async fn notify_each(notifiers: &[Box<dyn Notifier>], message: &str) -> Result<()> {
    for notifier in notifiers {
        notifier.send_message(message).await?; //~ sequential_await
    }
    Ok(())
}

async fn publish_per_item(clients: &[Client], subject: &str) -> Result<()> {
    for client in clients {
        client.publish(subject, Bytes::new()).await?; //~ sequential_await
    }
    Ok(())
}

async fn delegate(ctx: &Context, event: &Event, login: &str) -> Result<()> {
    let user = ctx.github.user_info(login).await?;
    // ok: the pool checkout comes before the load that uses the connection
    let mut db = ctx.db.get().await;
    let state = load_state(&mut db, &event.issue).await?;
    save(state, user).await
}

async fn acquire_then_query(api: &Api, pool: &PgPool, id: u64) -> Result<()> {
    let profile = api.profile(id).await?;
    // ok: a checkout from the pool, used by the next statement
    let mut conn = pool.acquire().await?;
    let rows = query(&mut conn, id).await?;
    show(profile, rows)
}

async fn two_lookups(api: &Api, cache: &Cache, id: u64) -> Result<()> {
    let profile = api.profile(id).await?; //~ sequential_await
    let cached = cache.get(id).await?;
    show(profile, cached)
}

async fn back_up_keys(services: &Services, body: &Body) -> Result<()> {
    for (session_id, key_data) in &body.sessions {
        // a row written per session through a shared service: `add_key` is not a schema step
        services.key_backups.add_key(&body.version, session_id, key_data).await?; //~ sequential_await
    }
    Ok(())
}
