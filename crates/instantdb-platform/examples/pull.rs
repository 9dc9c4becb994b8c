//! Pull: write an app's `instant.schema.ts` and `instant.perms.ts` (the README's `getSchema`
//! and `getPerms` with the generators, through `instantdb-typescript`), then read the schema
//! file back.
//!
//! `cargo run -p instantdb-platform --example pull [-- <directory>]` (default: a temporary
//! directory).

mod common;

use instantdb_typescript::{
    Style, generate_perms_file, generate_schema_file, parse_schema_typescript_file,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, _emulator) = common::connect().await?;
    let app_id = common::app_id(&api).await?;
    let temp = tempfile::tempdir()?;
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| temp.path().to_path_buf(), Into::into);

    let schema = api.get_schema(&app_id).send().await?;
    let perms = api.get_perms(&app_id).send().await?;
    // What `instant-cli pull` writes: prettier-formatted files.
    let schema_ts = generate_schema_file(None, &schema.schema, "@instantdb/react", Style::Prettier);
    let perms_ts = generate_perms_file(perms.as_ref(), "@instantdb/react", Style::Prettier);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("instant.schema.ts"), &schema_ts)?;
    std::fs::write(dir.join("instant.perms.ts"), &perms_ts)?;
    println!(
        "wrote {}:\n{schema_ts}",
        dir.join("instant.schema.ts").display()
    );
    println!(
        "wrote {}:\n{perms_ts}",
        dir.join("instant.perms.ts").display()
    );

    let recovered = parse_schema_typescript_file(&schema_ts, "instant.schema.ts")?;
    println!("read back {} entities", recovered.entities.len());
    Ok(())
}
