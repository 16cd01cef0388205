pub fn start() {
    tokio::spawn(async {});
}

#[cfg(test)]
mod tests {
    // ok: test code may use another runtime
    #[test]
    fn runs_on_async_std() {
        async_std::task::block_on(async {});
    }
}
