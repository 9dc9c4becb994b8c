//! The admin API: error shapes, InstaML semantics, InstaQL semantics, users, storage, rules.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::support::{AdminApp, Client, Platform, emulator, uuid};

/// The wire JSON of an attribute, as `JSON.stringify(i.string()...)` gives it.
pub(crate) fn attr(value_type: &str, required: bool, indexed: bool, unique: bool) -> Value {
    json!({
        "valueType": value_type,
        "required": required,
        "isIndexed": indexed,
        "config": { "indexed": indexed, "unique": unique },
        "metadata": {},
    })
}

#[tokio::test]
async fn auth_errors_have_the_server_shapes() {
    let emu = emulator().await;
    let app = emu.create_app("errors").unwrap();
    let mut client = Client::new(emu.base_url());
    let query = json!({ "query": { "goals": {} } });

    let reply = client.json("POST", "/admin/query", &[], &query).await;
    let body = reply.err(400, "param-missing");
    assert_eq!(
        body["message"],
        "Missing parameter: [\"headers\" \"app-id\"]"
    );

    let app_id = app.app_id.to_string();
    let reply = client
        .json("POST", "/admin/query", &[("app-id", &app_id)], &query)
        .await;
    assert_eq!(
        reply.err(400, "param-missing")["hint"]["in"],
        json!(["headers", "authorization"])
    );

    let reply = client
        .json(
            "POST",
            "/admin/query",
            &[("app-id", &app_id), ("authorization", "Bearer nope")],
            &query,
        )
        .await;
    reply.err(400, "param-malformed");

    let wrong = format!("Bearer {}", uuid());
    let reply = client
        .json(
            "POST",
            "/admin/query",
            &[("app-id", &app_id), ("authorization", &wrong)],
            &query,
        )
        .await;
    let body = reply.err(400, "record-not-found");
    assert_eq!(body["hint"]["record-type"], "app-admin-token");
    assert_eq!(body["message"], "Record not found: app-admin-token");
    assert!(
        !body.to_string().contains(&wrong[7..]),
        "the token must not be echoed"
    );

    // The app id can also come from the query string.
    let good = format!("Bearer {}", app.admin_token());
    let reply = client
        .json(
            "POST",
            &format!("/admin/query?app_id={app_id}"),
            &[("authorization", &good)],
            &query,
        )
        .await;
    assert_eq!(reply.ok(), json!({ "goals": [] }));

    let reply = client.get("/nope", &[]).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json(),
        json!({ "message": "Oops! We couldn't match this route." })
    );

    let reply = client
        .send(
            "POST",
            "/admin/query",
            &[
                ("content-type", "application/json"),
                ("app-id", &app_id),
                ("authorization", &good),
            ],
            Bytes::from_static(b"{nope"),
        )
        .await;
    assert_eq!(
        (reply.status, reply.content_type.as_str()),
        (400, "text/plain")
    );
    assert_eq!(&reply.body[..], b"Malformed JSON in request body.");

    // Without a JSON content type the body is not read at all: every body param is missing.
    let reply = client
        .send(
            "POST",
            "/admin/query",
            &[("app-id", &app_id), ("authorization", &good)],
            Bytes::from(query.to_string()),
        )
        .await;
    reply.err(400, "param-missing");
}

