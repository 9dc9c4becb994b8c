//! The `admin` group of the wire suite: see `mod.rs`. Every `admin.*` scenario is replayed with
//! `instantdb-admin` against the scripted server, its requests checked against the catalog's,
//! and its result or error compared with what the official SDK returned.
//!
//! Deliberate divergences (documented in docs/divergences.md) are checked against a corrected
//! expectation rather than skipped: a normalised base URL, query values that are always
//! percent-encoded, and web-stream uploads that work. Durable streams are out of this crate's
//! scope (see `OUT_OF_SCOPE`).
//!
//! `db.webhooks` (`admin.webhooks.*`) is `instantdb-platform`'s `Webhooks` in Rust: the same
//! `/dash/apps/:id/webhooks…`, `/webhooks/payload/…` and JWKS requests, sent with the app's admin
//! token, so those scenarios are replayed with `PlatformClient` (see [`webhooks`]). The one header
//! that differs is the SDK's name: the platform crate sends `instant-core-version` and not the
//! admin SDK's `instant-admin-version`, which the check leaves out. Like the platform group's
//! `processRequest`, the delivery is signed with a key whose private half the catalog does not
//! hold: the signature must be refused, then the payload fetch and dispatch are replayed.

use std::time::{Duration, UNIX_EPOCH};

use futures_util::StreamExt;
use instantdb_admin::instaql::{Cond, InstaQl, Order, Select, Where};
use instantdb_admin::{
    AdminClient, Error, Impersonate, InstantRouteHandler, Reconnect, UpdateOpts, UploadBody, User,
    UserRef, date, lookup, tx,
};
use instantdb_http::Proxy;
use instantdb_platform::{
    PlatformClient, VerifyOptions, WebhookAction, WebhookBody, WebhookHandlers,
};
use instantdb_schema::{Has, SchemaDef, i};
use instantdb_test_support::{CheckOptions, Reply, Scenario, ScriptedServer};
use serde_json::{Value, json};

use super::Outcome;

const APP_ID: &str = "00000000-0000-0000-0000-0000000000aa";
const ADMIN_TOKEN: &str = "test-admin-token";
const REFRESH_TOKEN: &str = "test-refresh-token-user";
const GOAL: &str = "11111111-1111-4111-8111-111111111111";
const GOAL2: &str = "11111111-1111-4111-8111-111111111112";
const TODO: &str = "22222222-2222-4222-8222-222222222221";
const USER: &str = "33333333-3333-4333-8333-333333333333";
const ROOM: &str = "99999999-9999-4999-8999-999999999999";

/// Scenario prefixes left out on purpose, with the reason printed by the runner.
const OUT_OF_SCOPE: &[(&str, &str)] = &[(
    "admin.streams.",
    "durable streams (`db.streams`: the /admin/sse + /admin/sse/push protocol) are outside \
         instantdb-admin's scope; `$streams` stays queryable",
)];

/// Replays one scenario if it belongs to this group.
pub(crate) async fn replay(scenario: &Scenario, server: &ScriptedServer) -> Outcome {
    if !scenario.name.starts_with("admin.") {
        return Outcome::NotMine;
    }
    if let Some((_, reason)) = OUT_OF_SCOPE
        .iter()
        .find(|(prefix, _)| scenario.name.starts_with(prefix))
    {
        return Outcome::OutOfScope(reason);
    }
    let outcome = if scenario.name.starts_with("admin.webhooks.") {
        webhooks(scenario, server).await
    } else {
        run(scenario, server).await
    };
    match outcome {
        Ok(()) => Outcome::Pass,
        Err(why) => Outcome::Fail(why),
    }
}

/// The InstaQL query of a recorded `db.query(q)` call, rebuilt with the `instaql` builders:
/// every namespace and link becomes a `Select`, every `$` key its setter, every `where`
/// operator its `Cond`. A key with no builder counterpart is an error, so a scenario cannot
/// silently test less than its call.
fn instaql_of(query: &Value) -> Result<InstaQl, String> {
    let mut instaql = InstaQl::new();
    for (namespace, node) in object(query)? {
        instaql = instaql.namespace(namespace, select_of(node)?);
    }
    Ok(instaql)
}

fn select_of(node: &Value) -> Result<Select, String> {
    let mut select = Select::new();
    for (key, value) in object(node)? {
        if key != "$" {
            select = select.link(key, select_of(value)?);
            continue;
        }
        let dollar = object(value)?;
        let inclusive = |key: &str| dollar.get(key) == Some(&Value::Bool(true));
        let count = |v: &Value| {
            v.as_u64()
                .ok_or_else(|| format!("`$.{key}` is not a count: {v}"))
        };
        for (key, value) in dollar {
            select = match key.as_str() {
                "where" => select.filter(where_of(value)?),
                "order" => {
                    let (attribute, direction) =
                        object(value)?.iter().next().ok_or("`$.order` is empty")?;
                    let direction = match direction.as_str() {
                        Some("desc") => Order::Desc,
                        Some("asc") => Order::Asc,
                        _ => return Err(format!("`$.order` direction {direction}")),
                    };
                    select.order(attribute, direction)
                }
                "limit" => select.limit(count(value)?),
                "first" => select.first(count(value)?),
                "last" => select.last(count(value)?),
                "offset" => select.offset(count(value)?),
                "after" if inclusive("afterInclusive") => select.after_inclusive(value.clone()),
                "after" => select.after(value.clone()),
                "before" if inclusive("beforeInclusive") => select.before_inclusive(value.clone()),
                "before" => select.before(value.clone()),
                "afterInclusive" | "beforeInclusive" => select,
                "fields" => select.fields(
                    value
                        .as_array()
                        .ok_or("`$.fields` is not an array")?
                        .iter()
                        .map(|f| f.as_str().unwrap_or_default().to_owned()),
                ),
                other => return Err(format!("no `Select` setter for `$.{other}`")),
            };
        }
    }
    Ok(select)
}

