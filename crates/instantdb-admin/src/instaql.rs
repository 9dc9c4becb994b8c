//! A typed builder for InstaQL queries that refuses, before sending, what the server would
//! refuse or silently ignore.
//!
//! The wire format is plain JSON (admin-api.md §3), so any `serde_json::Value` works as a query
//! too; the builder adds checks the server only reports after a round trip, or never:
//!
//! - one operator per condition: the server honours only the first key of an operator object,
//!   so `{"priority": {"$gt": 1, "$lt": 5}}` silently loses `$lt` (write ranges with
//!   [`Where::and`]); two conditions on one attribute of the same [`Where`] are refused too;
//! - no `null` in `where` (the server rejects `{x: null}`; use [`Cond::is_null`]);
//! - `offset`, `after`, `before`, `first`, `last` and `limit` only at the top level (the first
//!   five are a 400 below it, `limit` is silently ignored there), and at most one of
//!   `limit`/`first`/`last`;
//! - `and`/`or` lists must not be empty.
//!
//! ```
//! use instantdb_admin::instaql::{Cond, InstaQl, Order, Select, Where};
//! use serde_json::json;
//!
//! let query = InstaQl::new()
//!     .namespace("goals", Select::new()
//!         .filter(Where::new()
//!             .eq("title", "Ship it")
//!             .cond("todos.text", Cond::like("%wire%"))
//!             .and([Where::new().cond("priority", Cond::gt(1)), Where::new().cond("priority", Cond::lte(5))]))
//!         .order("serverCreatedAt", Order::Desc)
//!         .limit(10)
//!         .link("todos", Select::new().fields(["text"])))
//!     .rule_params(json!({"secret": "s3cret"}));
//! assert_eq!(query.build().unwrap(), json!({
//!     "$$ruleParams": {"secret": "s3cret"},
//!     "goals": {
//!         "$": {
//!             "where": {
//!                 "title": "Ship it",
//!                 "todos.text": {"$like": "%wire%"},
//!                 "and": [{"priority": {"$gt": 1}}, {"priority": {"$lte": 5}}]
//!             },
//!             "order": {"serverCreatedAt": "desc"},
//!             "limit": 10
//!         },
//!         "todos": {"$": {"fields": ["text"]}}
//!     }
//! }));
//!
//! // Refused locally, with the path of the offending part:
//! let err = InstaQl::new()
//!     .namespace("goals", Select::new().link("todos", Select::new().offset(5)))
//!     .build()
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "At path 'goals.todos.$': `offset` can only be used on top-level namespaces; the server rejects it in nested queries");
//! ```

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::Error;

/// A whole query: namespaces with their [`Select`]s, and rule parameters. Turn it into JSON
/// with [`InstaQl::build`], or pass it to [`AdminClient::query`](crate::AdminClient::query),
/// which builds it when sending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstaQl {
    namespaces: Vec<(String, Select)>,
    rule_params: Option<Result<Value, String>>,
}

impl InstaQl {
    /// An empty query.
    pub fn new() -> InstaQl {
        InstaQl::default()
    }

    /// Adds a top-level namespace (`goals`, `$users`, `$files`…). Results come back under the
    /// same key.
    pub fn namespace(mut self, namespace: impl Into<String>, select: Select) -> InstaQl {
        self.namespaces.push((namespace.into(), select));
        self
    }

    /// `$$ruleParams`: values the permission rules see as `ruleParams` (only for impersonated
    /// requests; admins bypass rules). Sent inside the query, where the server reads them.
    pub fn rule_params(mut self, params: impl Serialize) -> InstaQl {
        self.rule_params = Some(serde_json::to_value(params).map_err(|err| err.to_string()));
        self
    }

    /// The query as JSON, or the first problem found (a query validation error naming its
    /// path).
    pub fn build(&self) -> Result<Value, Error> {
        let mut query = Map::new();
        match &self.rule_params {
            Some(Ok(params)) => {
                query.insert("$$ruleParams".to_owned(), params.clone());
            }
            Some(Err(err)) => {
                return Err(Error::query_validation(format!(
                    "the rule params do not serialize: {err}"
                )));
            }
            None => {}
        }
        for (namespace, select) in &self.namespaces {
            if query.contains_key(namespace) {
                return Err(problem(namespace, "this namespace is in the query twice"));
            }
            query.insert(namespace.clone(), select.build(namespace, 0)?);
        }
        Ok(Value::Object(query))
    }
}

