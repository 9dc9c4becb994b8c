//! Shared fixtures.

use instantdb_admin::AdminClient;
use instantdb_http::Proxy;
use instantdb_test_support::ScriptedServer;

pub(crate) const APP_ID: &str = "5d1b7c2e-0c1f-4a9e-9d6b-2f8e4c3a1b00";
pub(crate) const ADMIN_TOKEN: &str = "a1d7e4c2-admin-token-secret";
pub(crate) const GOAL: &str = "11111111-1111-4111-8111-111111111111";

/// A client of `server` with the admin token.
pub(crate) fn admin(server: &ScriptedServer) -> AdminClient {
    builder(server).admin_token(ADMIN_TOKEN).build().unwrap()
}

/// A client of `server` configured by the caller.
pub(crate) fn builder(server: &ScriptedServer) -> instantdb_admin::AdminClientBuilder {
    AdminClient::builder(APP_ID)
        .api_uri(server.url())
        .proxy(Proxy::none())
}
