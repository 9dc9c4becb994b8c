//! Presence: who is in a room. An empty room is an empty map (the server answers
//! `sessions: null`).
//!
//! `cargo run -p instantdb-admin --example presence -- [ROOM_ID]` (offline: it starts a local
//! emulator, whose rooms are always empty; point `INSTANT_APP_ID`/`INSTANT_APP_ADMIN_TOKEN` at
//! a real app to see peers).

mod common;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::connect().await?;
    let room_id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "lobby".to_owned());
    let sessions = setup
        .db
        .rooms()
        .get_presence("chat", &room_id)
        .send()
        .await?;
    if sessions.is_empty() {
        println!("nobody in room {room_id}");
    }
    for (session_id, session) in &sessions {
        let who = session
            .user
            .as_ref()
            .and_then(|user| user.email.clone())
            .unwrap_or_else(|| "anonymous".to_owned());
        println!("{session_id}: {who} {}", session.data);
    }
    Ok(())
}
