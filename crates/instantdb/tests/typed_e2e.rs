//! Runs `examples/typed_todos.rs` against the in-process emulator, so CI exercises the typed
//! API end to end: create an app from the schema, transact, query with nested links.

#![cfg(all(
    feature = "macros",
    feature = "emulator",
    feature = "platform",
    feature = "typescript"
))]

#[allow(dead_code)]
#[path = "../../../examples/typed_todos.rs"]
mod example;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_todos_example_runs() {
    let lines = example::run().await.unwrap();
    assert!(lines[0].starts_with("created app "), "{lines:?}");
    assert_eq!(
        lines[1..],
        [
            "wrote 1 profile and 3 todos",
            "open: Ship it (priority Some(2.0), owner Alyssa)",
            "open: Generate Rust (priority Some(1.0), owner Alyssa)",
            "Alyssa finished: Ship it, Write the schema",
            "2 todos are done or named \"Ship it\"",
        ]
    );
}
