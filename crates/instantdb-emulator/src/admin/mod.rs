//! The admin API (`/admin/*`, `admin/routes.clj`): queries, transactions, app users and presence.
//! Storage lives in `storage.rs`.

pub(crate) mod live;
pub(crate) mod query;
pub(crate) mod transact;
pub(crate) mod users;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::rules::{RefResolver, RefSubject};
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

/// Resolves `ref(...)` paths in permission rules against an app's links.
pub(crate) struct EntityRefs<'a> {
    pub(crate) app: &'a App,
    /// The entity the rule is about, when it exists.
    pub(crate) etype: &'a str,
    pub(crate) eid: Option<Uuid>,
    /// The acting user (`auth.ref('$user....')`).
    pub(crate) user: Option<Uuid>,
}

impl RefResolver for EntityRefs<'_> {
    fn resolve(&self, subject: RefSubject, path: &str) -> Vec<Value> {
        match subject {
            RefSubject::Data => match self.eid {
                Some(eid) => ref_values(self.app, self.etype, eid, path),
                None => Vec::new(),
            },
            RefSubject::Auth => match (self.user, path.strip_prefix("$user.")) {
                (Some(user), Some(rest)) => ref_values(self.app, "$users", user, rest),
                _ => Vec::new(),
            },
        }
    }
}

/// The values at the end of `path` (`link.link.attr`, or a last segment `id` or a link label
/// for ids) from one entity, following links in both directions. Unknown labels give nothing.
fn ref_values(app: &App, etype: &str, eid: Uuid, path: &str) -> Vec<Value> {
    let segments: Vec<&str> = path.split('.').collect();
    let Some((last, hops)) = segments.split_last() else {
        return Vec::new();
    };
    let mut frontier = vec![(etype.to_owned(), eid)];
    let linked = |etype: &str, id: &Uuid, label: &str| -> Option<(String, Vec<Uuid>)> {
        let side = app.meta.attrs.link(etype, label)?;
        let target = side.target_etype().to_owned();
        let ids: Vec<Uuid> = if side.forward {
            app.data
                .entity(etype, id)
                .and_then(|entity| entity.refs.get(&side.attr.id))
                .map(|links| links.iter().copied().collect())
                .unwrap_or_default()
        } else {
            app.data.sources(side.attr.id, id).copied().collect()
        };
        let ids = ids
            .into_iter()
            .filter(|id| app.data.contains(&target, id))
            .collect();
        Some((target, ids))
    };
    for hop in hops {
        let mut next = Vec::new();
        for (current, id) in &frontier {
            if let Some((target, ids)) = linked(current, id, hop) {
                next.extend(ids.into_iter().map(|id| (target.clone(), id)));
            }
        }
        frontier = next;
    }
    let mut values = Vec::new();
    for (current, id) in &frontier {
        if *last == "id" {
            values.push(json!(id));
        } else if let Some(attr) = app.meta.attrs.by_fwd(current, last).filter(|a| !a.is_ref()) {
            if let Some(value) = app
                .data
                .entity(current, id)
                .and_then(|entity| entity.values.get(&attr.id))
                .filter(|value| !value.is_null())
            {
                values.push(value.clone());
            }
        } else if let Some((_, ids)) = linked(current, id, last) {
            values.extend(ids.into_iter().map(|id| json!(id)));
        }
    }
    values
}
