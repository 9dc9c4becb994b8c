//! `POST /admin/query`: InstaQL in, the object tree out (`db/instaql.clj`,
//! `util/instaql.clj` `instaql-nodes->object-tree`).
//!
//! A query maps namespaces to `{$: options, <link label>: sub-query}`. Each level selects the
//! entities of its namespace (all of them at the top, the linked ones below), filters them with
//! `where` and, for impersonated requests, the `view` rule, sorts them, paginates the top level,
//! and renders `id` plus blob attributes, then the nested levels. With `inference?` a nested
//! level whose link is singular renders as one object or `null`.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::admin::entity_object;
use crate::auth::{self, Perms, Scope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::rules::{self, RuleInput};
use crate::server::{Reply, Request, Shared};
use crate::store::App;
use crate::store::attrs::{Attr, Cardinality, DataType, LinkSide, json_type};

pub(crate) fn handle(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    let query = Request::object_param(&body, "query")?;
    let inference = Request::flag(&body, "inference?");
    let state = shared.read();
    let perms = auth::perms(&state, req, Scope::DataRead)?;
    let app = state.require_app(&perms.app_id)?;
    run(app, &perms, &query, inference, &shared.base_url).map(Reply::Json)
}

/// `POST /admin/query_perms_check` (`debugQuery`): the result plus every `view` check made.
pub(crate) fn handle_perms_check(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    let state = shared.read();
    let (perms, rules_override) =
        crate::admin::transact::debug_perms(&state, req, Scope::DataRead, &body)?;
    let query = Request::object_param(&body, "query")?;
    let inference = Request::flag(&body, "inference?");
    let app = state.require_app(&perms.app_id)?;
    let checks = RefCell::new(Some(Vec::new()));
    let rules = rules_override.or_else(|| app.meta.perms.clone());
    let result = run_with(
        app,
        &perms,
        &query,
        inference,
        &shared.base_url,
        rules,
        &checks,
    )?
    .0;
    Ok(Reply::Json(json!({
        "check-results": checks.into_inner().unwrap_or_default(),
        "result": result,
        "rule-wheres": null,
    })))
}

/// Runs a query for `perms` and returns the object tree.
pub(crate) fn run(
    app: &App,
    perms: &Perms,
    query: &Map<String, Value>,
    inference: bool,
    base_url: &str,
) -> ApiResult<Value> {
    run_with_page_info(app, perms, query, inference, base_url).map(|(result, _)| result)
}

/// A query's result and its `result-meta.page-info`, for live queries.
pub(crate) fn run_with_page_info(
    app: &App,
    perms: &Perms,
    query: &Map<String, Value>,
    inference: bool,
    base_url: &str,
) -> ApiResult<(Value, Value)> {
    let no_checks = RefCell::new(None);
    run_with(
        app,
        perms,
        query,
        inference,
        base_url,
        app.meta.perms.clone(),
        &no_checks,
    )
}

/// [`run`] with explicit rules, recording every `view` check in `checks` when it is `Some`.
fn run_with(
    app: &App,
    perms: &Perms,
    query: &Map<String, Value>,
    inference: bool,
    base_url: &str,
    rules: Option<Value>,
    checks: &RefCell<Option<Vec<Value>>>,
) -> ApiResult<(Value, Value)> {
    let rule_params = if perms.admin {
        json!({})
    } else {
        query
            .get("$$ruleParams")
            .cloned()
            .unwrap_or_else(|| json!({}))
    };
    let auth = perms
        .user
        .and_then(|id| crate::admin::users::user_json(app, &id));
    let ctx = Ctx {
        app,
        admin: perms.admin,
        auth,
        user: perms.user,
        rule_params,
        inference,
        base_url,
        root: Value::Object(query.clone()),
        rules,
        checks,
        page_info: RefCell::new(Map::new()),
    };
    let mut out = Map::new();
    for (etype, sub) in query {
        if etype == "$$ruleParams" {
            continue;
        }
        let sub = ctx.sub_query(sub, &[etype])?;
        let opts = ctx.options(etype, sub, 0, &[etype])?;
        let candidates: Vec<Uuid> = app.data.entities_of(etype).map(|(id, _)| *id).collect();
        let selected = ctx.select(etype, candidates, &opts, 0)?;
        let mut rows = Vec::with_capacity(selected.len());
        for eid in selected {
            rows.push(ctx.render(etype, &eid, sub, &opts, &[etype])?);
        }
        out.insert(etype.clone(), Value::Array(rows));
    }
    Ok((
        Value::Object(out),
        Value::Object(ctx.page_info.into_inner()),
    ))
}

struct Ctx<'a> {
    app: &'a App,
    admin: bool,
    auth: Option<Value>,
    /// The acting user's id, for `auth.ref(...)`.
    user: Option<Uuid>,
    rule_params: Value,
    inference: bool,
    base_url: &'a str,
    root: Value,
    /// The rules `view` checks use (the app's, or a perms-check override).
    rules: Option<Value>,
    /// Every `view` check made, when a perms-check request asks for them.
    checks: &'a RefCell<Option<Vec<Value>>>,
    /// Page info of each top-level namespace (live queries report it).
    page_info: RefCell<Map<String, Value>>,
}

/// A parsed `where`.
#[derive(Debug)]
enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    /// A path that does not exist in the schema: matches nothing.
    Never,
    Path {
        links: Vec<(String, Uuid, bool)>,
        leaf: Leaf,
        op: Op,
    },
}

#[derive(Debug, Clone)]
enum Leaf {
    Id,
    Attr(Uuid, Option<DataType>),
    Link(Uuid, bool),
}

