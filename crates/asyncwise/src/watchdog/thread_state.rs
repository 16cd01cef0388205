//! Worker threads by index, and what a thread is doing right now.
//!
//! A poll records the index of its thread (a thread-local read); the
//! thread's name and, on Linux, its kernel thread id are registered once
//! per thread. The monitor reads `/proc/self/task/<tid>/syscall` to say
//! whether a blocked thread waits inside a system call (and which one),
//! waits outside one, or runs.
//!
//! The kernel writes `running` there for any thread on a CPU or ready for
//! one, whether it runs user code or works inside a system call (a large
//! `read` from the page cache copies on the CPU): the description says
//! only that. `-1` is a thread off the CPU outside any system call: a page
//! fault waiting for the disk or for the memory map's lock, or a stopped
//! thread.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, Clone)]
pub(super) struct ThreadInfo {
    pub(super) name: String,
    tid: Option<u32>,
    /// How many `watchdog::block_in_place` calls the thread is inside: it
    /// has handed its worker's duties to another thread meanwhile.
    offloaded: Arc<AtomicUsize>,
}

/// The threads that polled a watched task, by index. An exited thread's
/// entry is freed for the next new thread: threads come and go (a
/// blocking-pool thread takes over a worker's duties during
/// `block_in_place`, runtimes are built and dropped), and the registry must
/// not grow with each of them.
static THREADS: Mutex<Registry> = Mutex::new(Registry {
    threads: Vec::new(),
    free: Vec::new(),
});

struct Registry {
    threads: Vec<Option<ThreadInfo>>,
    free: Vec<usize>,
}

/// A thread's index; frees its entry when the thread exits.
struct Registration(Cell<usize>);

impl Drop for Registration {
    fn drop(&mut self) {
        let index = self.0.get();
        if index == usize::MAX {
            return;
        }
        let mut registry = THREADS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = registry.threads.get_mut(index) {
            *entry = None;
            registry.free.push(index);
        }
    }
}

thread_local! {
    static INDEX: Registration = const { Registration(Cell::new(usize::MAX)) };
}

/// This thread's index, registering the thread on its first call;
/// `usize::MAX` (no thread) once the thread's locals are torn down.
pub(super) fn current_index() -> usize {
    INDEX
        .try_with(|index| {
            if index.0.get() == usize::MAX {
                index.0.set(register());
            }
            index.0.get()
        })
        .unwrap_or(usize::MAX)
}

#[cold]
fn register() -> usize {
    let thread = std::thread::current();
    let name = thread
        .name()
        .map_or_else(|| format!("{:?}", thread.id()), str::to_owned);
    let info = ThreadInfo {
        name,
        tid: own_tid(),
        offloaded: Arc::default(),
    };
    let mut registry = THREADS.lock().unwrap_or_else(PoisonError::into_inner);
    match registry.free.pop() {
        Some(index) => {
            registry.threads[index] = Some(info);
            index
        }
        None => {
            registry.threads.push(Some(info));
            registry.threads.len() - 1
        }
    }
}

/// The thread registered under `index`, if it is still alive.
pub(super) fn info(index: usize) -> Option<ThreadInfo> {
    THREADS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .threads
        .get(index)
        .cloned()
        .flatten()
}

/// How a thread that is on a CPU, or ready for one, is described.
const RUNNING: &str = "running (on a CPU or ready for one; not waiting in a system call)";

/// Marks this thread as handed off to Tokio's `block_in_place` until the
/// guard drops (also by unwinding).
pub(super) fn offload() -> Offloaded {
    let depth = info(current_index()).map(|info| info.offloaded);
    if let Some(depth) = &depth {
        depth.fetch_add(1, Ordering::Release);
    }
    Offloaded(depth)
}

/// See [`offload`].
pub(super) struct Offloaded(Option<Arc<AtomicUsize>>);

impl Drop for Offloaded {
    fn drop(&mut self) {
        if let Some(depth) = &self.0 {
            depth.fetch_sub(1, Ordering::Release);
        }
    }
}

impl ThreadInfo {
    /// Whether the thread is inside `watchdog::block_in_place`.
    pub(super) fn is_offloaded(&self) -> bool {
        self.offloaded.load(Ordering::Acquire) > 0
    }
}

/// What the monitor reads about a worker thread at one sample.
#[derive(Debug, Clone)]
pub(super) struct ThreadSample {
    /// What the thread waits in (a system call, described, or a page
    /// fault); `None` while it runs or is ready to (user code or a system
    /// call's own work).
    pub(super) waiting: Option<String>,
    /// Nanoseconds the thread has spent on a CPU so far; `None` where the
    /// kernel does not count them (its `schedstat` reads `0 0 0`).
    pub(super) on_cpu_ns: Option<u64>,
}

impl ThreadSample {
    /// The description used in reports.
    pub(super) fn describe(&self) -> String {
        self.waiting.clone().unwrap_or_else(|| RUNNING.to_owned())
    }
}

impl ThreadInfo {
    /// The thread's state, where the platform says (Linux: from
    /// `/proc/self/task/<tid>/syscall` and `schedstat`).
    pub(super) fn sample(&self) -> Option<ThreadSample> {
        let tid = self.tid?;
        let syscall = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
        let schedstat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
        let on_cpu_ns = on_cpu_ns(&schedstat);
        let described = describe_syscall_line(&syscall)?;
        let waiting = (!syscall.starts_with("running")).then_some(described);
        Some(ThreadSample { waiting, on_cpu_ns })
    }
}

