//! Builds the README's todo schema with the `i` builder and prints its wire JSON: the exact
//! bytes `JSON.stringify(i.schema(...))` gives for the same schema in `@instantdb/core`.
//!
//! Run with `cargo run -p instantdb-schema --example todo_schema`.

use instantdb_schema::{Has, OnDelete, i};

fn main() {
    let schema = i::schema()
        .entities([
            (
                "$users",
                i::entity([("email", i::string().unique().indexed().optional())]),
            ),
            (
                "todos",
                i::entity([
                    ("text", i::string()),
                    ("done", i::boolean().optional()),
                    ("dueAt", i::date().indexed().optional()),
                ]),
            ),
        ])
        .links([(
            "todosOwner",
            i::link(
                i::forward("todos", Has::One, "owner").on_delete(OnDelete::Cascade),
                i::reverse("$users", Has::Many, "todos"),
            ),
        )]);
    println!("{}", schema.to_wire_json());
}
