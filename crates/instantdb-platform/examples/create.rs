//! Create: an app with a schema and permission rules (the README's `createApp`), then
//! `updateApp`, `pushPerms` and `deleteApp`.
//!
//! `cargo run -p instantdb-platform --example create`

mod common;

use instantdb_schema::perms::Rules;
use instantdb_schema::{Has, i};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, _emulator) = common::connect().await?;
    let schema = i::schema()
        .entities([
            (
                "todos",
                i::entity([
                    ("title", i::string()),
                    ("done", i::boolean()),
                    ("creatorId", i::string().indexed()),
                ]),
            ),
            ("$users", i::entity([])),
        ])
        .links([(
            "todosCreator",
            i::link(
                i::forward("todos", Has::One, "creator"),
                i::reverse("$users", Has::Many, "todos"),
            ),
        )]);
    let perms = Rules::from_json(
        r#"{
          "$default": {"allow": {"$default": "false"}},
          "todos": {
            "allow": {"view": "true", "create": "isOwner", "update": "isOwner", "delete": "isOwner"},
            "bind": {"isOwner": "auth.id != null && auth.id == data.creatorId"}
          }
        }"#,
    )?;
    let app = api
        .create_app("Todo app")
        .schema(&schema)
        .perms(&perms)
        .send()
        .await?;
    println!(
        "created {} ({}), admin token received: {}",
        app.id,
        app.title,
        app.admin_token.is_some()
    );

    let app = api.update_app(&app.id, "Todo app (renamed)").send().await?;
    println!("renamed to {:?}", app.title);

    let open = Rules::from_json(r#"{"todos": {"allow": {"$default": "true"}}}"#)?;
    let stored = api.push_perms(&app.id, &open).send().await?;
    println!("rules now {}", stored.to_json());

    let deleted = api.delete_app(&app.id).send().await?;
    println!("deleted {}", deleted.id);
    Ok(())
}