#[derive(Debug)]
enum Op {
    Eq(Value),
    In(Vec<Value>),
    Ne(Value),
    IsNull(bool),
    Cmp(Ordering, bool, Value),
    Like(String, bool),
}

#[derive(Debug, Clone, PartialEq)]
enum OrderKey {
    CreatedAt,
    Attr(Uuid, Option<DataType>),
}

#[derive(Debug)]
struct Cursor {
    eid: Uuid,
    value: Value,
    created_at: i64,
}

#[derive(Debug, Default)]
struct Options {
    filter: Option<Cond>,
    order: Option<(OrderKey, bool)>,
    limit: Option<usize>,
    last: Option<usize>,
    offset: usize,
    after: Option<(Cursor, bool)>,
    before: Option<(Cursor, bool)>,
    fields: Option<Vec<String>>,
}

const OPTION_KEYS: [&str; 12] = [
    "where",
    "order",
    "limit",
    "last",
    "first",
    "offset",
    "after",
    "afterInclusive",
    "before",
    "beforeInclusive",
    "fields",
    "aggregate",
];

impl Ctx<'_> {
    fn invalid(&self, path: &[&str], message: impl Into<String>) -> ApiError {
        ApiError::validation(
            "query",
            self.root.clone(),
            vec![json!({ "in": path, "message": message.into() })],
        )
    }

    fn sub_query<'v>(&self, value: &'v Value, path: &[&str]) -> ApiResult<&'v Map<String, Value>> {
        value.as_object().ok_or_else(|| {
            ApiError::validation(
                "query",
                self.root.clone(),
                vec![json!({ "expected": "map?", "in": path })],
            )
        })
    }

    fn options(
        &self,
        etype: &str,
        sub: &Map<String, Value>,
        level: usize,
        path: &[&str],
    ) -> ApiResult<Options> {
        let mut opts = Options::default();
        let Some(raw) = sub.get("$") else {
            return Ok(opts);
        };
        let raw = raw
            .as_object()
            .ok_or_else(|| self.invalid(path, "The `$` options must be an object."))?;
        if raw.keys().any(|key| !OPTION_KEYS.contains(&key.as_str())) {
            return Err(self.invalid(
                path,
                "We only support `where`, `order`, `limit`, `offset`, `before`, and `after` clauses.",
            ));
        }
        if level > 0
            && ["offset", "before", "after"]
                .iter()
                .any(|key| raw.contains_key(*key))
        {
            return Err(self.invalid(
                path,
                "We currently only support `offset`, `before`, and `after` clauses on the top-level field. Limit fields will be ignored",
            ));
        }
        let limit_keys: Vec<String> = ["limit", "first", "last"]
            .iter()
            .filter(|key| raw.contains_key(**key))
            .map(|key| format!("`{key}`"))
            .collect();
        if limit_keys.len() > 1 {
            return Err(self.invalid(
                path,
                format!("Only provide one of {}.", limit_keys.join(" or ")),
            ));
        }
        let positive = |key: &str| -> ApiResult<Option<usize>> {
            match raw.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => match value.as_u64().filter(|n| *n > 0) {
                    Some(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
                    None => Err(self.invalid(
                        path,
                        format!("The {key} field must be a positive integer. Got {value}."),
                    )),
                },
            }
        };
        // A nested limit is silently ignored, as upstream does.
        if level == 0 {
            opts.limit = positive("limit")?.or(positive("first")?);
            opts.last = positive("last")?;
            opts.offset = match raw.get("offset") {
                None | Some(Value::Null) => 0,
                Some(value) => value
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        self.invalid(
                            path,
                            format!(
                                "The offset field must be a non-negative integer. Got {value}."
                            ),
                        )
                    })?,
            };
        }
        if let Some(order) = raw.get("order") {
            opts.order = Some(self.order(etype, order, path)?);
        }
        let order_attr = match &opts.order {
            Some((OrderKey::Attr(id, _), _)) => Some(*id),
            _ => None,
        };
        for (key, inclusive_key, slot) in [
            ("after", "afterInclusive", &mut opts.after),
            ("before", "beforeInclusive", &mut opts.before),
        ] {
            if let Some(raw_cursor) = raw.get(key).filter(|v| !v.is_null()) {
                let cursor = self.cursor(etype, raw_cursor, order_attr, key, path)?;
                let inclusive = raw
                    .get(inclusive_key)
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                *slot = Some((cursor, inclusive));
            }
        }
        if let Some(fields) = raw.get("fields") {
            let names = fields
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|f| f.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    self.invalid(
                        path,
                        "The `fields` property should be an array of field names.",
                    )
                })?;
            opts.fields = Some(names);
        }
        if let Some(filter) = raw.get("where") {
            let filter = filter
                .as_object()
                .ok_or_else(|| self.invalid(path, "The `where` clause must be an object."))?;
            opts.filter = Some(self.parse_where(etype, filter, path)?);
        }
        Ok(opts)
    }

    fn order(&self, etype: &str, order: &Value, path: &[&str]) -> ApiResult<(OrderKey, bool)> {
        let map = order
            .as_object()
            .filter(|map| map.len() == 1)
            .ok_or_else(|| {
                self.invalid(
                    path,
                    format!("We only support a single key in the `order` clause. Got {order}."),
                )
            })?;
        let Some((key, direction)) = map.iter().next() else {
            return Err(self.invalid(path, "The `order` clause is empty."));
        };
        let desc = match direction.as_str() {
            Some("asc") => false,
            Some("desc") => true,
            _ => {
                return Err(self.invalid(
                    path,
                    format!("We only support \"asc\" or \"desc\" in the `order` clause. Got {direction}."),
                ));
            }
        };
        if key == "serverCreatedAt" {
            return Ok((OrderKey::CreatedAt, desc));
        }
        // instaql.clj: order errors point at `[...form, "$", "order"]`, all of them at once.
        let mut order_path = path.to_vec();
        order_path.extend(["$", "order"]);
        let attrs = &self.app.meta.attrs;
        let attr = attrs
            .by_fwd(etype, key)
            .filter(|attr| !attr.is_ref())
            .ok_or_else(|| {
                self.invalid_expected(
                    &order_path,
                    "supported-order?",
                    format!("There is no `{key}` attribute for {etype}."),
                )
            })?;
        let problems = order_problems(attr);
        if !problems.is_empty() {
            return Err(ApiError::validation(
                "query",
                self.root.clone(),
                problems
                    .into_iter()
                    .map(|message| {
                        json!({ "expected": "supported-order?", "in": order_path, "message": message })
                    })
                    .collect(),
            ));
        }
        Ok((OrderKey::Attr(attr.id, attr.checked_data_type), desc))
    }

    fn cursor(
        &self,
        etype: &str,
        raw: &Value,
        order_attr: Option<Uuid>,
        which: &str,
        path: &[&str],
    ) -> ApiResult<Cursor> {
        let err = |detail: String| self.invalid(path, format!("Invalid {which} cursor. {detail}"));
        let items = raw
            .as_array()
            .ok_or_else(|| err(format!("Expected a join row for the cursor, got {raw}.")))?;
        if items.len() != 4 && items.len() != 3 {
            return Err(err(format!(
                "Expected a join row with 4 items for the cursor, got {raw}."
            )));
        }
        let eid = items[0]
            .as_str()
            .and_then(|text| Uuid::parse_str(text).ok())
            .ok_or_else(|| {
                err(format!(
                    "Expected a join row with a uuid entity id in the first position, got {raw}."
                ))
            })?;
        let attr_id = items[1]
            .as_str()
            .and_then(|text| Uuid::parse_str(text).ok())
            .ok_or_else(|| err(format!("Expected a join row with a uuid attribute id in the second position, got {raw}.")))?;
        let created_at = items
            .get(3)
            .map(|value| value.as_i64().ok_or_else(|| err(format!("Expected a join row with an integer created_at in the last position, got {raw}."))))
            .transpose()?
            .unwrap_or(0);
        let expected_attr =
            order_attr.or_else(|| self.app.meta.attrs.by_fwd(etype, "id").map(|a| a.id));
        if expected_attr.is_some_and(|expected| expected != attr_id) {
            let ordered_by = self
                .app
                .meta
                .attrs
                .get(&attr_id)
                .map(|attr| attr.forward.label.clone());
            let current = order_attr
                .and_then(|id| self.app.meta.attrs.get(&id))
                .map_or("serverCreatedAt".to_owned(), |attr| {
                    attr.forward.label.clone()
                });
            return Err(err(match ordered_by {
                Some(label) => format!(
                    "The query orders by `{current}`, but the query that returned the cursor orders by `{label}`."
                ),
                None => format!(
                    "The query orders by `{current}`, but the query that returned the cursor orders by a missing attribute."
                ),
            }));
        }
        Ok(Cursor {
            eid,
            value: items[2].clone(),
            created_at,
        })
    }

    // ---- where ------------------------------------------------------------------------------

    fn parse_where(
        &self,
        etype: &str,
        filter: &Map<String, Value>,
        path: &[&str],
    ) -> ApiResult<Cond> {
        let mut all = Vec::new();
        for (key, value) in filter {
            match key.as_str() {
                "or" | "and" => {
                    let items = value
                        .as_array()
                        .filter(|items| !items.is_empty())
                        .ok_or_else(|| {
                            self.invalid(
                                path,
                                format!("The list of `{key}` conditions can't be empty."),
                            )
                        })?;
                    let mut parts = Vec::new();
                    for item in items {
                        let item = item.as_object().ok_or_else(|| {
                            self.invalid(path, format!("Each `{key}` condition must be an object."))
                        })?;
                        parts.push(self.parse_where(etype, item, path)?);
                    }
                    all.push(if key == "or" {
                        Cond::Any(parts)
                    } else {
                        Cond::All(parts)
                    });
                }
                _ => all.push(self.parse_condition(etype, key, value, path)?),
            }
        }
        Ok(Cond::All(all))
    }

    fn parse_condition(
        &self,
        etype: &str,
        key: &str,
        value: &Value,
        path: &[&str],
    ) -> ApiResult<Cond> {
        let attrs = &self.app.meta.attrs;
        // Real attributes win over dotted paths (attribute names may contain dots).
        let segments: Vec<&str> = if attrs.by_fwd(etype, key).is_some() {
            vec![key]
        } else {
            key.split('.').collect()
        };
        let Some((last, hops)) = segments.split_last() else {
            return Ok(Cond::Never);
        };
        let mut current = etype.to_owned();
        let mut links = Vec::new();
        for hop in hops {
            let Some(side) = attrs.link(&current, hop) else {
                return Ok(Cond::Never);
            };
            links.push(((*hop).to_owned(), side.attr.id, side.forward));
            current = side.target_etype().to_owned();
        }
        let (leaf, attr): (Leaf, Option<&Attr>) = if *last == "id" {
            (Leaf::Id, None)
        } else if let Some(attr) = attrs.by_fwd(&current, last).filter(|attr| !attr.is_ref()) {
            (Leaf::Attr(attr.id, attr.checked_data_type), Some(attr))
        } else if let Some(side) = attrs.link(&current, last) {
            (Leaf::Link(side.attr.id, side.forward), None)
        } else {
            return Ok(Cond::Never);
        };
        // `->value-attr-pat`: errors point at `[...form, "$", "where", label]` (attr_pat.clj).
        let mut where_path: Vec<&str> = path.to_vec();
        where_path.extend(["$", "where", last]);
        let op = self.parse_op(key, last, value, &leaf, attr, path, &where_path)?;
        Ok(Cond::Path { links, leaf, op })
    }

    #[allow(clippy::too_many_arguments)]
    fn parse_op(
        &self,
        key: &str,
        label: &str,
        value: &Value,
        leaf: &Leaf,
        attr: Option<&Attr>,
        path: &[&str],
        where_path: &[&str],
    ) -> ApiResult<Op> {
        let (name, operand) = match value {
            Value::Null => {
                return Err(self.invalid(
                    path,
                    format!("The where value for `{key}` can't be null. Use `$isNull` to match missing values."),
                ));
            }
            Value::Object(map) => match map.iter().next() {
                Some((name, operand)) => (name.as_str(), operand),
                None => {
                    return Err(
                        self.invalid(path, format!("The where clause for `{key}` is empty."))
                    );
                }
            },
            Value::Array(_) => ("$in", value),
            _ => ("=", value),
        };
        // Equality-like values are coerced only for a checked, settled type
        // (`coerce-value-for-typed-comparison!`'s last branch).
        let settled_type = attr
            .filter(|attr| !attr.checking_data_type)
            .and_then(|attr| attr.checked_data_type);
        let check = |v: &Value| self.check_value(label, leaf, attr, settled_type, v, where_path);
        Ok(match name {
            "=" => Op::Eq(check(operand)?),
            "$in" | "in" => {
                let items = operand.as_array().ok_or_else(|| {
                    self.invalid(path, format!("The `$in` value for `{key}` must be a list."))
                })?;
                if let Some(attr) = attr
                    && items.iter().any(Value::is_null)
                    && (!attr.index || attr.indexing)
                {
                    // attr_pat.clj `->value-attr-pat`: the path ends with `$in` and the values.
                    let mut in_path: Vec<Value> = path.iter().map(|p| json!(p)).collect();
                    in_path.extend([json!("$"), json!("where"), json!("$in"), operand.clone()]);
                    return Err(ApiError::validation(
                        "query",
                        self.root.clone(),
                        vec![json!({
                            "expected?": "indexed?",
                            "in": in_path,
                            "message": format!(
                                "Only indexed attrs can check for `nil` in `$in`. {}.{} is not indexed.",
                                attr.forward.etype, attr.forward.label
                            ),
                        })],
                    ));
                }
                Op::In(
                    items
                        .iter()
                        .map(|item| {
                            if item.is_null() {
                                Ok(Value::Null)
                            } else {
                                check(item)
                            }
                        })
                        .collect::<ApiResult<_>>()?,
                )
            }
            "$not" | "$ne" => Op::Ne(check(operand)?),
            "$isNull" => Op::IsNull(operand.as_bool().ok_or_else(|| {
                self.invalid(
                    path,
                    format!("The `$isNull` value for `{key}` must be a boolean."),
                )
            })?),
            "$gt" | "$gte" | "$lt" | "$lte" | "$like" | "$ilike" => {
                let attr = self.require_comparable(attr, where_path)?;
                let data_type = attr.checked_data_type.unwrap_or(DataType::String);
                let mut op_path = where_path.to_vec();
                op_path.push(name);
                if matches!(name, "$like" | "$ilike") && !operand.is_string() {
                    return Err(self.invalid_expected(
                        &op_path,
                        "string?",
                        format!(
                            "The $like value for `{}` must be a string, but the query got the value `{operand}` of type `{}`.",
                            attr.fwd_name(),
                            json_type(operand)
                        ),
                    ));
                }
                let compared = self.comparison_value(attr, data_type, operand, &op_path)?;
                match name {
                    "$like" | "$ilike" => {
                        let pattern = compared.as_str().unwrap_or_default().to_owned();
                        Op::Like(pattern, name == "$ilike")
                    }
                    _ => {
                        let (ordering, inclusive) = match name {
                            "$gt" => (Ordering::Greater, false),
                            "$gte" => (Ordering::Greater, true),
                            "$lt" => (Ordering::Less, false),
                            _ => (Ordering::Less, true),
                        };
                        Op::Cmp(ordering, inclusive, compared)
                    }
                }
            }
            other => {
                return Err(self.invalid(
                    path,
                    format!("Unknown where operator `{other}` for `{key}`."),
                ));
            }
        })
    }

    fn invalid_expected(&self, path: &[&str], expected: &str, message: String) -> ApiError {
        ApiError::validation(
            "query",
            self.root.clone(),
            vec![json!({ "expected?": expected, "in": path, "message": message })],
        )
    }

    /// `coerced-type-comparison-value!`: a date compares with anything `parse-date-value` reads,
    /// Postgres' special values included; other types need a value of their own type.
    fn comparison_value(
        &self,
        attr: &Attr,
        data_type: DataType,
        value: &Value,
        path: &[&str],
    ) -> ApiResult<Value> {
        if data_type == DataType::Date {
            return match value {
                Value::Number(_) => Ok(value.clone()),
                Value::String(text) => date_value(text, true)
                    .map(|ms| json!(ms))
                    .ok_or_else(|| self.invalid_date(attr, value, path, "date-string?")),
                _ => Err(self.invalid_data_value(attr, data_type, value, path)),
            };
        }
        if data_type.accepts(value) && !value.is_null() {
            Ok(value.clone())
        } else {
            Err(self.invalid_data_value(attr, data_type, value, path))
        }
    }

    /// `throw-invalid-data-value!`.
    fn invalid_data_value(
        &self,
        attr: &Attr,
        data_type: DataType,
        value: &Value,
        path: &[&str],
    ) -> ApiError {
        self.invalid_expected(
            path,
            &format!("{}?", data_type.as_str()),
            format!(
                "The data type of `{}` is `{}`, but the query got the value `{value}` of type `{}`.",
                attr.fwd_name(),
                data_type.as_str(),
                json_type(value)
            ),
        )
    }

    /// `throw-invalid-date-string!` / `throw-invalid-timestamp!` ("got value", not "got the
    /// value", as upstream).
    fn invalid_date(&self, attr: &Attr, value: &Value, path: &[&str], expected: &str) -> ApiError {
        self.invalid_expected(
            path,
            expected,
            format!(
                "The data type of `{}` is `date`, but the query got value `{value}` of type `{}`.",
                attr.fwd_name(),
                json_type(value)
            ),
        )
    }

    /// Comparisons and `$like` need an indexed attribute with a checked type
    /// (`assert-checked-attr-data-type!`, at the where path without the operator).
    fn require_comparable<'b>(&self, attr: Option<&'b Attr>, path: &[&str]) -> ApiResult<&'b Attr> {
        let Some(attr) = attr else {
            return Err(self.invalid(path, "Comparison operators need a data attribute."));
        };
        match attr_unusable(attr, Purpose::Compare) {
            Some(problem) => Err(self.invalid(path, problem)),
            None => Ok(attr),
        }
    }

    /// Type-checks an equality value against the attribute (`coerce-value-data-value!`, and
    /// `coerce-value-uuid` for ids and links).
    fn check_value(
        &self,
        label: &str,
        leaf: &Leaf,
        attr: Option<&Attr>,
        data_type: Option<DataType>,
        value: &Value,
        path: &[&str],
    ) -> ApiResult<Value> {
        if matches!(leaf, Leaf::Link(..) | Leaf::Id) {
            let ok = value
                .as_str()
                .is_some_and(|text| Uuid::parse_str(text).is_ok());
            if !ok {
                return Err(self.invalid_expected(
                    path,
                    "uuid?",
                    format!("Expected {label} to be a uuid, got {value}"),
                ));
            }
            return Ok(value.clone());
        }
        let (Some(data_type), Some(attr)) = (data_type, attr) else {
            return Ok(value.clone());
        };
        if data_type == DataType::Date {
            return match value {
                Value::Null | Value::Number(_) => Ok(value.clone()),
                // "We can parse these, but we need a way to agree with the client on what these
                // values mean to support them in query" (attr_pat.clj).
                Value::String(text)
                    if matches!(text.as_str(), "tomorrow" | "now" | "yesterday" | "today") =>
                {
                    Err(self.invalid_date(attr, value, path, "date-string?"))
                }
                Value::String(text) => match date_value(text, false) {
                    Some(ms) if attr.index => Ok(json!(ms)),
                    Some(_) => Ok(value.clone()),
                    None => Err(self.invalid_date(attr, value, path, "date-string?")),
                },
                _ => Err(self.invalid_data_value(attr, data_type, value, path)),
            };
        }
        if data_type.accepts(value) {
            Ok(value.clone())
        } else {
            Err(self.invalid_data_value(attr, data_type, value, path))
        }
    }

    fn matches(&self, etype: &str, eid: &Uuid, cond: &Cond) -> bool {
        match cond {
            Cond::All(parts) => parts.iter().all(|part| self.matches(etype, eid, part)),
            Cond::Any(parts) => parts.iter().any(|part| self.matches(etype, eid, part)),
            Cond::Never => false,
            Cond::Path { links, leaf, op } => {
                let values = self.path_values(etype, eid, links, leaf);
                let data_type = match leaf {
                    Leaf::Attr(_, data_type) => *data_type,
                    _ => None,
                };
                values
                    .iter()
                    .any(|value| op_matches(op, value.as_ref(), data_type))
                    || matches!(op, Op::IsNull(true)) && values.is_empty()
            }
        }
    }

    /// The values a where path reaches from one entity; `None` stands for "missing".
    fn path_values(
        &self,
        etype: &str,
        eid: &Uuid,
        links: &[(String, Uuid, bool)],
        leaf: &Leaf,
    ) -> Vec<Option<Value>> {
        let data = &self.app.data;
        let mut frontier = vec![(etype.to_owned(), *eid)];
        for (label, _, _) in links {
            let mut next = Vec::new();
            for (current, id) in &frontier {
                if let Some(side) = self.app.meta.attrs.link(current, label) {
                    let target_etype = side.target_etype().to_owned();
                    for target in self.linked(current, id, &side) {
                        next.push((target_etype.clone(), target));
                    }
                }
            }
            if next.is_empty() {
                return vec![None];
            }
            frontier = next;
        }
        let mut values = Vec::new();
        for (current, id) in &frontier {
            match leaf {
                Leaf::Id => values.push(Some(json!(id))),
                Leaf::Attr(attr, _) => values.push(
                    data.entity(current, id)
                        .and_then(|entity| entity.values.get(attr).cloned()),
                ),
                Leaf::Link(attr, forward) => {
                    let side = self.app.meta.attrs.get(attr).map(|attr| LinkSide {
                        attr,
                        forward: *forward,
                    });
                    let targets: Vec<Uuid> = side
                        .map(|side| self.linked(current, id, &side))
                        .unwrap_or_default();
                    if targets.is_empty() {
                        values.push(None);
                    }
                    values.extend(targets.into_iter().map(|t| Some(json!(t))));
                }
            }
        }
        values
    }

    /// The live entities linked to `eid` through `side`, in link order.
    fn linked(&self, etype: &str, eid: &Uuid, side: &LinkSide<'_>) -> Vec<Uuid> {
        let data = &self.app.data;
        let target_etype = side.target_etype();
        let ids: Vec<Uuid> = if side.forward {
            data.entity(etype, eid)
                .and_then(|entity| entity.refs.get(&side.attr.id))
                .map(|links| links.iter().copied().collect())
                .unwrap_or_default()
        } else {
            data.sources(side.attr.id, eid).copied().collect()
        };
        ids.into_iter()
            .filter(|id| data.contains(target_etype, id))
            .collect()
    }

    // ---- selection and rendering ---------------------------------------------------------------

    fn visible(&self, etype: &str, eid: &Uuid) -> ApiResult<bool> {
        if self.admin {
            return Ok(true);
        }
        let Some(entity) = self.app.data.entity(etype, eid) else {
            return Ok(false);
        };
        let data = Value::Object(entity_object(
            self.app,
            self.base_url,
            etype,
            eid,
            entity,
            None,
        ));
        let refs = crate::admin::EntityRefs {
            app: self.app,
            etype,
            eid: Some(*eid),
            user: self.user,
        };
        let input = RuleInput {
            auth: self.auth.as_ref(),
            data: &data,
            new_data: None,
            rule_params: &self.rule_params,
            refs: &refs,
        };
        let pass = rules::allowed(self.rules.as_ref(), etype, "view", &input)?;
        if let Some(checks) = self.checks.borrow_mut().as_mut() {
            let code = rules::program(self.rules.as_ref(), etype, "view");
            checks.push(json!({
                "id": eid,
                "entity": etype,
                "record": data,
                "program": code.map(|code| json!({
                    "code": code,
                    "display-code": code,
                    "etype": etype,
                    "action": "view",
                })),
                "check": pass,
            }));
        }
        Ok(pass)
    }

    fn sort_key(&self, etype: &str, eid: &Uuid, order: &OrderKey) -> (Option<Value>, i64, Uuid) {
        let entity = self.app.data.entity(etype, eid);
        let created_at = entity.map_or(0, |entity| entity.created_at);
        let value = match order {
            OrderKey::CreatedAt => None,
            OrderKey::Attr(attr, _) => entity.and_then(|entity| entity.values.get(attr).cloned()),
        };
        (value, created_at, *eid)
    }

    fn compare_keys(
        order: &OrderKey,
        a: &(Option<Value>, i64, Uuid),
        b: &(Option<Value>, i64, Uuid),
    ) -> Ordering {
        let data_type = match order {
            OrderKey::Attr(_, data_type) => *data_type,
            OrderKey::CreatedAt => None,
        };
        let by_value = match (&a.0, &b.0) {
            (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
            (None | Some(Value::Null), _) => Ordering::Less,
            (_, None | Some(Value::Null)) => Ordering::Greater,
            (Some(x), Some(y)) => compare_values(x, y, data_type).unwrap_or(Ordering::Equal),
        };
        // Uuid's byte order is the order of its lowercase hex text, the server's tie-breaker.
        by_value.then(a.1.cmp(&b.1)).then_with(|| a.2.cmp(&b.2))
    }

    /// Narrows the candidates through the value index when the filter requires an exact value
    /// of a plain attribute (or an id): the common `where: {attr: value}`.
    fn indexed_candidates(&self, etype: &str, cond: &Cond) -> Option<Vec<Uuid>> {
        let Cond::All(parts) = cond else { return None };
        parts.iter().find_map(|part| match part {
            Cond::Path {
                links,
                leaf: Leaf::Id,
                op: Op::Eq(value),
            } if links.is_empty() => {
                let id = value.as_str().and_then(|text| Uuid::parse_str(text).ok())?;
                Some(
                    self.app
                        .data
                        .contains(etype, &id)
                        .then_some(id)
                        .into_iter()
                        .collect(),
                )
            }
            Cond::Path {
                links,
                leaf: Leaf::Attr(attr, data_type),
                op: Op::Eq(value),
            } if links.is_empty() && *data_type != Some(DataType::Date) => Some(
                self.app
                    .data
                    .with_value(*attr, value)
                    .map(|ids| {
                        ids.iter()
                            .filter(|id| self.app.data.contains(etype, id))
                            .copied()
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => None,
        })
    }

    fn select(
        &self,
        etype: &str,
        candidates: Vec<Uuid>,
        opts: &Options,
        level: usize,
    ) -> ApiResult<Vec<Uuid>> {
        let candidates = match (&opts.filter, level) {
            (Some(filter), 0) => self.indexed_candidates(etype, filter).unwrap_or(candidates),
            _ => candidates,
        };
        let mut selected = Vec::with_capacity(candidates.len());
        for eid in candidates {
            if let Some(filter) = &opts.filter
                && !self.matches(etype, &eid, filter)
            {
                continue;
            }
            if !self.visible(etype, &eid)? {
                continue;
            }
            selected.push(eid);
        }
        let (order, desc) = opts.order.clone().unwrap_or((OrderKey::CreatedAt, false));
        let mut keyed: Vec<_> = selected
            .into_iter()
            .map(|eid| (self.sort_key(etype, &eid, &order), eid))
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            let ordering = Self::compare_keys(&order, a, b);
            if desc { ordering.reverse() } else { ordering }
        });
        if level > 0 {
            return Ok(keyed.into_iter().map(|(_, eid)| eid).collect());
        }
        let position = |key: &(Option<Value>, i64, Uuid), cursor: &Cursor| {
            let cursor_key = (
                match order {
                    OrderKey::CreatedAt => None,
                    OrderKey::Attr(..) => Some(cursor.value.clone()),
                },
                cursor.created_at,
                cursor.eid,
            );
            let ordering = Self::compare_keys(&order, key, &cursor_key);
            if desc { ordering.reverse() } else { ordering }
        };
        let full: Vec<Uuid> = keyed.iter().map(|(_, eid)| *eid).collect();
        keyed.retain(|(key, _)| {
            let after_ok = opts.after.as_ref().is_none_or(|(cursor, inclusive)| {
                let ordering = position(key, cursor);
                ordering.is_gt() || (*inclusive && ordering.is_eq())
            });
            let before_ok = opts.before.as_ref().is_none_or(|(cursor, inclusive)| {
                let ordering = position(key, cursor);
                ordering.is_lt() || (*inclusive && ordering.is_eq())
            });
            after_ok && before_ok
        });
        let mut ids: Vec<Uuid> = keyed
            .into_iter()
            .map(|(_, eid)| eid)
            .skip(opts.offset)
            .collect();
        if let Some(limit) = opts.limit {
            ids.truncate(limit);
        }
        if let Some(last) = opts.last {
            let skip = ids.len().saturating_sub(last);
            ids.drain(..skip);
        }
        self.record_page_info(etype, &order, &full, &ids);
        Ok(ids)
    }

    /// The page info live queries report for a top-level namespace: cursors are join rows
    /// `[entity id, attr id, value, created_at]` of the first and last entity.
    fn record_page_info(&self, etype: &str, order: &OrderKey, full: &[Uuid], ids: &[Uuid]) {
        let cursor = |eid: &Uuid| -> Value {
            let entity = self.app.data.entity(etype, eid);
            let created_at = entity.map_or(0, |entity| entity.created_at);
            match order {
                OrderKey::Attr(attr, _) => {
                    let value = entity
                        .and_then(|entity| entity.values.get(attr).cloned())
                        .unwrap_or(Value::Null);
                    json!([eid, attr, value, created_at])
                }
                OrderKey::CreatedAt => {
                    let id_attr = self.app.meta.attrs.by_fwd(etype, "id").map(|attr| attr.id);
                    json!([eid, id_attr, eid, created_at])
                }
            }
        };
        let position =
            |eid: Option<&Uuid>| eid.and_then(|eid| full.iter().position(|id| id == eid));
        let first = position(ids.first());
        let last = position(ids.last());
        self.page_info.borrow_mut().insert(
            etype.to_owned(),
            json!({
                "start-cursor": ids.first().map(cursor),
                "end-cursor": ids.last().map(cursor),
                "has-next-page?": last.is_some_and(|last| last + 1 < full.len()),
                "has-previous-page?": first.is_some_and(|first| first > 0),
            }),
        );
    }

    fn render(
        &self,
        etype: &str,
        eid: &Uuid,
        sub: &Map<String, Value>,
        opts: &Options,
        path: &[&str],
    ) -> ApiResult<Value> {
        let Some(entity) = self.app.data.entity(etype, eid) else {
            return Ok(Value::Null);
        };
        let mut object = entity_object(
            self.app,
            self.base_url,
            etype,
            eid,
            entity,
            opts.fields.as_deref(),
        );
        for (label, child) in sub {
            if label == "$" {
                continue;
            }
            let mut child_path = path.to_vec();
            child_path.push(label);
            let child = self.sub_query(child, &child_path)?;
            let Some(side) = self.app.meta.attrs.link(etype, label) else {
                object.insert(label.clone(), json!([]));
                continue;
            };
            let target_etype = side.target_etype().to_owned();
            let child_opts = self.options(&target_etype, child, path.len(), &child_path)?;
            let linked = self.linked(etype, eid, &side);
            let selected = self.select(&target_etype, linked, &child_opts, path.len())?;
            let mut rows = Vec::with_capacity(selected.len());
            for target in &selected {
                rows.push(self.render(&target_etype, target, child, &child_opts, &child_path)?);
            }
            let value = if self.inference && side.is_singular() {
                rows.into_iter().next().unwrap_or(Value::Null)
            } else {
                Value::Array(rows)
            };
            object.insert(label.clone(), value);
        }
        Ok(Value::Object(object))
    }
}

/// What an attribute is used for in a query, which decides the requirements and their wording.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Purpose {
    Order,
    Compare,
}

