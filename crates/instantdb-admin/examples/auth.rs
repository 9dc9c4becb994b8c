//! Auth: refresh tokens, magic codes, looking users up (a missing user is `None`), verifying a
//! token without the admin token, impersonation, signing out and deleting.
//!
//! `cargo run -p instantdb-admin --example auth` (offline: it starts a local emulator).

mod common;

use instantdb_admin::{Impersonate, UserRef, id, tx};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::connect().await?;
    let db = &setup.db;
    let auth = db.auth();

    let token = auth
        .create_token(UserRef::email("alyssa@example.com"))
        .send()
        .await?;
    let user = auth.verify_token(token.clone()).send().await?;
    println!(
        "token for {:?} (id {}); the token prints as {token}",
        user.email, user.id
    );

    // Magic codes: generate one for your own email flow, then check it.
    let code = auth.generate_magic_code("ben@example.com").send().await?;
    let signed_in = auth
        .verify_magic_code("ben@example.com", &code)
        .send()
        .await?;
    println!("ben signed in, created: {}", signed_in.created);

    let nobody = auth
        .get_user(UserRef::email("nobody@example.com"))
        .send()
        .await?;
    println!("missing user: {nobody:?}");

    // Acting as a user: the permission rules apply (none are set here, so everything is open).
    db.transact(tx("notes", id()).update(json!({"text": "hello"})))
        .send()
        .await?;
    let as_alyssa = db.as_user(Impersonate::Token(token.clone()));
    println!(
        "as alyssa: {}",
        as_alyssa.query(json!({"notes": {}})).send().await?
    );

    auth.sign_out(UserRef::refresh_token(token.clone()))
        .send()
        .await?;
    match auth.verify_token(token).send().await {
        Ok(_) => println!("unexpected: the token still works"),
        Err(err) => println!("after sign-out: {err}"),
    }
    let deleted = auth.delete_user(UserRef::id(user.id)).send().await?;
    println!("deleted: {:?}", deleted.map(|u| u.email));
    Ok(())
}
