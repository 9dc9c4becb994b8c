//! Wire coverage of the public API: every public function of `instantdb-platform`,
//! `instantdb-admin` and `instantdb-oauth` (from the committed snapshots
//! `crates/<name>/public-api.txt`, written by `cargo xtask public-api`) is either exercised by a
//! recorded official-SDK scenario or listed with the reason it is not.
//!
//! [`RULES`] is the maintained table. An item is matched by its exact path first, then by the
//! longest pattern (`Type::*` for every method of a type, `*::name` for a method name on any
//! type). The check fails when an item matches no rule, when a rule names a scenario the catalog
//! does not have, when an exact rule names an item the snapshots no longer have (so the table
//! cannot rot), and when an item claimed by a scenario is not called anywhere in the wire
//! replays (`wire/*.rs`), a cheap guard against a claim nobody backs with a call.

use std::collections::HashSet;

use instantdb_test_support::WireCatalog;

use crate::node::project_root;

/// How an item is covered.
pub(crate) enum Cover {
    /// Exercised by these recorded scenarios.
    By(&'static [&'static str]),
    /// Not exercised on the wire, and why.
    Reason(&'static str),
}

use Cover::{By, Reason};

const ACCESSOR: &str = "a local accessor or constructor of a value: sends nothing";
const RESULT: &str =
    "an accessor of a returned value: sends nothing; the scenarios' result comparisons read it";
const ERROR: &str = "an error accessor: sends nothing; the error scenarios (platform.error.*, \
     *.noAdminToken, serverOAuth.*.error) compare the errors they classify";
const SETTINGS: &str = "a client setting generated once by instantdb_http::client_builder_settings! \
     (timeouts, retries, proxy, transport): no request of its own; tested in instantdb-http";
const SEND: &str = "sends the call: every scenario of the call's builder runs it";
const WITH_OPTIONS: &str = "per-call timeout and retry policy (instantdb_http::RequestOptions): no \
     upstream counterpart and no effect on the request; tested in instantdb-http";
const CLI: &str = "instant-cli's flow (no @instantdb/platform or @instantdb/admin counterpart the \
     recorder could drive); tested by instantdb-cli";
const LOCAL: &str = "local processing with no request of its own";
const TYPED: &str = "the typed API generated from a schema: each call is mapped onto the \
     untyped builders, and xtask/typed-diff checks over 200 generated schemas that the typed \
     requests are the untyped ones byte for byte";
const NO_UPSTREAM: &str = "a Rust addition with no upstream counterpart; it changes no request \
     (typed decoding, inspection or an escape hatch)";

