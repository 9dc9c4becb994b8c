//! Connect: build a client, check the token, list the user's orgs.
//!
//! `cargo run -p instantdb-platform --example connect`

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, _emulator) = common::connect().await?;
    println!("connected to {} ({api:?})", api.api_uri());
    // Only OAuth access tokens (`pat_…`) have token info; other tokens get an error.
    match api.token_info().await {
        Ok(info) => println!(
            "OAuth token with scopes `{}`, expires {:?}",
            info.scopes, info.expires_at
        ),
        Err(err) => println!("not an OAuth access token: {err}"),
    }
    for org in api.get_orgs().send().await? {
        println!("org {} {}", org.id, org.title);
    }
    Ok(())
}
