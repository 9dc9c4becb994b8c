//! The runtime of typed Rust generated from `instant.schema.ts`.
//!
//! `instant codegen rust` and the `instantdb::schema!` macro (both built on the
//! `instantdb-rustgen` crate) turn an app's schema into a module of entity structs, typed ids,
//! attribute handles and link handles. This module holds the generic pieces that module names:
//! [`Attr`] and [`Link`] (one constant per attribute and link label), [`Filter`], [`OrderBy`],
//! [`Select`] for queries, [`Tx`] for transactions, [`Id`] and [`Timestamp`].
//!
//! Everything here is a thin, type-checked layer over the untyped API: a [`Select`] becomes an
//! [`InstaQl`] namespace and a [`Tx`] a [`TransactionChunk`], so a typed call sends exactly the
//! bytes of the untyped call written by hand (the `typed` tests compare them), and both can be
//! mixed in one request.
//!
//! What the compiler checks, through the types the generated module gives each handle:
//!
//! - attributes exist (they are constants of the entity's module);
//! - `where` values have the attribute's type ([`WhereValue`]);
//! - `$gt`/`$gte`/`$lt`/`$lte`, `$like`/`$ilike` and `order` only on attributes the server can
//!   compare: indexed, with a checked type ([`Comparable`]); `$like` only on strings;
//! - links point at ids or lookups of the entity at the other end ([`LinkTarget`]);
//! - `create` takes the entity's `New…` struct, whose required attributes are required fields;
//! - lookups only on unique attributes ([`UniqueAttr`]).
//!
//! Generated code names this module through one path, `rt` (by default
//! `::instantdb::admin::typed`, configurable for users of `instantdb-admin` alone), and
//! re-exports serde from here, so a crate using the generated module needs no other
//! dependency.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// Sort direction of [`Attr::asc`] / [`Attr::desc`] and [`OrderBy::server_created_at`].
pub use crate::instaql::Order;
use crate::instaql::{Cond, InstaQl, Where};
use crate::{Error, Lookup, Query, TransactionChunk, UpdateOpts};

/// serde, for the generated module's derives (`#[serde(crate = "…::typed::serde")]`).
#[doc(hidden)]
pub use serde;
/// serde_json, for the generated module's `json` attributes.
#[doc(hidden)]
pub use serde_json;

/// An entity type of the generated module: its namespace and the argument types of `create`
/// and `update`.
pub trait Entity: Sized + 'static {
    /// The namespace (`todos`, `$users`).
    const NAMESPACE: &'static str;
    /// The arguments of `create`: every required attribute is a field.
    type New: Serialize;
    /// The arguments of `update` and `merge`: every attribute is optional.
    type Update: Serialize;
}

/// The id of an entity of type `E` (a UUID string). Ids of different entities are different
/// types, so a todo's id cannot be passed where an owner's is expected.
pub struct Id<E> {
    id: String,
    entity: PhantomData<fn() -> E>,
}

impl<E> Id<E> {
    /// A new random (v4) id, as [`crate::id`].
    #[allow(clippy::new_without_default)]
    pub fn new() -> Id<E> {
        Id::from_string(crate::id())
    }

    /// An id from its text. It is not checked here; the server rejects ids that are not UUIDs.
    pub fn from_string(id: impl Into<String>) -> Id<E> {
        Id {
            id: id.into(),
            entity: PhantomData,
        }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The id's text, owned.
    pub fn into_string(self) -> String {
        self.id
    }
}

// Written by hand: derives would demand `E: Clone`, `E: Debug`…, and `E` is only a marker.
impl<E> Clone for Id<E> {
    fn clone(&self) -> Id<E> {
        Id::from_string(self.id.clone())
    }
}
impl<E> PartialEq for Id<E> {
    fn eq(&self, other: &Id<E>) -> bool {
        self.id == other.id
    }
}
impl<E> Eq for Id<E> {}
impl<E> std::hash::Hash for Id<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}
impl<E> fmt::Debug for Id<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.id, f)
    }
}
impl<E> fmt::Display for Id<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}
impl<E> Serialize for Id<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.id)
    }
}
impl<'de, E> Deserialize<'de> for Id<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id<E>, D::Error> {
        String::deserialize(deserializer).map(Id::from_string)
    }
}