fn problem(path: &str, message: impl AsRef<str>) -> Error {
    Error::query_validation(format!("At path '{path}': {}", message.as_ref()))
}

/// Sort direction of [`Select::order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `"asc"`.
    Asc,
    /// `"desc"`.
    Desc,
}

impl Order {
    fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

/// What to fetch from one namespace or link: the `$` options and the nested links.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Select {
    filter: Option<Where>,
    order: Option<(String, Order)>,
    limit: Option<u64>,
    first: Option<u64>,
    last: Option<u64>,
    offset: Option<u64>,
    after: Option<(Value, bool)>,
    before: Option<(Value, bool)>,
    fields: Option<Vec<String>>,
    links: Vec<(String, Select)>,
}

impl Select {
    /// Everything, with no options.
    pub fn new() -> Select {
        Select::default()
    }

    /// `$.where`: which entities to return.
    pub fn filter(mut self, filter: Where) -> Select {
        self.filter = Some(filter);
        self
    }

    /// `$.order`: `serverCreatedAt` (creation time), or an attribute that is indexed and has a
    /// checked type. The default is `serverCreatedAt` ascending.
    pub fn order(mut self, attribute: impl Into<String>, direction: Order) -> Select {
        self.order = Some((attribute.into(), direction));
        self
    }

    /// `$.limit` (top level only).
    pub fn limit(mut self, limit: u64) -> Select {
        self.limit = Some(limit);
        self
    }

    /// `$.first`: a cursor page of this many entities (top level only).
    pub fn first(mut self, first: u64) -> Select {
        self.first = Some(first);
        self
    }

    /// `$.last`: the last page of this many entities (top level only).
    pub fn last(mut self, last: u64) -> Select {
        self.last = Some(last);
        self
    }

    /// `$.offset` (top level only).
    pub fn offset(mut self, offset: u64) -> Select {
        self.offset = Some(offset);
        self
    }

    /// `$.after`: a cursor (`[entityId, attrId, value, createdAtMs]`, from a live query's page
    /// info), exclusive (top level only).
    pub fn after(mut self, cursor: impl Into<Value>) -> Select {
        self.after = Some((cursor.into(), false));
        self
    }

    /// `$.after` with `$.afterInclusive: true`.
    pub fn after_inclusive(mut self, cursor: impl Into<Value>) -> Select {
        self.after = Some((cursor.into(), true));
        self
    }

    /// `$.before`, exclusive (top level only).
    pub fn before(mut self, cursor: impl Into<Value>) -> Select {
        self.before = Some((cursor.into(), false));
        self
    }

    /// `$.before` with `$.beforeInclusive: true`.
    pub fn before_inclusive(mut self, cursor: impl Into<Value>) -> Select {
        self.before = Some((cursor.into(), true));
        self
    }

    /// `$.fields`: only these attributes (`id` is always returned).
    pub fn fields<I, S>(mut self, fields: I) -> Select
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// Fetches the entities linked through `label` (a forward or reverse link label) for each
    /// result, with their own [`Select`].
    pub fn link(mut self, label: impl Into<String>, select: Select) -> Select {
        self.links.push((label.into(), select));
        self
    }