/// The maintained table: an item's full path as in public-api.txt, or a pattern, and how it is
/// covered.
pub(crate) const RULES: &[(&str, Cover)] = &[
    // ---- shared shapes, by pattern ----
    ("instantdb_admin::typed::**", Reason(TYPED)),
    ("*::send", Reason(SEND)),
    ("*::with_options", Reason(WITH_OPTIONS)),
    ("*::timeout", Reason(SETTINGS)),
    ("*::connect_timeout", Reason(SETTINGS)),
    ("*::retry_policy", Reason(SETTINGS)),
    ("*::proxy", Reason(SETTINGS)),
    ("*::transport", Reason(SETTINGS)),
    ("*::http_client", Reason(SETTINGS)),
    ("*::build", Reason(SETTINGS)),
    ("instantdb_platform::Error::*", Reason(ERROR)),
    ("instantdb_admin::Error::*", Reason(ERROR)),
    ("instantdb_oauth::Error::*", Reason(ERROR)),
    // ---- instantdb-platform ----
    ("instantdb_platform::AppSchema::*", Reason(RESULT)),
    ("instantdb_platform::Backup::*", Reason(RESULT)),
    ("instantdb_platform::JobStatus::*", Reason(RESULT)),
    ("instantdb_platform::PushResult::*", Reason(RESULT)),
    ("instantdb_platform::PushSummary::*", Reason(RESULT)),
    ("instantdb_platform::SchemaStep::*", Reason(RESULT)),
    ("instantdb_platform::TemporaryApp::*", Reason(RESULT)),
    ("instantdb_platform::ProgressFuture::*", Reason(RESULT)),
    ("instantdb_platform::format_file_size", Reason(LOCAL)),
    ("instantdb_platform::FetchedBody::*", Reason(LOCAL)),
    ("instantdb_platform::VerifyOptions::*", Reason(LOCAL)),
    (
        "instantdb_platform::PollingPolicy::*",
        Reason(
            "the schema-push polling cadence: \
         timing only; the polled requests are platform.schemaPush.withProgress's",
        ),
    ),
    ("instantdb_platform::Backups::app_id", Reason(ACCESSOR)),
    ("instantdb_platform::Webhooks::app_id", Reason(ACCESSOR)),
    (
        "instantdb_platform::PlatformClient::access_token",
        Reason(ACCESSOR),
    ),
    (
        "instantdb_platform::PlatformClient::api_uri",
        Reason(ACCESSOR),
    ),
    (
        "instantdb_platform::PlatformClient::oauth_tokens",
        Reason(ACCESSOR),
    ),
    (
        "instantdb_platform::PlatformClient::can_refresh_token",
        By(&["platform.refreshToken.tokenAuth"]),
    ),
    (
        "instantdb_platform::PlatformClient::builder",
        By(&["platform.getApps"]),
    ),
    ("instantdb_platform::PlatformClient::new", Reason(ACCESSOR)),
    (
        "instantdb_platform::PlatformClientBuilder::new",
        Reason(ACCESSOR),
    ),
    (
        "instantdb_platform::PlatformClientBuilder::api_uri",
        By(&["platform.getApps.apiURITrailingSlash"]),
    ),
    (
        "instantdb_platform::PlatformClientBuilder::token",
        By(&["platform.getApps"]),
    ),
    (
        "instantdb_platform::PlatformClientBuilder::oauth",
        By(&["platform.retry.401.refresh"]),
    ),
    (
        "instantdb_platform::PlatformClientBuilder::on_refresh",
        By(&["platform.refreshToken.explicit"]),
    ),
    (
        "instantdb_platform::PlatformClient::apply_schema_steps",
        Reason(
            "no upstream method: the \
         step-applying half of `schemaPush({overwrite: true})`, whose request \
         platform.schemaPush.overwrite.withProgress records through schema_push",
        ),
    ),
    (
        "instantdb_platform::builder::ApplySchemaSteps::polling",
        Reason("see apply_schema_steps"),
    ),
    (
        "instantdb_platform::PlatformClient::check_cli_login",
        Reason(CLI),
    ),
    (
        "instantdb_platform::PlatformClient::start_cli_login",
        Reason(CLI),
    ),
    (
        "instantdb_platform::PlatformClient::current_user",
        Reason(CLI),
    ),
    (
        "instantdb_platform::PlatformClient::pull_schema",
        Reason(CLI),
    ),
    (
        "instantdb_platform::PlatformClient::add_authorized_origin",
        Reason(CLI),
    ),
    ("instantdb_platform::PlatformClient::app_auth", Reason(CLI)),
    ("instantdb_platform::PlatformClient::claim_app", Reason(CLI)),
    (
        "instantdb_platform::PlatformClient::create_dash_app",
        Reason(CLI),
    ),
    ("instantdb_platform::PlatformClient::dash_apps", Reason(CLI)),
    (
        "instantdb_platform::PlatformClient::delete_authorized_origin",
        Reason(CLI),
    ),
    (
        "instantdb_platform::PlatformClient::delete_dash_app",
        Reason(CLI),
    ),
    (
        "instantdb_platform::PlatformClient::delete_oauth_client",
        Reason(CLI),
    ),
    (
        "instantdb_platform::builder::CreateDashApp::org_id",
        Reason(CLI),
    ),
    (
        "instantdb_platform::PlatformClient::get_apps",
        By(&["platform.getApps"]),
    ),
    (
        "instantdb_platform::builder::GetApps::include_schema",
        By(&["platform.getApps.includeSchema"]),
    ),
    (
        "instantdb_platform::builder::GetApps::include_perms",
        By(&["platform.getApps.includePerms"]),
    ),
    (
        "instantdb_platform::PlatformClient::get_apps_for_org",
        By(&[
            "platform.getAppsForOrg",
            "platform.getAppsForOrg.includeBoth",
        ]),
    ),
    (
        "instantdb_platform::PlatformClient::get_orgs",
        By(&["platform.getOrgs"]),
    ),
    (
        "instantdb_platform::PlatformClient::get_app",
        By(&["platform.getApp"]),
    ),
    (
        "instantdb_platform::builder::GetApp::include_schema",
        By(&["platform.getApp.includeSchemaAndPerms"]),
    ),
    (
        "instantdb_platform::builder::GetApp::include_perms",
        By(&["platform.getApp.includePerms"]),
    ),
    (
        "instantdb_platform::PlatformClient::get_schema",
        By(&["platform.getSchema"]),
    ),
    (
        "instantdb_platform::PlatformClient::get_perms",
        By(&["platform.getPerms"]),
    ),
    (
        "instantdb_platform::PlatformClient::create_app",
        By(&["platform.createApp.plain"]),
    ),
    (
        "instantdb_platform::builder::CreateApp::schema",
        By(&["platform.createApp.withSchema"]),
    ),
    (
        "instantdb_platform::builder::CreateApp::perms",
        By(&["platform.createApp.withPerms"]),
    ),
    (
        "instantdb_platform::builder::CreateApp::org_id",
        By(&["platform.createApp.full"]),
    ),
    (
        "instantdb_platform::PlatformClient::create_temporary_app",
        By(&["platform.createTemporaryApp.plain"]),
    ),
    (
        "instantdb_platform::builder::CreateTemporaryApp::schema",
        By(&["platform.createTemporaryApp.noAuth.withSchemaAndRules"]),
    ),
    (
        "instantdb_platform::builder::CreateTemporaryApp::perms",
        By(&["platform.createTemporaryApp.noAuth.withSchemaAndRules"]),
    ),
    (
        "instantdb_platform::PlatformClient::update_app",
        By(&["platform.updateApp"]),
    ),
    (
        "instantdb_platform::PlatformClient::delete_app",
        By(&["platform.deleteApp"]),
    ),
    (
        "instantdb_platform::PlatformClient::plan_schema_push",
        By(&["platform.planSchemaPush"]),
    ),
    (
        "instantdb_platform::builder::PlanSchemaPush::overwrite",
        By(&["platform.planSchemaPush.overwrite"]),
    ),
    (
        "instantdb_platform::builder::PlanSchemaPush::renames",
        By(&["platform.planSchemaPush.overwrite.renames"]),
    ),
    (
        "instantdb_platform::PlatformClient::schema_push",
        By(&["platform.schemaPush.withProgress"]),
    ),
    (
        "instantdb_platform::builder::PushSchema::overwrite",
        By(&["platform.schemaPush.overwrite.withProgress"]),
    ),
    (
        "instantdb_platform::builder::PushSchema::polling",
        Reason(
            "the polling cadence (timing only); \
         the polled requests are platform.schemaPush.withProgress's",
        ),
    ),
    (
        "instantdb_platform::builder::PushSchema::renames",
        Reason(
            "not recorded yet: the recorder cannot \
         express i.schema(...) arguments; the same renames are planned by \
         platform.planSchemaPush.overwrite.renames through shared code",
        ),
    ),
    (
        "instantdb_platform::PlatformClient::push_perms",
        By(&["platform.pushPerms"]),
    ),
    (
        "instantdb_platform::PlatformClient::token_info",
        By(&["platform.tokenInfo"]),
    ),
    (
        "instantdb_platform::PlatformClient::refresh_token",
        By(&["platform.refreshToken.explicit"]),
    ),
    (
        "instantdb_platform::PlatformClient::backups",
        By(&["platform.backups.list"]),
    ),
    (
        "instantdb_platform::Backups::list",
        By(&["platform.backups.list"]),
    ),
    (
        "instantdb_platform::Backups::list_files",
        By(&["platform.backups.listFiles"]),
    ),
    (
        "instantdb_platform::Backups::file_url",
        By(&["platform.backups.getFileUrl"]),
    ),
    (
        "instantdb_platform::Backups::storage_files",
        By(&["platform.backups.streamStorageFiles"]),
    ),
    (
        "instantdb_platform::Backups::download_archive",
        By(&["platform.backups.downloadArchive"]),
    ),
    (
        "instantdb_platform::builder::DownloadArchive::to_writer",
        By(&["platform.backups.downloadArchive"]),
    ),
    (
        "instantdb_platform::builder::DownloadArchive::fetch_body_with",
        By(&["platform.backups.downloadArchive"]),
    ),
    (
        "instantdb_platform::builder::DownloadArchive::to_file",
        Reason(
            "where the archive is written \
         (a file instead of a writer): the requests are platform.backups.downloadArchive's",
        ),
    ),
    (
        "instantdb_platform::builder::DownloadArchive::compression",
        Reason(LOCAL),
    ),
    (
        "instantdb_platform::builder::DownloadArchive::retry",
        Reason(
            "retry timing of a failed \
         download; the successful requests are platform.backups.downloadArchive's",
        ),
    ),
    (
        "instantdb_platform::PlatformClient::webhooks",
        By(&["platform.webhooks.manager.list"]),
    ),
    (
        "instantdb_platform::Webhooks::list",
        By(&["platform.webhooks.manager.list"]),
    ),
    (
        "instantdb_platform::Webhooks::create",
        By(&["platform.webhooks.manager.create"]),
    ),
    (
        "instantdb_platform::Webhooks::update",
        By(&["platform.webhooks.manager.update"]),
    ),
    (
        "instantdb_platform::WebhookUpdate::new",
        By(&["platform.webhooks.manager.update"]),
    ),
    (
        "instantdb_platform::WebhookUpdate::actions",
        By(&[
            "platform.webhooks.manager.update",
            "platform.webhooks.manager.update.all",
        ]),
    ),
    (
        "instantdb_platform::WebhookUpdate::url",
        By(&[
            "platform.webhooks.manager.update.url",
            "platform.webhooks.manager.update.all",
        ]),
    ),
    (
        "instantdb_platform::WebhookUpdate::namespaces",
        By(&[
            "platform.webhooks.manager.update.namespaces",
            "platform.webhooks.manager.update.all",
        ]),
    ),
    (
        "instantdb_platform::Webhooks::delete",
        By(&["platform.webhooks.manager.delete"]),
    ),
    (
        "instantdb_platform::Webhooks::enable",
        By(&["platform.webhooks.manager.enable"]),
    ),
    (
        "instantdb_platform::Webhooks::disable",
        By(&[
            "platform.webhooks.manager.disable",
            "platform.webhooks.manager.disable.reason",
        ]),
    ),
    (
        "instantdb_platform::Webhooks::list_events",
        By(&["platform.webhooks.manager.listEvents"]),
    ),
    (
        "instantdb_platform::builder::ListWebhookEvents::after",
        By(&["platform.webhooks.manager.listEvents.after"]),
    ),
    (
        "instantdb_platform::Webhooks::get_event",
        By(&["platform.webhooks.manager.getEvent"]),
    ),
    (
        "instantdb_platform::Webhooks::get_payload",
        By(&["platform.webhooks.manager.getPayload"]),
    ),
    (
        "instantdb_platform::Webhooks::resend_event",
        By(&["platform.webhooks.manager.resendEvent"]),
    ),
    (
        "instantdb_platform::Webhooks::fetch_jwks",
        By(&["platform.webhooks.fetchJwks"]),
    ),
    (
        "instantdb_platform::Webhooks::process_request",
        By(&["platform.webhooks.processRequest"]),
    ),
    (
        "instantdb_platform::Webhooks::verify_signature",
        By(&["platform.webhooks.processRequest"]),
    ),
    (
        "instantdb_platform::Webhooks::fetch_payload",
        By(&["platform.webhooks.processRequest"]),
    ),
    (
        "instantdb_platform::WebhookBody::new",
        By(&["platform.webhooks.processRequest"]),
    ),
    (
        "instantdb_platform::WebhookHandlers::*",
        Reason(
            "local dispatch of a fetched payload to \
         handlers; the fetch is platform.webhooks.processRequest's",
        ),
    ),
    // ---- instantdb-admin ----
    ("instantdb_admin::AdminClient::api_uri", Reason(ACCESSOR)),
    ("instantdb_admin::AdminClient::app_id", Reason(ACCESSOR)),
    (
        "instantdb_admin::AdminClient::impersonation",
        Reason(ACCESSOR),
    ),
    ("instantdb_admin::AdminClient::schema", Reason(ACCESSOR)),
    ("instantdb_admin::AdminClient::new", Reason(ACCESSOR)),
    (
        "instantdb_admin::AdminClient::builder",
        By(&["admin.query.simple"]),
    ),
    (
        "instantdb_admin::AdminClientBuilder::admin_token",
        By(&["admin.query.simple"]),
    ),
    (
        "instantdb_admin::AdminClientBuilder::api_uri",
        By(&["admin.query.apiURITrailingSlash"]),
    ),
    (
        "instantdb_admin::AdminClientBuilder::schema",
        By(&["admin.query.withSchema", "admin.transact.withSchema"]),
    ),
    (
        "instantdb_admin::AdminClientBuilder::disable_validation",
        By(&["admin.transact.disableValidation"]),
    ),
    (
        "instantdb_admin::AdminClientBuilder::inference",
        Reason(
            "set by schema() as upstream's \
         init({schema}) does (admin.query.withSchema); the explicit setter has no upstream \
         counterpart",
        ),
    ),
    (
        "instantdb_admin::AdminClientBuilder::throw_on_missing_attrs",
        Reason(
            "set by schema() as \
         upstream's init({schema}) does (admin.transact.withSchema); the explicit setter has no \
         upstream counterpart",
        ),
    ),
    (
        "instantdb_admin::AdminClient::query",
        By(&["admin.query.simple"]),
    ),
    (
        "instantdb_admin::AdminClient::query_as",
        Reason(NO_UPSTREAM),
    ),
    (
        "instantdb_admin::builder::QueryRequest::send_as",
        Reason(NO_UPSTREAM),
    ),
    (
        "instantdb_admin::builder::QueryRequest::rule_params",
        By(&["admin.query.ruleParams"]),
    ),
    (
        "instantdb_admin::builder::QueryRequest::header",
        By(&["admin.query.fetchOpts"]),
    ),
    (
        "instantdb_admin::AdminClient::transact",
        By(&["admin.transact.update"]),
    ),
    (
        "instantdb_admin::builder::TransactRequest::steps",
        Reason(NO_UPSTREAM),
    ),
    (
        "instantdb_admin::AdminClient::as_user",
        By(&["admin.asUser.email.query"]),
    ),
    (
        "instantdb_admin::Impersonate::email",
        By(&["admin.asUser.email.query"]),
    ),
    (
        "instantdb_admin::Impersonate::token",
        By(&["admin.asUser.token.query"]),
    ),
    (
        "instantdb_admin::AdminClient::query_perms_check",
        By(&["admin.debugQuery"]),
    ),
    (
        "instantdb_admin::builder::QueryPermsCheckRequest::rules",
        By(&["admin.debugQuery"]),
    ),
    (
        "instantdb_admin::builder::QueryPermsCheckRequest::rule_params",
        By(&["admin.debugQuery"]),
    ),
    (
        "instantdb_admin::builder::QueryPermsCheckRequest::ip",
        By(&["admin.debugQuery"]),
    ),
    (
        "instantdb_admin::builder::QueryPermsCheckRequest::origin",
        By(&["admin.debugQuery"]),
    ),
    (
        "instantdb_admin::builder::QueryPermsCheckRequest::inference",
        By(&["admin.debugQuery.asUser"]),
    ),
    (
        "instantdb_admin::AdminClient::transact_perms_check",
        By(&["admin.debugTransact"]),
    ),
    (
        "instantdb_admin::builder::TransactPermsCheckRequest::rules",
        By(&["admin.debugTransact"]),
    ),
    (
        "instantdb_admin::builder::TransactPermsCheckRequest::ip",
        By(&["admin.debugTransact"]),
    ),
    (
        "instantdb_admin::builder::TransactPermsCheckRequest::origin",
        By(&["admin.debugTransact"]),
    ),
    (
        "instantdb_admin::builder::TransactPermsCheckRequest::dangerously_commit",
        By(&["admin.debugTransact.dangerouslyCommit"]),
    ),
    (
        "instantdb_admin::AdminClient::subscribe_query",
        By(&["admin.subscribeQuery"]),
    ),
    (
        "instantdb_admin::builder::SubscribeRequest::rule_params",
        By(&["admin.subscribeQuery.asUser.ruleParams.schema"]),
    ),
    (
        "instantdb_admin::builder::SubscribeRequest::reconnect",
        By(&["admin.subscribeQuery"]),
    ),
    (
        "instantdb_admin::builder::SubscribeRequest::header",
        Reason(
            "the same header setter as \
         QueryRequest::header (admin.query.fetchOpts), on the subscription's request; upstream's \
         subscribeQuery takes no fetch options",
        ),
    ),
    (
        "instantdb_admin::Reconnect::*",
        Reason(
            "the subscription's reconnect timing; the requests \
         are admin.subscribeQuery's",
        ),
    ),
    ("instantdb_admin::QueryUpdate::*", Reason(RESULT)),
    ("instantdb_admin::User::*", Reason(RESULT)),
    ("instantdb_admin::TxId::*", Reason(RESULT)),
    ("instantdb_admin::Lookup::*", Reason(ACCESSOR)),
    ("instantdb_admin::Chunks::*", Reason(NO_UPSTREAM)),
    (
        "instantdb_admin::TransactionChunk::steps",
        Reason(NO_UPSTREAM),
    ),
    (
        "instantdb_admin::TransactionChunk::into_steps",
        Reason(NO_UPSTREAM),
    ),
    ("instantdb_admin::tx", By(&["admin.transact.update"])),
    (
        "instantdb_admin::TransactionChunk::update",
        By(&["admin.transact.update"]),
    ),
    (
        "instantdb_admin::TransactionChunk::update_with",
        By(&["admin.transact.updateUpsertFalse"]),
    ),
    (
        "instantdb_admin::UpdateOpts::upsert",
        By(&["admin.transact.updateUpsertFalse"]),
    ),
    (
        "instantdb_admin::TransactionChunk::create",
        By(&["admin.transact.create"]),
    ),
    (
        "instantdb_admin::TransactionChunk::merge",
        By(&["admin.transact.merge"]),
    ),
    (
        "instantdb_admin::TransactionChunk::merge_with",
        Reason(
            "merge with upsert options: no \
         wire scenario, but the `tx` suite compares it with the official tx builder on every \
         seed that draws it",
        ),
    ),
    (
        "instantdb_admin::TransactionChunk::delete",
        By(&["admin.transact.delete"]),
    ),
    (
        "instantdb_admin::TransactionChunk::link",
        By(&["admin.transact.link"]),
    ),
    (
        "instantdb_admin::TransactionChunk::unlink",
        By(&["admin.transact.unlink"]),
    ),
    (
        "instantdb_admin::TransactionChunk::rule_params",
        By(&["admin.transact.ruleParams"]),
    ),
    ("instantdb_admin::lookup", By(&["admin.transact.lookupId"])),
    (
        "instantdb_admin::date",
        By(&["admin.transact.dateAndSpecialValues"]),
    ),
    (
        "instantdb_admin::id",
        Reason("a random UUID (upstream's id()): sends nothing"),
    ),
    ("instantdb_admin::raw_step", Reason(NO_UPSTREAM)),
    (
        "instantdb_admin::AdminClient::auth",
        By(&["admin.auth.createToken.email"]),
    ),
    (
        "instantdb_admin::Auth::create_token",
        By(&["admin.auth.createToken.emailString"]),
    ),
    (
        "instantdb_admin::builder::CreateTokenRequest::extra_fields",
        Reason(
            "no upstream \
         counterpart on createToken (upstream's extraFields is checkMagicCode's: \
         admin.auth.checkMagicCode.extraFields)",
        ),
    ),
    (
        "instantdb_admin::Auth::generate_magic_code",
        By(&["admin.auth.generateMagicCode"]),
    ),
    (
        "instantdb_admin::Auth::send_magic_code",
        By(&["admin.auth.sendMagicCode"]),
    ),
    (
        "instantdb_admin::Auth::verify_magic_code",
        By(&["admin.auth.verifyMagicCode"]),
    ),
    (
        "instantdb_admin::builder::VerifyMagicCodeRequest::extra_fields",
        By(&["admin.auth.checkMagicCode.extraFields"]),
    ),
    (
        "instantdb_admin::builder::VerifyMagicCodeRequest::guest_refresh_token",
        Reason(
            "not in \
         @instantdb/admin 1.0.67's verifyMagicCode/checkMagicCode signature; the server's \
         `refresh-token` body key",
        ),
    ),
    (
        "instantdb_admin::Auth::get_user",
        By(&["admin.auth.getUser.email"]),
    ),
    (
        "instantdb_admin::Auth::delete_user",
        By(&["admin.auth.deleteUser.id"]),
    ),
    (
        "instantdb_admin::Auth::sign_out",
        By(&["admin.auth.signOut.email"]),
    ),
    (
        "instantdb_admin::Auth::verify_token",
        By(&["admin.auth.verifyToken"]),
    ),
    (
        "instantdb_admin::UserRef::email",
        By(&["admin.auth.getUser.email"]),
    ),
    (
        "instantdb_admin::UserRef::id",
        By(&["admin.auth.getUser.id"]),
    ),
    (
        "instantdb_admin::UserRef::refresh_token",
        By(&["admin.auth.getUser.refreshToken"]),
    ),
    (
        "instantdb_admin::Auth::user_from_request",
        By(&["admin.auth.getUserFromRequest"]),
    ),
    (
        "instantdb_admin::Auth::user_from_cookie_header",
        Reason(
            "the cookie-header half of user_from_request (admin.auth.getUserFromRequest), \
             which parses the cookie the same way",
        ),
    ),
    (
        "instantdb_admin::builder::UserFromRequest::disable_validation",
        By(&["admin.auth.getUserFromRequest.disableValidation"]),
    ),
    (
        "instantdb_admin::InstantRouteHandler::*",
        By(&["admin.createInstantRouteHandler"]),
    ),
    (
        "instantdb_admin::AdminClient::storage",
        By(&["admin.storage.delete"]),
    ),
    (
        "instantdb_admin::Storage::upload_file",
        By(&["admin.storage.uploadFile.buffer.noOpts"]),
    ),
    (
        "instantdb_admin::builder::UploadRequest::timeout",
        Reason(
            "a per-upload timeout: no \
         upstream counterpart and no effect on the request",
        ),
    ),
    (
        "instantdb_admin::builder::UploadRequest::content_type",
        By(&["admin.storage.uploadFile.buffer.opts"]),
    ),
    (
        "instantdb_admin::builder::UploadRequest::content_disposition",
        By(&["admin.storage.uploadFile.buffer.opts"]),
    ),
    (
        "instantdb_admin::UploadBody::bytes",
        By(&["admin.storage.uploadFile.buffer.noOpts"]),
    ),
    (
        "instantdb_admin::UploadBody::reader",
        By(&["admin.storage.uploadFile.nodeReadable"]),
    ),
    (
        "instantdb_admin::UploadBody::stream",
        Reason(
            "a byte stream with a known length, sent like \
         UploadBody::reader (admin.storage.uploadFile.nodeReadable); upstream's web streams fail \
         (admin.storage.uploadFile.webReadableStream)",
        ),
    ),
    (
        "instantdb_admin::UploadBody::file",
        Reason(
            "a file read as a stream, sent like \
         UploadBody::reader (admin.storage.uploadFile.nodeReadable); no upstream counterpart",
        ),
    ),
    (
        "instantdb_admin::Storage::legacy_upload",
        By(&["admin.storage.upload.legacy"]),
    ),
    (
        "instantdb_admin::Storage::delete_file",
        By(&["admin.storage.delete"]),
    ),
    (
        "instantdb_admin::Storage::delete_files",
        By(&["admin.storage.deleteMany"]),
    ),
    (
        "instantdb_admin::Storage::legacy_list",
        By(&["admin.storage.list"]),
    ),
    (
        "instantdb_admin::Storage::legacy_download_url",
        By(&["admin.storage.getDownloadUrl"]),
    ),
    (
        "instantdb_admin::Storage::list_files",
        Reason(
            "the `$files` query (upstream's \
         db.query({$files: {}})): its request is admin.query.*'s",
        ),
    ),
    (
        "instantdb_admin::Storage::download_url",
        Reason(
            "the `$files` url via a query (upstream's \
         db.query({$files: ...})): its request is admin.query.*'s",
        ),
    ),
    (
        "instantdb_admin::AdminClient::rooms",
        By(&["admin.rooms.getPresence"]),
    ),
    (
        "instantdb_admin::Rooms::get_presence",
        By(&[
            "admin.rooms.getPresence",
            "admin.rooms.getPresence.specialChars",
        ]),
    ),
    (
        "instantdb_admin::instaql::InstaQl::new",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::InstaQl::namespace",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::InstaQl::build",
        Reason(NO_UPSTREAM),
    ),
    (
        "instantdb_admin::instaql::InstaQl::rule_params",
        Reason(
            "the same `$$ruleParams` as \
         QueryRequest::rule_params (admin.query.ruleParams), set on the query value",
        ),
    ),
    (
        "instantdb_admin::instaql::Select::new",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Select::filter",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Select::order",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Select::limit",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Select::fields",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Select::link",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Select::offset",
        By(&["admin.query.offset"]),
    ),
    (
        "instantdb_admin::instaql::Select::first",
        By(&["admin.query.cursors.afterInclusive"]),
    ),
    (
        "instantdb_admin::instaql::Select::last",
        By(&["admin.query.cursors.lastBefore"]),
    ),
    (
        "instantdb_admin::instaql::Select::after",
        By(&["admin.query.cursors.after"]),
    ),
    (
        "instantdb_admin::instaql::Select::after_inclusive",
        By(&["admin.query.cursors.afterInclusive"]),
    ),
    (
        "instantdb_admin::instaql::Select::before",
        By(&["admin.query.cursors.lastBefore"]),
    ),
    (
        "instantdb_admin::instaql::Select::before_inclusive",
        By(&["admin.query.cursors.beforeInclusive"]),
    ),
    (
        "instantdb_admin::instaql::Where::new",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Where::eq",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Where::cond",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Where::and",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Where::or",
        By(&["admin.query.whereOperators"]),
    ),
    ("instantdb_admin::instaql::Where::raw", Reason(NO_UPSTREAM)),
    (
        "instantdb_admin::instaql::Cond::gt",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Cond::lte",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Cond::is_in",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Cond::not",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Cond::is_null",
        By(&["admin.query.whereOperators"]),
    ),
    (
        "instantdb_admin::instaql::Cond::like",
        By(&["admin.query.whereOrderLimitFields"]),
    ),
    (
        "instantdb_admin::instaql::Cond::gte",
        By(&["admin.query.whereGte"]),
    ),
    (
        "instantdb_admin::instaql::Cond::lt",
        By(&["admin.query.whereGte"]),
    ),
    (
        "instantdb_admin::instaql::Cond::ilike",
        By(&["admin.query.whereGte"]),
    ),
    // ---- instantdb-oauth ----
    (
        "instantdb_oauth::ClientCredentials::new",
        By(&["platform.serverOAuth.exchangeCodeForToken"]),
    ),
    (
        "instantdb_oauth::exchange_code_for_token",
        By(&[
            "platform.serverOAuth.exchangeCodeForToken",
            "platform.serverOAuth.exchangeCodeForToken.error",
        ]),
    ),
    (
        "instantdb_oauth::exchange_refresh_token",
        By(&["platform.serverOAuth.exchangeRefreshToken"]),
    ),
    ("instantdb_oauth::token_info", By(&["platform.tokenInfo"])),
    (
        "instantdb_oauth::revoke_token",
        Reason(
            "no @instantdb/platform 1.0.67 function revokes a \
         token (instant-cli's logout does); tested against the emulator by instantdb-oauth",
        ),
    ),
    (
        "instantdb_oauth::OAuthClient::builder",
        By(&["platform.OAuthHandler.startClientOnlyFlow"]),
    ),
    ("instantdb_oauth::OAuthClient::new", Reason(ACCESSOR)),
    (
        "instantdb_oauth::OAuthClientBuilder::api_uri",
        By(&["platform.OAuthHandler.startClientOnlyFlow"]),
    ),
    (
        "instantdb_oauth::OAuthClientBuilder::client_secret",
        Reason(
            "upstream's confidential-client exchange is the free function \
             exchangeCodeForToken, replayed with exchange_code_for_token and \
             ClientCredentials (platform.serverOAuth.exchangeCodeForToken); an OAuthClient \
             with a secret sends that body through the same code",
        ),
    ),
    (
        "instantdb_oauth::OAuthClient::authorization_url",
        By(&["platform.OAuthHandler.startClientOnlyFlow"]),
    ),
    (
        "instantdb_oauth::OAuthClient::exchange_code",
        By(&["platform.OAuthHandler.startClientOnlyFlow"]),
    ),
    (
        "instantdb_oauth::OAuthClient::exchange_refresh_token",
        By(&["platform.serverOAuth.exchangeRefreshToken"]),
    ),
    (
        "instantdb_oauth::OAuthClient::token_info",
        By(&["platform.tokenInfo"]),
    ),
    (
        "instantdb_oauth::OAuthClient::revoke",
        Reason("see revoke_token"),
    ),
    ("instantdb_oauth::OAuthClient::loopback_login", Reason(CLI)),
    ("instantdb_oauth::LoopbackLogin::*", Reason(CLI)),
    ("instantdb_oauth::LoopbackListener::*", Reason(CLI)),
    ("instantdb_oauth::OAuthClient::base_url", Reason(ACCESSOR)),
    ("instantdb_oauth::OAuthClient::client_id", Reason(ACCESSOR)),
    (
        "instantdb_oauth::OAuthClient::redirect_uri",
        Reason(ACCESSOR),
    ),
    (
        "instantdb_oauth::OAuthClient::has_client_secret",
        Reason(ACCESSOR),
    ),
    ("instantdb_oauth::PendingAuthorization::*", Reason(ACCESSOR)),
    ("instantdb_oauth::Scope::*", Reason(LOCAL)),
    ("instantdb_oauth::Scopes::*", Reason(LOCAL)),
    ("instantdb_oauth::TokenSet::*", Reason(RESULT)),
];

