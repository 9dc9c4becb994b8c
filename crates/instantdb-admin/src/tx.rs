//! InstaML: the `tx` builder, lookups and ids.
//!
//! See [`tx()`](crate::tx()) for the builder and how its steps and lookups are encoded.

use std::borrow::Cow;
use std::fmt;
use std::time::SystemTime;

use instantdb_schema::js;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Error;
use crate::plain_json::is_plain_json;

/// A new entity id: a random (v4) UUID, lower-case, as upstream's `id()`.
///
/// ```
/// let id = instantdb_admin::id();
/// assert_eq!(id.len(), 36);
/// assert_eq!(&id[14..15], "4");
/// ```
pub fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A date as Instant stores it from JavaScript: the ISO-8601 string `Date.prototype.toJSON`
/// gives (UTC, always with milliseconds, e.g. `2024-02-03T04:05:06.789Z`). Use it for `i.date()`
/// attributes in transactions and `where` clauses; the server also accepts epoch milliseconds.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let when = UNIX_EPOCH + Duration::from_millis(1_706_933_106_789);
/// assert_eq!(instantdb_admin::date(when), "2024-02-03T04:05:06.789Z");
/// ```
pub fn date(time: SystemTime) -> Value {
    Value::String(humantime::format_rfc3339_millis(time).to_string())
}

/// A unique-attribute reference to an entity: `lookup("email", "a@b.c")` means "the entity
/// whose `email` is `a@b.c`". See [`tx()`] for how it is encoded.
///
/// The attribute must be unique (and, for link values, indexed) on the server; with an unknown
/// lookup the server creates the entity on `update` and `link`.
pub fn lookup(attribute: impl Into<String>, value: impl Into<Value>) -> Lookup {
    let mut value = value.into();
    js::normalize(&mut value);
    Lookup {
        attribute: attribute.into(),
        value,
    }
}

/// A lookup made by [`lookup`]. `Display` and `Serialize` give the link-value form,
/// `lookup__<attribute>__<JSON value>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    attribute: String,
    value: Value,
}

impl Lookup {
    /// The unique attribute.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }

    /// The value looked up.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Upstream decodes `lookup__attr__json` by splitting on `__`, so an attribute containing
    /// `__` (or ending in `_`) does not survive the trip: refuse it rather than send a step the
    /// server reads differently.
    fn check(&self) -> Result<(), String> {
        match parse_lookup(&self.encode()) {
            Some(back) if back == *self => Ok(()),
            _ => Err(format!(
                "the lookup attribute `{}` cannot be encoded: Instant's `lookup__<attr>__<value>` \
                 format splits on `__`, so attribute names must not contain `__` or end in `_`",
                self.attribute
            )),
        }
    }
}

