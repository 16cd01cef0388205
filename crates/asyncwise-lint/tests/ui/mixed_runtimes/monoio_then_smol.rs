// mixed_runtimes: monoio and smol.
async fn work() {}

async fn run() {
    monoio::spawn(work());
    smol::spawn(work()).detach(); //~ mixed_runtimes
    smol::spawn(work()).detach(); // ok: reported once, at the first call into smol
}