fn where_of(clause: &Value) -> Result<Where, String> {
    let mut filter = Where::new();
    for (attribute, condition) in object(clause)? {
        let clauses = || -> Result<Vec<Where>, String> {
            condition
                .as_array()
                .ok_or_else(|| format!("`{attribute}` is not an array"))?
                .iter()
                .map(where_of)
                .collect()
        };
        filter = match (attribute.as_str(), condition) {
            ("or", _) => filter.or(clauses()?),
            ("and", _) => filter.and(clauses()?),
            (_, Value::Object(ops)) if ops.len() == 1 && ops.keys().all(|k| k.starts_with('$')) => {
                let (op, value) = ops.iter().next().ok_or("empty operator")?;
                filter.cond(attribute, cond_of(op, value)?)
            }
            (_, value) => filter.eq(attribute, value.clone()),
        };
    }
    Ok(filter)
}

fn cond_of(op: &str, value: &Value) -> Result<Cond, String> {
    let text = || {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("`{op}` needs text"))
    };
    Ok(match op {
        "$gt" => Cond::gt(value.clone()),
        "$gte" => Cond::gte(value.clone()),
        "$lt" => Cond::lt(value.clone()),
        "$lte" => Cond::lte(value.clone()),
        "$like" => Cond::like(text()?),
        "$ilike" => Cond::ilike(text()?),
        "$not" => Cond::not(value.clone()),
        "$isNull" => Cond::is_null(value.as_bool().ok_or("`$isNull` needs a boolean")?),
        "$in" => Cond::is_in(
            value
                .as_array()
                .ok_or("`$in` needs an array")?
                .iter()
                .cloned(),
        ),
        other => return Err(format!("no `Cond` for `{other}`")),
    })
}

fn object(value: &Value) -> Result<&serde_json::Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("expected an object, got {value}"))
}

/// The schema of the `withSchema` scenarios: the entities and link they use.
fn schema() -> SchemaDef {
    i::schema()
        .entities([
            (
                "goals",
                i::entity([("title", i::string()), ("priority", i::number())]),
            ),
            ("todos", i::entity([("text", i::string())])),
        ])
        .links([(
            "goalsTodos",
            i::link(
                i::forward("goals", Has::Many, "todos"),
                i::reverse("todos", Has::One, "goal"),
            ),
        )])
}

struct Ctx<'a> {
    scenario: &'a Scenario,
    server: &'a ScriptedServer,
    base: String,
}

impl Ctx<'_> {
    fn builder(&self, token: Option<&str>) -> instantdb_admin::AdminClientBuilder {
        let mut builder = AdminClient::builder(APP_ID)
            .api_uri(self.base.as_str())
            .proxy(Proxy::none());
        if let Some(token) = token {
            builder = builder.admin_token(token);
        }
        builder
    }

    fn client(&self, token: Option<&str>) -> Result<AdminClient, String> {
        self.builder(token).build().map_err(|e| e.to_string())
    }

    fn db(&self) -> Result<AdminClient, String> {
        self.client(Some(ADMIN_TOKEN))
    }

    fn with_schema(&self) -> Result<AdminClient, String> {
        self.builder(Some(ADMIN_TOKEN))
            .schema(schema())
            .build()
            .map_err(|e| e.to_string())
    }

    /// The recorded requests against the catalog's.
    fn requests(&self) -> Result<(), String> {
        self.scenario
            .check_requests(&self.server.requests(), &self.base)
    }

    /// The requests, and `actual` against the scenario's result.
    fn check(&self, actual: Result<Value, Error>) -> Result<(), String> {
        let actual = actual.map_err(|err| format!("the call failed: {err}"))?;
        self.requests()?;
        let expected = self.scenario.result.clone().unwrap_or(Value::Null);
        let expected = substitute(&expected, &self.base);
        if actual != expected {
            return Err(format!("result: expected {expected}, got {actual}"));
        }
        Ok(())
    }

    /// A local refusal with upstream's message (where that message names upstream's JS API, one
    /// of the expected kind), and no request.
    fn refused(&self, actual: Result<impl std::fmt::Debug, Error>) -> Result<(), String> {
        let err = match actual {
            Ok(value) => return Err(format!("expected an error, got {value:?}")),
            Err(err) => err,
        };
        if !err.is_local() {
            return Err(format!("expected a local refusal, got {err}"));
        }
        let expected = self
            .scenario
            .error
            .as_ref()
            .and_then(|e| e["message"].as_str());
        if expected.is_some_and(|message| message.starts_with("Admin token required.")) {
            // Divergence: the wording names `AdminClientBuilder::admin_token`, not `init`.
            if !err.is_missing_admin_token() {
                return Err(format!("expected a missing-admin-token refusal, got {err}"));
            }
        } else if let Some(expected) = expected
            && err.to_string() != expected
        {
            return Err(format!(
                "error: expected {expected:?}, got {:?}",
                err.to_string()
            ));
        }
        self.no_requests()
    }

    fn no_requests(&self) -> Result<(), String> {
        let sent = self.server.requests();
        if sent.is_empty() {
            Ok(())
        } else {
            Err(format!("expected no request, {} were sent", sent.len()))
        }
    }

    /// The scenario with its expected requests adjusted by `patch` (a deliberate divergence).
    fn patched(&self, patch: impl FnOnce(&mut Vec<Value>)) -> Result<(), String> {
        let mut scenario = self.scenario.clone();
        patch(&mut scenario.requests);
        scenario.check_requests(&self.server.requests(), &self.base)
    }
}

