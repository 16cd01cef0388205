// Readings: in the loop form, an iteration may also report progress without making the
// items' order matter: a print or log macro statement, and a counter bumped by a constant
// (`index += 1`) that the awaited call does not read. Running the items concurrently only
// reorders those lines. Errors may be collected by a closure the `Err` arm calls. A counter
// the call reads, a log line that awaits, or a branch that leaves the iteration still make the
// order matter.
async fn load_urls(loaders: &Loaders, urls: Vec<String>, total: usize) -> Vec<Document> {
    let mut documents = vec![];
    let mut has_error = false;
    let mut index = 0;
    let on_error = |error: Error, has_error: &mut bool| {
        eprintln!("{error}");
        *has_error = true;
    };
    for url in urls {
        index += 1;
        println!("Load {url} [{index}/{total}]");
        match load_url(loaders, &url).await { //~ sequential_await
            Ok(doc) => documents.push(doc),
            Err(err) => on_error(err, &mut has_error),
        }
    }
    documents
}

async fn probe_hosts(hosts: &[String]) -> Vec<Status> {
    let mut out = Vec::new();
    for host in hosts {
        tracing::info!(%host, "probing");
        let status = probe(host).await; //~ sequential_await
        out.push(status);
    }
    out
}

async fn fetch_logged(client: &Client, ids: Vec<u64>) -> Vec<Item> {
    let mut items = Vec::new();
    for id in ids {
        let item = client.item(id).await; //~ sequential_await
        log::debug!("fetched {id}");
        items.push(item);
    }
    items
}

async fn numbered_pages(client: &Client, urls: Vec<String>) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut page_no = 0;
    for url in urls {
        page_no += 1;
        // ok: the counter is part of the request, so each call reads the state before it
        let page = client.page(&url, page_no).await;
        pages.push(page);
    }
    pages
}

async fn stop_on_error(urls: Vec<String>) -> Vec<Document> {
    let mut documents = vec![];
    let mut index = 0;
    for url in urls {
        index += 1;
        println!("Load {url} [{index}]");
        // ok: the first failure ends the loop, so later items depend on earlier ones
        match load(&url).await {
            Ok(doc) => documents.push(doc),
            Err(_) => break,
        }
    }
    documents
}

async fn paced_by_state(urls: Vec<String>) -> Vec<Document> {
    let mut documents = vec![];
    let mut budget = 10;
    for url in urls {
        budget -= 1;
        // ok: `budget -= 1` is state, not a progress line
        let doc = load(&url).await;
        documents.push(doc);
        if budget == 0 {
            return documents;
        }
    }
    documents
}

async fn announce_each(bus: &Bus, users: Vec<User>) {
    for user in users {
        println!("notifying {}", user.name);
        // ok: the log line awaits too: two awaits per item
        notify(&user).await;
        bus.log(&user).await;
    }
}