    fn build(&self, path: &str, depth: usize) -> Result<Value, Error> {
        let dollar_path = format!("{path}.$");
        if depth > 0 {
            let nested = [
                ("offset", self.offset.is_some(), "rejects"),
                ("after", self.after.is_some(), "rejects"),
                ("before", self.before.is_some(), "rejects"),
                ("first", self.first.is_some(), "ignores"),
                ("last", self.last.is_some(), "ignores"),
                ("limit", self.limit.is_some(), "ignores"),
            ];
            if let Some((key, _, verb)) = nested.iter().find(|(_, set, _)| *set) {
                return Err(problem(
                    &dollar_path,
                    format!(
                        "`{key}` can only be used on top-level namespaces; the server {verb} it in nested queries"
                    ),
                ));
            }
        }
        let sizes = [self.limit, self.first, self.last];
        if sizes.iter().filter(|size| size.is_some()).count() > 1 {
            return Err(problem(
                &dollar_path,
                "give only one of `limit`, `first` and `last`",
            ));
        }
        let mut dollar = Map::new();
        if let Some(filter) = &self.filter {
            dollar.insert(
                "where".to_owned(),
                filter.build(&format!("{dollar_path}.where"))?,
            );
        }
        if let Some((attribute, direction)) = &self.order {
            dollar.insert(
                "order".to_owned(),
                json!({ attribute.as_str(): direction.as_str() }),
            );
        }
        for (key, value) in [
            ("limit", self.limit),
            ("first", self.first),
            ("last", self.last),
            ("offset", self.offset),
        ] {
            if let Some(value) = value {
                dollar.insert(key.to_owned(), json!(value));
            }
        }
        for (key, inclusive_key, cursor) in [
            ("after", "afterInclusive", &self.after),
            ("before", "beforeInclusive", &self.before),
        ] {
            if let Some((cursor, inclusive)) = cursor {
                if cursor.is_null() {
                    return Err(problem(&dollar_path, format!("the `{key}` cursor is null")));
                }
                dollar.insert(key.to_owned(), cursor.clone());
                if *inclusive {
                    dollar.insert(inclusive_key.to_owned(), Value::Bool(true));
                }
            }
        }
        if let Some(fields) = &self.fields {
            dollar.insert("fields".to_owned(), json!(fields));
        }
        let mut node = Map::new();
        if !dollar.is_empty() {
            node.insert("$".to_owned(), Value::Object(dollar));
        }
        for (label, select) in &self.links {
            let child_path = format!("{path}.{label}");
            if label == "$" || node.contains_key(label) {
                return Err(problem(
                    &child_path,
                    "a link label may appear once per level and cannot be `$`",
                ));
            }
            node.insert(label.clone(), select.build(&child_path, depth + 1)?);
        }
        Ok(Value::Object(node))
    }
}

/// A `where` clause: conditions on attributes, link ids or dotted paths (`"owner.email"`), all
/// of which must hold, plus nested `and`/`or` groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Where {
    conditions: Vec<(String, Condition)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Equals(Value),
    Operator(Cond),
    Raw(Value),
    Group(&'static str, Vec<Where>),
}

impl Where {
    /// No condition (matches everything).
    pub fn new() -> Where {
        Where::default()
    }

    /// `attribute` equals `value` (a string, number, boolean or id; not `null`, which the
    /// server rejects: use [`Cond::is_null`]).
    pub fn eq(mut self, attribute: impl Into<String>, value: impl Into<Value>) -> Where {
        self.conditions
            .push((attribute.into(), Condition::Equals(value.into())));
        self
    }

    /// `attribute` satisfies one operator, e.g. `Cond::gt(1)`.
    pub fn cond(mut self, attribute: impl Into<String>, cond: Cond) -> Where {
        self.conditions
            .push((attribute.into(), Condition::Operator(cond)));
        self
    }

    /// A condition given as JSON, checked like the others: a scalar, or an object with exactly
    /// one operator (`{"$gt": 1}`).
    pub fn raw(mut self, attribute: impl Into<String>, condition: Value) -> Where {
        self.conditions
            .push((attribute.into(), Condition::Raw(condition)));
        self
    }

    /// `and: [...]`: every clause holds (how to write a range on one attribute).
    pub fn and(mut self, clauses: impl IntoIterator<Item = Where>) -> Where {
        self.conditions.push((
            "and".to_owned(),
            Condition::Group("and", clauses.into_iter().collect()),
        ));
        self
    }

    /// `or: [...]`: at least one clause holds.
    pub fn or(mut self, clauses: impl IntoIterator<Item = Where>) -> Where {
        self.conditions.push((
            "or".to_owned(),
            Condition::Group("or", clauses.into_iter().collect()),
        ));
        self
    }

