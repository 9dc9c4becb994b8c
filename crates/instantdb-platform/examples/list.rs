//! List: every app with its schema and rules (the README's `getApps` and `getApp`).
//!
//! `cargo run -p instantdb-platform --example list`

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, _emulator) = common::connect().await?;
    common::app_id(&api).await?;
    let apps = api
        .get_apps()
        .include_schema(true)
        .include_perms(true)
        .send()
        .await?;
    for app in &apps {
        let entities: Vec<&String> = app
            .schema
            .as_ref()
            .map(|schema| schema.schema.entities.keys().collect())
            .unwrap_or_default();
        println!(
            "{} {:?} created {} entities {:?} rules {}",
            app.id,
            app.title,
            humantime::format_rfc3339_seconds(app.created_at),
            entities,
            app.perms
                .as_ref()
                .map_or("none".to_owned(), |perms| perms.to_json()),
        );
    }
    if let Some(first) = apps.first() {
        let app = api.get_app(&first.id).include_schema(true).send().await?;
        println!(
            "first app has {} attributes",
            app.schema.map_or(0, |s| s.attrs().len())
        );
    }
    Ok(())
}
