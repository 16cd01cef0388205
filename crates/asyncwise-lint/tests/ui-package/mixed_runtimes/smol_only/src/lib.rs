pub fn start() {
    smol::spawn(async {}).detach();
}
