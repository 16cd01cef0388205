// The library of a package that also builds a binary is that program's own library (split off
// to be tested, or shared by its binaries). A function of it that the binary calls only while
// nothing else runs runs alone too; one no code of the package calls stays in the default form
// (other crates may call it, on their hot paths).
pub async fn export(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(path) //~ blocking_in_async(pedantic)
}

pub async fn export_all(paths: &[&str]) -> std::io::Result<usize> {
    let mut total = 0;
    for path in paths {
        total += std::fs::read(path)?.len(); //~ blocking_in_async(pedantic)
    }
    Ok(total)
}