impl Lookup {
    /// `lookup__<attribute>__<JSON value>`, built directly (link values are written often).
    fn encode(&self) -> String {
        let mut text = Vec::with_capacity(64);
        text.extend_from_slice(b"lookup__");
        text.extend_from_slice(self.attribute.as_bytes());
        text.extend_from_slice(b"__");
        // A `Value` always serializes, to UTF-8.
        let _ = serde_json::to_writer(&mut text, &js::Json(&self.value));
        String::from_utf8(text).unwrap_or_default()
    }
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl Serialize for Lookup {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl From<Lookup> for Value {
    fn from(lookup: Lookup) -> Value {
        Value::String(lookup.encode())
    }
}

/// Upstream's `parseLookup`: split on `__`, the second part is the attribute, the rest joined
/// back with `__` is the JSON value.
fn parse_lookup(text: &str) -> Option<Lookup> {
    let mut parts = text.split("__");
    parts.next()?;
    let attribute = parts.next()?.to_owned();
    let json = parts.collect::<Vec<_>>().join("__");
    let mut value = serde_json::from_str(&json).ok()?;
    js::normalize(&mut value);
    Some(Lookup { attribute, value })
}

/// What goes in the id slot of [`tx`]: an entity id (a UUID string) or a [`Lookup`].
///
/// A string that starts with `lookup__` is decoded as a lookup, as upstream's proxy does for
/// `tx.goals[lookup(...)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityId(IdKind);

#[derive(Debug, Clone, PartialEq)]
enum IdKind {
    Id(String),
    Lookup(Lookup),
}

impl EntityId {
    /// The value of the step's id slot: the id, or a lookup's `[attribute, value]` pair.
    fn slot(self) -> Value {
        match self.0 {
            IdKind::Id(id) => Value::String(id),
            IdKind::Lookup(lookup) => {
                Value::Array(vec![Value::String(lookup.attribute), lookup.value])
            }
        }
    }
}

impl From<&str> for EntityId {
    fn from(id: &str) -> EntityId {
        EntityId::from(id.to_owned())
    }
}

impl From<&String> for EntityId {
    fn from(id: &String) -> EntityId {
        EntityId::from(id.clone())
    }
}

impl From<String> for EntityId {
    fn from(id: String) -> EntityId {
        if id.starts_with("lookup__")
            && let Some(lookup) = parse_lookup(&id)
        {
            return EntityId(IdKind::Lookup(lookup));
        }
        EntityId(IdKind::Id(id))
    }
}

impl From<Lookup> for EntityId {
    fn from(lookup: Lookup) -> EntityId {
        EntityId(IdKind::Lookup(lookup))
    }
}

impl From<&Lookup> for EntityId {
    fn from(lookup: &Lookup) -> EntityId {
        EntityId(IdKind::Lookup(lookup.clone()))
    }
}

/// The arguments of a `tx` operation: a `serde_json::Value` or `Map` (taken as they are, no
/// copy), or a reference to anything `Serialize` (your own struct, a `HashMap`…), serialized
/// to JSON.
///
/// Your own types are the fastest: they are usually written once, straight to the JSON text
/// the request carries, where a `json!` value is a tree of maps to build, walk and free.
///
/// ```
/// use instantdb_admin::tx;
/// use serde_json::json;
///
/// #[derive(serde::Serialize)]
/// struct Goal { title: String, priority: u8 }
///
/// let goal = Goal { title: "Ship it".into(), priority: 2 };
/// let by_struct = tx("goals", "g1").update(&goal);
/// let by_json = tx("goals", "g1").update(json!({"title": "Ship it", "priority": 2}));
/// assert_eq!(by_struct.steps().unwrap(), by_json.steps().unwrap());
/// ```
pub trait Args {
    /// The arguments as JSON.
    fn into_json(self) -> Result<Value, serde_json::Error>;

    /// The arguments as a step keeps them: `Ok(json)` when they serialize to text that needs
    /// no JavaScript normalization and reads back as [`Args::into_json`]'s value, else that
    /// value. Not part of the API.
    #[doc(hidden)]
    fn into_step_json(self) -> Result<Result<Box<RawValue>, Value>, serde_json::Error>
    where
        Self: Sized,
    {
        self.into_json().map(Err)
    }
}

impl Args for Value {
    fn into_json(self) -> Result<Value, serde_json::Error> {
        Ok(self)
    }
}

impl Args for serde_json::Map<String, Value> {
    fn into_json(self) -> Result<Value, serde_json::Error> {
        Ok(Value::Object(self))
    }
}

impl<T: Serialize + ?Sized> Args for &T {
    fn into_json(self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    fn into_step_json(self) -> Result<Result<Box<RawValue>, Value>, serde_json::Error> {
        // Written as text first; only text that JS would spell differently (or that `to_value`
        // would read differently) takes the `Value` path, which also reports any error.
        match serde_json::value::to_raw_value(self) {
            Ok(json) if is_plain_json(json.get()) => Ok(Ok(json)),
            _ => self.into_json().map(Err),
        }
    }
}

/// A step's arguments: a `Value` (from the caller, or from `Serialize` types whose JSON needs
/// JavaScript's number or key-order rules), normalized when sent; or the JSON text a
/// `Serialize` type was written to, already exactly what `JSON.stringify` makes of `to_value(x)`
/// ([`is_plain_json`]), sent as it is.
#[derive(Clone)]
pub(crate) enum StepArgs {
    Value(Value),
    Json(Box<RawValue>),
}

impl StepArgs {
    /// The arguments as a `Value`, as `to_value` gave them before normalization.
    pub(crate) fn to_value(&self) -> Cow<'_, Value> {
        match self {
            StepArgs::Value(value) => Cow::Borrowed(value),
            StepArgs::Json(json) => Cow::Owned(parse_plain(json)),
        }
    }

    fn into_value(self) -> Value {
        match self {
            StepArgs::Value(value) => value,
            StepArgs::Json(json) => parse_plain(&json),
        }
    }
}

/// Text `is_plain_json` accepted parses back exactly (its numbers are small integers).
fn parse_plain(json: &RawValue) -> Value {
    // It was written by serde_json a moment ago, so it parses.
    serde_json::from_str(json.get()).unwrap_or(Value::Null)
}

impl Serialize for StepArgs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StepArgs::Value(value) => js::Json(value).serialize(serializer),
            StepArgs::Json(json) => json.serialize(serializer),
        }
    }
}