fn substitute(value: &Value, base: &str) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace("{API}", base)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, base)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, base)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A user as upstream's SDK returns it (the fields the catalog's users have).
fn user_json(user: &User) -> Value {
    let mut json = json!({"id": user.id});
    if let Some(email) = &user.email {
        json["email"] = json!(email);
    }
    if let Some(token) = &user.refresh_token {
        json["refresh_token"] = json!(token.expose());
    }
    if let Some(created_at) = &user.created_at {
        json["created_at"] = json!(created_at);
        json["isGuest"] = json!(user.is_guest);
    }
    json
}

fn tx_json(result: Result<instantdb_admin::TxId, Error>) -> Result<Value, Error> {
    result.map(|tx_id| json!({"tx-id": tx_id.get()}))
}

fn ms(millis: u64) -> Value {
    date(UNIX_EPOCH + Duration::from_millis(millis))
}

async fn run(scenario: &Scenario, server: &ScriptedServer) -> Result<(), String> {
    let ctx = Ctx {
        scenario,
        server,
        base: server.url(),
    };
    let goals = || json!({"goals": {}});
    match scenario.name.as_str() {
        "admin.init.warning" => {
            ctx.db()?;
            ctx.no_requests()
        }

        // Queries. Those recorded with their arguments are rebuilt from the TypeScript call's
        // `db.query(q)` argument with the `instaql` builders (`instaql_of`: one setter per `$`
        // key, one `Cond` per operator, one `Select::link` per nested namespace), so the
        // builders' mapping to the wire is what is checked.
        "admin.query.simple"
        | "admin.query.nested"
        | "admin.query.multiTopLevel"
        | "admin.query.whereOrderLimitFields"
        | "admin.query.cursors.lastBefore"
        | "admin.query.offset"
        | "admin.query.whereGte"
        | "admin.query.cursors.after"
        | "admin.query.cursors.afterInclusive"
        | "admin.query.cursors.beforeInclusive" => {
            let query = instaql_of(scenario.call_arg(0))?;
            ctx.check(ctx.db()?.query(query).send().await)
        }
        "admin.query.whereOperators" => {
            let filter = Where::new()
                .or([
                    Where::new().cond("id", Cond::is_in([GOAL, GOAL2])),
                    Where::new().and([
                        Where::new().cond("priority", Cond::gt(1)),
                        Where::new().cond("priority", Cond::lte(5)),
                    ]),
                ])
                .cond("title", Cond::not("x"))
                .cond("dueAt", Cond::is_null(false))
                .eq("createdAt", ms(1_704_164_645_000));
            let query = InstaQl::new().namespace("goals", Select::new().filter(filter));
            ctx.check(ctx.db()?.query(query).send().await)
        }
        "admin.query.cursors.firstAfter" => {
            let cursor = json!([GOAL, "dddddddd-dddd-4ddd-8ddd-dddddddddd02", "Ship wire catalog", 1_700_000_000_000u64]);
            let query = json!({"goals": {"$": {"first": 2, "after": cursor, "order": {"title": "asc"}}}});
            ctx.check(ctx.db()?.query(query).send().await)
        }
        "admin.query.aggregateCount" => {
            let query = json!({"goals": {"$": {"aggregate": "count"}}});
            ctx.check(ctx.db()?.query(query).send().await)
        }
        "admin.query.ruleParams" => ctx.check(
            ctx.db()?
                .query(goals())
                .rule_params(json!({"knownSecret": "s3cret"}))
                .send()
                .await,
        ),
        "admin.query.fetchOpts" => ctx.check(
            ctx.db()?
                .query(goals())
                .header("x-request-id", "req-1")
                .header("app-id", "overridden?")
                // What Node's fetch sends for `cache: 'no-store'`.
                .header("cache-control", "no-cache")
                .header("pragma", "no-cache")
                .send()
                .await,
        ),
        "admin.query.withSchema" => ctx.check(
            ctx.with_schema()?
                .query(json!({"goals": {"todos": {}}}))
                .send()
                .await,
        ),
        "admin.query.apiURITrailingSlash" => {
            let db = AdminClient::builder(APP_ID)
                .admin_token(ADMIN_TOKEN)
                .api_uri(format!("{}/", ctx.base))
                .proxy(Proxy::none())
                .build()
                .map_err(|e| e.to_string())?;
            db.query(goals()).send().await.map_err(|e| e.to_string())?;
            // Divergence: the base URL is normalised, so no `//admin/query`.
            ctx.patched(|requests| requests[0]["path"] = json!("/admin/query"))
        }
        "admin.query.noAdminToken" => ctx.refused(ctx.client(None)?.query(goals()).send().await),
        "admin.query.adminTokenWhitespace" => {
            let db = AdminClient::builder(format!(" {APP_ID}\n"))
                .admin_token(format!(" {ADMIN_TOKEN}\n"))
                .api_uri(ctx.base.as_str())
                .proxy(Proxy::none())
                .build()
                .map_err(|e| e.to_string())?;
            ctx.check(db.query(goals()).send().await)
        }

        // Transactions.
        // `db.transact(chunks)`, rebuilt from the recorded `tx.ns[id].op(...)` chains (see
        // `chunks_of`), so each `TransactionChunk` method's mapping to a step is what is checked.
        "admin.transact.update"
        | "admin.transact.create"
        | "admin.transact.updateUpsertFalse"
        | "admin.transact.merge"
        | "admin.transact.delete"
        | "admin.transact.link"
        | "admin.transact.linkMany"
        | "admin.transact.unlink"
        | "admin.transact.lookupId"
        | "admin.transact.lookupMethod"
        | "admin.transact.lookupInLink"
        | "admin.transact.lookupNumberValue"
        | "admin.transact.multiStep"
        | "admin.transact.ruleParams" => {
            let chunks = chunks_of(scenario.call_arg(0))?;
            ctx.check(tx_json(ctx.db()?.transact(chunks).send().await))
        }
        "admin.transact.dateAndSpecialValues" => ctx.check(tx_json(
            ctx.db()?
                .transact(tx("goals", GOAL).update(json!({
                    "dueAt": ms(1_706_933_106_789),
                    "priority": null,
                    "big": 1e21,
                    "unicode": "héllo ✓",
                })))
                .send()
                .await,
        )),
        "admin.transact.withSchema" => ctx.check(tx_json(
            ctx.with_schema()?
                .transact([
                    tx("goals", GOAL).update(json!({"title": "A", "priority": 1})),
                    tx("goals", GOAL).link(json!({"todos": TODO})),
                ])
                .send()
                .await,
        )),
        "admin.transact.withSchema.invalidId" => {
            let result = ctx
                .with_schema()?
                .transact(tx("goals", "not-a-uuid").update(json!({"title": "A"})))
                .send()
                .await;
            if let Err(err) = &result
                && !err.is_transaction_validation() {
                    return Err(format!("expected a transaction validation error, got {err}"));
                }
            ctx.refused(result)
        }
        "admin.transact.disableValidation" => {
            let db = ctx
                .builder(Some(ADMIN_TOKEN))
                .schema(schema())
                .disable_validation(true)
                .build()
                .map_err(|e| e.to_string())?;
            ctx.check(tx_json(
                db.transact(tx("goals", "not-a-uuid").update(json!({"title": 1})))
                    .send()
                    .await,
            ))
        }

        // Impersonation.
        "admin.asUser.email.query" => ctx.check(
            ctx.db()?
                .as_user(Impersonate::email("alyssa@example.com"))
                .query(goals())
                .send()
                .await,
        ),
        "admin.asUser.email.transact" => ctx.check(tx_json(
            ctx.db()?
                .as_user(Impersonate::email("alyssa@example.com"))
                .transact(tx("goals", GOAL).update(json!({"title": "A"})))
                .send()
                .await,
        )),
        "admin.asUser.token.query" => ctx.check(
            ctx.db()?
                .as_user(Impersonate::token(REFRESH_TOKEN))
                .query(goals())
                .send()
                .await,
        ),
        "admin.asUser.token.transact" => ctx.check(tx_json(
            ctx.db()?
                .as_user(Impersonate::token(REFRESH_TOKEN))
                .transact(tx("goals", GOAL).update(json!({"title": "A"})))
                .send()
                .await,
        )),
        "admin.asUser.token.noAdminToken.query" => ctx.check(
            ctx.client(None)?
                .as_user(Impersonate::token(REFRESH_TOKEN))
                .query(goals())
                .send()
                .await,
        ),
        "admin.asUser.guest.query" => ctx.check(
            ctx.db()?
                .as_user(Impersonate::Guest)
                .query(goals())
                .send()
                .await,
        ),
        "admin.asUser.guest.transact" => ctx.check(tx_json(
            ctx.db()?
                .as_user(Impersonate::Guest)
                .transact(tx("goals", GOAL).update(json!({"title": "A"})))
                .send()
                .await,
        )),
        "admin.asUser.guest.noAdminToken.transact" => ctx.check(tx_json(
            ctx.client(None)?
                .as_user(Impersonate::Guest)
                .transact(tx("goals", GOAL).update(json!({"title": "A"})))
                .send()
                .await,
        )),
        "admin.asUser.email.noAdminToken" => ctx.refused(
            ctx.client(None)?
                .as_user(Impersonate::email("alyssa@example.com"))
                .query(goals())
                .send()
                .await,
        ),
        "admin.asUser.email.auth.createToken" => ctx.check(
            ctx.db()?
                .as_user(Impersonate::email("x@example.com"))
                .auth()
                .create_token(UserRef::email("alyssa@example.com"))
                .send()
                .await
                .map(|token| json!(token.expose())),
        ),

        // Auth.
        "admin.auth.createToken.emailString" | "admin.auth.createToken.email" => ctx.check(
            ctx.db()?
                .auth()
                .create_token(UserRef::email("alyssa@example.com"))
                .send()
                .await
                .map(|token| json!(token.expose())),
        ),
        "admin.auth.createToken.id" => ctx.check(
            ctx.db()?
                .auth()
                .create_token(UserRef::id(USER))
                .send()
                .await
                .map(|token| json!(token.expose())),
        ),
        "admin.auth.generateMagicCode" => ctx.check(
            ctx.db()?
                .auth()
                .generate_magic_code("alyssa@example.com")
                .send()
                .await
                .map(|code| json!({"code": code})),
        ),
        "admin.auth.sendMagicCode" => {
            // The canned answer is `{"sent": true}`: no code to hand back.
            let code = ctx
                .db()?
                .auth()
                .send_magic_code("alyssa@example.com")
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if code.is_some() {
                return Err(format!("expected no code, got {code:?}"));
            }
            ctx.requests()
        }
        "admin.auth.verifyMagicCode" => ctx.check(
            ctx.db()?
                .auth()
                .verify_magic_code("alyssa@example.com", "424242")
                .send()
                .await
                .map(|signed_in| user_json(&signed_in.user)),
        ),
        "admin.auth.checkMagicCode" => ctx.check(
            ctx.db()?
                .auth()
                .verify_magic_code("alyssa@example.com", "424242")
                .send()
                .await
                .map(|s| json!({"user": user_json(&s.user), "created": s.created})),
        ),
        "admin.auth.checkMagicCode.extraFields" => ctx.check(
            ctx.db()?
                .auth()
                .verify_magic_code("alyssa@example.com", "424242")
                .extra_fields(json!({"nickname": "al"}))
                .send()
                .await
                .map(|s| json!({"user": user_json(&s.user), "created": s.created})),
        ),
        "admin.auth.getUser.email" => ctx.check(
            ctx.db()?
                .auth()
                .get_user(UserRef::email("alyssa+test@example.com"))
                .send()
                .await
                .map(|user| user.as_ref().map_or(Value::Null, user_json)),
        ),
        "admin.auth.getUser.id" => ctx.check(
            ctx.db()?
                .auth()
                .get_user(UserRef::id(USER))
                .send()
                .await
                .map(|user| user.as_ref().map_or(Value::Null, user_json)),
        ),
        "admin.auth.getUser.refreshToken" => ctx.check(
            ctx.db()?
                .auth()
                .get_user(UserRef::refresh_token(REFRESH_TOKEN))
                .send()
                .await
                .map(|user| user.as_ref().map_or(Value::Null, user_json)),
        ),
        "admin.auth.deleteUser.email" => ctx.check(
            ctx.db()?
                .auth()
                .delete_user(UserRef::email("alyssa@example.com"))
                .send()
                .await
                .map(|user| user.as_ref().map_or(Value::Null, user_json)),
        ),
        "admin.auth.deleteUser.id" => ctx.check(
            ctx.db()?
                .auth()
                .delete_user(UserRef::id(USER))
                .send()
                .await
                .map(|user| user.as_ref().map_or(Value::Null, user_json)),
        ),
        "admin.auth.deleteUser.refreshToken" => ctx.check(
            ctx.db()?
                .auth()
                .delete_user(UserRef::refresh_token(REFRESH_TOKEN))
                .send()
                .await
                .map(|user| user.as_ref().map_or(Value::Null, user_json)),
        ),
        "admin.auth.signOut.emailString" | "admin.auth.signOut.email" => ctx.check(
            ctx.db()?
                .auth()
                .sign_out(UserRef::email("alyssa@example.com"))
                .send()
                .await
                .map(|()| Value::Null),
        ),
        "admin.auth.signOut.id" => ctx.check(
            ctx.db()?
                .auth()
                .sign_out(UserRef::id(USER))
                .send()
                .await
                .map(|()| Value::Null),
        ),
        "admin.auth.signOut.refreshToken" => ctx.check(
            ctx.db()?
                .auth()
                .sign_out(UserRef::refresh_token(REFRESH_TOKEN))
                .send()
                .await
                .map(|()| Value::Null),
        ),
        "admin.auth.verifyToken" => ctx.check(
            ctx.db()?
                .auth()
                .verify_token(REFRESH_TOKEN)
                .send()
                .await
                .map(|user| user_json(&user)),
        ),
        "admin.auth.getUserFromRequest" | "admin.auth.getUserFromRequest.disableValidation" => {
            let cookie = user_cookie()?;
            let validate = scenario.name == "admin.auth.getUserFromRequest";
            let mut headers = instantdb_http::http::HeaderMap::new();
            headers.insert(
                instantdb_http::http::header::COOKIE,
                instantdb_http::http::HeaderValue::from_str(&format!("theme=dark; {cookie}"))
                    .map_err(|e| e.to_string())?,
            );
            let result = ctx
                .db()?
                .auth()
                .user_from_request(&headers)
                .disable_validation(!validate)
                .send()
                .await
                .map(|user| user.as_ref().map_or(Value::Null, user_json));
            ctx.check(result)
        }
        "admin.createInstantRouteHandler" => {
            let response = InstantRouteHandler::new(APP_ID).post(sync_user_body().as_bytes());
            let actual = json!({
                "status": response.status.as_u16(),
                "setCookie": response.set_cookie,
            });
            ctx.check(Ok(actual))
        }

        // Storage.
        // `db.storage.uploadFile(path, bytes, opts)`, rebuilt from the recorded arguments: the
        // bytes (a Buffer or a Uint8Array) and each option map to their Rust counterparts.
        "admin.storage.uploadFile.buffer.opts"
        | "admin.storage.uploadFile.buffer.noOpts"
        | "admin.storage.uploadFile.uint8array" => {
            let path = scenario.call_arg(0).as_str().ok_or("no upload path")?;
            let body = upload_bytes(scenario.call_arg(1))?;
            let options = scenario.call_arg(2);
            let mut request = ctx
                .db()?
                .storage()
                .upload_file(path, UploadBody::bytes(body));
            if let Some(content_type) = options["contentType"].as_str() {
                request = request.content_type(content_type);
            }
            if let Some(disposition) = options["contentDisposition"].as_str() {
                request = request.content_disposition(disposition);
            }
            ctx.check(upload(request.send().await))
        }
        "admin.storage.uploadFile.nodeReadable" => ctx.check(upload(
            ctx.db()?
                .storage()
                .upload_file("notes/stream.txt", UploadBody::reader(&b"hello world"[..], 11))
                .content_type("text/plain")
                .send()
                .await,
        )),
        "admin.storage.uploadFile.webReadableStream" => {
            // Divergence: upstream throws (Node's fetch needs `duplex` for web streams); a
            // stream with a known length uploads like any other here.
            server.push(Reply::json(200, json!({"data": {"id": "ffffffff-ffff-4fff-8fff-ffffffffff01"}})));
            ctx.db()?
                .storage()
                .upload_file("notes/web.txt", UploadBody::reader(&b"hello world"[..], 11))
                .content_type("text/plain")
                .send()
                .await
                .map_err(|e| e.to_string())?;
            ctx.patched(|requests| {
                requests.push(json!({
                    "method": "PUT",
                    "path": "/admin/storage/upload",
                    "query": {"app_id": APP_ID},
                    "headers": {
                        "app-id": APP_ID,
                        "authorization": format!("Bearer {ADMIN_TOKEN}"),
                        "content-type": "text/plain",
                        "instant-admin-version": "v1.0.67",
                        "instant-core-version": "v1.0.67",
                        "path": "notes/web.txt",
                    },
                    "body": {"__bytes": 11},
                }));
            })
        }
        "admin.storage.uploadFile.stream.noFileSize" => {
            let body = instantdb_http::Body::from_reader(&b"a"[..], None);
            let result = ctx
                .db()?
                .storage()
                .upload_file("x", UploadBody::from(body))
                .send()
                .await;
            match &result {
                Err(err) if err.is_invalid_input() => ctx.no_requests(),
                other => Err(format!("expected a local refusal, got {other:?}")),
            }
        }
        "admin.storage.uploadFile.asUserToken" => ctx.check(upload(
            ctx.db()?
                .as_user(Impersonate::token(REFRESH_TOKEN))
                .storage()
                .upload_file("photos/cat.png", &b"hello world"[..])
                .content_type("image/png")
                .send()
                .await,
        )),
        "admin.storage.upload.legacy" => ctx.check(
            ctx.db()?
                .storage()
                .legacy_upload("photos/cat.png", &b"hello world"[..], Some("image/png"))
                .send()
                .await
                .map(|ok| json!(ok)),
        ),
        "admin.storage.delete" => ctx.check(
            ctx.db()?
                .storage()
                .delete_file("photos/my cat&dog.png")
                .send()
                .await
                .map(|id| json!({"data": {"id": id}})),
        ),
        "admin.storage.delete.asUserGuest" => ctx.check(
            ctx.db()?
                .as_user(Impersonate::Guest)
                .storage()
                .delete_file("photos/cat.png")
                .send()
                .await
                .map(|id| json!({"data": {"id": id}})),
        ),
        "admin.storage.deleteMany" => ctx.check(
            ctx.db()?
                .storage()
                .delete_files(["photos/cat.png", "photos/dog.png"])
                .send()
                .await
                .map(|ids| json!({"data": {"ids": ids}})),
        ),
        "admin.storage.list" => ctx.check(ctx.db()?.storage().legacy_list().send().await.map(
            |objects| {
                Value::Array(
                    objects
                        .iter()
                        .map(|o| {
                            json!({"key": o.key, "name": o.name, "size": o.size, "etag": o.etag, "last_modified": o.last_modified.map(|t| t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64))})
                        })
                        .collect(),
                )
            },
        )),
        "admin.storage.getDownloadUrl" => ctx.check(
            ctx.db()?
                .storage()
                .legacy_download_url("photos/my cat.png")
                .send()
                .await
                .map(|url| json!(url)),
        ),

        // Presence.
        "admin.rooms.getPresence" => ctx.check(presence(
            ctx.db()?.rooms().get_presence("chat", ROOM).send().await,
        )),
        "admin.rooms.getPresence.specialChars" => {
            presence(ctx.db()?.rooms().get_presence("chat room", "room/1&x=2").send().await)
                .map_err(|e| e.to_string())?;
            // Divergence: upstream does not encode these values, so `&x=2` becomes a parameter
            // of its own; here the room id arrives intact.
            ctx.patched(|requests| {
                requests[0]["query"] =
                    json!({"app_id": APP_ID, "room-type": "chat room", "room-id": "room/1&x=2"});
            })
        }

        // Permission debugging.
        "admin.debugQuery" => ctx.check(
            ctx.db()?
                .query_perms_check(goals())
                .rules(&instantdb_schema::perms::Rules::from_value(&json!({"goals": {"allow": {"view": "false"}}})).unwrap())
                .rule_params(json!({"k": "v"}))
                .ip("203.0.113.7")
                .origin("https://app.example.com")
                .send()
                .await
                .map(|c| json!({"result": c.result, "checkResults": c.check_results})),
        ),
        "admin.debugQuery.minimal" => ctx.check(
            ctx.db()?
                .query_perms_check(goals())
                .send()
                .await
                .map(|c| json!({"result": c.result, "checkResults": c.check_results})),
        ),
        "admin.debugQuery.asUser" => ctx.check(
            ctx.db()?
                .as_user(Impersonate::email("alyssa@example.com"))
                .query_perms_check(goals())
                .inference(true)
                .send()
                .await
                .map(|c| json!({"result": c.result, "checkResults": c.check_results})),
        ),
        "admin.debugTransact" => ctx.check(
            ctx.db()?
                .transact_perms_check(tx("goals", GOAL).update(json!({"title": "A"})))
                .rules(&instantdb_schema::perms::Rules::from_value(&json!({"goals": {"allow": {"update": "false"}}})).unwrap())
                .ip("203.0.113.7")
                .origin("https://app.example.com")
                .send()
                .await
                .map(|c| perms_json(&c)),
        ),
        "admin.debugTransact.minimal" => ctx.check(
            ctx.db()?
                .transact_perms_check([tx("goals", GOAL).update(json!({"title": "A"}))])
                .send()
                .await
                .map(|c| perms_json(&c)),
        ),
        "admin.debugTransact.dangerouslyCommit" => ctx.check(
            ctx.db()?
                .transact_perms_check(tx("goals", GOAL).delete())
                .dangerously_commit(true)
                .send()
                .await
                .map(|c| perms_json(&c)),
        ),

        // Live queries.
        "admin.subscribeQuery" => {
            let update = first_update(ctx.db()?, json!({"goals": {"todos": {}}}), None).await?;
            ctx.requests()?;
            let expected = scenario.result.clone().unwrap_or(Value::Null);
            let actual = update_json(&update);
            for key in ["data", "pageInfo", "sessionInfo"] {
                if actual[key] != expected[key] {
                    return Err(format!(
                        "{key}: expected {}, got {}",
                        expected[key], actual[key]
                    ));
                }
            }
            Ok(())
        }
        "admin.subscribeQuery.asUser.ruleParams.schema" => {
            let db = ctx.with_schema()?.as_user(Impersonate::Guest);
            let update = first_update(db, goals(), Some(json!({"k": "v"}))).await?;
            ctx.requests()?;
            let expected = scenario.result.clone().unwrap_or(Value::Null);
            if update.data != expected["data"] {
                return Err(format!("data: expected {}, got {}", expected["data"], update.data));
            }
            Ok(())
        }

        other => Err(format!("no Rust replay for `{other}` yet")),
    }
}

