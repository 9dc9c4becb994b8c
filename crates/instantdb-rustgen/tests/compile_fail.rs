//! Misuse of the typed API does not compile, and the compiler says why: each file in `tests/ui`
//! is one mistake, its `.stderr` the message users see (`TRYBUILD=overwrite` refreshes them).
//! Kept to a few small files: each costs a compiler run, and the first builds `instantdb-admin`.

#[test]
fn typed_api_misuse_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
