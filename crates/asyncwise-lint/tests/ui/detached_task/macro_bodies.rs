// Spawns written inside `macro_rules!` bodies: the macro's expansions are code, so a
// discarded spawn there loses its task's error as it would anywhere. Readings: metavariables
// are read as names (`$t` as a type, `$name` as an identifier), a repetition once; the
// spawned future is judged as written (a method of this file that is an async fn returning a
// `Result` makes the task fallible); only discarded handles are reported, and a macro body
// that does not parse as items or statements is skipped.
struct Job<T> {
    inner: T,
}

impl<T> Job<T> {
    async fn run(self) -> anyhow::Result<()> {
        self.inner_step()?;
        Ok(())
    }

    fn inner_step(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.ready(), "not ready");
        Ok(())
    }

    async fn finish(self) {}
}

macro_rules! impl_listener {
    ($t:ty) => {
        impl Listener<$t> {
            async fn listen(&mut self) -> anyhow::Result<()> {
                while let Some(msg) = self.stream.next().await {
                    let job = Job { inner: msg };
                    tokio::spawn(job.run()); //~ detached_task
                }
                Ok(())
            }

            async fn listen_quietly(&mut self) {
                while let Some(msg) = self.stream.next().await {
                    let job = Job { inner: msg };
                    tokio::spawn(job.finish()); // ok: `finish` returns nothing
                }
            }

            async fn listen_kept(&mut self) -> anyhow::Result<()> {
                let job = Job { inner: self.first() };
                let handle = tokio::spawn(job.run()); // ok: the handle is kept and awaited
                handle.await??;
                Ok(())
            }
        }
    };
}

macro_rules! spawn_each {
    ($($name:ident),*) => {
        $( let _ = tokio::spawn(async move { $name.connect().await?; Ok::<_, Error>(()) }); )* //~ detached_task
    };
}

macro_rules! not_code {
    ($x:expr) => { tokio::spawn => $x };
}

impl_listener!(V4);
impl_listener!(V6);

pub async fn connect_all(a: Peer, b: Peer) {
    spawn_each!(a, b);
}

// A block argument, as `tokio::spawn({ let r = $r.clone(); async move { .. } })`: the task is
// the block's tail.
macro_rules! report_later {
    ($remote:expr) => {
        tokio::spawn({ //~ detached_task
            let remote = $remote.clone();
            async move {
                remote.send().await?;
                Ok::<_, std::io::Error>(())
            }
        });
    };
}