/// The chunks of a recorded `db.transact(...)` argument: one `{"$tx": [ns, id, [op, ...args]...]}`
/// or an array of them, as `conformance/js/record.mjs` encodes `tx.ns[id].op(...)...`; an id or
/// a link value `{"$lookup": [attribute, value]}` is `lookup(attribute, value)`.
fn chunks_of(arg: &Value) -> Result<Vec<instantdb_admin::TransactionChunk>, String> {
    let one = |chunk: &Value| -> Result<instantdb_admin::TransactionChunk, String> {
        let parts = chunk["$tx"]
            .as_array()
            .ok_or_else(|| format!("not a tx chunk: {chunk}"))?;
        let (Some(namespace), Some(id)) = (parts.first().and_then(Value::as_str), parts.get(1))
        else {
            return Err(format!("a tx chunk needs a namespace and an id: {chunk}"));
        };
        let mut out = match (id.as_str(), id["$lookup"].as_array()) {
            (Some(id), _) => tx(namespace, id),
            (None, Some(pair)) if pair.len() == 2 => {
                tx(namespace, lookup(str_arg(&pair[0])?, pair[1].clone()))
            }
            _ => return Err(format!("unsupported entity id {id}")),
        };
        for op in &parts[2..] {
            let op = op.as_array().ok_or_else(|| format!("not an op: {op}"))?;
            let name = op.first().and_then(Value::as_str).unwrap_or_default();
            let args = op.get(1).map(with_lookups).unwrap_or(Value::Null);
            let opts = op.get(2);
            out = match (name, opts) {
                ("update", None) => out.update(args),
                ("update", Some(opts)) => out.update_with(
                    args,
                    UpdateOpts::upsert(opts["upsert"].as_bool().ok_or("upsert is not a bool")?),
                ),
                ("create", None) => out.create(args),
                ("merge", None) => out.merge(args),
                ("delete", None) => out.delete(),
                ("link", None) => out.link(args),
                ("unlink", None) => out.unlink(args),
                ("ruleParams", None) => out.rule_params(args),
                _ => return Err(format!("no TransactionChunk method for {op:?}")),
            };
        }
        Ok(out)
    };
    match arg {
        Value::Array(chunks) => chunks.iter().map(one).collect(),
        chunk => Ok(vec![one(chunk)?]),
    }
}