#[tokio::test]
async fn transact_creates_attrs_resolves_lookups_and_rolls_back() {
    let emu = emulator().await;
    let creds = emu.create_app("instaml").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let (u1, p1) = (uuid(), uuid());

    // An "id" key in args is ignored; a lookup eid creates a unique, indexed attribute.
    let reply = app
        .transact(json!([
            ["update", "users", u1, { "id": "ignored", "handle": "stopa" }],
            ["update", "posts", ["slug", "hello"], { "title": "Hello" }],
            // An unknown label becomes a link whose reverse namespace is named after the label.
            ["link", "posts", ["slug", "hello"], { "users": u1 }],
        ]))
        .await;
    assert!(reply.ok()["tx-id"].is_i64());
    let result = app.query(json!({ "posts": { "users": {} } })).await;
    let post = &result["posts"][0];
    assert_eq!(post["slug"], "hello");
    assert_eq!(post["users"][0]["handle"], "stopa");
    assert_eq!(post["users"][0]["id"], u1);

    // Lookups inside link values: the `lookup__` string and the one-key object forms.
    let reply = app
        .transact(json!([
            ["update", "posts", p1, { "title": "Second", "slug": "second" }],
            ["link", "users", u1, { "posts": ["lookup__slug__\"second\""] }],
        ]))
        .await;
    reply.ok();
    app.transact(json!([["update", "users", ["handle", "joe"], {}]]))
        .await
        .err(400, "validation-failed");
    let schema = app.get("/admin/schema").await.ok();
    assert_eq!(
        schema["schema"]["blobs"]["users"]["handle"]["unique?"],
        false
    );
    let users = app
        .query(json!({ "users": { "$": { "where": { "id": u1 } }, "posts": {} } }))
        .await;
    let mut titles: Vec<&str> = users["users"][0]["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    titles.sort();
    assert_eq!(titles, ["Hello", "Second"]);

    // A failing step rolls the whole request back, created attributes included.
    let reply = app
        .transact(json!([
            ["update", "posts", uuid(), { "title": "Third", "brandNew": 1 }],
            ["create", "posts", p1, { "title": "dup" }],
        ]))
        .await;
    let body = reply.err(400, "validation-failed");
    assert_eq!(
        body["message"],
        format!("Validation failed for tx-step: Creating entities that exist: {p1}")
    );
    let schema = app.get("/admin/schema").await.ok();
    assert!(schema["schema"]["blobs"]["posts"].get("brandNew").is_none());
    assert_eq!(
        app.query(json!({ "posts": {} })).await["posts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Unknown actions and malformed lookups are validation errors.
    app.transact(json!([["updatez", "posts", p1, {}]]))
        .await
        .err(400, "validation-failed");
    let body = app
        .transact(json!([["update", "posts", "lookup__slug__{oops", {}]]))
        .await
        .err(400, "validation-failed");
    assert_eq!(body["hint"]["errors"][0]["hint"]["attribute"], "slug");
    let body = app
        .transact(json!([["update-attr", {}]]))
        .await
        .err(400, "validation-failed");
    assert_eq!(
        body["message"],
        "Validation failed for action: Unsupported action update-attr"
    );
}

#[tokio::test]
async fn raw_add_attr_and_ref_lookups_and_cascades() {
    let emu = emulator().await;
    let creds = emu.create_app("attrs").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let attr_id = uuid();
    // A one-to-one link owner -> profile with cascade from the owner's side.
    let link = json!(["add-attr", {
        "id": attr_id,
        "forward-identity": [uuid(), "profiles", "owner"],
        "reverse-identity": [uuid(), "people", "profile"],
        "value-type": "ref",
        "cardinality": "one",
        "unique?": true,
        "index?": false,
        "on-delete": "cascade",
    }]);
    app.transact(json!([link])).await.ok();
    let (person, profile) = (uuid(), uuid());
    app.transact(json!([
        ["update", "people", person, { "name": "Ann" }],
        ["update", "profiles", profile, { "bio": "hi" }],
        ["link", "profiles", profile, { "owner": person }],
    ]))
    .await
    .ok();
    // Ref lookup: the profile whose owner is `person`.
    app.transact(json!([["update", "profiles", ["owner.id", person], { "bio": "updated" }]]))
        .await
        .ok();
    let result = app.query(json!({ "people": { "profile": {} } })).await;
    assert_eq!(result["people"][0]["profile"][0]["bio"], "updated");
    // With inference, the reverse side of a unique link is one object.
    let result = app
        .post(
            "/admin/query",
            json!({ "query": { "people": { "profile": {} } }, "inference?": true }),
        )
        .await
        .ok();
    assert_eq!(result["people"][0]["profile"]["id"], profile);
    // One-to-one: a second profile cannot take the same owner.
    let body = app
        .transact(json!([["link", "profiles", uuid(), { "owner": person }]]))
        .await
        .err(400, "record-not-unique");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("`owner` is a unique attribute on `profiles`")
    );
    // Deleting the owner cascades to the profile.
    app.transact(json!([["delete", "people", person, null]]))
        .await
        .ok();
    assert_eq!(
        app.query(json!({ "profiles": {} })).await,
        json!({ "profiles": [] })
    );
    // delete-attr removes the attribute and its data.
    app.transact(json!([["delete-attr", attr_id]])).await.ok();
    let schema = app.get("/admin/schema").await.ok();
    assert!(
        schema["schema"]["refs"]
            .get("profiles-owner-people-profile")
            .is_none()
    );
}

/// An app with a typed schema, created through the platform API.
async fn typed_app(emu: &instantdb_emulator::Emulator) -> AdminApp {
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let schema = json!({
        "entities": {
            "items": { "attrs": {
                "name": attr("string", true, true, false),
                "n": attr("number", false, true, false),
                "at": attr("date", false, true, false),
                "tag": attr("string", false, false, false),
                "blob": attr("json", false, false, false),
            }, "links": {} },
            "boxes": { "attrs": { "label": attr("string", false, false, true) }, "links": {} },
        },
        "links": { "boxesItems": {
            "forward": { "on": "boxes", "has": "many", "label": "items" },
            "reverse": { "on": "items", "has": "one", "label": "box" },
        } },
        "rooms": {},
    });
    let app = platform
        .call(
            "POST",
            "/superadmin/apps",
            Some(json!({ "title": "typed", "schema": schema })),
        )
        .await
        .ok();
    let mut admin = AdminApp {
        client: Client::new(emu.base_url()),
        app_id: app["app"]["id"].as_str().unwrap().to_owned(),
        token: app["app"]["admin-token"].as_str().unwrap().to_owned(),
    };
    let box_id = uuid();
    let mut steps = vec![json!(["update", "boxes", box_id, { "label": "B" }])];
    for (i, name) in ["apple", "Banana", "cherry", "date"].iter().enumerate() {
        let id = uuid();
        steps.push(json!(["update", "items", id, {
            "name": name, "n": i, "at": format!("2025-01-0{}T00:00:00Z", i + 1),
            "tag": if i % 2 == 0 { Value::from("even") } else { Value::Null },
        }]));
        if i < 2 {
            steps.push(json!(["link", "items", id, { "box": box_id }]));
        }
    }
    admin.transact(Value::Array(steps)).await.ok();
    admin
}

fn names(result: &Value, ns: &str) -> Vec<String> {
    result[ns]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn where_operators_order_and_pagination() {
    let emu = emulator().await;
    let mut app = typed_app(&emu).await;
    let q =
        |filter: Value| json!({ "items": { "$": { "where": filter, "order": { "n": "asc" } } } });
    let cases = [
        (json!({ "name": "cherry" }), vec!["cherry"]),
        (json!({ "n": { "$gt": 1 } }), vec!["cherry", "date"]),
        (json!({ "n": { "$lte": 1 } }), vec!["apple", "Banana"]),
        (
            json!({ "and": [{ "n": { "$gte": 1 } }, { "n": { "$lt": 3 } }] }),
            vec!["Banana", "cherry"],
        ),
        (json!({ "n": { "$in": [0, 3] } }), vec!["apple", "date"]),
        (json!({ "name": { "$like": "%an%" } }), vec!["Banana"]),
        (json!({ "name": { "$ilike": "b%" } }), vec!["Banana"]),
        (
            json!({ "tag": { "$isNull": true } }),
            vec!["Banana", "date"],
        ),
        (
            json!({ "tag": { "$isNull": false } }),
            vec!["apple", "cherry"],
        ),
        (json!({ "tag": { "$not": "even" } }), vec!["Banana", "date"]),
        (json!({ "tag": { "$ne": "even" } }), vec!["Banana", "date"]),
        (
            json!({ "or": [{ "name": "apple" }, { "n": 3 }] }),
            vec!["apple", "date"],
        ),
        (json!({ "box.label": "B" }), vec!["apple", "Banana"]),
        (
            json!({ "box": { "$isNull": true } }),
            vec!["cherry", "date"],
        ),
        (
            json!({ "at": { "$gt": "2025-01-02T12:00:00Z" } }),
            vec!["cherry", "date"],
        ),
        (
            json!({ "at": { "$lt": 1_735_776_000_001_i64 } }),
            vec!["apple", "Banana"],
        ),
        (json!({ "nope": 1 }), vec![]),
    ];
    for (filter, expected) in cases {
        let result = app.query(q(filter.clone())).await;
        assert_eq!(names(&result, "items"), expected, "where {filter}");
    }
    let result = app
        .query(
            json!({ "items": { "$": { "order": { "name": "desc" }, "limit": 2, "offset": 1 } } }),
        )
        .await;
    assert_eq!(names(&result, "items"), ["cherry", "apple"]);
    let result = app
        .query(json!({ "items": { "$": { "order": { "n": "asc" }, "last": 2 } } }))
        .await;
    assert_eq!(names(&result, "items"), ["cherry", "date"]);
    let result = app
        .query(json!({ "items": { "$": { "where": { "name": "apple" }, "fields": ["name"] } } }))
        .await;
    assert_eq!(result["items"][0].as_object().unwrap().len(), 2);
    // Nested limits are ignored; nested offsets are refused.
    let result = app
        .query(json!({ "boxes": { "items": { "$": { "limit": 1 } } } }))
        .await;
    assert_eq!(result["boxes"][0]["items"].as_array().unwrap().len(), 2);

    let errors = [
        (
            json!({ "items": { "$": { "where": { "tag": { "$gt": "a" } } } } }),
            "must be indexed to use comparison operators",
        ),
        (
            json!({ "items": { "$": { "where": { "blob": 1 }, "order": { "blob": "asc" } } } }),
            "is not indexed",
        ),
        (
            json!({ "items": { "$": { "where": { "n": "x" } } } }),
            "The data type of `items.n` is `number`",
        ),
        (
            json!({ "items": { "$": { "where": { "name": null } } } }),
            "$isNull",
        ),
        (
            json!({ "items": { "$": { "where": { "or": [] } } } }),
            "The list of `or` conditions can't be empty.",
        ),
        (
            json!({ "items": { "$": { "limit": 0 } } }),
            "The limit field must be a positive integer. Got 0.",
        ),
        (
            json!({ "items": { "$": { "limit": 1, "first": 1 } } }),
            "Only provide one of",
        ),
        (
            json!({ "items": { "$": { "bogus": 1 } } }),
            "We only support `where`",
        ),
        (
            json!({ "boxes": { "items": { "$": { "offset": 1 } } } }),
            "top-level",
        ),
        (
            json!({ "items": { "$": { "order": { "n": "up" } } } }),
            "\"asc\" or \"desc\"",
        ),
        (
            json!({ "items": { "box": [] } }),
            "Validation failed for query",
        ),
    ];
    for (query, message) in errors {
        let body = app
            .post("/admin/query", json!({ "query": query }))
            .await
            .err(400, "validation-failed");
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{query}: {body}"
        );
        assert_eq!(body["hint"]["data-type"], "query");
    }
}

#[tokio::test]
async fn users_tokens_and_magic_codes() {
    let emu = emulator().await;
    let creds = emu.create_app("auth").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let mut mail = emu.subscribe_mail();

    let body = app
        .post(
            "/admin/refresh_tokens",
            json!({ "email": " Ann@Example.COM " }),
        )
        .await
        .ok();
    assert_eq!(body["created"], true);
    let user = &body["user"];
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["app_id"], creds.app_id.to_string());
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    let token = user["refresh_token"].as_str().unwrap().to_owned();
    let keys: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "app_id",
            "id",
            "created_at",
            "email",
            "isGuest",
            "refresh_token"
        ]
    );

    let again = app
        .post(
            "/admin/refresh_tokens",
            json!({ "email": "ann@example.com" }),
        )
        .await
        .ok();
    assert_eq!(again["created"], false);
    app.post("/admin/refresh_tokens", json!({}))
        .await
        .err(400, "validation-failed");
    app.post("/admin/refresh_tokens", json!({ "email": "nope" }))
        .await
        .err(400, "param-malformed");
    let body = app
        .post(
            "/admin/refresh_tokens",
            json!({ "email": "x@y.z", "extra-fields": { "nick": "x" } }),
        )
        .await
        .err(400, "validation-failed");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Unknown field: nick")
    );

    // verify_refresh_token takes no auth headers.
    let mut bare = Client::new(emu.base_url());
    let verify = |token: &str| json!({ "app-id": creds.app_id, "refresh-token": token });
    let body = bare
        .json(
            "POST",
            "/runtime/auth/verify_refresh_token",
            &[],
            &verify(&token),
        )
        .await
        .ok();
    assert_eq!(body["user"]["email"], "ann@example.com");
    bare.json(
        "POST",
        "/runtime/auth/verify_refresh_token",
        &[],
        &verify(&uuid()),
    )
    .await
    .err(400, "record-not-found");

    assert_eq!(
        app.get("/admin/users?email=nobody%40example.com")
            .await
            .ok(),
        json!({ "user": null })
    );
    let found = app
        .get(&format!("/admin/users?refresh_token={token}"))
        .await
        .ok();
    assert_eq!(found["user"]["email"], "ann@example.com");
    app.get("/admin/users").await.err(400, "validation-failed");

    // Magic codes: send logs and publishes the code; verify creates a typed user once.
    let sent = app
        .post(
            "/admin/send_magic_code",
            json!({ "email": "bo@example.com" }),
        )
        .await
        .ok();
    let code = sent["code"].as_str().unwrap().to_owned();
    let mail = mail.recv().await.unwrap();
    assert_eq!(
        (mail.email.as_str(), mail.code.as_str()),
        ("bo@example.com", code.as_str())
    );
    assert!(
        !format!("{mail:?}").contains(&code),
        "the code stays out of Debug"
    );
    app.post(
        "/admin/verify_magic_code",
        json!({ "email": "bo@example.com", "code": "999999x" }),
    )
    .await
    .err(400, "record-not-found");
    let verified = app
        .post(
            "/admin/verify_magic_code",
            json!({ "email": "bo@example.com", "code": code }),
        )
        .await
        .ok();
    assert_eq!(
        (
            verified["created"].clone(),
            verified["user"]["type"].clone()
        ),
        (json!(true), json!("user"))
    );
    app.post(
        "/admin/verify_magic_code",
        json!({ "email": "bo@example.com", "code": code }),
    )
    .await
    .err(400, "record-not-found");

    // Sign out: an unknown email is an error, an unknown id is not.
    app.post("/admin/sign_out", json!({ "email": "ghost@example.com" }))
        .await
        .err(400, "record-not-found");
    assert_eq!(
        app.post("/admin/sign_out", json!({ "id": uuid() }))
            .await
            .ok(),
        json!({ "ok": true })
    );
    app.post("/admin/sign_out", json!({ "refresh_token": token }))
        .await
        .ok();
    bare.json(
        "POST",
        "/runtime/auth/verify_refresh_token",
        &[],
        &verify(&token),
    )
    .await
    .err(400, "record-not-found");

    let guest = app.post("/admin/sign_in_guest", json!({})).await.ok();
    assert_eq!(guest["user"]["isGuest"], true);

    let deleted = app
        .send_delete("/admin/users?email=ann%40example.com")
        .await
        .ok();
    assert_eq!(deleted["deleted"]["email"], "ann@example.com");
    assert_eq!(
        app.send_delete("/admin/users?email=ann%40example.com")
            .await
            .ok(),
        json!({ "deleted": null })
    );

    let presence = app
        .get("/admin/rooms/presence?room-type=chat&room-id=1")
        .await
        .ok();
    assert_eq!(presence, json!({ "sessions": null }));
    app.get("/admin/rooms/presence?room-id=1")
        .await
        .err(400, "param-missing");
}