/// A date attribute's value (`i.date()`): milliseconds since the Unix epoch.
///
/// Instant stores dates as JavaScript sends them, so a stored value is either epoch
/// milliseconds (a number) or an ISO-8601 string; both deserialize. A `Timestamp` is sent as
/// [`crate::date`] spells it (`2024-02-03T04:05:06.789Z`), the form `Date.prototype.toJSON`
/// gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The time `millis` milliseconds after the Unix epoch (negative: before).
    pub fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// The current time.
    pub fn now() -> Timestamp {
        Timestamp::from(SystemTime::now())
    }

    /// Parses the date strings Instant accepts: RFC 3339 (`2024-02-03T04:05:06.789Z`, also with
    /// a space instead of `T`, or without the zone, read as UTC) or a bare date (`2024-02-03`,
    /// midnight UTC).
    pub fn parse(text: &str) -> Result<Timestamp, Error> {
        let parsed = humantime::parse_rfc3339_weak(text.trim_end_matches('Z'))
            .or_else(|_| humantime::parse_rfc3339_weak(&format!("{text}T00:00:00")));
        match parsed {
            Ok(time) => Ok(Timestamp::from(time)),
            Err(_) => Err(Error::invalid_input(format!(
                "`{text}` is not a date Instant accepts (an ISO-8601 string or epoch milliseconds)"
            ))),
        }
    }

    /// The time as a `SystemTime`, `None` when the platform's `SystemTime` cannot hold it.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let magnitude = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Timestamp {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Timestamp(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => Timestamp(
                i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |millis| -millis),
            ),
        }
    }
}

/// The last millisecond RFC 3339 can spell: 9999-12-31T23:59:59.999Z.
const LAST_RFC3339_MILLIS: i64 = 253_402_300_799_999;

impl Timestamp {
    /// Whether the ISO form exists: RFC 3339 (and humantime, which panics outside it) covers
    /// 1970 to 9999 only.
    fn has_iso_form(self) -> bool {
        (0..=LAST_RFC3339_MILLIS).contains(&self.0)
    }
}

/// The ISO-8601 string `Date.prototype.toJSON` gives, for times from 1970 to 9999; other times
/// as epoch milliseconds, the other encoding Instant accepts for dates.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_system_time().filter(|_| self.has_iso_form()) {
            Some(time) => f.write_str(&humantime::format_rfc3339_millis(time).to_string()),
            None => write!(f, "{}", self.0),
        }
    }
}

/// As [`Display`](fmt::Display) shows it: an ISO string, or a number outside 1970–9999.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.has_iso_form() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Number(number) => match (number.as_i64(), number.as_f64()) {
                (Some(millis), _) => Ok(Timestamp(millis)),
                // JavaScript dates are whole milliseconds; a fraction can only come from a
                // number written by hand, and `new Date(x)` truncates it too.
                (None, Some(millis)) if millis.is_finite() => Ok(Timestamp(millis.trunc() as i64)),
                _ => Err(serde::de::Error::custom(format!(
                    "{number} is not a date in epoch milliseconds"
                ))),
            },
            Value::String(text) => Timestamp::parse(&text).map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected a date (epoch milliseconds or an ISO-8601 string), found {other}"
            ))),
        }
    }
}

/// Marker of an attribute the server cannot compare or order by (not indexed, or `json`).
#[derive(Debug, Clone, Copy)]
pub enum Plain {}
/// Marker of an indexed attribute with a checked type: comparisons and `order` work.
#[derive(Debug, Clone, Copy)]
pub enum Ordered {}
/// Marker of a unique attribute the server cannot compare: lookups work.
#[derive(Debug, Clone, Copy)]
pub enum Unique {}
/// Marker of a unique, indexed attribute with a checked type: lookups, comparisons and `order`.
#[derive(Debug, Clone, Copy)]
pub enum OrderedUnique {}

/// Attributes that take `$gt`, `$gte`, `$lt`, `$lte`, `$like`, `$ilike` and `order`: the
/// server compares only indexed attributes with a checked type.
#[diagnostic::on_unimplemented(
    message = "this attribute cannot be compared or ordered by: it is not indexed with a checked type",
    label = "`$gt`, `$gte`, `$lt`, `$lte`, `$like`, `$ilike` and `order` need an indexed attribute",
    note = "add `.indexed()` to the attribute in instant.schema.ts (and give it a type other than `json`), then regenerate"
)]
pub trait Comparable {}
impl Comparable for Ordered {}
impl Comparable for OrderedUnique {}

/// Attributes a [`lookup`] can use: unique ones.
#[diagnostic::on_unimplemented(
    message = "lookups need a unique attribute",
    label = "this attribute is not unique",
    note = "add `.unique()` to the attribute in instant.schema.ts, then regenerate"
)]
pub trait UniqueAttr {}
impl UniqueAttr for Unique {}
impl UniqueAttr for OrderedUnique {}

/// A value that `where` accepts for an attribute whose type is `T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value of this attribute's type `{T}`",
    label = "expected a value of type `{T}`"
)]
pub trait WhereValue<T> {
    /// The value as JSON, spelled as the untyped API spells it.
    fn into_where_value(self) -> Value;
}

macro_rules! where_values {
    ($target:ty: $($source:ty),*) => {
        $(impl WhereValue<$target> for $source {
            fn into_where_value(self) -> Value {
                Value::from(self)
            }
        })*
    };
}
where_values!(String: String, &str);
impl WhereValue<String> for &String {
    fn into_where_value(self) -> Value {
        Value::String(self.clone())
    }
}
where_values!(f64: i8, i16, i32, i64, u8, u16, u32, u64);