/// The first field of a `schedstat` line: time on a CPU. A kernel built
/// without scheduler statistics writes `0 0 0`; a thread that has polled a
/// task has run, so zero means "not counted", not "never ran".
fn on_cpu_ns(schedstat: &str) -> Option<u64> {
    let on_cpu: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    (on_cpu > 0).then_some(on_cpu)
}

/// `/proc/thread-self` links to `<pid>/task/<tid>`.
fn own_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Turns the first field of a `/proc/<pid>/task/<tid>/syscall` line into a
/// description: running, a system call's name, `system call N`, or waiting
/// outside a system call (`-1`).
fn describe_syscall_line(line: &str) -> Option<String> {
    let first = line.split_whitespace().next()?;
    if first == "running" {
        return Some(RUNNING.to_owned());
    }
    let number: i64 = first.parse().ok()?;
    if number < 0 {
        return Some(
            "waiting outside a system call (a page fault reading a mapped file or swap, \
             or waiting for the memory map's lock; or stopped)"
                .to_owned(),
        );
    }
    Some(match syscall_name(number) {
        Some(name) => format!("in the `{name}` system call"),
        None => format!("in system call {number}"),
    })
}

/// The system calls a blocked executor thread is usually found in.
fn syscall_name(number: i64) -> Option<&'static str> {
    let table: &[(i64, &str)] = if cfg!(target_arch = "x86_64") {
        &[
            (0, "read"),
            (1, "write"),
            (7, "poll"),
            (17, "pread64"),
            (18, "pwrite64"),
            (19, "readv"),
            (20, "writev"),
            (23, "select"),
            (35, "nanosleep"),
            (42, "connect"),
            (43, "accept"),
            (44, "sendto"),
            (45, "recvfrom"),
            (61, "wait4"),
            (74, "fsync"),
            (202, "futex"),
            (230, "clock_nanosleep"),
            (232, "epoll_wait"),
            (257, "openat"),
            (262, "newfstatat"),
            (270, "pselect6"),
            (271, "ppoll"),
        ]
    } else if cfg!(target_arch = "aarch64") {
        &[
            (56, "openat"),
            (63, "read"),
            (64, "write"),
            (73, "ppoll"),
            (82, "fsync"),
            (98, "futex"),
            (101, "nanosleep"),
            (115, "clock_nanosleep"),
            (203, "connect"),
            (202, "accept"),
            (206, "sendto"),
            (207, "recvfrom"),
            (260, "wait4"),
        ]
    } else {
        &[]
    };
    table
        .iter()
        .find(|(n, _)| *n == number)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_lines_are_described() {
        assert_eq!(describe_syscall_line("running\n").as_deref(), Some(RUNNING));
        // Off the CPU outside any system call: a major page fault, say.
        let outside = describe_syscall_line("-1 0x7ffc 0x0\n").unwrap();
        assert!(
            outside.starts_with("waiting outside a system call"),
            "{outside}"
        );
        assert_eq!(describe_syscall_line(""), None);
        let described = describe_syscall_line("99999 0x1 0x2").unwrap();
        assert_eq!(described, "in system call 99999");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(
                describe_syscall_line("230 0x1 0x0").as_deref(),
                Some("in the `clock_nanosleep` system call")
            );
        }
    }

    /// A kernel without scheduler statistics reads `0 0 0`: no CPU time, so
    /// that the monitor counts wall time instead of never counting a loop.
    #[test]
    fn schedstat_lines_give_the_time_on_a_cpu_when_counted() {
        assert_eq!(on_cpu_ns("2573311 1021 12\n"), Some(2_573_311));
        assert_eq!(on_cpu_ns("0 0 0\n"), None);
        assert_eq!(on_cpu_ns(""), None);
    }

    /// Fifty threads one after the other: each exited thread's entry goes to
    /// the next, so the registry does not grow with them (other tests'
    /// threads may take a freed entry in between, hence the margin).
    #[test]
    fn an_exited_threads_entry_is_reused() {
        let mut indices: Vec<usize> = (0..50)
            .map(|_| std::thread::spawn(current_index).join().unwrap())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        assert!(
            indices.len() <= 10,
            "{} entries: {indices:?}",
            indices.len()
        );
    }

    #[test]
    fn threads_register_once_with_their_name_until_they_exit() {
        let (first, second, name) = std::thread::Builder::new()
            .name("worker-under-test".into())
            .spawn(|| {
                let first = current_index();
                (first, current_index(), info(first).map(|info| info.name))
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(first, second);
        assert_eq!(name.as_deref(), Some("worker-under-test"));
        // Freed at the thread's exit, unless another thread took it since.
        assert!(info(first).is_none_or(|info| info.name != "worker-under-test"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_sleeping_thread_is_seen_in_a_sleep_call() {
        let (tx, rx) = std::sync::mpsc::channel();
        let sleeper = std::thread::spawn(move || {
            tx.send(current_index()).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(1));
        });
        let index = rx.recv().unwrap();
        // The sleeper may not have entered its sleep yet: sample until it has.
        let mut state = None;
        for _ in 0..500 {
            state = info(index).unwrap().sample().and_then(|s| s.waiting);
            if state.as_deref().is_some_and(|s| s.contains("sleep")) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        sleeper.join().unwrap();
        let state = state.unwrap();
        assert!(state.contains("sleep"), "{state}");
    }
}