    fn build(&self, path: &str) -> Result<Value, Error> {
        let mut clause = Map::new();
        for (key, condition) in &self.conditions {
            let key_path = format!("{path}.{key}");
            if clause.contains_key(key) {
                return Err(problem(
                    &key_path,
                    format!(
                        "`{key}` has two conditions in one `where`; the server keeps one \
                         operator per attribute, so combine them with `and`"
                    ),
                ));
            }
            let value = match condition {
                Condition::Equals(value) => scalar(value, &key_path)?,
                Condition::Operator(cond) => cond.build(&key_path)?,
                Condition::Raw(Value::Object(operators)) => {
                    let mut operators = operators.iter();
                    match (operators.next(), operators.next()) {
                        (Some((op, value)), None) => Cond {
                            op: op.clone(),
                            value: value.clone(),
                        }
                        .build(&key_path)?,
                        (None, _) => {
                            return Err(problem(&key_path, "the operator object is empty"));
                        }
                        (Some(_), Some(_)) => {
                            return Err(problem(
                                &key_path,
                                "two operators in one where-value: the server honours only the \
                                 first; combine them with `and`",
                            ));
                        }
                    }
                }
                Condition::Raw(value) => scalar(value, &key_path)?,
                Condition::Group(kind, clauses) => {
                    if clauses.is_empty() {
                        return Err(problem(
                            &key_path,
                            format!("The list of `{kind}` conditions can't be empty."),
                        ));
                    }
                    let built = clauses
                        .iter()
                        .enumerate()
                        .map(|(idx, clause)| clause.build(&format!("{key_path}[{idx}]")))
                        .collect::<Result<Vec<_>, _>>()?;
                    Value::Array(built)
                }
            };
            clause.insert(key.clone(), value);
        }
        Ok(Value::Object(clause))
    }
}

fn scalar(value: &Value, path: &str) -> Result<Value, Error> {
    match value {
        Value::Null => Err(problem(
            path,
            "`null` is not a valid where value; use `Cond::is_null(true)`",
        )),
        Value::Array(_) => Err(problem(
            path,
            "a list is not a valid where value; use `Cond::is_in`",
        )),
        Value::Object(_) => Err(problem(
            path,
            "an object is an operator here; use `Where::cond` or `Where::raw` with one operator",
        )),
        scalar => Ok(scalar.clone()),
    }
}

/// One operator applied to an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    op: String,
    value: Value,
}

impl Cond {
    fn new(op: &str, value: Value) -> Cond {
        Cond {
            op: op.to_owned(),
            value,
        }
    }