impl WhereValue<f64> for f64 {
    fn into_where_value(self) -> Value {
        js_number(self)
    }
}
impl WhereValue<f64> for f32 {
    fn into_where_value(self) -> Value {
        js_number(f64::from(self))
    }
}

/// A number as JavaScript spells it in JSON: integral values without `.0` (`2`, not `2.0`), so
/// a typed query's JSON is the untyped one's before the request's own normalization too.
fn js_number(number: f64) -> Value {
    const SAFE: f64 = 9_007_199_254_740_991.0; // Number.MAX_SAFE_INTEGER
    if number.fract() == 0.0 && number.abs() <= SAFE {
        // Exact: integral and within ±2^53.
        Value::from(number as i64)
    } else {
        Value::from(number)
    }
}
where_values!(bool: bool);

impl WhereValue<Timestamp> for Timestamp {
    fn into_where_value(self) -> Value {
        if self.has_iso_form() {
            Value::String(self.to_string())
        } else {
            Value::from(self.0)
        }
    }
}
impl WhereValue<Timestamp> for SystemTime {
    fn into_where_value(self) -> Value {
        Timestamp::from(self).into_where_value()
    }
}
impl<E> WhereValue<Id<E>> for Id<E> {
    fn into_where_value(self) -> Value {
        Value::String(self.id)
    }
}
impl<E> WhereValue<Id<E>> for &Id<E> {
    fn into_where_value(self) -> Value {
        Value::String(self.id.clone())
    }
}
/// `json` attributes take any JSON.
impl<V: Into<Value>> WhereValue<Value> for V {
    fn into_where_value(self) -> Value {
        self.into()
    }
}

/// The phantom of handles: `fn() -> …` keeps them `Send`, `Sync` and covariant whatever the
/// marker types are.
type Marker3<A, B, C> = fn() -> (A, B, C);

/// A data attribute of entity `E` with values of type `T`; `K` says what the server allows on
/// it ([`Plain`], [`Ordered`], [`Unique`], [`OrderedUnique`]). The generated module has one
/// constant per attribute (`todos::title`); [`Link::dot`] makes paths through links
/// (`todos::owner.dot(users::email)`).
pub struct Attr<E, T, K = Plain> {
    name: Cow<'static, str>,
    marker: PhantomData<Marker3<E, T, K>>,
}

impl<E, T, K> Clone for Attr<E, T, K> {
    fn clone(&self) -> Attr<E, T, K> {
        Attr {
            name: self.name.clone(),
            marker: PhantomData,
        }
    }
}

impl<E, T, K> fmt::Debug for Attr<E, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attr({})", self.name)
    }
}

impl<E, T, K> Attr<E, T, K> {
    /// The attribute `name` (its Instant name, e.g. `createdAt`). Used by the generated module.
    pub const fn new(name: &'static str) -> Attr<E, T, K> {
        Attr {
            name: Cow::Borrowed(name),
            marker: PhantomData,
        }
    }

    /// The attribute's name (or dotted path) as the server sees it.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn filter(self, condition: Part) -> Filter<E> {
        Filter {
            parts: vec![(self.name.into_owned(), condition)],
            marker: PhantomData,
        }
    }

    fn cond(self, cond: Cond) -> Filter<E> {
        self.filter(Part::Cond(cond))
    }

    /// `{attr: value}`.
    pub fn eq(self, value: impl WhereValue<T>) -> Filter<E> {
        let value = value.into_where_value();
        self.filter(Part::Eq(value))
    }

    /// `{attr: {$ne: value}}`.
    pub fn ne(self, value: impl WhereValue<T>) -> Filter<E> {
        let value = value.into_where_value();
        self.filter(Part::Raw(serde_json::json!({ "$ne": value })))
    }

    /// `{attr: {$not: value}}`.
    pub fn not(self, value: impl WhereValue<T>) -> Filter<E> {
        self.cond(Cond::not(value.into_where_value()))
    }

    /// `{attr: {$in: [values]}}`.
    pub fn is_in<V: WhereValue<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<E> {
        self.cond(Cond::is_in(
            values.into_iter().map(WhereValue::into_where_value),
        ))
    }

    /// `{attr: {$isNull: is_null}}`.
    pub fn is_null(self, is_null: bool) -> Filter<E> {
        self.cond(Cond::is_null(is_null))
    }

    /// `{attr: {$gt: value}}` (indexed attributes with a checked type).
    pub fn gt(self, value: impl WhereValue<T>) -> Filter<E>
    where
        K: Comparable,
    {
        self.cond(Cond::gt(value.into_where_value()))
    }

    /// `{attr: {$gte: value}}` (indexed attributes with a checked type).
    pub fn gte(self, value: impl WhereValue<T>) -> Filter<E>
    where
        K: Comparable,
    {
        self.cond(Cond::gte(value.into_where_value()))
    }

    /// `{attr: {$lt: value}}` (indexed attributes with a checked type).
    pub fn lt(self, value: impl WhereValue<T>) -> Filter<E>
    where
        K: Comparable,
    {
        self.cond(Cond::lt(value.into_where_value()))
    }

    /// `{attr: {$lte: value}}` (indexed attributes with a checked type).
    pub fn lte(self, value: impl WhereValue<T>) -> Filter<E>
    where
        K: Comparable,
    {
        self.cond(Cond::lte(value.into_where_value()))
    }

    /// `order: {attr: "asc"}` (indexed attributes with a checked type).
    pub fn asc(self) -> OrderBy<E>
    where
        K: Comparable,
    {
        OrderBy::new(self.name, Order::Asc)
    }

    /// `order: {attr: "desc"}` (indexed attributes with a checked type).
    pub fn desc(self) -> OrderBy<E>
    where
        K: Comparable,
    {
        OrderBy::new(self.name, Order::Desc)
    }
}

