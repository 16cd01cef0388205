// One runtime per platform: no platform has two.
#[cfg(target_os = "linux")]
pub fn run(job: Job) {
    glommio::LocalExecutor::default().run(job.run()); // ok: linux only
}

#[cfg(not(target_os = "linux"))]
pub fn run(job: Job) {
    tokio::runtime::Runtime::new().unwrap().block_on(job.run()); // ok: elsewhere only
}