/// The public functions of the three client crates, from their committed snapshots.
pub(crate) fn public_items() -> Vec<String> {
    let mut items = Vec::new();
    for krate in ["instantdb-platform", "instantdb-admin", "instantdb-oauth"] {
        let path = project_root()
            .join("crates")
            .join(krate)
            .join("public-api.txt");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("pub fn ") {
                let path = rest.split('(').next().unwrap_or(rest).trim();
                items.push(path.to_owned());
            }
        }
    }
    items
}

/// The rule for an item: its exact entry, else the most specific matching pattern.
fn rule_for(item: &str) -> Option<&'static Cover> {
    if let Some((_, cover)) = RULES.iter().find(|(pattern, _)| *pattern == item) {
        return Some(cover);
    }
    RULES
        .iter()
        .filter(|(pattern, _)| {
            if let Some(prefix) = pattern.strip_suffix("::**") {
                // A whole module, at any depth.
                item.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with("::"))
            } else if let Some(prefix) = pattern.strip_suffix("::*") {
                item.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with("::") && !rest[2..].contains("::"))
            } else if let Some(name) = pattern.strip_prefix("*::") {
                item.rsplit("::").next() == Some(name)
            } else {
                false
            }
        })
        .max_by_key(|(pattern, _)| pattern.len())
        .map(|(_, cover)| cover)
}