impl<E, K> Attr<E, String, K> {
    /// `{attr: {$like: pattern}}`: SQL `LIKE`, case-sensitive (indexed string attributes).
    pub fn like(self, pattern: impl Into<String>) -> Filter<E>
    where
        K: Comparable,
    {
        self.cond(Cond::like(pattern))
    }

    /// `{attr: {$ilike: pattern}}`: case-insensitive `LIKE` (indexed string attributes).
    pub fn ilike(self, pattern: impl Into<String>) -> Filter<E>
    where
        K: Comparable,
    {
        self.cond(Cond::ilike(pattern))
    }
}

/// A lookup on a unique attribute of `E`: "the `E` whose `attr` is `value`". Goes in the id
/// slot of [`Tx`] (`Todo::tx(lookup(...))`) and as a link target.
pub struct TypedLookup<E> {
    lookup: Lookup,
    entity: PhantomData<fn() -> E>,
}

impl<E> Clone for TypedLookup<E> {
    fn clone(&self) -> TypedLookup<E> {
        TypedLookup {
            lookup: self.lookup.clone(),
            entity: PhantomData,
        }
    }
}

impl<E> fmt::Debug for TypedLookup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.lookup, f)
    }
}

impl<E> TypedLookup<E> {
    /// The untyped [`Lookup`].
    pub fn into_lookup(self) -> Lookup {
        self.lookup
    }
}

/// `lookup(users::email, "a@b.c")`: the entity whose unique `attr` is `value`, as
/// [`crate::lookup`] builds it.
pub fn lookup<E, T, K: UniqueAttr>(
    attr: Attr<E, T, K>,
    value: impl WhereValue<T>,
) -> TypedLookup<E> {
    TypedLookup {
        lookup: crate::lookup(attr.name.into_owned(), value.into_where_value()),
        entity: PhantomData,
    }
}

/// Marker of a link side that has one entity at the other end.
#[derive(Debug, Clone, Copy)]
pub enum One {}
/// Marker of a link side that has many entities at the other end.
#[derive(Debug, Clone, Copy)]
pub enum Many {}

/// A link label of entity `E` pointing at entity `T`, with cardinality `C` ([`One`] or
/// [`Many`]). The generated module has one constant per label (`todos::owner`).
pub struct Link<E, T, C> {
    label: &'static str,
    marker: PhantomData<Marker3<E, T, C>>,
}

impl<E, T, C> Clone for Link<E, T, C> {
    fn clone(&self) -> Link<E, T, C> {
        *self
    }
}
impl<E, T, C> Copy for Link<E, T, C> {}

impl<E, T, C> fmt::Debug for Link<E, T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Link({})", self.label)
    }
}

impl<E, T, C> Link<E, T, C> {
    /// The link label `label`. Used by the generated module.
    pub const fn new(label: &'static str) -> Link<E, T, C> {
        Link {
            label,
            marker: PhantomData,
        }
    }

    /// The label.
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The attribute `attr` of the linked entities, as a `where` path of `E`: `"owner.email"`.
    pub fn dot<V, K>(self, attr: Attr<T, V, K>) -> Attr<E, V, Plain> {
        Attr {
            name: Cow::Owned(format!("{}.{}", self.label, attr.name)),
            marker: PhantomData,
        }
    }

    /// The ids of the linked entities, as a `where` path of `E`: `{"owner": id}` matches the
    /// entities linked to `id`.
    pub fn id(self) -> Attr<E, Id<T>, Plain> {
        Attr {
            name: Cow::Borrowed(self.label),
            marker: PhantomData,
        }
    }
}

/// What a link can point at: an [`Id`] or a [`TypedLookup`] of the entity `T` at its other end.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not identify a `{T}`",
    label = "this link points to `{T}`: pass an `Id<{T}>` or a lookup on `{T}`"
)]
pub trait LinkTarget<T> {
    /// The link value: the id, or the lookup's `lookup__attr__value` string.
    fn into_link_value(self) -> Value;
}
impl<T> LinkTarget<T> for Id<T> {
    fn into_link_value(self) -> Value {
        Value::String(self.id)
    }
}
impl<T> LinkTarget<T> for &Id<T> {
    fn into_link_value(self) -> Value {
        Value::String(self.id.clone())
    }
}
impl<T> LinkTarget<T> for TypedLookup<T> {
    fn into_link_value(self) -> Value {
        Value::from(self.lookup)
    }
}