/// Why `attr` cannot be used for `purpose`, in upstream's words (`instaql.clj`,
/// `attr_pat.clj`): it needs an index and a checked type that no job is still building.
/// Every reason `attr` cannot order a query, in upstream's order (instaql.clj).
fn order_problems(attr: &Attr) -> Vec<String> {
    let name = attr.fwd_name();
    let mut problems = Vec::new();
    if attr.checking_data_type {
        problems.push(format!("The `{name}` attribute is still in the process of validating its type. It must finish before ordering by the attribute."));
    }
    if attr.indexing {
        problems.push(format!("The `{name}` attribute is still in the process of indexing. It must finish before ordering by the attribute."));
    }
    if !attr.index {
        problems.push(format!("The `{name}` attribute is not indexed. Only indexed and typed attributes can be used to order by."));
    }
    if attr.checked_data_type.is_none() {
        problems.push(format!("The `{name}` attribute is not typed. Only typed and indexed attributes can be used to order by."));
    }
    if attr.cardinality != Cardinality::One {
        problems.push(format!("The `{name}` attribute has cardinality `many`. Only attributes with cardinality `one` can be used to order by."));
    }
    problems
}

fn attr_unusable(attr: &Attr, purpose: Purpose) -> Option<String> {
    let name = attr.fwd_name();
    let (checking, indexing, unindexed, untyped) = match purpose {
        Purpose::Order => (
            "validating its type. It must finish before ordering by the attribute.",
            "indexing. It must finish before ordering by the attribute.",
            "is not indexed. Only indexed and typed attributes can be used to order by.",
            "is not typed. Only typed and indexed attributes can be used to order by.",
        ),
        Purpose::Compare => (
            "checking its data type. It must finish before using comparison operators.",
            "indexing. It must finish before using comparison operators.",
            "must be indexed to use comparison operators.",
            "must have an enforced type to use comparison operators.",
        ),
    };
    if attr.checking_data_type {
        Some(format!(
            "The `{name}` attribute is still in the process of {checking}"
        ))
    } else if attr.indexing {
        Some(format!(
            "The `{name}` attribute is still in the process of {indexing}"
        ))
    } else if !attr.index {
        Some(format!("The `{name}` attribute {unindexed}"))
    } else if attr.checked_data_type.is_none() {
        Some(format!("The `{name}` attribute {untyped}"))
    } else if purpose == Purpose::Order && attr.cardinality != Cardinality::One {
        Some(format!(
            "The `{name}` attribute has cardinality `many`. Only attributes with cardinality `one` can be used to order by."
        ))
    } else {
        None
    }
}

