//! The dashboard routes of `instant-cli`: the ticket login and what its token reaches.

use std::time::Duration;

use instantdb_emulator::Emulator;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Client, Platform, emulator, uuid};

/// `POST /dash/cli/auth/register` → (secret, ticket).
async fn register(client: &mut Client) -> (String, Uuid) {
    let body = client
        .json("POST", "/dash/cli/auth/register", &[], &json!({}))
        .await
        .ok();
    let secret = body["secret"].as_str().unwrap().to_owned();
    let ticket = Uuid::parse_str(body["ticket"].as_str().unwrap()).unwrap();
    assert_ne!(secret, ticket.to_string());
    (secret, ticket)
}

async fn check(client: &mut Client, secret: &str) -> crate::support::Reply {
    client
        .json(
            "POST",
            "/dash/cli/auth/check",
            &[],
            &json!({ "secret": secret }),
        )
        .await
}

/// The `issue` of a failed check, asserting the validation envelope around it.
#[track_caller]
fn issue(body: &Value) -> &str {
    assert_eq!(body["hint"]["data-type"], "instant-cli-login", "{body}");
    body["hint"]["errors"][0]["issue"].as_str().unwrap()
}

#[tokio::test]
async fn ticket_login_waits_for_approval_then_hands_out_a_dashboard_token_once() {
    let emu = emulator().await;
    let mut cli = Client::new(emu.base_url());
    let (secret, ticket) = register(&mut cli).await;

    let waiting = check(&mut cli, &secret).await.err(400, "validation-failed");
    assert_eq!(issue(&waiting), "waiting-for-user");
    assert_eq!(
        waiting["message"],
        "Validation failed for instant-cli-login: Waiting for a user to accept this request"
    );
    assert_eq!(waiting["hint"]["input"], json!(ticket));

    emu.approve_cli_login(ticket).unwrap();
    let done = check(&mut cli, &secret).await.ok();
    assert_eq!(done["email"], "dev@localhost");
    let token = done["token"].as_str().unwrap().to_owned();
    Uuid::parse_str(&token).unwrap();

    // The secret is single use.
    let again = check(&mut cli, &secret).await.err(400, "validation-failed");
    assert_eq!(issue(&again), "user-already-claimed");

    // The token is a dashboard token: `/dash` routes and app routes with a role check take it,
    // user-level platform routes do not (as upstream).
    let mut user = Platform::new(emu.base_url(), &token);
    assert_eq!(
        user.call("GET", "/dash/me", None).await.ok()["user"]["email"],
        "dev@localhost"
    );
    let app = emu.create_app("cli").unwrap();
    let home = user.call("GET", "/dash", None).await.ok();
    assert_eq!(home["user"]["email"], "dev@localhost");
    assert_eq!(home["apps"][0]["id"], json!(app.app_id));
    assert_eq!(home["apps"][0]["user_app_role"], "owner");
    let pulled = user
        .call(
            "GET",
            &format!("/dash/apps/{}/schema/pull", app.app_id),
            None,
        )
        .await
        .ok();
    assert_eq!(pulled["app-title"], "cli");
    user.call("GET", &format!("/dash/apps/{}", app.app_id), None)
        .await
        .ok();
    let body = user
        .call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-not-found");
    assert_eq!(body["hint"]["record-type"], "instant-user");

    // Another user's token reaches none of this app.
    let stranger = emu.create_platform_user("other@localhost").unwrap();
    Platform::new(emu.base_url(), &stranger)
        .call("GET", "/dash/me", None)
        .await
        .err(401, "record-not-found");
    let unknown = uuid();
    let body = Platform::new(emu.base_url(), &unknown)
        .call(
            "GET",
            &format!("/dash/apps/{}/schema/pull", app.app_id),
            None,
        )
        .await
        .err(401, "record-not-found");
    assert_eq!(body["hint"]["args"][0]["auth?"], true);
}