/// Every problem with the coverage table: uncovered items, unknown scenarios, stale rules, and
/// claims no replay backs with a call. `scenarios` are the catalog's names.
pub(crate) fn problems(
    items: &[String],
    scenarios: &HashSet<&str>,
    replay_source: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if items.is_empty() {
        problems.push("no public items read from crates/*/public-api.txt".to_owned());
    }
    for item in items {
        match rule_for(item) {
            None => problems.push(format!(
                "`{item}` is exercised by no recorded scenario and has no written reason \
                 (wire/coverage.rs RULES)"
            )),
            Some(Reason(why)) if why.trim().is_empty() => {
                problems.push(format!("`{item}`: the reason is empty"));
            }
            Some(Reason(_)) => {}
            Some(By(names)) => {
                for name in *names {
                    if !scenarios.contains(name) {
                        problems.push(format!("`{item}`: scenario `{name}` is not in the catalog"));
                    }
                }
                let method = item.rsplit("::").next().unwrap_or(item);
                if !calls(replay_source, method) {
                    problems.push(format!(
                        "`{item}` is claimed by {names:?}, but no wire replay calls `{method}`"
                    ));
                }
            }
        }
    }
    let known: HashSet<&str> = items.iter().map(String::as_str).collect();
    for (pattern, _) in RULES {
        if !pattern.contains('*') && !known.contains(pattern) {
            problems.push(format!(
                "rule `{pattern}` names no public item (stale entry)"
            ));
        }
    }
    problems
}