    /// `$in`: equals one of `values`.
    pub fn is_in<I, V>(values: I) -> Cond
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        Cond::new(
            "$in",
            Value::Array(values.into_iter().map(Into::into).collect()),
        )
    }

    /// `$not`: differs from `value` (also matches entities where the attribute is missing).
    pub fn not(value: impl Into<Value>) -> Cond {
        Cond::new("$not", value.into())
    }

    /// `$isNull`: `true` matches a missing or null attribute (or a missing link along a dotted
    /// path), `false` a present one.
    pub fn is_null(is_null: bool) -> Cond {
        Cond::new("$isNull", Value::Bool(is_null))
    }

    /// `$gt` (the attribute must be indexed and typed).
    pub fn gt(value: impl Into<Value>) -> Cond {
        Cond::new("$gt", value.into())
    }

    /// `$gte` (the attribute must be indexed and typed).
    pub fn gte(value: impl Into<Value>) -> Cond {
        Cond::new("$gte", value.into())
    }

    /// `$lt` (the attribute must be indexed and typed).
    pub fn lt(value: impl Into<Value>) -> Cond {
        Cond::new("$lt", value.into())
    }

    /// `$lte` (the attribute must be indexed and typed).
    pub fn lte(value: impl Into<Value>) -> Cond {
        Cond::new("$lte", value.into())
    }

    /// `$like`: case-sensitive pattern, `%` any run, `_` one character (indexed string
    /// attributes).
    pub fn like(pattern: impl Into<String>) -> Cond {
        Cond::new("$like", Value::String(pattern.into()))
    }

    /// `$ilike`: case-insensitive `$like`.
    pub fn ilike(pattern: impl Into<String>) -> Cond {
        Cond::new("$ilike", Value::String(pattern.into()))
    }

    fn build(&self, path: &str) -> Result<Value, Error> {
        let op_path = format!("{path}.{}", self.op);
        match (self.op.as_str(), &self.value) {
            ("$in" | "in", Value::Array(_)) => {}
            ("$in" | "in", _) => return Err(problem(&op_path, "`$in` takes a list")),
            ("$isNull", Value::Bool(_)) => {}
            ("$isNull", _) => return Err(problem(&op_path, "`$isNull` takes a boolean")),
            ("$like" | "$ilike", Value::String(_)) => {}
            ("$like" | "$ilike", _) => {
                return Err(problem(&op_path, "pattern operators take a string"));
            }
            ("$not" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte", value) => {
                scalar(value, &op_path)?;
            }
            (op, _) => {
                return Err(problem(
                    &op_path,
                    format!(
                        "unknown operator `{op}`; the server knows $in, $not, $ne, $isNull, $gt, \
                         $gte, $lt, $lte, $like and $ilike"
                    ),
                ));
            }
        }
        Ok(json!({ self.op.as_str(): self.value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(query: InstaQl) -> String {
        query.build().unwrap_err().to_string()
    }

    fn goals(select: Select) -> InstaQl {
        InstaQl::new().namespace("goals", select)
    }

    #[test]
    fn rejects_what_the_server_would() {
        assert_eq!(
            err(goals(Select::new().filter(
                Where::new().raw("priority", json!({"$gt": 1, "$lt": 5}))
            ))),
            "At path 'goals.$.where.priority': two operators in one where-value: the server honours only the first; combine them with `and`"
        );
        assert_eq!(
            err(goals(Select::new().filter(
                Where::new().cond("p", Cond::gt(1)).cond("p", Cond::lt(5))
            ))),
            "At path 'goals.$.where.p': `p` has two conditions in one `where`; the server keeps one operator per attribute, so combine them with `and`"
        );
        assert_eq!(
            err(goals(Select::new().filter(
                Where::new().or([Where::new().eq("title", Value::Null)])
            ))),
            "At path 'goals.$.where.or[0].title': `null` is not a valid where value; use `Cond::is_null(true)`"
        );
        assert_eq!(
            err(goals(Select::new().filter(Where::new().and([])))),
            "At path 'goals.$.where.and': The list of `and` conditions can't be empty."
        );
        assert_eq!(
            err(goals(Select::new().link("todos", Select::new().limit(3)))),
            "At path 'goals.todos.$': `limit` can only be used on top-level namespaces; the server ignores it in nested queries"
        );
        assert_eq!(
            err(goals(Select::new().limit(1).first(2))),
            "At path 'goals.$': give only one of `limit`, `first` and `last`"
        );
        assert!(
            err(goals(
                Select::new().filter(Where::new().cond("p", Cond::gt(Value::Null)))
            ))
            .contains("`null`")
        );
        assert!(
            err(goals(
                Select::new().filter(Where::new().raw("p", json!({"$between": 1})))
            ))
            .contains("unknown operator")
        );
        assert!(
            err(InstaQl::new()
                .namespace("a", Select::new())
                .namespace("a", Select::new()))
            .contains("twice")
        );
    }

    #[test]
    fn builds_every_option() {
        let cursor = json!(["id", "attr", "v", 1]);
        let query = goals(
            Select::new()
                .filter(
                    Where::new()
                        .cond("id", Cond::is_in(["a", "b"]))
                        .cond("dueAt", Cond::is_null(false))
                        .cond("title", Cond::not("x")),
                )
                .first(2)
                .after_inclusive(cursor.clone())
                .before(cursor.clone())
                .order("title", Order::Asc)
                .fields(["title"]),
        )
        .build()
        .unwrap();
        assert_eq!(
            query,
            json!({"goals": {"$": {
                "where": {"id": {"$in": ["a", "b"]}, "dueAt": {"$isNull": false}, "title": {"$not": "x"}},
                "order": {"title": "asc"},
                "first": 2,
                "after": cursor,
                "afterInclusive": true,
                "before": cursor,
                "fields": ["title"]
            }}})
        );
        assert_eq!(
            InstaQl::new()
                .namespace("$users", Select::new())
                .build()
                .unwrap(),
            json!({"$users": {}})
        );
    }
}
