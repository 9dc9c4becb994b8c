//! The platform API: token kinds and scopes, apps and orgs, schema push and background jobs.

use std::time::Duration;

use serde_json::{Value, json};

use crate::admin::attr;
use crate::support::{AdminApp, Client, Platform, emulator, push_body, uuid};

#[tokio::test]
async fn tokens_scopes_and_roles() {
    let emu = emulator().await;
    let mut owner = Platform::new(emu.base_url(), emu.platform_token());
    let created = owner
        .call("POST", "/superadmin/apps", Some(json!({ "title": "mine" })))
        .await
        .ok();
    let app_id = created["app"]["id"].as_str().unwrap().to_owned();
    let admin_token = created["app"]["admin-token"].as_str().unwrap().to_owned();
    assert_eq!(created["app"]["perms"], Value::Null);
    owner
        .call("POST", "/superadmin/apps", Some(json!({ "title": "  " })))
        .await
        .err(400, "param-malformed");

    // OAuth tokens are scope-checked; write implies read.
    let read_only = emu
        .create_oauth_token(&["apps-read"], Duration::from_secs(60))
        .unwrap();
    let mut reader = Platform::new(emu.base_url(), &read_only);
    assert_eq!(
        reader.call("GET", "/superadmin/apps", None).await.ok()["apps"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let body = reader
        .call("POST", "/superadmin/apps", Some(json!({ "title": "x" })))
        .await
        .err(400, "permission-denied");
    assert_eq!(body["message"], "You are missing the apps-write scope");
    let writer = emu
        .create_oauth_token(&["apps-write"], Duration::from_secs(60))
        .unwrap();
    Platform::new(emu.base_url(), &writer)
        .call("GET", &format!("/superadmin/apps/{app_id}"), None)
        .await
        .ok();
    let expired = emu
        .create_oauth_token(&["apps-read"], Duration::ZERO)
        .unwrap();
    Platform::new(emu.base_url(), &expired)
        .call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-expired");
    let unknown = format!("pat_{}", "0".repeat(64));
    let body = Platform::new(emu.base_url(), &unknown)
        .call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-not-found");
    assert_eq!(body["hint"]["record-type"], "oauth-access-token");

    // An app admin token works on its own app's routes only, and never on user-level routes.
    let mut as_admin = Platform::new(emu.base_url(), &admin_token);
    as_admin
        .call("GET", &format!("/superadmin/apps/{app_id}/schema"), None)
        .await
        .ok();
    as_admin
        .call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-not-found");
    as_admin
        .call("DELETE", &format!("/superadmin/apps/{app_id}"), None)
        .await
        .err(400, "record-not-found");
    let other = emu.create_app("other").unwrap();
    let body = as_admin
        .call("GET", &format!("/superadmin/apps/{}", other.app_id), None)
        .await
        .err(400, "validation-failed");
    assert_eq!(body["hint"]["reason"], "admin-token-mismatch");
    // An unknown UUID is taken for a dashboard token: the one 401 of the API.
    let reply = Platform::new(emu.base_url(), &uuid())
        .call("GET", &format!("/superadmin/apps/{app_id}"), None)
        .await;
    assert_eq!(reply.status, 401);

    // Another user has no role on the app.
    let stranger = emu.create_platform_user("stranger@example.com").unwrap();
    let body = Platform::new(emu.base_url(), &stranger)
        .call("GET", &format!("/superadmin/apps/{app_id}"), None)
        .await
        .err(400, "validation-failed");
    assert_eq!(
        body["message"],
        "Validation failed for user-role: User is missing role collaborator."
    );
    owner
        .call("GET", &format!("/superadmin/apps/{}", uuid()), None)
        .await
        .err(400, "record-not-found");

    // Orgs.
    let org = emu.create_org("Acme").unwrap();
    let orgs = owner.call("GET", "/superadmin/orgs", None).await.ok();
    assert_eq!(orgs["orgs"][0]["title"], "Acme");
    let in_org = owner
        .call(
            "POST",
            "/superadmin/apps",
            Some(json!({ "title": "org app", "org_id": org })),
        )
        .await
        .ok();
    assert_eq!(in_org["app"]["org_id"], json!(org));
    let listed = owner
        .call(
            "GET",
            &format!("/superadmin/orgs/{org}/apps?include=perms"),
            None,
        )
        .await
        .ok();
    assert_eq!(listed["apps"][0]["title"], "org app");
    assert_eq!(listed["apps"][0]["perms"], Value::Null);
    // On admin routes a platform token reaches only the apps its user created
    // (`req->app-id-authed!` → `app-model/get-by-id-and-creator!`), not org apps.
    let org_app = in_org["app"]["id"].as_str().unwrap().to_owned();
    let refused = Client::new(emu.base_url())
        .json(
            "POST",
            "/admin/query",
            &[
                ("app-id", &org_app),
                ("authorization", &format!("Bearer {}", emu.platform_token())),
            ],
            &json!({ "query": { "goals": {} } }),
        )
        .await
        .err(400, "record-not-found");
    assert_eq!(refused["hint"]["record-type"], "app");
    assert_eq!(refused["hint"]["args"][0]["app-id"], json!(org_app));
    Client::new(emu.base_url())
        .json(
            "POST",
            "/admin/query",
            &[
                ("app-id", &app_id),
                ("authorization", &format!("Bearer {}", emu.platform_token())),
            ],
            &json!({ "query": { "goals": {} } }),
        )
        .await
        .ok();

    // Rename, then delete: the app is gone for every route.
    let renamed = owner
        .call(
            "POST",
            &format!("/superadmin/apps/{app_id}"),
            Some(json!({ "title": "renamed" })),
        )
        .await
        .ok();
    assert_eq!(renamed["app"]["title"], "renamed");
    let deleted = owner
        .call("DELETE", &format!("/superadmin/apps/{app_id}"), None)
        .await
        .ok();
    assert!(deleted["app"]["deletion_marked_at"].is_string());
    owner
        .call("GET", &format!("/superadmin/apps/{app_id}/perms"), None)
        .await
        .err(400, "record-not-found");

    // Temporary apps need no auth.
    let temp = Client::new(emu.base_url())
        .json("POST", "/dash/apps/ephemeral", &[], &json!({ "title": "tmp", "rules": { "code": { "x": { "allow": { "view": "true" } } } } }))
        .await
        .ok();
    assert!(temp["app"]["admin-token"].is_string());
    let fourteen_days = 14 * 24 * 3600 * 1000;
    assert!(temp["expires_ms"].as_i64().unwrap() > fourteen_days);
    let temp_id = temp["app"]["id"].as_str().unwrap();
    let fetched = Client::new(emu.base_url())
        .get(&format!("/dash/apps/ephemeral/{temp_id}"), &[])
        .await
        .ok();
    assert_eq!(fetched["app"]["title"], "tmp");
    // The CLI pushes rules through `/dash/apps/:id/rules`.
    let other_id = other.app_id.to_string();
    let pushed = owner
        .call(
            "POST",
            &format!("/dash/apps/{other_id}/rules"),
            Some(json!({ "code": { "x": { "allow": { "view": "false" } } } })),
        )
        .await
        .ok();
    assert_eq!(pushed["rules"]["code"]["x"]["allow"]["view"], "false");
    let pulled = owner
        .call("GET", &format!("/dash/apps/{other_id}/perms/pull"), None)
        .await
        .ok();
    assert_eq!(pulled["perms"], pushed["rules"]["code"]);
}

fn goals_schema(title_unique: bool, cascade_many: bool) -> Value {
    let mut links = json!({
        "goalsTodos": {
            "forward": { "on": "goals", "has": "many", "label": "todos" },
            "reverse": { "on": "todos", "has": "one", "label": "goal" },
        },
    });
    if cascade_many {
        links["goalsTodos"]["forward"]["onDelete"] = json!("cascade");
    }
    json!({
        "entities": {
            "goals": { "attrs": { "title": attr("string", true, false, title_unique) }, "links": {} },
            "todos": { "attrs": { "text": attr("string", false, false, false) }, "links": {} },
        },
        "links": links,
        "rooms": {},
    })
}

#[tokio::test]
async fn additive_push_plans_applies_and_runs_jobs_against_the_data() {
    let emu = emulator().await;
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let created = platform
        .call(
            "POST",
            "/superadmin/apps",
            Some(json!({ "title": "push", "schema": goals_schema(false, false) })),
        )
        .await
        .ok();
    let app_id = created["app"]["id"].as_str().unwrap().to_owned();
    let schema = &created["app"]["schema"];
    assert_eq!(
        schema["blobs"]["goals"]["title"]["checked-data-type"],
        "string"
    );
    assert_eq!(schema["blobs"]["goals"]["title"]["required?"], true);
    let link = &schema["refs"]["[\"goals\" \"todos\" \"todos\" \"goal\"]"];
    assert_eq!(
        (link["cardinality"].clone(), link["unique?"].clone()),
        (json!("many"), json!(true))
    );
    assert_eq!(schema["blobs"]["$files"]["url"]["required?"], true);
    assert!(schema["blobs"]["$files"].get("location-id").is_none());

    let mut admin = AdminApp {
        client: Client::new(emu.base_url()),
        app_id: app_id.clone(),
        token: created["app"]["admin-token"].as_str().unwrap().to_owned(),
    };
    admin
        .transact(json!([
            ["update", "goals", uuid(), { "title": "same" }],
            ["update", "goals", uuid(), { "title": "same" }],
            ["update", "goals", uuid(), { "title": "other" }],
        ]))
        .await
        .ok();

    // Plan: a unique change is a background step; the plan never deletes.
    let mut smaller = goals_schema(true, false);
    smaller["entities"].as_object_mut().unwrap().remove("todos");
    let body = push_body(smaller);
    let plan = platform
        .call(
            "POST",
            &format!("/superadmin/apps/{app_id}/schema/push/plan"),
            Some(body.clone()),
        )
        .await
        .ok();
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0][0], "unique");
    assert!(plan["current-attrs"].as_array().unwrap().len() > 10);

    // Apply: the job moves waiting → processing → errored, with the offending value and sample.
    let (applied, group) = platform.push_apply(&app_id, body).await;
    let raw_job = &applied["indexing-jobs"]["jobs"][0];
    assert_eq!(raw_job["job_status"], "waiting");
    assert!(raw_job.get("attr_name").is_none(), "apply returns raw rows");
    assert_eq!(applied["steps"][0][1]["job-id"], raw_job["id"]);
    let (statuses, jobs) = platform.wait_for_jobs(&app_id, &group).await;
    assert_eq!(statuses, ["waiting", "processing", "errored"]);
    let job = &jobs["jobs"][0];
    assert_eq!(job["error"], "triple-not-unique-error");
    assert_eq!(job["invalid_unique_value"], "same");
    assert_eq!(job["attr_name"], "goals.title");
    let sample = job["invalid_triples_sample"].as_array().unwrap();
    assert_eq!(sample.len(), 2);
    assert_eq!(sample[0]["json_type"], "string");
    let schema = platform
        .call("GET", &format!("/superadmin/apps/{app_id}/schema"), None)
        .await
        .ok();
    assert_eq!(
        schema["schema"]["blobs"]["goals"]["title"]["unique?"],
        false
    );

    // Fix the data, push again: this time the constraint lands and is enforced.
    let dup = admin
        .query(json!({ "goals": { "$": { "where": { "title": "same" } } } }))
        .await;
    let dup_id = dup["goals"][0]["id"].clone();
    admin
        .transact(json!([["update", "goals", dup_id, { "title": "fixed" }]]))
        .await
        .ok();
    let (_, group) = platform
        .push_apply(&app_id, push_body(goals_schema(true, false)))
        .await;
    let (statuses, _) = platform.wait_for_jobs(&app_id, &group).await;
    assert_eq!(statuses.last().unwrap(), "completed");
    admin
        .transact(json!([["update", "goals", uuid(), { "title": "fixed" }]]))
        .await
        .err(400, "record-not-unique");

    // A cascade on a `many` link is a plan error.
    let body = platform
        .call(
            "POST",
            &format!("/superadmin/apps/{app_id}/schema/push/plan"),
            Some(push_body(goals_schema(true, true))),
        )
        .await
        .err(400, "validation-failed");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Cascade delete is only possible on links with `has: 'one'`")
    );
}

