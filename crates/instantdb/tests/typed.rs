//! The typed API against the untyped one: the checked-in generated module of the example schema
//! (`examples/instant_schema.rs`) and the `schema!` macro's expansion of the same file compile
//! without warnings, and every typed query and transaction builds exactly the JSON of the
//! untyped call written by hand.

#![cfg(feature = "macros")]
#![deny(warnings)]

use instantdb::admin::instaql::{Cond, InstaQl, Order, Select, Where};
use instantdb::admin::typed::{self, Timestamp};
use instantdb::admin::{TransactionChunk, lookup, tx};
use serde_json::{Value, json};

// Unused generated items, and `unreachable_pub` (a lint of this workspace, not a default).
#[allow(dead_code, unreachable_pub)]
#[path = "../../../examples/instant_schema.rs"]
mod generated;

// Unused generated items, and `unreachable_pub` (a lint of this workspace, not a default).
#[allow(dead_code, unreachable_pub)]
mod expanded {
    instantdb::schema!("../../examples/instant.schema.ts");
}

/// The same body, whichever module built it.
fn query_json(query: impl Into<InstaQl>) -> Value {
    query.into().build().expect("the query builds")
}

fn steps(chunk: impl Into<TransactionChunk>) -> Value {
    Value::Array(chunk.into().steps().expect("the chunk is valid"))
}

#[test]
fn typed_queries_build_the_untyped_json() {
    use generated::{Todo, profiles, todos};
    let typed = Todo::query()
        .where_(
            todos::text
                .eq("ship")
                .and(todos::priority.gt(2))
                .and(todos::owner.dot(profiles::display_name).eq("Alyssa")),
        )
        .order(todos::created_at.desc())
        .limit(10)
        .with_select(
            todos::owner,
            generated::Profile::query().field(profiles::bio),
        );
    let untyped = InstaQl::new().namespace(
        "todos",
        Select::new()
            .filter(
                Where::new()
                    .eq("text", "ship")
                    .cond("priority", Cond::gt(2))
                    .eq("owner.displayName", "Alyssa"),
            )
            .order("createdAt", Order::Desc)
            .limit(10)
            .link("owner", Select::new().fields(["bio"])),
    );
    assert_eq!(query_json(typed), query_json(untyped));

    let when = Timestamp::from_millis(1_706_933_106_789);
    let typed = Todo::query()
        .where_(typed::or([
            todos::created_at.lte(when),
            todos::done.eq(true),
            todos::tags.is_null(true),
        ]))
        .first(5)
        .after(json!(["e", "a", "v", 1]));
    let untyped = json!({"todos": {"$": {
        "where": {"or": [
            {"createdAt": {"$lte": "2024-02-03T04:05:06.789Z"}},
            {"done": true},
            {"tags": {"$isNull": true}}
        ]},
        "first": 5,
        "after": ["e", "a", "v", 1]
    }}});
    assert_eq!(query_json(typed), untyped);

    // The macro's expansion is the same code.
    let from_macro = expanded::User::query().where_(expanded::users::email.like("%a%"));
    let from_file = generated::User::query().where_(generated::users::email.like("%a%"));
    assert_eq!(query_json(from_macro), query_json(from_file));
}

#[test]
fn typed_transactions_build_the_untyped_steps() {
    use generated::{NewTodo, Profile, ProfileId, Todo, TodoId, TodoUpdate, User, todos, users};
    let todo = TodoId::from_string("7b4a8e2c-3d7f-4b8a-9c1e-2f3a4b5c6d7e");
    let owner = ProfileId::from_string("0c9d8e7f-6a5b-4c3d-8e1f-0a1b2c3d4e5f");
    let created = Timestamp::from_millis(0);
    let typed = Todo::tx(&todo)
        .create(&NewTodo {
            created_at: created,
            done: false,
            priority: None,
            tags: Some(json!(["a"])),
            text: "Ship it".to_owned(),
        })
        .link(todos::owner, &owner)
        .update(&TodoUpdate {
            priority: Some(None),
            done: Some(true),
            ..Default::default()
        })
        .unlink(todos::owner, owner.clone());
    let untyped = tx("todos", todo.as_str())
        .create(json!({"createdAt": "1970-01-01T00:00:00.000Z", "done": false, "tags": ["a"], "text": "Ship it"}))
        .link(json!({"owner": owner.as_str()}))
        .update(json!({"done": true, "priority": null}))
        .unlink(json!({"owner": owner.as_str()}));
    assert_eq!(steps(typed), steps(untyped));

    // Lookups, in the id slot and as link values; has-many links; delete.
    let by_email = typed::lookup(users::email, "alyssa@example.com");
    let typed = Profile::tx(&owner)
        .link(generated::profiles::user, by_email)
        .link_many(generated::profiles::todos, [&todo, &todo]);
    let untyped = tx("profiles", owner.as_str())
        .link(json!({"user": lookup("email", "alyssa@example.com")}))
        .link(json!({"todos": [todo.as_str(), todo.as_str()]}));
    assert_eq!(steps(typed), steps(untyped));
    let typed = User::tx(typed::lookup(users::email, "alyssa@example.com")).delete();
    let untyped = tx("$users", lookup("email", "alyssa@example.com")).delete();
    assert_eq!(steps(typed), steps(untyped));
}
