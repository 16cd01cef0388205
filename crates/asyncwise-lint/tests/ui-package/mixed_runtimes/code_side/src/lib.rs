// tokio's executor is not turned on here (feature unification may do it), but the code spawns
// on both runtimes: the first call into the second runtime is reported.
pub fn start() {
    tokio::spawn(async {});
}

pub fn start_compat() {
    async_std::task::spawn(async {}); //~ mixed_runtimes
}