impl AdminApp {
    async fn send_delete(&mut self, path: &str) -> crate::support::Reply {
        let auth = format!("Bearer {}", self.token);
        let app_id = self.app_id.clone();
        self.client
            .send(
                "DELETE",
                path,
                &[("app-id", &app_id), ("authorization", &auth)],
                Bytes::new(),
            )
            .await
    }
}

#[tokio::test]
async fn impersonation_follows_rules_and_reports_failing_ones() {
    let emu = emulator().await;
    let creds = emu.create_app("rules").unwrap();
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let rules = json!({
        "notes": {
            "bind": { "isOwner": "auth.id == data.owner" },
            "allow": { "view": "isOwner || data.public == true", "create": "auth.id != null", "update": "isOwner", "delete": "isOwner" },
        },
        "weird": { "allow": { "view": "data.x / 0 > 1" } },
        "teams": { "allow": { "view": "auth.id in data.ref('members.id')" } },
        "$files": { "allow": { "create": "auth.id != null && data.path != 'secret.txt'", "view": "true" } },
    });
    platform
        .call(
            "POST",
            &format!("/superadmin/apps/{}/perms", creds.app_id),
            Some(json!({ "code": rules })),
        )
        .await
        .ok();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let user = app
        .post("/admin/refresh_tokens", json!({ "email": "u@example.com" }))
        .await
        .ok();
    let (user_id, token) = (
        user["user"]["id"].as_str().unwrap().to_owned(),
        user["user"]["refresh_token"].as_str().unwrap().to_owned(),
    );
    let (mine, public, private) = (uuid(), uuid(), uuid());
    app.transact(json!([
        ["update", "notes", public, { "public": true, "owner": uuid() }],
        ["update", "notes", private, { "public": false, "owner": uuid() }],
        ["update", "weird", uuid(), { "x": 1 }],
    ]))
    .await
    .ok();

    // as-token needs no admin token at all.
    let mut as_user = AdminApp {
        client: Client::new(emu.base_url()),
        app_id: creds.app_id.to_string(),
        token: "unused".into(),
    };
    let headers = [("as-token", token.as_str())];
    as_user
        .post_as(
            "/admin/transact",
            json!({ "steps": [["update", "notes", mine, { "owner": user_id, "public": false }]] }),
            &headers,
        )
        .await
        .ok();
    let seen = as_user
        .post_as(
            "/admin/query",
            json!({ "query": { "notes": {} } }),
            &headers,
        )
        .await
        .ok();
    let mut ids: Vec<&str> = seen["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = vec![mine.as_str(), public.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let body = as_user
        .post_as(
            "/admin/transact",
            json!({ "steps": [["update", "notes", private, { "public": true }]] }),
            &headers,
        )
        .await
        .err(400, "permission-denied");
    assert_eq!(body["hint"]["input"], json!(["notes", "update"]));
    let guest = [("as-guest", "true")];
    as_user
        .post_as(
            "/admin/transact",
            json!({ "steps": [["update", "notes", uuid(), { "owner": "x" }]] }),
            &guest,
        )
        .await
        .err(400, "permission-denied");
    let body = as_user
        .post_as("/admin/query", json!({ "query": { "weird": {} } }), &guest)
        .await
        .err(400, "permission-evaluation-failed");
    assert!(
        body["message"].as_str().unwrap().contains("`weird.view`"),
        "{body}"
    );
    // The CEL error's kind, as `throw-permission-evaluation-failed!` reports it.
    assert_eq!(body["hint"]["error"]["type"], "DIVIDE_BY_ZERO", "{body}");
    // as-email needs the admin token; admins bypass rules entirely.
    let app_id = creds.app_id.to_string();
    Client::new(emu.base_url())
        .json(
            "POST",
            "/admin/query",
            &[("app-id", &app_id), ("as-email", "u@example.com")],
            &json!({ "query": { "notes": {} } }),
        )
        .await
        .err(400, "param-missing");
    assert_eq!(
        app.query(json!({ "weird": {} })).await["weird"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad_token = [("as-token", "not-a-uuid")];
    as_user
        .post_as(
            "/admin/query",
            json!({ "query": { "notes": {} } }),
            &bad_token,
        )
        .await
        .err(400, "param-malformed");

    // `data.ref(...)` follows links: a team is visible to its members only.
    app.transact(json!([["add-attr", {
        "id": uuid(), "forward-identity": [uuid(), "teams", "members"],
        "reverse-identity": [uuid(), "$users", "teams"], "value-type": "ref",
        "cardinality": "many", "unique?": false, "index?": false,
    }]]))
    .await
    .ok();
    let (mine_team, other_team) = (uuid(), uuid());
    app.transact(json!([
        ["update", "teams", mine_team, { "name": "mine" }],
        ["link", "teams", mine_team, { "members": user_id }],
        ["update", "teams", other_team, { "name": "other" }],
    ]))
    .await
    .ok();
    let teams = as_user
        .post_as(
            "/admin/query",
            json!({ "query": { "teams": {} } }),
            &headers,
        )
        .await
        .ok();
    assert_eq!(teams["teams"].as_array().unwrap().len(), 1);
    assert_eq!(teams["teams"][0]["id"], mine_team);

    // Storage rules see `data.path`.
    let mut raw = Client::new(emu.base_url());
    for (path, status) in [("ok.txt", 200), ("secret.txt", 400)] {
        let reply = raw
            .send(
                "PUT",
                "/admin/storage/upload",
                &[("app-id", &app_id), ("as-token", &token), ("path", path)],
                Bytes::from_static(b"x"),
            )
            .await;
        assert_eq!(
            reply.status,
            status,
            "{path}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
}

#[tokio::test]
async fn storage_upload_download_and_delete() {
    let emu = emulator().await;
    let creds = emu.create_app("files").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let auth = format!("Bearer {}", creds.admin_token());
    let app_id = creds.app_id.to_string();
    let content = Bytes::from(vec![7u8; 100_000]);
    let reply = app
        .client
        .send(
            "PUT",
            "/admin/storage/upload",
            &[
                ("app-id", &app_id),
                ("authorization", &auth),
                ("path", "img/a.png"),
                ("content-type", "image/png"),
                ("content-disposition", "attachment; filename=\"a.png\""),
            ],
            content.clone(),
        )
        .await;
    let data = reply.ok()["data"].clone();
    assert_eq!(data["size"], 100_000);
    let files = app.query(json!({ "$files": {} })).await;
    let row = &files["$files"][0];
    assert_eq!(row["path"], "img/a.png");
    assert_eq!(row["id"], data["id"]);
    let url = row["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(emu.base_url()));
    let mut fetcher = Client::new(emu.base_url());
    let download = fetcher.get(&url[emu.base_url().len()..], &[]).await;
    assert_eq!(
        (download.status, download.content_type.as_str()),
        (200, "image/png")
    );
    assert_eq!(download.body, content);

    let legacy = app
        .get("/admin/storage/signed-download-url?filename=img%2Fa.png")
        .await
        .ok();
    assert_eq!(legacy["data"], url);
    let listing = app.get("/admin/storage/files").await.ok();
    assert_eq!(listing["data"][0]["name"], "img/a.png");

    // Updating $files metadata other than path is refused; renaming the path is allowed.
    let file_id = data["id"].as_str().unwrap().to_owned();
    app.transact(json!([["update", "$files", file_id, { "size": 1 }]]))
        .await
        .err(400, "validation-failed");
    app.transact(json!([["update", "$files", file_id, { "path": "img/b.png" }]]))
        .await
        .ok();

    let deleted = app
        .post(
            "/admin/storage/files/delete",
            json!({ "filenames": ["img/b.png", "missing"] }),
        )
        .await
        .ok();
    assert_eq!(deleted, json!({ "data": { "ids": [file_id] } }));
    assert_eq!(
        fetcher.get(&url[emu.base_url().len()..], &[]).await.status,
        400
    );
    app.client
        .send(
            "PUT",
            "/admin/storage/upload",
            &[("app-id", &app_id), ("authorization", &auth)],
            Bytes::new(),
        )
        .await
        .err(400, "param-missing");
}

#[tokio::test]
async fn legacy_signed_upload_urls_are_single_use() {
    let emu = emulator().await;
    let creds = emu.create_app("legacy").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let reply = app
        .post(
            "/admin/storage/signed-upload-url",
            json!({ "filename": "old/way.txt" }),
        )
        .await
        .ok();
    let url = reply["data"].as_str().unwrap().to_owned();
    let path = &url[emu.base_url().len()..];
    assert!(path.ends_with("/consume-upload-url"), "{path}");
    let mut uploader = Client::new(emu.base_url());
    let put = |bytes: &'static [u8]| Bytes::from_static(bytes);
    uploader
        .send(
            "PUT",
            path,
            &[("content-type", "text/plain")],
            put(b"legacy bytes"),
        )
        .await
        .ok();
    uploader
        .send("PUT", path, &[], put(b"again"))
        .await
        .err(400, "validation-failed");
    let files = app.query(json!({ "$files": {} })).await;
    assert_eq!(files["$files"][0]["path"], "old/way.txt");
    let signed = app
        .get("/admin/storage/signed-download-url?filename=old%2Fway.txt")
        .await
        .ok();
    let download = uploader
        .get(
            &signed["data"].as_str().unwrap()[emu.base_url().len()..],
            &[],
        )
        .await;
    assert_eq!(
        (&download.body[..], download.content_type.as_str()),
        (&b"legacy bytes"[..], "text/plain")
    );
    // The emulator takes no backups.
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let backups = platform
        .call("GET", &format!("/dash/apps/{}/backups", creds.app_id), None)
        .await
        .ok();
    assert_eq!(backups, json!({ "backups": [] }));
}

#[tokio::test]
async fn live_queries_stream_snapshots_and_refreshes() {
    let emu = emulator().await;
    let creds = emu.create_app("live").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let first = uuid();
    app.transact(json!([["update", "goals", first, { "title": "one" }]]))
        .await
        .ok();
    let auth = format!("Bearer {}", creds.admin_token());
    let app_id = creds.app_id.to_string();
    let mut live = Client::new(emu.base_url());
    let (status, mut body) = live
        .open_stream(
            "/admin/subscribe-query",
            &[("app-id", &app_id), ("authorization", &auth)],
            &json!({ "query": { "goals": {} }, "inference?": false }),
        )
        .await;
    assert_eq!(status, 200);
    let mut buffer = String::new();
    let events = crate::support::read_events(&mut body, &mut buffer, 2).await;
    assert_eq!(events[0]["op"], "sse-init");
    assert_eq!(events[1]["op"], "add-query-ok");
    assert_eq!(events[1]["result"]["goals"][0]["id"], first);
    let page = &events[1]["result-meta"]["page-info"]["goals"];
    assert_eq!(page["start-cursor"][0], first);
    assert_eq!(page["has-next-page?"], false);

    // A write to another namespace of the app does not change the result: no event. A write
    // that does gives one full refresh.
    app.transact(json!([["update", "other", uuid(), { "x": 1 }]]))
        .await
        .ok();
    let second = uuid();
    app.transact(json!([["update", "goals", second, { "title": "two" }]]))
        .await
        .ok();
    let events = crate::support::read_events(&mut body, &mut buffer, 1).await;
    assert_eq!(events[0]["op"], "refresh-ok");
    let rows = events[0]["computations"][0]["instaql-result"]["goals"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 2);

    // Errors before the stream opens are plain HTTP errors.
    let (status, _) = Client::new(emu.base_url())
        .open_stream(
            "/admin/subscribe-query",
            &[("app-id", &app_id)],
            &json!({ "query": {} }),
        )
        .await;
    assert_eq!(status, 400);

    // Stopping the emulator ends open streams instead of waiting for the grace period.
    let started = std::time::Instant::now();
    emu.shutdown().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    drop(body);
}

#[tokio::test]
async fn long_cascade_chains_are_deleted_without_recursion() {
    let emu = emulator().await;
    let creds = emu.create_app("chain").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let attr_id = uuid();
    app.transact(json!([["add-attr", {
        "id": attr_id,
        "forward-identity": [uuid(), "nodes", "next"],
        "reverse-identity": [uuid(), "nodes", "prev"],
        "value-type": "ref", "cardinality": "one", "unique?": true, "index?": false,
        "on-delete-reverse": "cascade",
    }]]))
    .await
    .ok();
    let ids: Vec<String> = (0..5_000).map(|_| uuid()).collect();
    let mut steps: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!(["update", "nodes", id, { "n": i }]))
        .collect();
    for pair in ids.windows(2) {
        steps.push(json!(["link", "nodes", pair[0], { "next": pair[1] }]));
    }
    app.transact(Value::Array(steps)).await.ok();
    app.transact(json!([["delete", "nodes", ids[0]]]))
        .await
        .ok();
    assert_eq!(
        app.query(json!({ "nodes": {} })).await,
        json!({ "nodes": [] })
    );
}

/// Query validation as `instaql.clj` and `model/attr_pat.clj`: the `in` path of the clause, the
/// qualified attribute name and the quoted value with its JSON type, every order problem at
/// once, `null` in `$in` only on indexed attributes, and Postgres' special date values.
#[tokio::test]
async fn query_validation_points_at_the_clause() {
    let emu = emulator().await;
    let mut app = typed_app(&emu).await;
    let errors = refused(
        &mut app,
        json!({ "items": { "$": { "where": { "n": { "$gt": "abc" } } } } }),
    )
    .await;
    assert_eq!(
        errors,
        json!([{
            "expected?": "number?",
            "in": ["items", "$", "where", "n", "$gt"],
            "message": "The data type of `items.n` is `number`, but the query got the value `\"abc\"` of type `string`.",
        }])
    );
    let errors = refused(
        &mut app,
        json!({ "items": { "$": { "where": { "tag": { "$gt": "a" } } } } }),
    )
    .await;
    assert_eq!(errors[0]["in"], json!(["items", "$", "where", "tag"]));
    assert_eq!(
        errors[0]["message"],
        "The `items.tag` attribute must be indexed to use comparison operators."
    );
    let errors = refused(
        &mut app,
        json!({ "items": { "$": { "where": { "name": { "$like": 3 } } } } }),
    )
    .await;
    assert_eq!(
        errors[0]["message"],
        "The $like value for `items.name` must be a string, but the query got the value `3` of type `number`."
    );
    // Every reason an order is refused, at `$.order`.
    let errors = refused(
        &mut app,
        json!({ "items": { "$": { "order": { "blob": "asc" } } } }),
    )
    .await;
    assert_eq!(errors.as_array().unwrap().len(), 2, "{errors}");
    assert_eq!(errors[0]["in"], json!(["items", "$", "order"]));
    assert_eq!(
        errors[1]["message"],
        "The `items.blob` attribute is not typed. Only typed and indexed attributes can be used to order by."
    );
    // `null` in `$in` needs an index.
    let errors = refused(
        &mut app,
        json!({ "items": { "$": { "where": { "tag": { "$in": ["even", null] } } } } }),
    )
    .await;
    assert_eq!(
        errors[0]["message"],
        "Only indexed attrs can check for `nil` in `$in`. items.tag is not indexed."
    );
    assert_eq!(
        errors[0]["in"],
        json!(["items", "$", "where", "$in", ["even", null]])
    );
    let found = app
        .query(json!({ "items": { "$": { "where": { "name": { "$in": ["apple", null] } } } } }))
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    // Dates: special values compare, but `now`/`today`/... are refused in equality.
    let all = app
        .query(json!({ "items": { "$": { "where": { "at": { "$lt": "now" } } } } }))
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    let none = app
        .query(json!({ "items": { "$": { "where": { "at": { "$lt": "epoch" } } } } }))
        .await;
    assert_eq!(none["items"], json!([]));
    let all = app
        .query(json!({ "items": { "$": { "where": { "at": { "$lt": "infinity" } } } } }))
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    let errors = refused(
        &mut app,
        json!({ "items": { "$": { "where": { "at": "today" } } } }),
    )
    .await;
    assert_eq!(
        errors[0]["message"],
        "The data type of `items.at` is `date`, but the query got value `\"today\"` of type `string`."
    );
    let errors = refused(
        &mut app,
        json!({ "items": { "$": { "where": { "at": { "$gt": "not a date" } } } } }),
    )
    .await;
    assert_eq!(errors[0]["in"], json!(["items", "$", "where", "at", "$gt"]));
    // A namespace that is not an object.
    let errors = refused(&mut app, json!({ "items": 1 })).await;
    assert_eq!(errors, json!([{ "expected": "map?", "in": ["items"] }]));
}

/// The `hint.errors` of a query refused with `validation-failed`.
async fn refused(app: &mut AdminApp, query: Value) -> Value {
    let reply = app.post("/admin/query", json!({ "query": query })).await;
    reply.err(400, "validation-failed")["hint"]["errors"].clone()
}

/// `GET /admin/rooms/presence` answers the sessions set with `Emulator::set_presence`, each
/// user enriched with its `$users` row (`admin/routes.clj` `presence-get`).
#[tokio::test]
async fn presence_returns_what_was_set() {
    let emu = emulator().await;
    let creds = emu.create_app("rooms").unwrap();
    let mut app = AdminApp::new(emu.base_url(), &creds);
    let path = "/admin/rooms/presence?room-type=chat&room-id=lobby";
    assert_eq!(app.get(path).await.ok(), json!({ "sessions": null }));
    let user = app
        .post("/admin/refresh_tokens", json!({ "email": "p@example.com" }))
        .await
        .ok();
    let user_id = uuid::Uuid::parse_str(user["user"]["id"].as_str().unwrap()).unwrap();
    emu.set_presence(
        &creds.app_id,
        "lobby",
        "s1",
        Some(user_id),
        json!({ "typing": true }),
    )
    .unwrap();
    emu.set_presence(&creds.app_id, "lobby", "s2", None, json!({ "x": 1 }))
        .unwrap();
    let sessions = app.get(path).await.ok()["sessions"].clone();
    assert_eq!(sessions["s1"]["peer-id"], "s1");
    assert_eq!(sessions["s1"]["user"]["email"], "p@example.com");
    assert_eq!(sessions["s1"]["data"], json!({ "typing": true }));
    assert_eq!(
        sessions["s2"],
        json!({ "peer-id": "s2", "data": { "x": 1 } })
    );
    emu.remove_presence(&creds.app_id, "lobby", "s1");
    emu.remove_presence(&creds.app_id, "lobby", "s2");
    assert_eq!(app.get(path).await.ok(), json!({ "sessions": null }));
    assert!(
        emu.set_presence(
            uuid::Uuid::new_v4().to_string(),
            "lobby",
            "s",
            None,
            json!({})
        )
        .is_err()
    );
}