/// A recorded value with each `{"$lookup": [attribute, value]}` replaced by `lookup(...)`.
fn with_lookups(value: &Value) -> Value {
    match value {
        Value::Object(map) => match map.get("$lookup").and_then(Value::as_array) {
            Some(pair) if map.len() == 1 && pair.len() == 2 => Value::from(lookup(
                pair[0].as_str().unwrap_or_default(),
                pair[1].clone(),
            )),
            _ => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), with_lookups(v)))
                    .collect(),
            ),
        },
        Value::Array(items) => Value::Array(items.iter().map(with_lookups).collect()),
        other => other.clone(),
    }
}

fn str_arg(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got {value}"))
}

/// The bytes of a recorded upload argument: `{"$buffer": text}` (a Node Buffer) or
/// `{"$bytes": [n...]}` (a Uint8Array), as `conformance/js/record.mjs` encodes them.
fn upload_bytes(arg: &Value) -> Result<Vec<u8>, String> {
    if let Some(text) = arg["$buffer"].as_str() {
        return Ok(text.as_bytes().to_vec());
    }
    arg["$bytes"]
        .as_array()
        .ok_or_else(|| format!("no upload bytes in {arg}"))?
        .iter()
        .map(|n| {
            n.as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| format!("not a byte: {n}"))
        })
        .collect()
}

