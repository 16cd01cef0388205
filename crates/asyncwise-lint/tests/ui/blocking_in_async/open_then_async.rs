// One open per request whose file is then read by an async reader: the handle is adopted by
// tokio (`File::from_std`) or streamed by actix-files (`NamedFile::from_file`), so the only
// blocking work on the executor is the open syscall, like a `stat`: the pedantic form. An
// open whose file is then read on the executor, or handed to anything else, stays default.
use std::io::Read;

#[actix_web::get("/files/{name}")]
async fn download(name: actix_web::web::Path<String>) -> std::io::Result<actix_files::NamedFile> {
    let file = std::fs::File::open(name.as_str())?; //~ blocking_in_async(pedantic)
    actix_files::NamedFile::from_file(file, name.as_str())
}

#[actix_web::get("/raw/{name}")]
async fn raw(name: actix_web::web::Path<String>) -> std::io::Result<Vec<u8>> {
    let std_file = std::fs::File::open(name.as_str())?; //~ blocking_in_async(pedantic)
    let mut file = tokio::fs::File::from_std(std_file.into());
    let mut bytes = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut file, &mut bytes).await?;
    Ok(bytes)
}

#[actix_web::get("/read/{name}")]
async fn read_here(name: actix_web::web::Path<String>) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(name.as_str())?; //~ blocking_in_async
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?; //~ blocking_in_async
    Ok(bytes)
}

#[actix_web::get("/other/{name}")]
async fn handed_elsewhere(name: actix_web::web::Path<String>) -> std::io::Result<usize> {
    let file = std::fs::File::open(name.as_str())?; //~ blocking_in_async
    let other = std::fs::File::open("other")?; //~ blocking_in_async(pedantic)
    let _ = tokio::fs::File::from_std(other);
    Ok(size_of_file(file))
}

fn size_of_file(_file: std::fs::File) -> usize {
    0
}
