use std::process::Output;

use crate::schedule::Job;

pub async fn execute(job: &Job) -> std::io::Result<Output> {
    async_std::process::Command::new(&job.program).args(&job.args).output().await
}

/// Failures go to syslog through `logger`, as the old shell scheduler did.
pub fn report_failure(job: &Job, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let _ = std::process::Command::new("logger")
        .args(["-t", "cronner", "-p", "cron.err"])
        .arg(format!("{} failed: {}", job.name, stderr.trim()))
        .status();
}

pub fn describe(job: &Job) -> String {
    format!("{} -> {} {}", job.name, job.program, job.args.join(" "))
}

/// Webhook on completion; a few attempts, the receiver may be restarting.
pub async fn notify(url: &str, name: &str, ok: bool) {
    let body = format!("{{\"job\":\"{name}\",\"ok\":{ok}}}");
    let mut attempts = 0;
    loop {
        match surf::post(url).body_string(body.clone()).await {
            Ok(resp) if resp.status().is_success() => break,
            Ok(_) | Err(_) => {
                attempts += 1;
                if attempts >= 5 {
                    log::warn!("giving up notifying {url} for {name}");
                    break;
                }
            }
        }
    }
}