fn upload(result: Result<instantdb_admin::UploadedFile, Error>) -> Result<Value, Error> {
    result.map(|file| json!({"data": {"id": file.id}}))
}

fn presence(
    result: Result<instantdb_schema::IndexMap<String, instantdb_admin::PresenceSession>, Error>,
) -> Result<Value, Error> {
    result.map(|sessions| {
        Value::Object(
            sessions
                .iter()
                .map(|(id, session)| {
                    let user = session
                        .user
                        .as_ref()
                        .map_or(Value::Null, |u| json!({"id": u.id, "email": u.email}));
                    (
                        id.clone(),
                        json!({"peer-id": session.peer_id, "user": user, "data": session.data}),
                    )
                })
                .collect(),
        )
    })
}

fn perms_json(check: &instantdb_admin::TransactPermsCheck) -> Value {
    json!({
        "all-checks-ok?": check.all_checks_ok,
        "committed?": check.committed,
        "check-results": check.check_results,
    })
}

/// The body upstream's client posts to the route handler, and the cookie it sets.
fn sync_user_body() -> String {
    json!({"type": "sync-user", "appId": APP_ID, "user": {"id": USER, "refresh_token": REFRESH_TOKEN}})
        .to_string()
}

fn user_cookie() -> Result<String, String> {
    let response = InstantRouteHandler::new(APP_ID).post(sync_user_body().as_bytes());
    let set_cookie = response
        .set_cookie
        .ok_or("the route handler set no cookie")?;
    Ok(set_cookie.split(';').next().unwrap_or_default().to_owned())
}