/// As the `Value`s compare (object key order aside), whichever form each side is in.
impl PartialEq for StepArgs {
    fn eq(&self, other: &StepArgs) -> bool {
        *self.to_value() == *other.to_value()
    }
}

/// As the `Value`.
impl fmt::Debug for StepArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.to_value(), f)
    }
}

/// Options of `update` and `merge`: `{"upsert": bool}` as the 5th element of the step.
///
/// `upsert: false` makes the step fail when the entity does not exist; the default (no
/// options) creates it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateOpts {
    upsert: Option<bool>,
}

impl UpdateOpts {
    /// `{"upsert": upsert}`.
    pub fn upsert(upsert: bool) -> UpdateOpts {
        UpdateOpts {
            upsert: Some(upsert),
        }
    }

    fn to_json(self) -> Value {
        match self.upsert {
            Some(upsert) => json!({ "upsert": upsert }),
            None => json!({}),
        }
    }
}

/// Operations on one entity (or raw steps), built with [`tx`]; pass one or many to
/// [`AdminClient::transact`](crate::AdminClient::transact).
///
/// Each method returns the chunk with one more operation, like upstream's immutable chunks.
/// Arguments are anything `Serialize` (usually `json!` objects or your own structs); an `"id"`
/// key in them is dropped by the server. Invalid input (arguments that do not serialize, a
/// lookup string that does not decode) is reported when the chunk is sent or [`steps`] is
/// called.
///
/// [`steps`]: TransactionChunk::steps
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionChunk {
    target: Option<(String, EntityId)>,
    steps: Vec<Step>,
    error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// The action, or `None` for a raw step.
    pub(crate) action: Option<&'static str>,
    pub(crate) args: StepArgs,
    pub(crate) opts: Option<Value>,
}

