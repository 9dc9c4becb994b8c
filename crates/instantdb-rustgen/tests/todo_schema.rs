//! The generated module for the repository's example schema (the README's todo app), as a
//! checked-in snapshot: `UPDATE_EXPECT=1 cargo test -p instantdb-rustgen` refreshes it after a
//! deliberate change, and the diff shows what users will see.
//!
//! The input is the wire JSON of `examples/instant.schema.ts` (`instant parse schema`), so this
//! crate's tests need no TypeScript parser; the CLI's `codegen_rust` test checks that the
//! TypeScript file gives the same module.

use instantdb_rustgen::{Options, generate};
use instantdb_schema::SchemaDef;

fn todo_schema() -> SchemaDef {
    SchemaDef::from_wire_json(include_str!("todo.schema.json")).expect("the example schema reads")
}

#[test]
fn todo_schema_module() {
    let module = generate(&todo_schema(), &Options::default());
    expect_test::expect_file!["../../../examples/instant_schema.rs"].assert_eq(&module);
}

/// The module the compile-fail tests (`tests/ui`) use: the same schema for `instantdb-admin`
/// alone, without the facade.
#[test]
fn ui_schema_module() {
    let options = Options {
        runtime: "::instantdb_admin::typed".to_owned(),
        file_header: false,
        ..Options::default()
    };
    let module = generate(&todo_schema(), &options);
    expect_test::expect_file!["ui/schema/todo.rs"].assert_eq(&module);
}

/// The issue promises a module `cargo fmt` leaves alone: run rustfmt on the snapshot.
#[test]
fn generated_module_is_rustfmt_clean() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/instant_schema.rs"
    );
    let output = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--check", path])
        .output()
        .expect("rustfmt runs (it ships with the toolchain, as `cargo fmt` needs it)");
    assert!(
        output.status.success(),
        "rustfmt would change the generated module:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