/// What goes in the id slot of [`Tx`]: an [`Id`] or a [`TypedLookup`] of `E`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not identify a `{E}`",
    label = "pass an `Id<{E}>` or a lookup on `{E}`"
)]
pub trait TxTarget<E> {
    /// The untyped id.
    fn into_entity_id(self) -> crate::EntityId;
}
impl<E> TxTarget<E> for Id<E> {
    fn into_entity_id(self) -> crate::EntityId {
        crate::EntityId::from(self.id)
    }
}
impl<E> TxTarget<E> for &Id<E> {
    fn into_entity_id(self) -> crate::EntityId {
        crate::EntityId::from(&self.id)
    }
}
impl<E> TxTarget<E> for TypedLookup<E> {
    fn into_entity_id(self) -> crate::EntityId {
        crate::EntityId::from(self.lookup)
    }
}

#[derive(Debug, Clone)]
enum Part {
    Eq(Value),
    Cond(Cond),
    Raw(Value),
    And(Vec<Where>),
    Or(Vec<Where>),
}

/// A `where` clause on entity `E`, made from attribute handles (`todos::title.eq("a")`) and
/// combined with [`Filter::and`], [`and`] and [`or`].
pub struct Filter<E> {
    parts: Vec<(String, Part)>,
    marker: PhantomData<fn() -> E>,
}

impl<E> Clone for Filter<E> {
    fn clone(&self) -> Filter<E> {
        Filter {
            parts: self.parts.clone(),
            marker: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Filter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.parts.iter()).finish()
    }
}

impl<E> Filter<E> {
    /// Both: the conditions of `other` are added to this clause's object, as
    /// `{title: "a", done: false}` (two conditions on one attribute are refused when the query
    /// is built; combine those with [`and`]).
    pub fn and(mut self, other: Filter<E>) -> Filter<E> {
        self.parts.extend(other.parts);
        self
    }

    /// The untyped clause.
    pub fn into_where(self) -> Where {
        self.parts
            .into_iter()
            .fold(Where::new(), |clause, (key, part)| match part {
                Part::Eq(value) => clause.eq(key, value),
                Part::Cond(cond) => clause.cond(key, cond),
                Part::Raw(value) => clause.raw(key, value),
                Part::And(clauses) => clause.and(clauses),
                Part::Or(clauses) => clause.or(clauses),
            })
    }
}

/// `{and: [clauses]}`: every clause holds.
pub fn and<E>(clauses: impl IntoIterator<Item = Filter<E>>) -> Filter<E> {
    group(clauses, Part::And)
}

/// `{or: [clauses]}`: at least one clause holds.
pub fn or<E>(clauses: impl IntoIterator<Item = Filter<E>>) -> Filter<E> {
    group(clauses, Part::Or)
}

fn group<E>(
    clauses: impl IntoIterator<Item = Filter<E>>,
    kind: fn(Vec<Where>) -> Part,
) -> Filter<E> {
    let clauses = clauses.into_iter().map(Filter::into_where).collect();
    Filter {
        parts: vec![(String::new(), kind(clauses))],
        marker: PhantomData,
    }
}

/// `order: {attr: direction}`, from [`Attr::asc`] / [`Attr::desc`] or
/// [`OrderBy::server_created_at`].
pub struct OrderBy<E> {
    attribute: Cow<'static, str>,
    direction: Order,
    marker: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for OrderBy<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderBy({}, {:?})", self.attribute, self.direction)
    }
}

impl<E> OrderBy<E> {
    fn new(attribute: Cow<'static, str>, direction: Order) -> OrderBy<E> {
        OrderBy {
            attribute,
            direction,
            marker: PhantomData,
        }
    }

    /// By creation time, `serverCreatedAt` (every entity has it).
    pub fn server_created_at(direction: Order) -> OrderBy<E> {
        OrderBy::new(Cow::Borrowed("serverCreatedAt"), direction)
    }
}

/// What to fetch of entity `E`: filter, order, page, fields and nested links. `Todo::query()`
/// starts one; pass it to [`AdminClient::query`](crate::AdminClient::query) (or
/// [`subscribe_query`](crate::AdminClient::subscribe_query), whose updates carry the cursors'
/// [`PageInfo`](crate::PageInfo)) and decode the result as [`Rows<E>`], or call
/// [`Select::fetch`].
pub struct Select<E> {
    inner: crate::instaql::Select,
    fields: Vec<String>,
    rule_params: Option<Value>,
    marker: PhantomData<fn() -> E>,
}