/// Whether `source` calls `name(` as a whole identifier (`.gte(`, `Cond::gte(`, `tx(`), so
/// that `gt(` does not count as a call of `gte` nor `lt(` hide in `default(`.
fn calls(source: &str, name: &str) -> bool {
    let needle = format!("{name}(");
    source.match_indices(&needle).any(|(idx, _)| {
        source[..idx]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// The wire replays' source, for the "claimed but never called" check.
pub(crate) fn replay_source() -> String {
    [
        include_str!("platform.rs"),
        include_str!("admin.rs"),
        include_str!("oauth.rs"),
    ]
    .concat()
}

/// Runs the check against the committed catalog and snapshots; prints a summary line.
pub(crate) fn check(catalog: &WireCatalog) -> Vec<String> {
    let items = public_items();
    let scenarios: HashSet<&str> = catalog
        .scenarios()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let problems = problems(&items, &scenarios, &replay_source());
    let by_scenario = items
        .iter()
        .filter(|item| matches!(rule_for(item), Some(By(_))))
        .count();
    println!(
        "coverage: {} public functions of platform/admin/oauth: {by_scenario} exercised by recorded \
         scenarios, {} with a written reason, {} problem(s)",
        items.len(),
        items.len() - by_scenario,
        problems.len()
    );
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_public_function_is_covered_or_explained() {
        let problems = check(&WireCatalog::load());
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn an_unlisted_option_fails() {
        let items = vec!["instantdb_platform::WebhookUpdate::secret".to_owned()];
        let problems = problems(&items, &HashSet::new(), "");
        assert!(
            problems.iter().any(|p| p.contains("no written reason")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_claim_without_a_scenario_or_a_call_fails() {
        let items = vec!["instantdb_admin::instaql::Cond::gte".to_owned()];
        let problems = problems(&items, &HashSet::new(), "Cond::gt(1)");
        assert!(
            problems.iter().any(|p| p.contains("not in the catalog")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("no wire replay calls")),
            "{problems:?}"
        );
    }
}
