//! Shared by the examples: a client for `INSTANT_API_URI` + `INSTANT_PLATFORM_TOKEN` when both
//! are set, else for a local emulator started in-process (nothing leaves the machine).

use instantdb_emulator::Emulator;
use instantdb_platform::{AppId, PlatformClient};

/// The client, and the emulator to keep alive while it is used (if one was started).
pub(crate) async fn connect()
-> Result<(PlatformClient, Option<Emulator>), Box<dyn std::error::Error>> {
    if let (Ok(api_uri), Ok(token)) = (
        std::env::var("INSTANT_API_URI"),
        std::env::var("INSTANT_PLATFORM_TOKEN"),
    ) {
        let api = PlatformClient::builder()
            .api_uri(api_uri)
            .token(token)
            .build()?;
        return Ok((api, None));
    }
    let emulator = Emulator::builder().start().await?;
    eprintln!(
        "(no INSTANT_API_URI/INSTANT_PLATFORM_TOKEN: using a local emulator at {})",
        emulator.base_url()
    );
    let api = PlatformClient::builder()
        .api_uri(emulator.base_url())
        .token(emulator.platform_token())
        .build()?;
    Ok((api, Some(emulator)))
}

/// The app to work on: `INSTANT_APP_ID`, else a new app created for the example.
#[allow(dead_code)]
pub(crate) async fn app_id(api: &PlatformClient) -> Result<AppId, Box<dyn std::error::Error>> {
    if let Ok(app_id) = std::env::var("INSTANT_APP_ID") {
        return Ok(app_id.into());
    }
    let schema = instantdb_schema::i::schema().entities([(
        "todos",
        instantdb_schema::i::entity([("title", instantdb_schema::i::string())]),
    )]);
    let app = api.create_app("Example app").schema(&schema).send().await?;
    Ok(app.id)
}