#[tokio::test]
async fn denied_expired_unknown_and_malformed_logins() {
    let emu = Emulator::builder()
        .cli_login_ttl(Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let mut cli = Client::new(emu.base_url());

    let (secret, ticket) = register(&mut cli).await;
    emu.deny_cli_login(ticket).unwrap();
    let body = check(&mut cli, &secret).await.err(400, "validation-failed");
    assert_eq!(issue(&body), "user-voided-request");
    assert_eq!(
        body["hint"]["errors"][0]["message"],
        "This request has been denied"
    );

    let (secret, ticket) = register(&mut cli).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    emu.approve_cli_login(ticket).unwrap();
    let body = check(&mut cli, &secret).await.err(400, "record-expired");
    assert_eq!(body["message"], "Record expired: instant-cli-login");
    assert_eq!(body["hint"]["args"], json!([ticket]));

    let body = check(&mut cli, &uuid()).await.err(400, "record-not-found");
    assert_eq!(body["hint"]["record-type"], "instant-cli-login");
    check(&mut cli, "not-a-uuid")
        .await
        .err(400, "param-malformed");
    cli.json("POST", "/dash/cli/auth/check", &[], &json!({}))
        .await
        .err(400, "param-missing");
    assert!(emu.approve_cli_login(Uuid::new_v4()).is_err());
    assert_eq!(
        cli.get("/dash/cli/version", &[]).await.ok(),
        json!({ "min-version": "v0.19.0" })
    );
}

#[tokio::test]
async fn auto_approval_and_the_dashboard_claim_and_void_routes() {
    let emu = Emulator::builder()
        .auto_approve_cli_login(true)
        .start()
        .await
        .unwrap();
    let mut cli = Client::new(emu.base_url());
    let (secret, _) = register(&mut cli).await;
    let token = check(&mut cli, &secret).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // A logged-in dashboard user claims or voids tickets over HTTP, as Instant's dashboard does.
    let auth = format!("Bearer {token}");
    let (secret, ticket) = register(&mut cli).await;
    let claimed = cli
        .json(
            "POST",
            "/dash/cli/auth/claim",
            &[("authorization", &auth)],
            &json!({ "ticket": ticket }),
        )
        .await
        .ok();
    assert_eq!(claimed, json!({ "ticket": ticket }));
    check(&mut cli, &secret).await.ok();
    let (secret, ticket) = register(&mut cli).await;
    let voided = cli
        .json(
            "POST",
            "/dash/cli/auth/void",
            &[("authorization", &auth)],
            &json!({ "ticket": ticket }),
        )
        .await;
    assert_eq!(voided.ok(), json!({}));
    // Auto-approval had already claimed it: voiding marks it used, so it is "already claimed".
    let body = check(&mut cli, &secret).await.err(400, "validation-failed");
    assert_eq!(issue(&body), "user-already-claimed");
    cli.json(
        "POST",
        "/dash/cli/auth/claim",
        &[("authorization", &format!("Bearer {}", emu.platform_token()))],
        &json!({ "ticket": ticket }),
    )
    .await
    .err(401, "record-not-found");

    // `instant-cli init-without-files`: the client picks the app id and admin token.
    let mut user = Platform::new(emu.base_url(), &token);
    let (id, admin_token) = (uuid(), uuid());
    let created = user
        .call(
            "POST",
            "/dash/apps",
            Some(json!({
                "id": id,
                "title": "from the cli",
                "admin_token": admin_token,
                "rules": { "code": { "todos": { "allow": { "view": "true" } } } },
            })),
        )
        .await
        .ok();
    assert_eq!(created["app"]["id"], json!(id));
    // `app-model/create!` answers the row with the token (`model/app.clj` line 83), which
    // `instant-cli init-without-files` prints.
    assert_eq!(created["app"]["admin-token"], json!(admin_token));
    let mut admin = Platform::new(emu.base_url(), &admin_token);
    let perms = admin
        .call("GET", &format!("/dash/apps/{id}/perms/pull"), None)
        .await
        .ok();
    assert_eq!(perms["perms"]["todos"]["allow"]["view"], "true");
    user.call(
        "POST",
        "/dash/apps",
        Some(json!({ "id": id, "title": "again", "admin_token": uuid() })),
    )
    .await
    .err(400, "record-not-unique");
    let deleted = user
        .call("DELETE", &format!("/dash/apps/{id}"), None)
        .await
        .ok();
    assert!(deleted["app"]["deletion_marked_at"].is_string());
    assert!(
        user.call("GET", "/dash", None).await.ok()["apps"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_logged_in_user_claims_a_temporary_app_with_its_admin_token() {
    let emu = Emulator::builder()
        .auto_approve_cli_login(true)
        .start()
        .await
        .unwrap();
    let mut cli = Client::new(emu.base_url());
    let (secret, _) = register(&mut cli).await;
    let token = check(&mut cli, &secret).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let temp = cli
        .json(
            "POST",
            "/dash/apps/ephemeral",
            &[],
            &json!({ "title": "tmp" }),
        )
        .await
        .ok();
    let app_id = temp["app"]["id"].as_str().unwrap().to_owned();
    let admin_token = temp["app"]["admin-token"].as_str().unwrap().to_owned();
    let mut user = Platform::new(emu.base_url(), &token);
    let path = format!("/dash/apps/ephemeral/{app_id}/claim");
    user.call(
        "POST",
        &path,
        Some(json!({ "app_id": app_id, "token": uuid() })),
    )
    .await
    .err(400, "record-not-found");
    let claimed = user
        .call(
            "POST",
            &path,
            Some(json!({ "app_id": app_id, "token": admin_token })),
        )
        .await
        .ok();
    assert_eq!(claimed, json!({}));
    let home = user.call("GET", "/dash", None).await.ok();
    assert_eq!(home["apps"][0]["id"], json!(app_id));
    // Claimed once, it is an ordinary app: no longer temporary, not claimable again.
    cli.get(&format!("/dash/apps/ephemeral/{app_id}"), &[])
        .await
        .err(400, "permission-denied");
    user.call(
        "POST",
        &path,
        Some(json!({ "app_id": app_id, "token": admin_token })),
    )
    .await
    .err(400, "permission-denied");
}

/// The `/dash/apps/:app_id/auth` family (`dash/routes.clj` lines 720–855) that
/// `instant-cli auth origin|client` drive.
#[tokio::test]
async fn app_auth_origins_providers_and_clients() {
    let emu = emulator().await;
    let mut user = Platform::new(emu.base_url(), emu.platform_token());
    let app = emu.create_app("auth").unwrap();
    let base = format!("/dash/apps/{}", app.app_id);
    let empty = user.call("GET", &format!("{base}/auth"), None).await.ok();
    assert_eq!(empty["authorized_redirect_origins"], Value::Null);
    assert_eq!(empty["oauth_clients"], json!([]));

    let origin = user
        .call(
            "POST",
            &format!("{base}/authorized_redirect_origins"),
            Some(json!({ "service": "generic", "params": ["example.com"] })),
        )
        .await
        .ok();
    let origin_id = origin["origin"]["id"].as_str().unwrap().to_owned();
    let bad = user
        .call(
            "POST",
            &format!("{base}/authorized_redirect_origins"),
            Some(json!({ "service": "netlify", "params": [] })),
        )
        .await
        .err(400, "validation-failed");
    assert_eq!(
        bad["hint"]["errors"],
        json!(["Netlify should have only the site name param."])
    );
    assert_eq!(bad["message"], "Validation failed for origin-request");

    let provider = user
        .call(
            "POST",
            &format!("{base}/oauth_service_providers"),
            Some(json!({ "provider_name": "github" })),
        )
        .await
        .ok();
    let provider_id = provider["provider"]["id"].clone();
    // GitHub needs no discovery endpoint (`oauth-clients-post`).
    let client = user
        .call(
            "POST",
            &format!("{base}/oauth_clients"),
            Some(json!({
                "provider_id": provider_id, "client_name": "github",
                "client_id": "abc", "client_secret": "secret-value",
            })),
        )
        .await
        .ok();
    assert_eq!(client["client"]["client_id"], "abc");
    assert!(!client.to_string().contains("secret-value"));
    let listed = user.call("GET", &format!("{base}/auth"), None).await.ok();
    assert_eq!(listed["oauth_clients"][0]["provider_id"], provider_id);
    assert_eq!(
        listed["authorized_redirect_origins"][0]["id"],
        json!(origin_id)
    );

    // Another app's admin token is refused with the mismatch, its own is accepted.
    let other = emu.create_app("other").unwrap();
    let mut wrong = Platform::new(emu.base_url(), other.admin_token());
    let refused = wrong
        .call("GET", &format!("{base}/auth"), None)
        .await
        .err(400, "validation-failed");
    assert_eq!(refused["hint"]["reason"], "admin-token-mismatch");
    let mut own = Platform::new(emu.base_url(), app.admin_token());
    own.call(
        "DELETE",
        &format!("{base}/authorized_redirect_origins/{origin_id}"),
        None,
    )
    .await
    .ok();
    own.call(
        "DELETE",
        &format!("{base}/authorized_redirect_origins/{origin_id}"),
        None,
    )
    .await
    .err(400, "record-not-found");
}