impl<E> Clone for Select<E> {
    fn clone(&self) -> Select<E> {
        Select {
            inner: self.inner.clone(),
            fields: self.fields.clone(),
            rule_params: self.rule_params.clone(),
            marker: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Select<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<E: Entity> Default for Select<E> {
    fn default() -> Select<E> {
        Select::new()
    }
}

impl<E: Entity> Select<E> {
    /// Every entity of `E`, with no option.
    pub fn new() -> Select<E> {
        Select {
            inner: crate::instaql::Select::new(),
            fields: Vec::new(),
            rule_params: None,
            marker: PhantomData,
        }
    }

    fn map(
        mut self,
        f: impl FnOnce(crate::instaql::Select) -> crate::instaql::Select,
    ) -> Select<E> {
        self.inner = f(self.inner);
        self
    }

    /// `$.where`.
    pub fn where_(self, filter: Filter<E>) -> Select<E> {
        self.map(|select| select.filter(filter.into_where()))
    }

    /// `$.order`.
    pub fn order(self, order: OrderBy<E>) -> Select<E> {
        self.map(|select| select.order(order.attribute, order.direction))
    }

    /// `$.limit` (top level only).
    pub fn limit(self, limit: u64) -> Select<E> {
        self.map(|select| select.limit(limit))
    }

    /// `$.offset` (top level only).
    pub fn offset(self, offset: u64) -> Select<E> {
        self.map(|select| select.offset(offset))
    }

    /// `$.first`: a cursor page (top level only).
    pub fn first(self, first: u64) -> Select<E> {
        self.map(|select| select.first(first))
    }

    /// `$.last` (top level only).
    pub fn last(self, last: u64) -> Select<E> {
        self.map(|select| select.last(last))
    }

    /// `$.after`: a cursor from a live query's [`PageInfo`](crate::PageInfo) (top level only).
    pub fn after(self, cursor: impl Into<Value>) -> Select<E> {
        self.map(|select| select.after(cursor))
    }

    /// `$.before` (top level only).
    pub fn before(self, cursor: impl Into<Value>) -> Select<E> {
        self.map(|select| select.before(cursor))
    }

    /// Adds `attr` to `$.fields`: only the listed attributes (and `id`) come back. Decode such
    /// results into a struct of your own whose fields are those attributes (the generated
    /// struct requires every required attribute).
    pub fn field<T, K>(mut self, attr: Attr<E, T, K>) -> Select<E> {
        self.fields.push(attr.name.into_owned());
        self
    }

    /// Fetches the entities linked through `link`, everything of them.
    pub fn with<T: Entity, C>(self, link: Link<E, T, C>) -> Select<E> {
        self.with_select(link, Select::new())
    }

    /// Fetches the entities linked through `link`, with their own select (filter, order,
    /// fields, deeper links; no pagination below the top level).
    pub fn with_select<T: Entity, C>(self, link: Link<E, T, C>, select: Select<T>) -> Select<E> {
        let nested = select.into_select();
        self.map(|outer| outer.link(link.label, nested))
    }

    /// `$$ruleParams` of the whole query (impersonated requests only).
    pub fn rule_params(mut self, params: Value) -> Select<E> {
        self.rule_params = Some(params);
        self
    }

    /// The untyped select.
    pub fn into_select(self) -> crate::instaql::Select {
        if self.fields.is_empty() {
            self.inner
        } else {
            self.inner.fields(self.fields)
        }
    }

    /// The untyped query `{namespace: select}`.
    pub fn into_instaql(mut self) -> InstaQl {
        let rule_params = self.rule_params.take();
        let query = InstaQl::new().namespace(E::NAMESPACE, self.into_select());
        match rule_params {
            Some(params) => query.rule_params(params),
            None => query,
        }
    }

    /// Runs the query on `client` and decodes the entities.
    pub async fn fetch(self, client: &crate::AdminClient) -> Result<Vec<E>, Error>
    where
        E: DeserializeOwned,
    {
        let rows: Rows<E> = client.query(self).send_as().await?;
        Ok(rows.0)
    }
}

impl<E: Entity> From<Select<E>> for InstaQl {
    fn from(select: Select<E>) -> InstaQl {
        select.into_instaql()
    }
}

impl<E: Entity> From<Select<E>> for Query {
    fn from(select: Select<E>) -> Query {
        Query::from(select.into_instaql())
    }
}

/// The result of a one-namespace query, decoded: the entities under `E`'s namespace key.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows<E>(pub Vec<E>);

impl<'de, E: Entity + Deserialize<'de>> Deserialize<'de> for Rows<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rows<E>, D::Error> {
        struct Visit<E>(PhantomData<E>);
        impl<'de, E: Entity + Deserialize<'de>> serde::de::Visitor<'de> for Visit<E> {
            type Value = Rows<E>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a query result with the key `{}`", E::NAMESPACE)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Rows<E>, A::Error> {
                let mut rows = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == E::NAMESPACE {
                        rows = Some(map.next_value::<Vec<E>>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                rows.map(Rows)
                    .ok_or_else(|| serde::de::Error::missing_field(E::NAMESPACE))
            }
        }
        deserializer.deserialize_map(Visit(PhantomData))
    }
}

/// Reads a has-one link of a query result (the server sends links as lists; a bare object or
/// `null` is accepted too). Used by the generated structs.
pub fn link_one<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Box<T>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrList<T> {
        List(Vec<T>),
        One(Box<T>),
        Nothing(()),
    }
    Ok(match OneOrList::<T>::deserialize(deserializer)? {
        OneOrList::List(list) => list.into_iter().next().map(Box::new),
        OneOrList::One(one) => Some(one),
        OneOrList::Nothing(()) => None,
    })
}

