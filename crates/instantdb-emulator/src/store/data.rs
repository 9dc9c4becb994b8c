//! An app's entities: the emulator's stand-in for the server's triple store.
//!
//! Instant stores `(entity, attr, value)` triples. The emulator groups them per entity: blob
//! values by attribute id, and ref triples on their forward-side (source) entity. Every change
//! goes through [`AppData::put_entity`], which keeps the two derived indexes (values → entities,
//! ref targets → sources) in step, remembers what it replaced for [`Journal::rollback`], and marks
//! the entity dirty for persistence. A transaction is therefore atomic without copying the app.

use std::collections::{HashMap, HashSet};

use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::attrs::{Attr, Attrs};

/// One entity of one namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entity {
    /// When its `id` triple was written (epoch ms): `serverCreatedAt`.
    pub(crate) created_at: i64,
    /// Blob attribute id → value. The `id` attribute is implicit.
    pub(crate) values: IndexMap<Uuid, Value>,
    /// Forward ref attribute id → linked entity ids, in link order.
    pub(crate) refs: IndexMap<Uuid, IndexSet<Uuid>>,
}

/// The entities of one app, by namespace, plus derived indexes.
#[derive(Debug, Default)]
pub(crate) struct AppData {
    entities: HashMap<String, IndexMap<Uuid, Entity>>,
    /// `(attr, canonical value)` → entities holding it; serves lookups, uniqueness and `where`.
    by_value: HashMap<(Uuid, String), IndexSet<Uuid>>,
    /// `(ref attr, target)` → source entities.
    reverse: HashMap<(Uuid, Uuid), IndexSet<Uuid>>,
    /// Entities changed since the last persistence flush.
    pub(crate) dirty: HashSet<(String, Uuid)>,
    /// The state before the first change of every entity changed since the last
    /// [`AppData::take_changes`]: what webhook events are computed from (a rolled-back change
    /// shows up with equal before and after states, and so produces no event).
    changes: IndexMap<(String, Uuid), Option<Entity>>,
}

/// The key a value is indexed under: its canonical JSON text, with integral numbers written
/// as integers so that `1` and `1.0` are the same value (as they are in Postgres `jsonb`).
pub(crate) fn value_key(value: &Value) -> String {
    if let Value::Number(number) = value
        && let Some(float) = number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
    {
        return format!("{}", float as i64);
    }
    value.to_string()
}

impl AppData {
    pub(crate) fn entity(&self, etype: &str, eid: &Uuid) -> Option<&Entity> {
        self.entities.get(etype)?.get(eid)
    }

    pub(crate) fn contains(&self, etype: &str, eid: &Uuid) -> bool {
        self.entity(etype, eid).is_some()
    }

    /// The entities of `etype`, in no particular order.
    pub(crate) fn entities_of(&self, etype: &str) -> impl Iterator<Item = (&Uuid, &Entity)> {
        self.entities
            .get(etype)
            .into_iter()
            .flat_map(|map| map.iter())
    }

    /// Every namespace that holds at least one entity, in no particular order.
    pub(crate) fn etypes(&self) -> impl Iterator<Item = &str> {
        self.entities
            .iter()
            .filter(|(_, entities)| !entities.is_empty())
            .map(|(etype, _)| etype.as_str())
    }

    pub(crate) fn count(&self, etype: &str) -> usize {
        self.entities.get(etype).map_or(0, IndexMap::len)
    }

    /// Entities whose `attr` holds `value`.
    pub(crate) fn with_value(&self, attr: Uuid, value: &Value) -> Option<&IndexSet<Uuid>> {
        self.by_value.get(&(attr, value_key(value)))
    }

    /// Sources linked to `target` through `attr`.
    pub(crate) fn sources(&self, attr: Uuid, target: &Uuid) -> impl Iterator<Item = &Uuid> {
        self.reverse.get(&(attr, *target)).into_iter().flatten()
    }

    /// Replaces (or with `None` removes) an entity, keeping the indexes in step and recording the
    /// previous state in `journal`.
    pub(crate) fn put_entity(
        &mut self,
        etype: &str,
        eid: Uuid,
        new: Option<Entity>,
        journal: &mut Journal,
    ) {
        let old = self.raw_put(etype, eid, new);
        journal.record(etype, eid, old);
    }

