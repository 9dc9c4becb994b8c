//! Plan: what a schema push would do, additive and with overwrite and renames (the README's
//! `planSchemaPush`).
//!
//! `cargo run -p instantdb-platform --example plan`

mod common;

use instantdb_schema::i;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, _emulator) = common::connect().await?;
    let app_id = common::app_id(&api).await?;
    let schema = i::schema().entities([(
        "todos",
        i::entity([
            ("name", i::string().indexed()),
            ("done", i::boolean()),
            ("completedAt", i::date().optional()),
        ]),
    )]);

    println!("additive (the server plans; nothing is deleted or renamed):");
    for step in api.plan_schema_push(&app_id, &schema).send().await?.steps {
        println!("  {}", step.friendly_description);
    }

    println!("overwrite, renaming todos.title to todos.name:");
    let plan = api
        .plan_schema_push(&app_id, &schema)
        .overwrite(true)
        .renames(["todos.title:todos.name"])
        .send()
        .await?;
    for step in plan.steps {
        println!("  {}", step.friendly_description);
    }
    Ok(())
}
