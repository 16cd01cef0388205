// Files of procfs and of the cgroup hierarchy are generated from kernel memory: a read there
// never waits for a disk. Readings: a `std::fs` call on a literal path under `/proc` or
// `/sys/fs/cgroup`, or a `format!` whose template starts with one, is not a blocking call;
// listing `/proc` itself enumerates every process (a scan proportional to the process count)
// and still is, as is any other path (a variable, a path that only starts with the same
// letters) and a sysfs device attribute (read through a driver that may ask the hardware).
pub async fn memory_pressure() -> usize {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default(); // ok: procfs
    let quota = std::fs::read_to_string("/sys/fs/cgroup/cpu.max").unwrap_or_default(); // ok: cgroup accounting
    sample().await;
    meminfo.len() + quota.len()
}

pub async fn process_group(pid: u32) -> usize {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default(); // ok: procfs
    let tasks = std::fs::read_dir("/proc").map(|d| d.count()).unwrap_or(0); //~ blocking_in_async
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map(|d| d.count()).unwrap_or(0); // ok: one process's tasks
    sample().await;
    stat.len() + tasks + threads
}

pub async fn not_kernel_files(dir: &str) -> usize {
    let listing = std::fs::read_to_string("/processes/list.txt").unwrap_or_default(); //~ blocking_in_async
    let configured = std::fs::read_to_string(dir).unwrap_or_default(); //~ blocking_in_async
    sample().await;
    listing.len() + configured.len()
}

async fn sample() {}

pub async fn cpu_temperature() -> u32 {
    let raw = std::fs::read_to_string("/sys/class/hwmon/hwmon0/temp1_input").unwrap_or_default(); //~ blocking_in_async
    sample().await;
    raw.trim().parse().unwrap_or(0)
}