    fn raw_put(&mut self, etype: &str, eid: Uuid, new: Option<Entity>) -> Option<Entity> {
        let table = self.entities.entry(etype.to_owned()).or_default();
        // `swap_remove` keeps deletes O(1); nothing depends on this order, since every listing
        // sorts by creation time and id.
        let old = match &new {
            Some(entity) => table.insert(eid, entity.clone()),
            None => table.swap_remove(&eid),
        };
        if table.is_empty() {
            self.entities.remove(etype);
        }
        if let Some(old) = &old {
            self.unindex(eid, old);
        }
        if let Some(new) = &new {
            self.index(eid, new);
        }
        self.dirty.insert((etype.to_owned(), eid));
        self.changes
            .entry((etype.to_owned(), eid))
            .or_insert_with(|| old.clone());
        old
    }

    /// The entities changed since the last call, with their state before the first change.
    pub(crate) fn take_changes(&mut self) -> IndexMap<(String, Uuid), Option<Entity>> {
        std::mem::take(&mut self.changes)
    }

    fn index(&mut self, eid: Uuid, entity: &Entity) {
        for (attr, value) in &entity.values {
            self.by_value
                .entry((*attr, value_key(value)))
                .or_default()
                .insert(eid);
        }
        for (attr, targets) in &entity.refs {
            for target in targets {
                self.reverse
                    .entry((*attr, *target))
                    .or_default()
                    .insert(eid);
            }
        }
    }

    fn unindex(&mut self, eid: Uuid, entity: &Entity) {
        for (attr, value) in &entity.values {
            let key = (*attr, value_key(value));
            if let Some(set) = self.by_value.get_mut(&key) {
                set.swap_remove(&eid);
                if set.is_empty() {
                    self.by_value.remove(&key);
                }
            }
        }
        for (attr, targets) in &entity.refs {
            for target in targets {
                let key = (*attr, *target);
                if let Some(set) = self.reverse.get_mut(&key) {
                    set.swap_remove(&eid);
                    if set.is_empty() {
                        self.reverse.remove(&key);
                    }
                }
            }
        }
    }

    /// Loads an entity from persistence (no journal, not dirty).
    pub(crate) fn load(&mut self, etype: &str, eid: Uuid, entity: Entity) {
        self.raw_put(etype, eid, Some(entity));
        self.dirty.remove(&(etype.to_owned(), eid));
        self.changes.shift_remove(&(etype.to_owned(), eid));
    }

    /// Removes every triple of a deleted attribute, as upstream's `delete-attr` deletes the
    /// `triples` rows of the attr (`server/src/instant/db/model/attr.clj`, `delete-multi!`):
    /// its values, or its links on both sides. Deleting a namespace's `id` attribute removes the
    /// namespace's entities themselves (their `id` triples are what makes them exist), and with
    /// them the links that pointed at them, so a re-created namespace starts empty.
    pub(crate) fn drop_attr(&mut self, attr: &Attr, journal: &mut Journal) {
        if !attr.is_ref() && attr.forward.label == "id" {
            self.drop_namespace(&attr.forward.etype, journal);
            return;
        }
        let id = attr.id;
        let touched: Vec<(String, Uuid)> = self
            .entities
            .iter()
            .flat_map(|(etype, table)| {
                table
                    .iter()
                    .filter(|(_, entity)| {
                        entity.values.contains_key(&id) || entity.refs.contains_key(&id)
                    })
                    .map(move |(eid, _)| (etype.clone(), *eid))
            })
            .collect();
        for (etype, eid) in touched {
            if let Some(mut entity) = self.entity(&etype, &eid).cloned() {
                entity.values.shift_remove(&id);
                entity.refs.shift_remove(&id);
                self.put_entity(&etype, eid, Some(entity), journal);
            }
        }
    }

    /// Removes every entity of `etype`, and every link (of any attribute) pointing at one.
    fn drop_namespace(&mut self, etype: &str, journal: &mut Journal) {
        let gone: IndexSet<Uuid> = self.entities_of(etype).map(|(eid, _)| *eid).collect();
        for eid in &gone {
            self.put_entity(etype, *eid, None, journal);
        }
        let mut sources: Vec<(String, Uuid)> = Vec::new();
        for (other, table) in &self.entities {
            for (eid, entity) in table {
                if entity
                    .refs
                    .values()
                    .any(|targets| targets.iter().any(|target| gone.contains(target)))
                {
                    sources.push((other.clone(), *eid));
                }
            }
        }
        for (other, eid) in sources {
            if let Some(mut entity) = self.entity(&other, &eid).cloned() {
                for targets in entity.refs.values_mut() {
                    targets.retain(|target| !gone.contains(target));
                }
                entity.refs.retain(|_, targets| !targets.is_empty());
                self.put_entity(&other, eid, Some(entity), journal);
            }
        }
    }

