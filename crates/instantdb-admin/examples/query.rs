//! Queries: raw InstaQL JSON, the typed builder, results into your own structs, and a live
//! query that follows a write.
//!
//! `cargo run -p instantdb-admin --example query` (offline: it starts a local emulator).

mod common;

use futures_util::StreamExt;
use instantdb_admin::instaql::{Cond, InstaQl, Order, Select, Where};
use instantdb_admin::{id, tx};
use serde_json::json;

#[derive(Debug, serde::Deserialize)]
struct Goals {
    goals: Vec<Goal>,
}

#[derive(Debug, serde::Deserialize)]
struct Goal {
    title: String,
    #[serde(default)]
    todos: Vec<Todo>,
}

#[derive(Debug, serde::Deserialize)]
struct Todo {
    text: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::connect().await?;
    let db = &setup.db;

    let (goal, todo) = (id(), id());
    db.transact([
        tx("goals", &goal).update(json!({"title": "Get fit", "priority": 2})),
        tx("todos", &todo).update(json!({"text": "Run 5k"})),
        tx("goals", &goal).link(json!({"todos": todo})),
    ])
    .send()
    .await?;

    // JSON in, JSON out: the server's object tree, untouched.
    let tree = db.query(json!({"goals": {"todos": {}}})).send().await?;
    println!("raw: {tree}");

    // The typed builder refuses locally what the server would refuse (try `.offset(1)` on the
    // nested `todos`), and the result deserializes into your types.
    let query = InstaQl::new().namespace(
        "goals",
        Select::new()
            .filter(Where::new().cond("title", Cond::not("Nap")))
            .order("serverCreatedAt", Order::Desc)
            .link("todos", Select::new().fields(["text"])),
    );
    let goals: Goals = db.query(query).send_as().await?;
    for goal in &goals.goals {
        let todos: Vec<&str> = goal.todos.iter().map(|t| t.text.as_str()).collect();
        println!("{}: {todos:?}", goal.title);
    }

    // A live query: the first result, then a fresh one after each change.
    let mut live = db.subscribe_query(json!({"goals": {}})).send().await?;
    if let Some(first) = live.next().await {
        println!("live: {}", first?.data);
    }
    db.transact(tx("goals", id()).update(json!({"title": "Read more"})))
        .send()
        .await?;
    if let Some(update) = live.next().await {
        println!("live after a write: {}", update?.data);
    }
    Ok(())
}