/// Orders two stored values the way an indexed, typed column does.
fn compare_values(a: &Value, b: &Value, data_type: Option<DataType>) -> Option<Ordering> {
    if data_type == Some(DataType::Date) {
        let (a, b) = (date_ms(a)?, date_ms(b)?);
        return Some(a.cmp(&b));
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => Some(json_type(a).cmp(json_type(b))),
    }
}

/// `parse-date-value` on a string: the formats the emulator reads, a JSON-quoted date, and (for
/// comparisons) Postgres' special values (`triple.clj` `special-str->instant`).
fn date_value(text: &str, special: bool) -> Option<i64> {
    const DAY: i64 = 86_400_000;
    if let Some(ms) = clock::parse_date(text) {
        return Some(ms);
    }
    if let Ok(Value::String(inner)) = serde_json::from_str::<Value>(text)
        && let Some(ms) = clock::parse_date(&inner)
    {
        return Some(ms);
    }
    let now = clock::now_ms();
    match text {
        "epoch" => Some(0),
        "infinity" => Some(9_223_372_036_825_200_000),
        "-infinity" => Some(-9_223_372_036_832_400_000),
        "now" if special => Some(now),
        "today" if special => Some(now - now.rem_euclid(DAY)),
        "tomorrow" if special => Some(now + DAY - (now + DAY).rem_euclid(DAY)),
        "yesterday" if special => Some(now - DAY - (now - DAY).rem_euclid(DAY)),
        _ => None,
    }
}