/// Operations on one entity of `E`: `Todo::tx(id).update(&TodoUpdate {…})`. Each maps onto the
/// [`TransactionChunk`] method of the same name, so the steps are the untyped builder's; turn it
/// into one with `.into()` (or pass it straight to
/// [`AdminClient::transact`](crate::AdminClient::transact)).
pub struct Tx<E> {
    chunk: TransactionChunk,
    marker: PhantomData<fn() -> E>,
}

impl<E> Clone for Tx<E> {
    fn clone(&self) -> Tx<E> {
        Tx {
            chunk: self.chunk.clone(),
            marker: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Tx<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.chunk, f)
    }
}

impl<E: Entity> Tx<E> {
    /// A chunk for the entity `target` (an [`Id<E>`] or a lookup on `E`).
    pub fn new(target: impl TxTarget<E>) -> Tx<E> {
        Tx {
            chunk: crate::tx(E::NAMESPACE, target.into_entity_id()),
            marker: PhantomData,
        }
    }

    fn map(mut self, f: impl FnOnce(TransactionChunk) -> TransactionChunk) -> Tx<E> {
        self.chunk = f(self.chunk);
        self
    }

    /// `create(args)`: a new entity with every required attribute.
    pub fn create(self, args: &E::New) -> Tx<E> {
        self.map(|chunk| chunk.create(args))
    }

    /// `update(args)`: sets the given attributes (`Some(None)` clears an optional one).
    pub fn update(self, args: &E::Update) -> Tx<E> {
        self.map(|chunk| chunk.update(args))
    }

    /// `update(args, opts)`.
    pub fn update_with(self, args: &E::Update, opts: UpdateOpts) -> Tx<E> {
        self.map(|chunk| chunk.update_with(args, opts))
    }

    /// `merge(args)`: deep-merges objects into `json` attributes.
    pub fn merge(self, args: &E::Update) -> Tx<E> {
        self.map(|chunk| chunk.merge(args))
    }

    /// `delete()`.
    pub fn delete(self) -> Tx<E> {
        self.map(TransactionChunk::delete)
    }

    /// `link({label: target})`.
    pub fn link<T, C>(self, link: Link<E, T, C>, target: impl LinkTarget<T>) -> Tx<E> {
        let args = link_args(link.label, target.into_link_value());
        self.map(|chunk| chunk.link(args))
    }

    /// `link({label: [targets]})` (for has-many links).
    pub fn link_many<T, V: LinkTarget<T>>(
        self,
        link: Link<E, T, Many>,
        targets: impl IntoIterator<Item = V>,
    ) -> Tx<E> {
        let args = link_args(link.label, many(targets));
        self.map(|chunk| chunk.link(args))
    }

    /// `unlink({label: target})`.
    pub fn unlink<T, C>(self, link: Link<E, T, C>, target: impl LinkTarget<T>) -> Tx<E> {
        let args = link_args(link.label, target.into_link_value());
        self.map(|chunk| chunk.unlink(args))
    }

    /// `unlink({label: [targets]})` (for has-many links).
    pub fn unlink_many<T, V: LinkTarget<T>>(
        self,
        link: Link<E, T, Many>,
        targets: impl IntoIterator<Item = V>,
    ) -> Tx<E> {
        let args = link_args(link.label, many(targets));
        self.map(|chunk| chunk.unlink(args))
    }

    /// `ruleParams(params)`.
    pub fn rule_params(self, params: &impl Serialize) -> Tx<E> {
        self.map(|chunk| chunk.rule_params(params))
    }

    /// The untyped chunk.
    pub fn into_chunk(self) -> TransactionChunk {
        self.chunk
    }
}

fn link_args(label: &str, value: Value) -> Value {
    let mut args = Map::new();
    args.insert(label.to_owned(), value);
    Value::Object(args)
}

fn many<T, V: LinkTarget<T>>(targets: impl IntoIterator<Item = V>) -> Value {
    Value::Array(
        targets
            .into_iter()
            .map(LinkTarget::into_link_value)
            .collect(),
    )
}

impl<E> From<Tx<E>> for TransactionChunk {
    fn from(tx: Tx<E>) -> TransactionChunk {
        tx.chunk
    }
}

impl<E> From<Tx<E>> for crate::Chunks {
    fn from(tx: Tx<E>) -> crate::Chunks {
        crate::Chunks::from(tx.chunk)
    }
}

/// A room type of the schema with presence data `P`; the generated module has one constant per
/// room (`rooms::chat`).
pub struct Room<P> {
    room_type: &'static str,
    marker: PhantomData<fn() -> P>,
}