/// Starts a chunk for the entity `id` of namespace `namespace`.
///
/// Mirrors `tx`, `lookup` and `id` of `@instantdb/core` (`instatx.ts`): every call appends one
/// operation tuple, and [`AdminClient::transact`](crate::AdminClient::transact) posts the
/// tuples of all chunks, in order, as `steps`. The tuples are exactly upstream's:
///
/// | call | step |
/// |---|---|
/// | `tx("goals", id).update(args)` | `["update", "goals", id, args]` |
/// | `.update_with(args, UpdateOpts::upsert(false))` | `["update", "goals", id, args, {"upsert": false}]` |
/// | `.merge(args)` / `.merge_with(args, opts)` | `["merge", …]`, deep-merged by the server |
/// | `.create(args)` | `["create", …]` (fails if the entity exists) |
/// | `.delete()` | `["delete", "goals", id, null]` |
/// | `.link(json!({"todos": todo_id}))` / `.unlink(…)` | `["link", "goals", id, {"todos": …}]` |
/// | `.rule_params(json!({"k": "v"}))` | `["ruleParams", "goals", id, {"k": "v"}]` |
///
/// Lookups encode differently in the two places they go, as upstream does: in the **id slot**
/// (`tx("users", lookup("email", "a@b.c"))`) the step carries the pair `["email", "a@b.c"]`; in a
/// **link value** (`link(json!({"owner": lookup("email", "a@b.c")}))`) it is the string
/// `lookup__email__"a@b.c"`, because a two-element array there would mean two ids.
///
/// ```
/// use instantdb_admin::{id, lookup, tx};
/// use serde_json::json;
///
/// let goal = id();
/// let chunk = tx("goals", goal.as_str())
///     .update(json!({"title": "Ship it"}))
///     .link(json!({"owner": lookup("email", "alyssa@example.com")}));
/// let steps = chunk.steps().unwrap();
/// assert_eq!(steps[0], json!(["update", "goals", goal, {"title": "Ship it"}]));
/// assert_eq!(steps[1][3], json!({"owner": "lookup__email__\"alyssa@example.com\""}));
///
/// let by_email = tx("$users", lookup("email", "alyssa@example.com")).delete();
/// assert_eq!(by_email.steps().unwrap()[0], json!(["delete", "$users", ["email", "alyssa@example.com"], null]));
/// ```
pub fn tx(namespace: impl Into<String>, id: impl Into<EntityId>) -> TransactionChunk {
    let id = id.into();
    let error = match &id.0 {
        IdKind::Lookup(lookup) => lookup.check().err(),
        IdKind::Id(text) if text.starts_with("lookup__") => Some(format!(
            "the entity id `{text}` starts with `lookup__` but is not a valid lookup \
             (`lookup__<attribute>__<JSON value>`)"
        )),
        IdKind::Id(_) => None,
    };
    TransactionChunk {
        target: Some((namespace.into(), id)),
        steps: Vec::new(),
        error,
    }
}

/// A raw step, for the operations the `tx` builder has no method for: `["add-attr", {...}]`
/// and `["delete-attr", attr_id]` (admin-api.md §4.2). It is sent as given and never validated
/// locally.
pub fn raw_step(step: impl Args) -> TransactionChunk {
    let mut chunk = TransactionChunk {
        target: None,
        steps: Vec::new(),
        error: None,
    };
    let args = chunk.serialize_args(step, "raw step");
    chunk.steps.push(Step {
        action: None,
        args,
        opts: None,
    });
    chunk
}

impl TransactionChunk {
    fn push(
        mut self,
        action: &'static str,
        args: StepArgs,
        opts: Option<Value>,
    ) -> TransactionChunk {
        if self.target.is_none() && self.error.is_none() {
            self.error = Some(format!(
                "`{action}` needs an entity: start the chunk with `tx`"
            ));
        }
        self.steps.push(Step {
            action: Some(action),
            args,
            opts,
        });
        self
    }

    fn serialize_args(&mut self, args: impl Args, action: &str) -> StepArgs {
        match args.into_step_json() {
            Ok(Ok(json)) => StepArgs::Json(json),
            Ok(Err(value)) => StepArgs::Value(value),
            Err(err) => {
                if self.error.is_none() {
                    self.error = Some(format!(
                        "the arguments of `{action}` do not serialize: {err}"
                    ));
                }
                StepArgs::Value(Value::Null)
            }
        }
    }

    /// `create(args)`: creates the entity; the step fails if it exists.
    pub fn create(mut self, args: impl Args) -> TransactionChunk {
        let args = self.serialize_args(args, "create");
        self.push("create", args, None)
    }

    /// `update(args)`: sets these attributes, creating the entity if needed.
    pub fn update(mut self, args: impl Args) -> TransactionChunk {
        let args = self.serialize_args(args, "update");
        self.push("update", args, None)
    }

    /// `update(args, opts)`, e.g. `UpdateOpts::upsert(false)` to fail on a missing entity.
    pub fn update_with(mut self, args: impl Args, opts: UpdateOpts) -> TransactionChunk {
        let args = self.serialize_args(args, "update");
        self.push("update", args, Some(opts.to_json()))
    }

    /// `merge(args)`: deep-merges objects into the attributes (`null` deletes a nested key).
    pub fn merge(mut self, args: impl Args) -> TransactionChunk {
        let args = self.serialize_args(args, "merge");
        self.push("merge", args, None)
    }

