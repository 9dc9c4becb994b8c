//! Shared set-up of the examples: a real app when `INSTANT_APP_ID` and
//! `INSTANT_APP_ADMIN_TOKEN` are set (and `INSTANT_API_URI` for a self-hosted server), otherwise
//! a fresh app on an in-process emulator, so every example runs offline with no account.

use instantdb_admin::AdminClient;
use instantdb_emulator::Emulator;

/// The client, and the emulator to keep alive while it is used (when one was started).
pub(crate) struct Setup {
    pub(crate) db: AdminClient,
    pub(crate) _emulator: Option<Emulator>,
}

pub(crate) async fn connect() -> Result<Setup, Box<dyn std::error::Error>> {
    if let (Ok(app_id), Ok(token)) = (
        std::env::var("INSTANT_APP_ID"),
        std::env::var("INSTANT_APP_ADMIN_TOKEN"),
    ) {
        let mut builder = AdminClient::builder(&app_id).admin_token(token);
        if let Ok(api_uri) = std::env::var("INSTANT_API_URI") {
            builder = builder.api_uri(api_uri);
        }
        return Ok(Setup {
            db: builder.build()?,
            _emulator: None,
        });
    }
    let emulator = Emulator::builder().start().await?;
    let app = emulator.create_app("instantdb-admin example")?;
    println!("(using a local emulator at {})", emulator.base_url());
    let db = AdminClient::builder(&app.app_id)
        .admin_token(app.admin_token())
        .api_uri(emulator.base_url())
        .build()?;
    Ok(Setup {
        db,
        _emulator: Some(emulator),
    })
}
