//! Transactions: create, update with and without upsert, merge, link with ids and lookups,
//! rule params, delete; many chunks in one atomic request.
//!
//! `cargo run -p instantdb-admin --example transact` (offline: it starts a local emulator).

mod common;

use instantdb_admin::{UpdateOpts, id, lookup, tx};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::connect().await?;
    let db = &setup.db;

    let project = id();
    // A lookup in the id slot: "the user whose email is …" (created if missing, with `email`
    // as a unique attribute).
    let owner = lookup("email", "alyssa@example.com");
    let tx_id = db
        .transact([
            tx("projects", &project).create(json!({"name": "Rocket", "meta": {"stage": "idea"}})),
            tx("owners", owner.clone()).update(json!({"name": "Alyssa"})),
            // In a link value the same lookup travels as `lookup__email__"alyssa@example.com"`.
            // With no schema pushed, the server creates the link on the fly and names the
            // other end's namespace after the label, hence `owners` on both sides.
            tx("projects", &project).link(json!({"owners": owner})),
        ])
        .send()
        .await?;
    println!("committed tx {}", tx_id.get());

    // Merge deep-merges objects; `update_with(.., upsert(false))` fails on a missing entity.
    db.transact(tx("projects", &project).merge(json!({"meta": {"budget": 1000}})))
        .send()
        .await?;
    match db
        .transact(
            tx("projects", id()).update_with(json!({"name": "Ghost"}), UpdateOpts::upsert(false)),
        )
        .send()
        .await
    {
        Ok(_) => println!("unexpected: the missing project was updated"),
        Err(err) => println!("refused as expected: {err}"),
    }

    let result = db.query(json!({"projects": {"owners": {}}})).send().await?;
    println!("{}", serde_json::to_string_pretty(&result)?);

    // The steps a transaction sends, without sending it.
    let steps = db
        .transact(
            tx("projects", &project)
                .rule_params(json!({"reason": "cleanup"}))
                .delete(),
        )
        .steps()?;
    println!("steps: {}", serde_json::Value::Array(steps));
    db.transact(tx("projects", &project).delete())
        .send()
        .await?;
    Ok(())
}
