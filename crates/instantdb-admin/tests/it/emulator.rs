//! End-to-end flows against the local emulator (`instantdb-emulator`): query, transact,
//! lookups, auth, storage, presence, impersonation with permission rules, the permission
//! debuggers, live queries and the schema flags.

use std::time::Duration;

use futures_util::StreamExt;
use instantdb_admin::instaql::{Cond, InstaQl, Order, Select, Where};
use instantdb_admin::{
    AdminClient, Impersonate, Reconnect, UpdateOpts, UploadBody, UserRef, id, lookup, raw_step, tx,
};
use instantdb_emulator::{AppCredentials, Emulator};
use instantdb_http::{Proxy, Secret};
use serde_json::{Value, json};

struct App {
    emulator: Emulator,
    app: AppCredentials,
}

impl App {
    async fn start() -> App {
        let emulator = Emulator::builder().start().await.unwrap();
        let app = emulator.create_app("admin e2e").unwrap();
        App { emulator, app }
    }

    fn builder(&self) -> instantdb_admin::AdminClientBuilder {
        AdminClient::builder(&self.app.app_id)
            .api_uri(self.emulator.base_url())
            .proxy(Proxy::none())
    }

    fn db(&self) -> AdminClient {
        self.builder()
            .admin_token(self.app.admin_token())
            .build()
            .unwrap()
    }

    fn http(&self) -> instantdb_http::Client {
        instantdb_http::Client::builder()
            .base_url(self.emulator.base_url())
            .proxy(Proxy::none())
            .build()
            .unwrap()
    }

    /// The bytes at a download URL the server handed out.
    async fn download(&self, url: &str) -> bytes::Bytes {
        self.http()
            .request_url(http::Method::GET, url::Url::parse(url).unwrap())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    }

    /// Replaces the app's permission rules through the platform API.
    async fn push_rules(&self, rules: Value) {
        let path = format!("/superadmin/apps/{}/perms", self.app.app_id);
        let _: Value = self
            .http()
            .post(path.as_str())
            .bearer_auth(&Secret::new(self.emulator.platform_token()))
            .json(&json!({"code": rules}))
            .send_json()
            .await
            .unwrap();
    }
}