async fn first_update(
    db: AdminClient,
    query: Value,
    rule_params: Option<Value>,
) -> Result<instantdb_admin::QueryUpdate, String> {
    // The canned stream ends after its events; without reconnects the subscription ends too.
    let mut request = db.subscribe_query(query).reconnect(Reconnect::never());
    if let Some(params) = rule_params {
        request = request.rule_params(params);
    }
    let mut subscription = request.send().await.map_err(|e| e.to_string())?;
    let update = subscription
        .next()
        .await
        .ok_or("the live query ended without an update")?
        .map_err(|e| e.to_string())?;
    // Dropping the subscription closes the connection (upstream's `sub.close()`).
    drop(subscription);
    Ok(update)
}

/// A live-query update as upstream's payload (`{data, pageInfo, sessionInfo}`).
fn update_json(update: &instantdb_admin::QueryUpdate) -> Value {
    let mut page_info = serde_json::Map::new();
    for (namespace, page) in &update.page_info {
        page_info.insert(
            namespace.clone(),
            json!({
                "startCursor": page.start_cursor,
                "endCursor": page.end_cursor,
                "hasNextPage": page.has_next_page,
                "hasPreviousPage": page.has_previous_page,
            }),
        );
    }
    json!({
        "data": update.data,
        "pageInfo": page_info,
        "sessionInfo": update.session.as_ref().map(|s| json!({"machineId": s.machine_id, "sessionId": s.session_id})),
    })
}