impl<P> Clone for Room<P> {
    fn clone(&self) -> Room<P> {
        *self
    }
}
impl<P> Copy for Room<P> {}

impl<P> fmt::Debug for Room<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Room({})", self.room_type)
    }
}

/// One peer of a typed room: its presence data decoded as `P`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Peer<P> {
    /// The session id.
    pub session_id: String,
    /// The peer id.
    pub peer_id: Option<String>,
    /// The signed-in user, `None` for anonymous peers.
    pub user: Option<crate::User>,
    /// The presence data, decoded.
    pub data: P,
}

impl<P: DeserializeOwned> Room<P> {
    /// The room type `room_type`. Used by the generated module.
    pub const fn new(room_type: &'static str) -> Room<P> {
        Room {
            room_type,
            marker: PhantomData,
        }
    }

    /// The room type.
    pub fn room_type(&self) -> &'static str {
        self.room_type
    }

    /// Who is in room `room_id` ([`Rooms::get_presence`](crate::Rooms::get_presence)), with
    /// each peer's presence data decoded as `P`.
    pub async fn get_presence(
        &self,
        client: &crate::AdminClient,
        room_id: &str,
    ) -> Result<Vec<Peer<P>>, Error> {
        let sessions = client.rooms().get_presence(self.room_type, room_id).await?;
        sessions
            .into_iter()
            .map(|(session_id, session)| {
                let data = serde_json::from_value(session.data).map_err(|err| {
                    Error::protocol(format!(
                        "the presence data of session {session_id} in room type `{}` does not match the schema: {err}",
                        self.room_type
                    ))
                })?;
                Ok(Peer {
                    session_id,
                    peer_id: session.peer_id,
                    user: session.user,
                    data,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_read_instants_date_encodings() {
        let read =
            |value: Value| serde_json::from_value::<Timestamp>(value).map(Timestamp::as_millis);
        assert_eq!(
            read(json!(1_706_933_106_789_i64)).unwrap(),
            1_706_933_106_789
        );
        assert_eq!(read(json!(1.9)).unwrap(), 1);
        assert_eq!(
            read(json!("2024-02-03T04:05:06.789Z")).unwrap(),
            1_706_933_106_789
        );
        assert_eq!(
            read(json!("2024-02-03 04:05:06")).unwrap(),
            1_706_933_106_000
        );
        assert_eq!(read(json!("2024-02-03")).unwrap(), 1_706_918_400_000);
        assert!(
            read(json!("next tuesday"))
                .unwrap_err()
                .to_string()
                .contains("not a date")
        );
        assert!(read(json!(true)).is_err());
        // Outside 1970..=9999 there is no ISO form to send (and humantime would panic): the
        // epoch milliseconds go instead.
        let before_epoch = Timestamp::from_millis(-1_500);
        assert_eq!(before_epoch.to_string(), "-1500");
        assert_eq!(serde_json::to_string(&before_epoch).unwrap(), "-1500");
        assert_eq!(before_epoch.into_where_value(), json!(-1500));
        assert_eq!(
            Timestamp::from(before_epoch.to_system_time().unwrap()),
            before_epoch
        );
        let far = Timestamp::from_millis(LAST_RFC3339_MILLIS);
        assert_eq!(far.to_string(), "9999-12-31T23:59:59.999Z");
        assert_eq!(
            Timestamp::from_millis(i64::MAX).to_string(),
            i64::MAX.to_string()
        );
        assert_eq!(
            serde_json::to_string(&Timestamp::from_millis(0)).unwrap(),
            "\"1970-01-01T00:00:00.000Z\""
        );
    }

    #[test]
    fn numbers_are_spelled_as_javascript_does() {
        assert_eq!(js_number(2.0).to_string(), "2");
        assert_eq!(js_number(-0.0).to_string(), "0");
        assert_eq!(js_number(2.5).to_string(), "2.5");
        assert_eq!(js_number(1e300).to_string(), "1e+300"); // JSON.stringify(1e300)
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        id: String,
        #[serde(default, deserialize_with = "link_one")]
        owner: Option<Box<Row>>,
    }

    impl Entity for Row {
        const NAMESPACE: &'static str = "rows";
        type New = Value;
        type Update = Value;
    }

    #[test]
    fn results_decode_with_has_one_links_in_any_shape() {
        let rows: Rows<Row> = serde_json::from_value(json!({
            "other": [1],
            "rows": [
                {"id": "a", "owner": [{"id": "b"}]},
                {"id": "c", "owner": {"id": "d"}},
                {"id": "e", "owner": []},
                {"id": "f", "owner": null},
                {"id": "g"}
            ]
        }))
        .unwrap();
        let owners: Vec<Option<&str>> = rows
            .0
            .iter()
            .map(|row| row.owner.as_ref().map(|owner| owner.id.as_str()))
            .collect();
        assert_eq!(owners, [Some("b"), Some("d"), None, None, None]);
        let missing = serde_json::from_value::<Rows<Row>>(json!({"others": []})).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `rows`"),
            "{missing}"
        );
    }
}