    /// `merge(args, opts)`.
    pub fn merge_with(mut self, args: impl Args, opts: UpdateOpts) -> TransactionChunk {
        let args = self.serialize_args(args, "merge");
        self.push("merge", args, Some(opts.to_json()))
    }

    /// `delete()`: deletes the entity and its links (cascading where the schema says so).
    pub fn delete(self) -> TransactionChunk {
        self.push("delete", StepArgs::Value(Value::Null), None)
    }

    /// `link({label: id | [ids]})`: ids, or [`Lookup`]s (sent as `lookup__…` strings).
    pub fn link(mut self, links: impl Args) -> TransactionChunk {
        let args = self.serialize_args(links, "link");
        self.push("link", args, None)
    }

    /// `unlink({label: id | [ids]})`.
    pub fn unlink(mut self, links: impl Args) -> TransactionChunk {
        let args = self.serialize_args(links, "unlink");
        self.push("unlink", args, None)
    }

    /// `ruleParams({...})`: values the permission rules of this entity see as `ruleParams`.
    pub fn rule_params(mut self, params: impl Args) -> TransactionChunk {
        let args = self.serialize_args(params, "ruleParams");
        self.push("ruleParams", args, None)
    }

    /// The steps this chunk sends, as JSON (what upstream's `getOps` returns, after
    /// `JSON.stringify`).
    pub fn steps(&self) -> Result<Vec<Value>, Error> {
        self.clone().into_steps()
    }

    /// [`TransactionChunk::steps`], consuming the chunk (no copy of the arguments).
    pub fn into_steps(self) -> Result<Vec<Value>, Error> {
        if let Some(error) = self.error {
            return Err(Error::invalid_input(error));
        }
        let (namespace, id_slot) = match self.target {
            Some((namespace, id)) => (Value::String(namespace), id.slot()),
            None => (Value::Null, Value::Null),
        };
        Ok(self
            .steps
            .into_iter()
            .map(|step| {
                let mut args = step.args.into_value();
                js::normalize(&mut args);
                match step.action {
                    None => args,
                    Some(action) => {
                        let mut tuple = Vec::with_capacity(5);
                        tuple.push(Value::String(action.to_owned()));
                        tuple.push(namespace.clone());
                        tuple.push(id_slot.clone());
                        tuple.push(args);
                        tuple.extend(step.opts);
                        Value::Array(tuple)
                    }
                }
            })
            .collect())
    }

    /// The error that makes this chunk unsendable, if any.
    fn check(&self) -> Result<(), Error> {
        match &self.error {
            Some(error) => Err(Error::invalid_input(error.clone())),
            None => Ok(()),
        }
    }

    /// The steps, each written straight from the chunk (see [`Chunks`]'s `Serialize`).
    fn step_tuples(&self) -> impl Iterator<Item = StepJson<'_>> {
        self.steps.iter().map(move |step| StepJson {
            target: self.target.as_ref(),
            step,
        })
    }

    /// The namespace and the id-slot value, for local validation.
    pub(crate) fn parts(&self) -> impl Iterator<Item = (&str, Value, &Step)> {
        let target = self
            .target
            .as_ref()
            .map(|(ns, id)| (ns.as_str(), id.clone().slot()));
        self.steps.iter().filter_map(move |step| {
            let (ns, slot) = target.clone()?;
            step.action.map(|_| (ns, slot, step))
        })
    }
}

/// Serializes as its steps, the JSON array [`TransactionChunk::steps`] gives (a chunk with an
/// error fails to serialize, with that error's message).
impl Serialize for TransactionChunk {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.check().map_err(serde::ser::Error::custom)?;
        serializer.collect_seq(self.step_tuples())
    }
}

/// One step as upstream's `getOps` tuple, `[action, namespace, id slot, args, opts?]` (or a raw
/// step's own JSON), written from the chunk without building a `Value`: what
/// [`TransactionChunk::into_steps`] returns, byte for byte once serialized.
struct StepJson<'a> {
    target: Option<&'a (String, EntityId)>,
    step: &'a Step,
}