/// `db.webhooks` replayed with `instantdb-platform`'s `Webhooks` and the admin token.
async fn webhooks(scenario: &Scenario, server: &ScriptedServer) -> Result<(), String> {
    const WEBHOOK_ID: &str = "77777777-7777-4777-8777-777777777777";
    let base = server.url();
    let api = PlatformClient::builder()
        .api_uri(base.as_str())
        .token(ADMIN_TOKEN)
        .build()
        .map_err(|e| e.to_string())?;
    let hooks = api.webhooks(APP_ID);
    let failed = |e: instantdb_platform::Error| format!("the call failed: {e}");
    let actual = match scenario.name.as_str() {
        "admin.webhooks.manager.list" => {
            let list = hooks.list().send().await.map_err(failed)?;
            Value::Array(list.iter().map(webhook_json).collect())
        }
        "admin.webhooks.manager.create" => {
            let hook = hooks
                .create(
                    "https://hooks.example.com/instant",
                    ["goals"],
                    [WebhookAction::Create],
                )
                .send()
                .await
                .map_err(failed)?;
            webhook_json(&hook)
        }
        "admin.webhooks.manager.getPayload" => {
            let payload = hooks
                .get_payload(WEBHOOK_ID, "1001")
                .send()
                .await
                .map_err(failed)?;
            payload_json(&payload)
        }
        "admin.webhooks.processRequest" => {
            let payload_url = format!("{base}/webhooks/payload/{APP_ID}/{WEBHOOK_ID}/1001");
            let body =
                json!({"payloadUrl": payload_url, "token": "test-webhook-payload-jwt"}).to_string();
            let now = UNIX_EPOCH.elapsed().map_err(|e| e.to_string())?.as_secs();
            // The catalog's key is not ours: a well-formed signature that cannot verify.
            let header = format!("t={now},kid=test-kid-admin,v1={}", "ab".repeat(64));
            match hooks
                .verify_signature(&header, body.as_bytes(), VerifyOptions::new())
                .await
            {
                Err(err) if err.to_string() == "Instant Signature did not validate" => {}
                other => {
                    return Err(format!(
                        "expected the signature check to fail, got {other:?}"
                    ));
                }
            }
            let delivery = WebhookBody::new(payload_url, "test-webhook-payload-jwt");
            let payload = hooks.fetch_payload(&delivery).await.map_err(failed)?;
            let handled = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let seen = handled.clone();
            let handlers = WebhookHandlers::new().on_any(move |record| {
                let seen = seen.clone();
                async move {
                    if let Ok(mut seen) = seen.lock() {
                        seen.push(json!({
                            "namespace": record.namespace,
                            "action": record.action,
                            "id": record.id,
                        }));
                    }
                    Ok(())
                }
            });
            handlers.dispatch(payload).await.map_err(failed)?;
            let handled = handled.lock().map_err(|_| "poisoned")?.clone();
            json!({ "handled": handled })
        }
        other => return Err(format!("no Rust replay for `{other}` yet")),
    };
    let options = CheckOptions {
        ignore_headers: vec!["instant-admin-version".to_owned()],
        ..CheckOptions::default()
    };
    scenario.check_requests_with(&server.requests(), &base, &options)?;
    let expected = substitute(&scenario.result.clone().unwrap_or(Value::Null), &base);
    if actual != expected {
        return Err(format!("result: expected {expected}, got {actual}"));
    }
    Ok(())
}

/// A webhook as the official manager returns it.
fn webhook_json(hook: &instantdb_platform::Webhook) -> Value {
    let time = |at: std::time::SystemTime| humantime::format_rfc3339_millis(at).to_string();
    let status = match &hook.status {
        instantdb_platform::WebhookStatus::Active => "active".to_owned(),
        instantdb_platform::WebhookStatus::Disabled => "disabled".to_owned(),
        other => format!("{other:?}"),
    };
    json!({
        "id": hook.id,
        "sink": {"url": hook.url},
        "namespaces": hook.namespaces,
        "actions": hook.actions,
        "status": status,
        "disabledReason": hook.disabled_reason,
        "createdAt": time(hook.created_at),
        "updatedAt": time(hook.updated_at),
    })
}

/// A payload as the official manager returns it.
fn payload_json(payload: &instantdb_platform::WebhookPayload) -> Value {
    let data: Vec<Value> = payload
        .data
        .iter()
        .map(|record| {
            json!({
                "namespace": record.namespace,
                "id": record.id,
                "action": record.action,
                "before": record.before,
                "after": record.after,
                "idempotencyKey": record.idempotency_key,
            })
        })
        .collect();
    json!({ "idempotencyKey": payload.idempotency_key, "data": data })
}
