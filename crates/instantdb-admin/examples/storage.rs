//! Storage: uploads from memory, a file and an `AsyncRead`, all streamed with an exact
//! `content-length`; listing through `$files`; a download URL; deleting.
//!
//! `cargo run -p instantdb-admin --example storage` (offline: it starts a local emulator).

mod common;

use instantdb_admin::UploadBody;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::connect().await?;
    let storage = setup.db.storage();

    let from_memory = storage
        .upload_file("notes/hello.txt", "hello world")
        .content_type("text/plain")
        .send()
        .await?;
    println!("uploaded {} ({:?} bytes)", from_memory.id, from_memory.size);

    let path = std::env::temp_dir().join("instantdb-admin-example.csv");
    std::fs::write(&path, "a,b\n1,2\n")?;
    storage
        .upload_file("data/table.csv", UploadBody::file(&path))
        .content_type("text/csv")
        .content_disposition("attachment; filename=\"table.csv\"")
        .send()
        .await?;
    std::fs::remove_file(&path)?;

    let reader = tokio::io::repeat(b'x');
    let limited = tokio::io::AsyncReadExt::take(reader, 4096);
    storage
        .upload_file("data/xs.bin", UploadBody::reader(limited, 4096))
        .send()
        .await?;

    for file in storage.list_files().send().await? {
        println!(
            "{} {:?} bytes, {:?}",
            file.path, file.size, file.content_type
        );
    }
    println!(
        "download: {:?}",
        storage.download_url("notes/hello.txt").send().await?
    );

    storage.delete_file("notes/hello.txt").send().await?;
    let ids = storage
        .delete_files(["data/table.csv", "data/xs.bin"])
        .send()
        .await?;
    println!("deleted {} more", ids.len());
    Ok(())
}