impl Serialize for StepJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;

        let step = self.step;
        let Some(action) = step.action else {
            return step.args.serialize(serializer);
        };
        let mut tuple = serializer.serialize_seq(Some(4 + usize::from(step.opts.is_some())))?;
        tuple.serialize_element(action)?;
        match self.target {
            Some((namespace, id)) => {
                tuple.serialize_element(namespace)?;
                match &id.0 {
                    IdKind::Id(id) => tuple.serialize_element(id)?,
                    IdKind::Lookup(lookup) => {
                        tuple.serialize_element(&(&lookup.attribute, &lookup.value))?
                    }
                }
            }
            None => {
                tuple.serialize_element(&())?;
                tuple.serialize_element(&())?;
            }
        }
        tuple.serialize_element(&step.args)?;
        if let Some(opts) = &step.opts {
            tuple.serialize_element(opts)?;
        }
        tuple.end()
    }
}

/// One or many chunks: a [`TransactionChunk`], or any collection of them (`Vec`, array, slice,
/// iterator via [`Chunks::from_iter`]).
///
/// `Chunks` serializes as the `steps` array of the request body, exactly the bytes
/// [`AdminClient::transact`](crate::AdminClient::transact) sends (the JSON of
/// [`Chunks::steps`]), written straight from the chunks' arguments without copying them. A
/// chunk with an error fails to serialize, with that error's message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunks(pub(crate) Vec<TransactionChunk>);

impl Chunks {
    /// All steps of all chunks, in order.
    pub fn steps(&self) -> Result<Vec<Value>, Error> {
        self.clone().into_steps()
    }

    /// [`Chunks::steps`], consuming the chunks (no copy of the arguments).
    pub fn into_steps(self) -> Result<Vec<Value>, Error> {
        let mut steps = Vec::new();
        for chunk in self.0 {
            steps.extend(chunk.into_steps()?);
        }
        Ok(steps)
    }
}

impl Chunks {
    /// The first chunk's error, as [`Chunks::into_steps`] reports it.
    pub(crate) fn check(&self) -> Result<(), Error> {
        self.0.iter().try_for_each(TransactionChunk::check)
    }
}

impl Serialize for Chunks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.check().map_err(serde::ser::Error::custom)?;
        let len = self.0.iter().map(|chunk| chunk.steps.len()).sum();
        let mut steps = serializer.serialize_seq(Some(len))?;
        for step in self.0.iter().flat_map(TransactionChunk::step_tuples) {
            serde::ser::SerializeSeq::serialize_element(&mut steps, &step)?;
        }
        serde::ser::SerializeSeq::end(steps)
    }
}

impl From<TransactionChunk> for Chunks {
    fn from(chunk: TransactionChunk) -> Chunks {
        Chunks(vec![chunk])
    }
}

impl From<Vec<TransactionChunk>> for Chunks {
    fn from(chunks: Vec<TransactionChunk>) -> Chunks {
        Chunks(chunks)
    }
}

impl<const N: usize> From<[TransactionChunk; N]> for Chunks {
    fn from(chunks: [TransactionChunk; N]) -> Chunks {
        Chunks(chunks.into())
    }
}

impl From<&[TransactionChunk]> for Chunks {
    fn from(chunks: &[TransactionChunk]) -> Chunks {
        Chunks(chunks.to_vec())
    }
}

