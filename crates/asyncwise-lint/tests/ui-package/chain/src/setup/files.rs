pub fn copy_files(root: &str) {
    let from = format!("{root}/a");
    std::fs::copy(from, format!("{root}/b")).ok();
}