fn date_ms(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(text) => clock::parse_date(text),
        _ => None,
    }
}

fn values_equal(a: &Value, b: &Value, data_type: Option<DataType>) -> bool {
    if data_type == Some(DataType::Date) {
        return date_ms(a).is_some() && date_ms(a) == date_ms(b);
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn op_matches(op: &Op, value: Option<&Value>, data_type: Option<DataType>) -> bool {
    let present = value.filter(|v| !v.is_null());
    match op {
        Op::Eq(expected) => present.is_some_and(|v| values_equal(v, expected, data_type)),
        Op::In(items) => items.iter().any(|item| match (item, present) {
            (Value::Null, None) => true,
            (item, Some(v)) => values_equal(v, item, data_type),
            _ => false,
        }),
        Op::Ne(expected) => present.is_none_or(|v| !values_equal(v, expected, data_type)),
        Op::IsNull(want_null) => present.is_none() == *want_null,
        Op::Cmp(ordering, inclusive, bound) => present
            .and_then(|v| compare_values(v, bound, data_type))
            .is_some_and(|found| found == *ordering || (*inclusive && found == Ordering::Equal)),
        Op::Like(pattern, case_insensitive) => {
            present.and_then(Value::as_str).is_some_and(|text| {
                if *case_insensitive {
                    like(&text.to_lowercase(), &pattern.to_lowercase())
                } else {
                    like(text, pattern)
                }
            })
        }
    }
}

/// SQL `LIKE`: `%` matches any run, `_` one character.
fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    // Classic two-pointer wildcard match with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '_' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '%' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_sql_semantics() {
        assert!(like("hello world", "hello%"));
        assert!(like("hello world", "%world"));
        assert!(like("hello", "h_llo"));
        assert!(!like("hello", "h_lo"));
        assert!(like("abc", "%"));
        assert!(like("a%c", "a%c"));
        assert!(!like("abc", "abcd%x"));
    }

    #[test]
    fn operators_treat_missing_values_like_null() {
        assert!(op_matches(&Op::Ne(json!(1)), None, None));
        assert!(op_matches(&Op::IsNull(true), Some(&Value::Null), None));
        assert!(!op_matches(&Op::IsNull(false), None, None));
        assert!(op_matches(
            &Op::Cmp(Ordering::Greater, true, json!(2)),
            Some(&json!(2)),
            None
        ));
        assert!(op_matches(
            &Op::Eq(json!("2025-01-02T00:00:00Z")),
            Some(&json!(1_735_776_000_000_i64)),
            Some(DataType::Date)
        ));
    }
}
