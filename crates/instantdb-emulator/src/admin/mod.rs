//! The admin API (`/admin/*`, `admin/routes.clj`): queries, transactions, app users and presence.
//! Storage lives in `storage.rs`.

pub(crate) mod live;
pub(crate) mod query;
pub(crate) mod transact;
pub(crate) mod users;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::store::App;
use crate::store::data::Entity;

/// The object an entity shows in query results and to permission rules: `id`, then each blob
/// attribute of its namespace that it has a value for, in attribute order. `$files` rows also
/// get their download `url`; `$users` rows get the computed `isGuest` only through
/// [`users::user_json`].
pub(crate) fn entity_object(
    app: &App,
    base_url: &str,
    etype: &str,
    eid: &Uuid,
    entity: &Entity,
    fields: Option<&[String]>,
) -> Map<String, Value> {
    let wanted = |label: &str| fields.is_none_or(|fields| fields.iter().any(|f| f == label));
    let mut out = Map::new();
    out.insert("id".into(), json!(eid));
    for attr in app.meta.attrs.blobs_of(etype) {
        let label = attr.forward.label.as_str();
        if label == "id" || !wanted(label) {
            continue;
        }
        if etype == "$files" && label == "url" {
            if let Some(Value::String(location)) = app
                .meta
                .attrs
                .by_fwd("$files", "location-id")
                .and_then(|loc| entity.values.get(&loc.id))
            {
                out.insert(
                    "url".into(),
                    json!(crate::storage::download_url(
                        base_url,
                        &app.meta.id,
                        location
                    )),
                );
            }
            continue;
        }
        if let Some(value) = entity.values.get(&attr.id) {
            out.insert(label.to_owned(), value.clone());
        }
    }
    out
}