    /// Moves the values of `attr` from one namespace to another (an attribute renamed across
    /// entities by `update-attr`).
    pub(crate) fn move_attr(&mut self, attr: Uuid, from: &str, to: &str, journal: &mut Journal) {
        if from == to {
            return;
        }
        let moving: Vec<(Uuid, Entity)> = self
            .entities_of(from)
            .filter(|(_, entity)| {
                entity.values.contains_key(&attr) || entity.refs.contains_key(&attr)
            })
            .map(|(eid, entity)| (*eid, entity.clone()))
            .collect();
        for (eid, mut source) in moving {
            let mut target = self.entity(to, &eid).cloned().unwrap_or(Entity {
                created_at: source.created_at,
                ..Entity::default()
            });
            if let Some(value) = source.values.shift_remove(&attr) {
                target.values.insert(attr, value);
            }
            if let Some(links) = source.refs.shift_remove(&attr) {
                target.refs.insert(attr, links);
            }
            self.put_entity(from, eid, Some(source), journal);
            self.put_entity(to, eid, Some(target), journal);
        }
    }
}

/// What a transaction replaced, so a failure can put it back.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entities: Vec<(String, Uuid, Option<Entity>)>,
    seen: HashSet<(String, Uuid)>,
    attrs: Option<Attrs>,
}

impl Journal {
    fn record(&mut self, etype: &str, eid: Uuid, old: Option<Entity>) {
        if self.seen.insert((etype.to_owned(), eid)) {
            self.entities.push((etype.to_owned(), eid, old));
        }
    }

    /// Remembers the attributes before their first change in this transaction.
    pub(crate) fn save_attrs(&mut self, attrs: &Attrs) {
        if self.attrs.is_none() {
            self.attrs = Some(attrs.clone());
        }
    }

    /// The entities this transaction touched, in first-touch order.
    pub(crate) fn touched(&self) -> impl Iterator<Item = (&str, &Uuid)> {
        self.entities
            .iter()
            .map(|(etype, eid, _)| (etype.as_str(), eid))
    }

    /// Whether `(etype, eid)` existed before this transaction touched it.
    pub(crate) fn existed_before(&self, etype: &str, eid: &Uuid) -> Option<bool> {
        self.entities
            .iter()
            .find(|(e, id, _)| e == etype && id == eid)
            .map(|(_, _, old)| old.is_some())
    }

    /// The entity as it was before this transaction, when it was touched.
    pub(crate) fn before(&self, etype: &str, eid: &Uuid) -> Option<Option<&Entity>> {
        self.entities
            .iter()
            .find(|(e, id, _)| e == etype && id == eid)
            .map(|(_, _, old)| old.as_ref())
    }

    /// Undoes every change, newest first.
    pub(crate) fn rollback(self, data: &mut AppData, attrs: &mut Attrs) {
        for (etype, eid, old) in self.entities.into_iter().rev() {
            data.raw_put(&etype, eid, old);
        }
        if let Some(saved) = self.attrs {
            *attrs = saved;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn indexes_follow_puts_and_rollback() {
        let mut data = AppData::default();
        let mut attrs = Attrs::default();
        let attr = Uuid::new_v4();
        let link = Uuid::new_v4();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut journal = Journal::default();
        let mut entity = Entity::default();
        entity.values.insert(attr, json!("x"));
        entity.refs.entry(link).or_default().insert(b);
        data.put_entity("goals", a, Some(entity), &mut journal);
        assert_eq!(
            data.with_value(attr, &json!("x")).map(IndexSet::len),
            Some(1)
        );
        assert_eq!(data.sources(link, &b).count(), 1);
        journal.rollback(&mut data, &mut attrs);
        assert!(data.with_value(attr, &json!("x")).is_none());
        assert_eq!(data.sources(link, &b).count(), 0);
        assert!(!data.contains("goals", &a));
    }
}
