//! The generated module for the repository's example schema (the README's todo app), as a
//! checked-in snapshot: `UPDATE_EXPECT=1 cargo test -p instantdb-rustgen` refreshes it after a
//! deliberate change, and the diff shows what users will see.

use instantdb_rustgen::{Options, generate};

#[test]
fn todo_schema_module() {
    let source = include_str!("../../../examples/instant.schema.ts");
    let schema = instantdb_typescript::parse_schema_typescript_file(source, "instant.schema.ts")
        .expect("the example schema parses");
    let module = generate(&schema, &Options::default());
    expect_test::expect_file!["../../../examples/instant_schema.rs"].assert_eq(&module);
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