impl FromIterator<TransactionChunk> for Chunks {
    fn from_iter<I: IntoIterator<Item = TransactionChunk>>(iter: I) -> Chunks {
        Chunks(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOAL: &str = "11111111-1111-4111-8111-111111111111";

    #[test]
    fn steps_match_upstream_tuples() {
        let chunk = tx("goals", GOAL)
            .rule_params(json!({"k": "v"}))
            .update_with(json!({"title": "x", "2.0": 2.0}), UpdateOpts::upsert(false))
            .merge(json!({"meta": {"b": 1, "1": 2}}))
            .create(json!({}))
            .unlink(json!({"todos": [GOAL]}))
            .delete();
        assert_eq!(
            serde_json::to_string(&chunk.steps().unwrap()).unwrap(),
            format!(
                r#"[["ruleParams","goals","{GOAL}",{{"k":"v"}}],["update","goals","{GOAL}",{{"title":"x","2.0":2}},{{"upsert":false}}],["merge","goals","{GOAL}",{{"meta":{{"1":2,"b":1}}}}],["create","goals","{GOAL}",{{}}],["unlink","goals","{GOAL}",{{"todos":["{GOAL}"]}}],["delete","goals","{GOAL}",null]]"#
            )
        );
    }

    #[test]
    fn lookups_in_the_id_slot_and_in_links() {
        let chunk = tx("goals", lookup("title", "a__b")).link(json!({"todos": lookup("n", 15)}));
        assert_eq!(
            chunk.steps().unwrap()[0],
            json!(["link", "goals", ["title", "a__b"], {"todos": "lookup__n__15"}])
        );
        // A lookup string in the id slot is decoded, as `tx.goals[lookup(...)]` is upstream.
        let chunk = tx("goals", r#"lookup__title__"x__y""#).delete();
        assert_eq!(chunk.steps().unwrap()[0][2], json!(["title", "x__y"]));
        // Numbers and key order go through the JSON round trip upstream applies.
        assert_eq!(lookup("n", 3.0).to_string(), "lookup__n__3");
    }

    #[test]
    fn undecodable_lookups_are_refused() {
        for attribute in ["a__b", "a_"] {
            let err = tx("goals", lookup(attribute, 1))
                .delete()
                .steps()
                .unwrap_err();
            assert!(err.is_invalid_input(), "{err}");
            assert!(err.to_string().contains("`__`"), "{err}");
        }
        let err = tx("goals", "lookup__title__not json")
            .delete()
            .steps()
            .unwrap_err();
        assert!(err.to_string().contains("not a valid lookup"), "{err}");
        let err = raw_step(json!(["delete-attr", GOAL]))
            .delete()
            .steps()
            .unwrap_err();
        assert!(
            err.to_string().contains("start the chunk with `tx`"),
            "{err}"
        );
    }

    #[test]
    fn serializing_chunks_writes_their_steps() {
        let chunks: Chunks = [
            tx("goals", GOAL)
                .update_with(
                    json!({"title": "x", "2.0": 2.0, "n": {"10": -0.0, "b": 1e19, "1": [3.0]}}),
                    UpdateOpts::upsert(false),
                )
                .merge_with(json!({"a": 1}), UpdateOpts::default())
                .link(json!({"owner": lookup("email", "a@b.c"), "todos": [GOAL]})),
            tx("users", lookup("n", 2.0)).delete(),
            raw_step(json!(["add-attr", {"id": GOAL, "2": 1.0, "1": 0.5}])),
            tx("todos", GOAL).rule_params(json!({})).create(&["x"]),
        ]
        .into();
        let text = serde_json::to_string(&chunks).unwrap();
        assert_eq!(
            text,
            serde_json::to_string(&chunks.clone().into_steps().unwrap()).unwrap()
        );
        assert!(text.contains(r#""n":{"1":[3],"10":0,"b":10000000000000000000}"#));
        assert!(text.contains(r#"["delete","users",["n",2],null]"#));
        let one = tx("goals", GOAL).update(json!({"9": 1, "x": 1.0}));
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            serde_json::to_string(&one.steps().unwrap()).unwrap()
        );

        let broken: Chunks = [
            tx("goals", GOAL).delete(),
            tx("goals", lookup("a__b", 1)).delete(),
        ]
        .into();
        let err = serde_json::to_string(&broken).unwrap_err();
        assert!(err.to_string().contains("`__`"), "{err}");
        assert!(broken.check().is_err());
    }

    #[test]
    fn chunks_flatten_in_order() {
        let chunks: Chunks = [
            tx("goals", GOAL).update(json!({"a": 1})),
            raw_step(json!(["delete-attr", GOAL])),
            tx("todos", GOAL).delete(),
        ]
        .into();
        let steps = chunks.steps().unwrap();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1], json!(["delete-attr", GOAL]));
        assert_eq!(steps[2][0], "delete");
    }
}
