// Tasks whose handles are kept and joined together, but whose results are thrown away at the
// join: `join_all(handles).await;`, `let _ = try_join_all(..).await;`, `try_join_all(..).await?;`
// (which keeps only the join error, not the tasks' own errors), a `JoinSet` drained with
// `while let Some(_) = set.join_next().await`. Readings: the task's error is as lost as with a
// dropped handle, but such tasks are the pedantic form (the labelled evidence, see the rule's
// docs); a join whose results are read, or a collection joined elsewhere than where it is
// filled, is fine.
use futures::future::{join_all, try_join_all};
use tokio::task::JoinSet;

pub async fn run_endpoints(endpoints: Vec<Endpoint>) {
    let mut workers = Vec::with_capacity(endpoints.len());
    for ep in endpoints {
        if ep.udp {
            workers.push(tokio::spawn(serve_udp(ep.clone()))); //~ detached_task(pedantic), unbounded_spawn(pedantic)
        }
        workers.push(tokio::spawn(async move { //~ detached_task(pedantic), unbounded_spawn(pedantic)
            let listener = bind(&ep).await?;
            listener.run().await
        }));
    }
    join_all(workers).await;
}

pub async fn fetch_all(urls: Vec<String>) -> Result<(), tokio::task::JoinError> {
    let handles: Vec<_> = urls
        .into_iter()
        .map(|u| tokio::spawn(async move { download(&u).await?; Ok::<_, Error>(()) })) //~ detached_task(pedantic), unbounded_spawn(pedantic)
        .collect();
    try_join_all(handles).await?;
    Ok(())
}

pub async fn notify_all(peers: Vec<Peer>) {
    let mut set = JoinSet::new();
    for peer in peers {
        set.spawn(async move { peer.ping().await }); //~ detached_task(pedantic), unbounded_spawn(pedantic)
    }
    while let Some(_) = set.join_next().await {}
}

pub async fn panics_only(jobs: Vec<Job>) {
    let mut tasks = Vec::new();
    for job in jobs {
        tasks.push(tokio::spawn(async move { job.tx.send(job.value).await.unwrap() })); //~ detached_task(pedantic), unbounded_spawn(pedantic)
    }
    let _ = join_all(tasks).await;
}

// detached_task stays silent below: the results are read (the fan-outs are unbounded_spawn's
// pedantic form, as above).
pub async fn results_read(endpoints: Vec<Endpoint>) -> usize {
    let mut workers = Vec::new();
    for ep in endpoints {
        workers.push(tokio::spawn(serve_udp(ep))); //~ unbounded_spawn(pedantic)
    }
    let results = join_all(workers).await;
    results.into_iter().filter(|r| matches!(r, Ok(Ok(())))).count()
}

pub async fn read_one_by_one(peers: Vec<Peer>) -> Result<(), Error> {
    let mut set = JoinSet::new();
    for peer in peers {
        set.spawn(async move { peer.ping().await }); //~ unbounded_spawn(pedantic)
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(())
}

async fn serve_udp(ep: Endpoint) -> Result<(), Error> {
    ep.check()?;
    Ok(())
}

async fn download(u: &str) -> Result<Vec<u8>, Error> {
    let body = reqwest::get(u).await?.bytes().await?;
    Ok(body.to_vec())
}

impl Peer {
    async fn ping(&self) -> Result<(), Error> {
        self.check()?;
        Ok(())
    }
}