#[tokio::test]
async fn overwrite_steps_rename_delete_and_clear_cascades() {
    let emu = emulator().await;
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let creds = emu.create_app("overwrite").unwrap();
    let app_id = creds.app_id.to_string();
    let mut admin = AdminApp::new(emu.base_url(), &creds);
    let (goal, todo) = (uuid(), uuid());
    admin
        .transact(json!([
            ["update", "goals", goal, { "title": "g", "color": "red" }],
            ["update", "todos", todo, { "text": "t" }],
            ["link", "goals", goal, { "todos": todo }],
        ]))
        .await
        .ok();
    let schema = admin.get("/admin/schema").await.ok()["schema"].clone();
    let title = &schema["blobs"]["goals"]["title"];
    let color_id = schema["blobs"]["goals"]["color"]["id"].clone();
    let link = &schema["refs"]["goals-todos-todos-goals"];
    let (title_id, link_id) = (title["id"].clone(), link["id"].clone());

    let new_attr = uuid();
    let steps = json!([
        ["update-attr", { "id": title_id, "forward-identity": [title_id, "goals", "name"] }],
        ["delete-attr", color_id],
        ["add-attr", {
            "id": new_attr, "forward-identity": [new_attr, "goals", "rank"], "value-type": "blob",
            "cardinality": "one", "unique?": false, "index?": false, "required?": false,
            "inferred-types": null, "catalog": "user", "checked-data-type": "number",
        }],
        ["index", { "attr-id": new_attr, "forward-identity": [new_attr, "goals", "rank"] }],
        ["update-attr", { "id": link_id, "cardinality": "many", "on-delete-reverse": "cascade" }],
    ]);
    let applied = platform.steps_apply(&app_id, steps).await.ok();
    assert!(applied["transaction"]["id"].is_i64());
    let group = applied["indexing-jobs"]["group-id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (statuses, _) = platform.wait_for_jobs(&app_id, &group).await;
    assert_eq!(statuses.last().unwrap(), "completed");

    let goals = admin.query(json!({ "goals": {} })).await;
    assert_eq!(goals["goals"][0]["name"], "g", "renamed with its data");
    assert!(goals["goals"][0].get("title").is_none());
    assert!(
        goals["goals"][0].get("color").is_none(),
        "delete-attr destroys data"
    );
    let schema = admin.get("/admin/schema").await.ok()["schema"].clone();
    assert_eq!(schema["blobs"]["goals"]["rank"]["index?"], true);
    // The cascade set above applies; a later update-attr that omits it clears it (upstream).
    admin
        .transact(json!([["delete", "goals", goal]]))
        .await
        .ok();
    assert_eq!(
        admin.query(json!({ "todos": {} })).await,
        json!({ "todos": [] })
    );
    platform
        .steps_apply(
            &app_id,
            json!([["update-attr", { "id": link_id, "cardinality": "many" }]]),
        )
        .await
        .ok();
    let schema = admin.get("/admin/schema").await.ok()["schema"].clone();
    assert_eq!(
        schema["refs"]["goals-todos-todos-goals"]["on-delete-reverse"],
        Value::Null
    );

    // Bad steps are refused and leave nothing behind.
    platform
        .steps_apply(&app_id, json!([["add-attr", { "id": uuid() }]]))
        .await
        .err(400, "validation-failed");
    platform
        .steps_apply(&app_id, json!([["unique", { "attr-id": uuid() }]]))
        .await
        .err(400, "record-not-found");
}

/// Deleting attributes deletes their triples (`delete-attr` in `model/attr.clj` deletes the
/// attr's `triples` rows): a deleted namespace's entities are gone, links to them too, and a
/// namespace re-created with a required attribute starts empty instead of failing on old ids.
#[tokio::test]
async fn deleting_a_namespace_attribute_or_link_deletes_its_data() {
    let emu = emulator().await;
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let creds = emu.create_app("deletes").unwrap();
    let app_id = creds.app_id.to_string();
    let mut admin = AdminApp::new(emu.base_url(), &creds);
    let (note, goal) = (uuid(), uuid());
    admin
        .transact(json!([
            ["update", "notes", note, { "body": "old", "pinned": true }],
            ["update", "goals", goal, { "title": "g", "color": "red" }],
            ["link", "goals", goal, { "notes": note }],
        ]))
        .await
        .ok();
    let schema = admin.get("/admin/schema").await.ok()["schema"].clone();
    let id_of = |etype: &str, label: &str| schema["blobs"][etype][label]["id"].clone();
    let link_id = schema["refs"]["goals-notes-notes-goals"]["id"].clone();

    // A deleted attribute: its values go, the entity stays.
    platform
        .steps_apply(&app_id, json!([["delete-attr", id_of("goals", "color")]]))
        .await
        .ok();
    let goals = admin.query(json!({ "goals": { "notes": {} } })).await;
    assert!(goals["goals"][0].get("color").is_none(), "{goals}");
    assert_eq!(goals["goals"][0]["notes"][0]["body"], "old");

    // A deleted link: the entities stay, unlinked.
    platform
        .steps_apply(&app_id, json!([["delete-attr", link_id]]))
        .await
        .ok();
    let goals = admin.query(json!({ "goals": {} })).await;
    assert_eq!(goals["goals"][0]["title"], "g");
    assert!(
        admin
            .transact(json!([["link", "goals", goal, { "notes": note }]]))
            .await
            .ok()["tx-id"]
            .is_i64(),
        "the link label is free again"
    );

    // `- DELETE NAMESPACE notes`: every attribute of `notes`, `id` included.
    let steps: Vec<Value> = ["id", "body", "pinned"]
        .iter()
        .map(|label| json!(["delete-attr", id_of("notes", label)]))
        .collect();
    platform.steps_apply(&app_id, json!(steps)).await.ok();
    assert_eq!(
        admin.query(json!({ "notes": {} })).await,
        json!({ "notes": [] })
    );
    let goals = admin.query(json!({ "goals": { "notes": {} } })).await;
    assert_eq!(
        goals["goals"][0]["notes"],
        json!([]),
        "links to deleted entities go"
    );

    // Re-created with a required attribute: starts empty, so the job finds nothing missing.
    let attr = uuid();
    let applied = platform
        .steps_apply(
            &app_id,
            json!([
                ["add-attr", {
                    "id": attr, "forward-identity": [uuid(), "notes", "text"], "value-type": "blob",
                    "cardinality": "one", "unique?": false, "index?": false, "required?": false,
                    "inferred-types": null, "catalog": "user",
                }],
                ["required", { "attr-id": attr, "forward-identity": [uuid(), "notes", "text"] }],
            ]),
        )
        .await
        .ok();
    let group = applied["indexing-jobs"]["group-id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (statuses, _) = platform.wait_for_jobs(&app_id, &group).await;
    assert_eq!(statuses.last().unwrap(), "completed");
    admin
        .transact(json!([["update", "notes", uuid(), { "text": "new" }]]))
        .await
        .ok();
    let notes = admin.query(json!({ "notes": {} })).await;
    assert_eq!(notes["notes"].as_array().unwrap().len(), 1, "{notes}");
}
