//! Calls kept for the v1 API, which has no async endpoint for reports.

use std::sync::mpsc;

use crate::error::Error;

fn fetch_v1(url: &str) -> Result<String, Error> {
    Ok(reqwest::blocking::get(url)?.text()?)
}

/// The v1 report of an account.
pub async fn report_v1(base: &str, id: u64) -> Result<String, Error> {
    let body = fetch_v1(&format!("{base}/v1/reports/{id}"))?; // @helper //~ blocking_in_async
    Ok(body)
}

/// The v1 report fetched on the blocking pool.
pub async fn report_v1_offloaded(base: String, id: u64) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || fetch_v1(&format!("{base}/v1/reports/{id}")))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
}

/// Fetches many v1 reports on a helper thread and gathers them.
pub async fn reports_v1(base: String, ids: Vec<u64>) -> Vec<Result<String, Error>> {
    let (tx, rx) = mpsc::channel(); //~ unbounded_channel
    let worker = std::thread::spawn(move || {
        for id in ids {
            if tx.send(fetch_v1(&format!("{base}/v1/reports/{id}"))).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    while let Ok(report) = rx.recv() { //~ blocking_in_async
        out.push(report);
    }
    let _ = worker.join(); //~ blocking_in_async
    out
}

/// Converts a v2 future for the v1 callers that still expect a value.
pub async fn account_email_v1(client: &crate::AccountsClient, id: u64) -> Result<String, Error> {
    let account = pollster::block_on(client.account(id))?; //~ block_on_in_async
    Ok(account.email)
}
