// Readings: a progress display's counters (a progress bar's `inc`/`dec`, a task-progress
// reporter's `*_start`/`*_end` helpers, a spinner's flag) are what a person sees while a
// command runs, not state the program reads back: when the future is dropped the command is
// failing or being torn down, and the display goes with it. A pair on a receiver named for a
// progress display (a name with `progress`, or the word `pb`, `pbar`, `bar`, `bars` or
// `spinner`) is not reported. The same pairs on another receiver still are.
use std::sync::atomic::{AtomicUsize, Ordering};

pub async fn download_all(pb: &indicatif::ProgressBar, urls: &[String]) -> Result<(), Error> {
    for url in urls {
        pb.inc(1);
        fetch(url).await?;
        pb.dec(1); // ok: a progress bar's displayed count
    }
    Ok(())
}

pub struct Installer {
    progress: Progress,
    in_flight: AtomicUsize,
}

impl Installer {
    pub async fn install(&self, pkg: &Package) -> Result<(), Error> {
        self.progress.inc(1);
        unpack(pkg).await?;
        self.progress.dec(1); // ok: a displayed count of the command's progress
        Ok(())
    }

    pub async fn build(&self, task: &Task) {
        self.task_progress.task_start(task.id);
        task.run().await;
        self.task_progress.task_end(task.id); // ok: a task-progress reporter
    }

    pub async fn resolve(&self, spinner: &Spinner) {
        spinner.set(true);
        lookup().await;
        spinner.set(false); // ok: a spinner shown while the lookup runs
    }

    pub async fn fetch_counted(&self, url: &str) -> Result<(), Error> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        fetch(url).await?; //~ cleanup_after_await
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        Ok(())
    }

    pub async fn bars_gauge(&self, gauge: &Gauge, url: &str) -> Result<(), Error> {
        gauge.inc();
        fetch(url).await?; //~ cleanup_after_await
        gauge.dec();
        Ok(())
    }

    pub async fn barrier(&self, barrier_count: &Gauge, url: &str) -> Result<(), Error> {
        barrier_count.inc();
        fetch(url).await?; //~ cleanup_after_await
        barrier_count.dec(); // a word that only contains `bar` is not a progress bar
        Ok(())
    }
}