fn titles(result: &Value, namespace: &str) -> Vec<String> {
    let mut titles: Vec<String> = result[namespace]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn query_transact_lookups_and_the_typed_builder() {
    let app = App::start().await;
    let db = app.db();
    let (goal, todo1, todo2) = (id(), id(), id());
    let first = db
        .transact([
            tx("goals", &goal).update(json!({"title": "Ship it", "priority": 3})),
            tx("todos", &todo1).update(json!({"text": "write"})),
            tx("todos", &todo2).create(json!({"text": "test"})),
            tx("goals", &goal).link(json!({"todos": [todo1, todo2]})),
        ])
        .send()
        .await
        .unwrap();

    let result = db
        .query(json!({"goals": {"todos": {}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(titles(&result, "goals"), ["Ship it"]);
    assert_eq!(result["goals"][0]["todos"].as_array().unwrap().len(), 2);

    // Lookups: in the id slot (creates the entity and a unique attribute), then in a link value.
    let second = db
        .transact(
            tx("goals", lookup("slug", "launch")).update(json!({"title": "Launch", "priority": 1})),
        )
        .send()
        .await
        .unwrap();
    assert!(second.get() > first.get());
    let todo3 = id();
    db.transact(
        tx("todos", &todo3)
            .update(json!({"text": "announce"}))
            .link(json!({"goals": lookup("slug", "launch")})),
    )
    .send()
    .await
    .unwrap();
    let launch = db
        .query(
            InstaQl::new().namespace(
                "goals",
                Select::new()
                    .filter(Where::new().eq("slug", "launch"))
                    .link("todos", Select::new().fields(["text"])),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(titles(&launch, "goals"), ["Launch"]);
    assert_eq!(
        launch["goals"][0]["todos"][0],
        json!({"id": todo3, "text": "announce"})
    );

    #[derive(serde::Deserialize)]
    struct Goals {
        goals: Vec<Goal>,
    }
    #[derive(serde::Deserialize)]
    struct Goal {
        title: String,
        priority: u32,
    }
    let ordered: Goals = db
        .query_as(
            json!({"goals": {"$": {"where": {"or": [{"title": "Ship it"}, {"slug": "launch"}]}}}}),
        )
        .await
        .unwrap();
    let mut pairs: Vec<(String, u32)> = ordered
        .goals
        .into_iter()
        .map(|g| (g.title, g.priority))
        .collect();
    pairs.sort();
    assert_eq!(pairs, [("Launch".to_owned(), 1), ("Ship it".to_owned(), 3)]);

    // Merge keeps the other keys; upsert: false refuses a missing entity; delete removes.
    db.transact(tx("goals", &goal).merge(json!({"meta": {"a": 1}})))
        .send()
        .await
        .unwrap();
    db.transact(tx("goals", &goal).merge(json!({"meta": {"b": 2}})))
        .send()
        .await
        .unwrap();
    let merged = db
        .query(json!({"goals": {"$": {"where": {"id": goal}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(merged["goals"][0]["meta"], json!({"a": 1, "b": 2}));
    let err = db
        .transact(tx("goals", id()).update_with(json!({"title": "x"}), UpdateOpts::upsert(false)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
    db.transact(tx("goals", &goal).delete())
        .send()
        .await
        .unwrap();
    let left = db.query(json!({"goals": {}})).send().await.unwrap();
    assert_eq!(titles(&left, "goals"), ["Launch"]);
}

/// An indexed attribute with a checked type, as a schema push creates `i.string().indexed()`.
fn indexed_attr(entity: &str, label: &str, checked_type: &str) -> Value {
    json!({
        "id": id(),
        "forward-identity": [id(), entity, label],
        "value-type": "blob",
        "cardinality": "one",
        "unique?": false,
        "index?": true,
        "checked-data-type": checked_type
    })
}

#[tokio::test]
async fn comparisons_and_patterns_on_indexed_typed_attributes() {
    let app = App::start().await;
    let db = app.db();
    // Indexed, typed attributes, created with raw `add-attr` steps in one transaction.
    db.transact([
        raw_step(json!([
            "add-attr",
            indexed_attr("books", "title", "string")
        ])),
        raw_step(json!([
            "add-attr",
            indexed_attr("books", "pages", "number")
        ])),
    ])
    .send()
    .await
    .unwrap();
    let books = [("Dune", 412), ("Emma", 474), ("Ulysses", 730)];
    let chunks: Vec<_> = books
        .iter()
        .map(|(title, pages)| tx("books", id()).update(json!({"title": title, "pages": pages})))
        .collect();
    db.transact(chunks).send().await.unwrap();

    let query = InstaQl::new().namespace(
        "books",
        Select::new()
            .filter(Where::new().and([
                Where::new().cond("pages", Cond::gt(400)),
                Where::new().cond("pages", Cond::lte(500)),
            ]))
            .order("pages", Order::Desc),
    );
    let result = db.query(query).send().await.unwrap();
    let got: Vec<&str> = result["books"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["Emma", "Dune"]);
    let like = db
        .query(InstaQl::new().namespace(
            "books",
            Select::new().filter(Where::new().cond("title", Cond::ilike("%LYSS%"))),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(like["books"][0]["title"], "Ulysses");
}

#[tokio::test]
async fn auth_users_tokens_and_magic_codes() {
    let app = App::start().await;
    let auth = app.db().auth();

    let token = auth
        .create_token(UserRef::email("Alyssa@Example.com "))
        .send()
        .await
        .unwrap();
    let user = auth.verify_token(token.clone()).send().await.unwrap();
    assert_eq!(user.email.as_deref(), Some("alyssa@example.com"));
    for key in [
        UserRef::email("alyssa@example.com"),
        UserRef::id(user.id.clone()),
        UserRef::refresh_token(token.clone()),
    ] {
        let found = auth.get_user(key).send().await.unwrap().unwrap();
        assert_eq!(found.id, user.id);
    }
    assert!(
        auth.get_user(UserRef::email("nobody@example.com"))
            .send()
            .await
            .unwrap()
            .is_none()
    );

    // Magic codes: generated for our own mail, or sent (the emulator hands sent mail out).
    let code = auth
        .generate_magic_code("alyssa@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(code.len(), 6);
    let signed_in = auth
        .verify_magic_code("alyssa@example.com", &code)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.user.id, user.id);
    assert!(!signed_in.created);
    let mut mail = app.emulator.subscribe_mail();
    auth.send_magic_code("bob@example.com")
        .send()
        .await
        .unwrap();
    let sent = tokio::time::timeout(Duration::from_secs(5), mail.recv())
        .await
        .unwrap()
        .unwrap();
    let bob = auth
        .verify_magic_code("bob@example.com", &sent.code)
        .send()
        .await
        .unwrap();
    assert!(bob.created && bob.user.refresh_token.is_some());
    let wrong = auth
        .verify_magic_code("bob@example.com", "000000")
        .send()
        .await;
    assert!(wrong.unwrap_err().status().is_some());

    // Signing out by refresh token revokes it; an unknown email is an error, not a no-op.
    auth.sign_out(UserRef::refresh_token(token.clone()))
        .send()
        .await
        .unwrap();
    let err = auth.verify_token(token).send().await.unwrap_err();
    assert!(err.is_record_not_found(), "{err}");
    let err = auth
        .sign_out(UserRef::email("nobody@example.com"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    auth.sign_out(UserRef::id(id())).send().await.unwrap();

    let deleted = auth
        .delete_user(UserRef::id(user.id.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.unwrap().id, user.id);
    assert!(
        auth.delete_user(UserRef::id(user.id))
            .send()
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn storage_upload_list_download_delete() {
    let app = App::start().await;
    let storage = app.db().storage();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.txt");
    std::fs::write(&path, b"quarterly numbers").unwrap();

    let first = storage
        .upload_file("reports/q3.txt", UploadBody::file(&path))
        .content_type("text/plain")
        .send()
        .await
        .unwrap();
    let again = storage
        .upload_file("reports/q3.txt", "replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.id, again.id,
        "a re-upload to the same path keeps the file id"
    );
    storage
        .upload_file("empty.bin", Vec::new())
        .send()
        .await
        .unwrap();

    let files = storage.list_files().send().await.unwrap();
    let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["empty.bin", "reports/q3.txt"]);
    let url = storage
        .download_url("reports/q3.txt")
        .send()
        .await
        .unwrap()
        .unwrap();
    let bytes = app.download(&url).await;
    assert_eq!(bytes.as_ref(), b"replaced");

    assert_eq!(
        storage.delete_file("reports/q3.txt").send().await.unwrap(),
        Some(first.id)
    );
    assert_eq!(
        storage.delete_file("reports/q3.txt").send().await.unwrap(),
        None
    );
    let deleted = storage
        .delete_files(["empty.bin", "missing.bin"])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.len(), 1);
    assert!(storage.list_files().send().await.unwrap().is_empty());
}

#[tokio::test]
async fn presence_of_an_empty_room_is_an_empty_map() {
    let app = App::start().await;
    let sessions = app
        .db()
        .rooms()
        .get_presence("chat", "room-1")
        .send()
        .await
        .unwrap();
    assert!(sessions.is_empty());
}

#[tokio::test]
async fn impersonation_runs_the_rules_and_the_debuggers_explain_them() {
    let app = App::start().await;
    let db = app.db();
    app.push_rules(json!({"goals": {"allow": {"view": "auth.id != null", "create": "auth.id != null", "update": "auth.id != null"}}}))
        .await;
    db.transact(tx("goals", id()).update(json!({"title": "secret plan"})))
        .send()
        .await
        .unwrap();
    let token = db
        .auth()
        .create_token(UserRef::email("alyssa@example.com"))
        .send()
        .await
        .unwrap();

    let guest = db.as_user(Impersonate::Guest);
    let hidden = guest.query(json!({"goals": {}})).send().await.unwrap();
    assert_eq!(hidden["goals"], json!([]));
    let err = guest
        .transact(tx("goals", id()).update(json!({"title": "spam"})))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err}");

    // A refresh token works without the admin token.
    let tokenless = app
        .builder()
        .build()
        .unwrap()
        .as_user(Impersonate::Token(token));
    let seen = tokenless.query(json!({"goals": {}})).send().await.unwrap();
    assert_eq!(titles(&seen, "goals"), ["secret plan"]);
    let by_email = db.as_user(Impersonate::email("alyssa@example.com"));
    assert_eq!(
        titles(
            &by_email.query(json!({"goals": {}})).send().await.unwrap(),
            "goals"
        ),
        ["secret plan"]
    );

    // Storage keeps the impersonation: no `$files` rule means a guest may not upload.
    let err = guest
        .storage()
        .upload_file("x.txt", "x")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err}");

    let check = guest
        .query_perms_check(json!({"goals": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(check.result["goals"], json!([]));
    let check = by_email
        .query_perms_check(json!({"goals": {}}))
        .rules(
            &instantdb_schema::perms::Rules::from_value(
                &json!({"goals": {"allow": {"view": "false"}}}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(check.result["goals"], json!([]));
    let dry_run = guest
        .transact_perms_check(tx("goals", id()).update(json!({"title": "y"})))
        .send()
        .await
        .unwrap();
    assert!(!dry_run.all_checks_ok && !dry_run.committed);
    assert!(!dry_run.check_results.is_empty());
}

async fn next_update(live: &mut instantdb_admin::Subscription) -> instantdb_admin::QueryUpdate {
    tokio::time::timeout(Duration::from_secs(10), live.next())
        .await
        .expect("no update within 10 s")
        .expect("the live query ended")
        .unwrap()
}

#[tokio::test]
async fn live_queries_follow_writes() {
    let app = App::start().await;
    let db = app.db();
    let mut live = db
        .subscribe_query(json!({"goals": {}}))
        .reconnect(Reconnect::default().initial_delay(Duration::from_millis(50)))
        .send()
        .await
        .unwrap();
    let first = next_update(&mut live).await;
    assert_eq!(first.data, json!({"goals": []}));
    assert!(first.session.is_some());
    db.transact(tx("goals", id()).update(json!({"title": "live"})))
        .send()
        .await
        .unwrap();
    let second = next_update(&mut live).await;
    assert_eq!(titles(&second.data, "goals"), ["live"]);
}

#[tokio::test]
async fn a_schema_client_infers_singular_links_and_refuses_missing_attributes() {
    use instantdb_schema::{Has, i};
    let app = App::start().await;
    let db = app.db();
    // The server's attrs, as a schema push would create them: a has-one link todos.owner.
    let (todo, owner) = (id(), id());
    db.transact(raw_step(json!(["add-attr", {
        "id": id(),
        "forward-identity": [id(), "todos", "owner"],
        "reverse-identity": [id(), "owners", "todos"],
        "value-type": "ref",
        "cardinality": "one",
        "unique?": false,
        "index?": false
    }])))
    .send()
    .await
    .unwrap();
    db.transact([
        tx("owners", &owner).update(json!({"name": "Alyssa"})),
        tx("todos", &todo)
            .update(json!({"text": "t"}))
            .link(json!({"owner": owner})),
    ])
    .send()
    .await
    .unwrap();

    let schema = i::schema()
        .entities([
            ("todos", i::entity([("text", i::string())])),
            ("owners", i::entity([("name", i::string())])),
        ])
        .links([(
            "todosOwner",
            i::link(
                i::forward("todos", Has::One, "owner"),
                i::reverse("owners", Has::Many, "todos"),
            ),
        )]);
    let typed = app
        .builder()
        .admin_token(app.app.admin_token())
        .schema(schema)
        .build()
        .unwrap();
    let without = db
        .query(json!({"todos": {"owner": {}}}))
        .send()
        .await
        .unwrap();
    assert!(without["todos"][0]["owner"].is_array());
    let with = typed
        .query(json!({"todos": {"owner": {}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(with["todos"][0]["owner"]["name"], "Alyssa");

    let err = typed
        .transact(tx("todos", &todo).update(json!({"color": "red"})))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_validation_failed(), "{err}");
    assert!(err.to_string().contains("missing"), "{err}");
}

#[tokio::test]
async fn legacy_storage_endpoints() {
    let app = App::start().await;
    let storage = app.db().storage();
    assert!(
        storage
            .legacy_upload("old/a.txt", &b"legacy"[..], Some("text/plain"))
            .send()
            .await
            .unwrap()
    );
    let objects = storage.legacy_list().send().await.unwrap();
    assert_eq!(
        objects.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["old/a.txt"]
    );
    let url = storage
        .legacy_download_url("old/a.txt")
        .send()
        .await
        .unwrap()
        .unwrap();
    let bytes = app.download(&url).await;
    assert_eq!(bytes.as_ref(), b"legacy");
    assert_eq!(
        storage
            .legacy_download_url("old/missing.txt")
            .send()
            .await
            .unwrap(),
        None
    );
}
