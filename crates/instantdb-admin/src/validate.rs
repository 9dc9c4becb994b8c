//! Local validation of queries and transactions, ported from `@instantdb/core`'s
//! `queryValidation.ts` and `transactionValidation.ts` with their exact messages.
//!
//! Upstream runs both before sending unless `disableValidation` is set. Without a schema the
//! query check covers only the structure (the query is an object, `$` holds known keys,
//! pagination keys sit at the top level); with one it also checks entity, link and attribute
//! names and value types. Transactions are checked only with a schema.

use instantdb_schema::{AttrDef, EntityLink, IndexMap, SchemaDef, ValueType, js};
use serde_json::Value;

use crate::Error;
use crate::tx::Chunks;

const DOLLAR_KEYS: [&str; 12] = [
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

/// `limit` is missing on purpose: upstream allows it below the top level ("only supported
/// client side").
const TOP_LEVEL_ONLY: [&str; 7] = [
    "offset",
    "before",
    "beforeInclusive",
    "after",
    "afterInclusive",
    "first",
    "last",
];

/// The parts of an attribute definition the checks look at.
#[derive(Clone, Copy)]
struct Attr {
    /// `None` for upstream's `'unknown'`.
    value_type: ValueType,
    indexed: bool,
}

impl From<&AttrDef> for Attr {
    fn from(def: &AttrDef) -> Attr {
        Attr {
            value_type: def.value_type,
            indexed: def.indexed,
        }
    }
}

/// `new DataAttrDef('string', false, true)`: what ids and links are checked as.
const ID_ATTR: Attr = Attr {
    value_type: ValueType::String,
    indexed: true,
};

fn query_error(path: Option<&str>, message: String) -> Error {
    match path {
        Some(path) => Error::query_validation(format!("At path '{path}': {message}")),
        None => Error::query_validation(message),
    }
}

fn available(keys: &[&str]) -> String {
    if keys.is_empty() {
        "none".to_owned()
    } else {
        keys.join(", ")
    }
}

/// Entries of an object (or the index entries of an array, which JS also enumerates).
fn entries(value: &Value) -> Vec<(String, &Value)> {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(idx, v)| (idx.to_string(), v))
            .collect(),
        _ => Vec::new(),
    }
}

struct Schema<'a> {
    def: &'a SchemaDef,
}

impl<'a> Schema<'a> {
    fn entity_names(&self) -> Vec<&'a str> {
        keys(&self.def.entities)
    }

    fn has_entity(&self, name: &str) -> bool {
        self.def.entities.contains_key(name)
    }

    fn attr(&self, entity: &str, name: &str) -> Option<Attr> {
        self.def
            .entities
            .get(entity)?
            .attrs
            .get(name)
            .map(Attr::from)
    }

    fn attr_names(&self, entity: &str) -> Vec<&'a str> {
        match self.def.entities.get(entity) {
            Some(def) => keys(&def.attrs),
            None => Vec::new(),
        }
    }

    fn links(&self, entity: &str) -> IndexMap<String, EntityLink> {
        self.def.entity_links(entity)
    }
}

/// `Object.keys(map)`.
fn keys<V>(map: &IndexMap<String, V>) -> Vec<&str> {
    js::ordered(map)
        .into_iter()
        .map(|(key, _)| key.as_str())
        .collect()
}

fn link_names(links: &IndexMap<String, EntityLink>) -> String {
    available(&keys(links))
}

/// `isValidValueForType`.
fn valid_for_type(value: &Value, expected: ValueType, any_type: bool) -> bool {
    if any_type || value.is_null() {
        return true;
    }
    match expected {
        ValueType::String => value.is_string(),
        ValueType::Number => value.is_number(),
        ValueType::Boolean => value.is_boolean(),
        ValueType::Date => value.is_string() || value.is_number(),
        ValueType::Json => true,
    }
}

/// `validateQuery(query, schema)`. `query` must already be in JS key order.
pub(crate) fn validate_query(query: &Value, schema: Option<&SchemaDef>) -> Result<(), Error> {
    let schema = schema.map(|def| Schema { def });
    let Value::Object(map) = query else {
        let null = if query.is_null() { " (null)" } else { "" };
        return Err(query_error(
            None,
            format!(
                "Query must be an object, but received: {}{null}",
                js::type_of(query)
            ),
        ));
    };
    for (key, part) in map {
        if part.is_array() {
            return Err(query_error(
                Some(key),
                "Query keys must be strings, but found key of type: string".to_owned(),
            ));
        }
        if key == "$$ruleParams" {
            continue;
        }
        if let Some(schema) = &schema
            && !schema.has_entity(key)
        {
            return Err(query_error(
                Some(key),
                format!(
                    "Entity '{key}' does not exist in schema. Available entities: {}",
                    available(&schema.entity_names())
                ),
            ));
        }
        validate_entity(part, key, schema.as_ref(), key, 0)?;
    }
    Ok(())
}

fn validate_entity(
    part: &Value,
    entity: &str,
    schema: Option<&Schema<'_>>,
    path: &str,
    depth: usize,
) -> Result<(), Error> {
    if !js::truthy(part) || !(part.is_object() || part.is_array()) {
        return Err(query_error(
            Some(path),
            format!(
                "Query part for entity '{entity}' must be an object, but received: {}",
                js::type_of(part)
            ),
        ));
    }
    let links = schema.map(|schema| schema.links(entity));
    for (key, value) in entries(part) {
        if key != "$" {
            let child_path = format!("{path}.{key}");
            let Some(links) = &links else { continue };
            let Some(link) = links.get(&key) else {
                return Err(query_error(
                    Some(&child_path),
                    format!(
                        "Link '{key}' does not exist on entity '{entity}'. Available links: {}",
                        link_names(links)
                    ),
                ));
            };
            if value.is_object() || value.is_array() {
                validate_entity(value, &link.entity_name, schema, &child_path, depth + 1)?;
            }
        } else {
            let dollar_path = format!("{path}.$");
            if !(value.is_object() || value.is_array()) {
                return Err(query_error(
                    Some(&dollar_path),
                    format!(
                        "Query parameter '$' must be an object in entity '{entity}', but received: {}",
                        js::type_of(value)
                    ),
                ));
            }
            validate_dollar(value, entity, schema, &dollar_path, depth)?;
        }
    }
    Ok(())
}

fn validate_dollar(
    dollar: &Value,
    entity: &str,
    schema: Option<&Schema<'_>>,
    path: &str,
    depth: usize,
) -> Result<(), Error> {
    let entries = entries(dollar);
    for (key, _) in &entries {
        if !DOLLAR_KEYS.contains(&key.as_str()) {
            return Err(query_error(
                Some(path),
                format!(
                    "Invalid query parameter '{key}' in $ object. Valid parameters are: {}. Found: {key}",
                    DOLLAR_KEYS.join(", ")
                ),
            ));
        }
    }
    if depth > 0 {
        for param in TOP_LEVEL_ONLY {
            if entries.iter().any(|(key, _)| key == param) {
                return Err(query_error(
                    Some(path),
                    format!(
                        "'{param}' can only be used on top-level namespaces. It cannot be used in nested queries."
                    ),
                ));
            }
        }
    }
    let Some(schema) = schema else { return Ok(()) };
    let Some((_, clause)) = entries.iter().find(|(key, _)| key == "where") else {
        return Ok(());
    };
    if !js::truthy(clause) {
        return Ok(());
    }
    let where_path = format!("{path}.where");
    if !(clause.is_object() || clause.is_array()) {
        return Err(query_error(
            Some(&where_path),
            format!(
                "'where' clause must be an object in entity '{entity}', but received: {}",
                js::type_of(clause)
            ),
        ));
    }
    validate_where(clause, entity, schema, &where_path)
}

fn validate_where(
    clause: &Value,
    entity: &str,
    schema: &Schema<'_>,
    path: &str,
) -> Result<(), Error> {
    for (key, value) in entries(clause) {
        if key == "or" || key == "and" {
            if let Value::Array(clauses) = value {
                for clause in clauses.iter().filter(|c| c.is_object() || c.is_array()) {
                    // Upstream interpolates the clause object itself: `or[[object Object]]`.
                    let nested = format!("{path}.{key}[{}]", js::to_string(clause));
                    validate_where(clause, entity, schema, &nested)?;
                }
            }
            continue;
        }
        let key_path = format!("{path}.{key}");
        if key == "id" {
            validate_where_value(value, "id", ID_ATTR, entity, &key_path)?;
            continue;
        }
        if key.contains('.') {
            validate_dotted(&key, value, entity, schema, &key_path)?;
            continue;
        }
        if !schema.has_entity(entity) {
            continue;
        }
        let links = schema.links(entity);
        if let Some(attr) = schema.attr(entity, &key) {
            validate_where_value(value, &key, attr, entity, &key_path)?;
        } else if links.contains_key(&key) {
            if let Value::String(text) = value
                && !js::is_uuid(text)
            {
                return Err(query_error(
                    Some(&key_path),
                    format!(
                        "Invalid value for link '{key}' in entity '{entity}'. Expected a UUID, but received: {text}"
                    ),
                ));
            }
            validate_where_value(value, &key, ID_ATTR, entity, &key_path)?;
        } else {
            return Err(query_error(
                Some(&key_path),
                format!(
                    "Attribute or link '{key}' does not exist on entity '{entity}'. Available attributes: {}. Available links: {}",
                    available(&schema.attr_names(entity)),
                    link_names(&links)
                ),
            ));
        }
    }
    Ok(())
}

fn validate_where_value(
    value: &Value,
    attr_name: &str,
    attr: Attr,
    entity: &str,
    path: &str,
) -> Result<(), Error> {
    let any_type = attr.value_type == ValueType::Json;
    if let Value::Object(operators) = value {
        if any_type {
            return Ok(());
        }
        for (op, op_value) in operators {
            validate_operator(
                op,
                op_value,
                attr,
                attr_name,
                entity,
                &format!("{path}.{op}"),
            )?;
        }
        return Ok(());
    }
    if !valid_for_type(value, attr.value_type, any_type) {
        return Err(query_error(
            Some(path),
            format!(
                "Invalid value for attribute '{attr_name}' in entity '{entity}'. Expected {}, but received: {}",
                attr.value_type.as_str(),
                js::type_of(value)
            ),
        ));
    }
    Ok(())
}

fn validate_operator(
    op: &str,
    op_value: &Value,
    attr: Attr,
    attr_name: &str,
    entity: &str,
    path: &str,
) -> Result<(), Error> {
    let any_type = attr.value_type == ValueType::Json;
    let assert_valid = |expected: ValueType, value: &Value| {
        if valid_for_type(value, expected, any_type) {
            Ok(())
        } else {
            Err(query_error(
                Some(path),
                format!(
                    "Invalid value for operator '{op}' on attribute '{attr_name}' in entity '{entity}'. Expected {}, but received: {}",
                    expected.as_str(),
                    js::type_of(value)
                ),
            ))
        }
    };
    match op {
        "in" | "$in" => {
            let Value::Array(items) = op_value else {
                return Err(query_error(
                    Some(path),
                    format!(
                        "Operator '{op}' for attribute '{attr_name}' in entity '{entity}' must be an array, but received: {}",
                        js::type_of(op_value)
                    ),
                ));
            };
            items
                .iter()
                .try_for_each(|item| assert_valid(attr.value_type, item))
        }
        "$not" | "$ne" | "$gt" | "$lt" | "$gte" | "$lte" => assert_valid(attr.value_type, op_value),
        "$like" | "$ilike" => {
            assert_valid(ValueType::String, op_value)?;
            if op == "$ilike" && !attr.indexed {
                return Err(query_error(
                    Some(path),
                    format!(
                        "Operator '{op}' can only be used with indexed attributes, but '{attr_name}' in entity '{entity}' is not indexed"
                    ),
                ));
            }
            Ok(())
        }
        "$isNull" => assert_valid(ValueType::Boolean, op_value),
        _ => Err(query_error(
            Some(path),
            format!("Unknown operator '{op}' for attribute '{attr_name}' in entity '{entity}'"),
        )),
    }
}

fn validate_dotted(
    dotted: &str,
    value: &Value,
    start: &str,
    schema: &Schema<'_>,
    path: &str,
) -> Result<(), Error> {
    let parts: Vec<&str> = dotted.split('.').collect();
    let Some((last, hops)) = parts.split_last() else {
        return Ok(());
    };
    let mut current = start.to_owned();
    for hop in hops {
        if !schema.has_entity(&current) {
            return Err(query_error(
                Some(path),
                format!(
                    "Entity '{current}' does not exist in schema while traversing dot notation path '{dotted}'."
                ),
            ));
        }
        let links = schema.links(&current);
        let Some(link) = links.get(*hop) else {
            return Err(query_error(
                Some(path),
                format!(
                    "Link '{hop}' does not exist on entity '{current}' in dot notation path '{dotted}'. Available links: {}",
                    link_names(&links)
                ),
            ));
        };
        current = link.entity_name.clone();
    }
    if !schema.has_entity(&current) {
        return Err(query_error(
            Some(path),
            format!(
                "Target entity '{current}' does not exist in schema for dot notation path '{dotted}'."
            ),
        ));
    }
    let uuid_check = |what: &str| -> Result<(), Error> {
        match value {
            Value::String(text) if !js::is_uuid(text) => Err(query_error(
                Some(path),
                format!(
                    "Invalid value for {what} in entity '{current}'. Expected a UUID, but received: {text}"
                ),
            )),
            _ => Ok(()),
        }
    };
    if *last == "id" {
        uuid_check("id field")?;
        return validate_where_value(value, dotted, ID_ATTR, start, path);
    }
    if schema.links(&current).contains_key(*last) {
        uuid_check(&format!("link '{last}'"))?;
        return validate_where_value(value, dotted, ID_ATTR, start, path);
    }
    let Some(attr) = schema.attr(&current, last) else {
        let names = schema.attr_names(&current);
        let list = if names.is_empty() {
            "id".to_owned()
        } else {
            format!("{}, id", names.join(", "))
        };
        return Err(query_error(
            Some(path),
            format!(
                "Attribute '{last}' does not exist on entity '{current}' in dot notation path '{dotted}'. Available attributes: {list}"
            ),
        ));
    };
    validate_where_value(value, dotted, attr, start, path)
}

/// `validateTransactions(chunks, schema)`: nothing to check without a schema.
pub(crate) fn validate_transaction(chunks: &Chunks, schema: &SchemaDef) -> Result<(), Error> {
    let schema = Schema { def: schema };
    for chunk in &chunks.0 {
        for (entity, id_slot, step) in chunk.parts() {
            if let Value::String(id) = &id_slot
                && !js::is_uuid(id)
            {
                return Err(Error::transaction_validation(format!(
                    "Invalid id for entity '{entity}'. Expected a UUID, but received: {id}"
                )));
            }
            match step.action {
                Some("create" | "update" | "merge") => {
                    validate_data_op(entity, &step.args.to_value(), &schema)?
                }
                Some("link" | "unlink") => {
                    validate_link_op(entity, &step.args.to_value(), &schema)?
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn entity_must_exist(entity: &str, schema: &Schema<'_>) -> Result<(), Error> {
    if schema.has_entity(entity) {
        return Ok(());
    }
    Err(Error::transaction_validation(format!(
        "Entity '{entity}' does not exist in schema. Available entities: {}",
        available(&schema.entity_names())
    )))
}

fn validate_data_op(entity: &str, args: &Value, schema: &Schema<'_>) -> Result<(), Error> {
    entity_must_exist(entity, schema)?;
    if !(args.is_object() || args.is_array()) {
        return Err(Error::transaction_validation(format!(
            "Arguments for data operation on entity '{entity}' must be an object, but received: {}",
            js::type_of(args)
        )));
    }
    for (name, value) in entries(args) {
        if name == "id" {
            continue;
        }
        let Some(attr) = schema.attr(entity, &name) else {
            continue;
        };
        if !valid_for_type(value, attr.value_type, false) {
            return Err(Error::transaction_validation(format!(
                "Invalid value for attribute '{name}' in entity '{entity}'. Expected {}, but received: {}",
                attr.value_type.as_str(),
                js::type_of(value)
            )));
        }
    }
    Ok(())
}

fn is_valid_entity_id(value: &Value) -> bool {
    match value {
        Value::String(text) => text.starts_with("lookup__") || js::is_uuid(text),
        _ => false,
    }
}

fn validate_link_op(entity: &str, args: &Value, schema: &Schema<'_>) -> Result<(), Error> {
    entity_must_exist(entity, schema)?;
    if !(args.is_object() || args.is_array()) {
        return Err(Error::transaction_validation(format!(
            "Arguments for link operation on entity '{entity}' must be an object, but received: {}",
            js::type_of(args)
        )));
    }
    let links = schema.links(entity);
    for (name, value) in entries(args) {
        if !links.contains_key(&name) {
            return Err(Error::transaction_validation(format!(
                "Link '{name}' does not exist on entity '{entity}'. Available links: {}",
                link_names(&links)
            )));
        }
        match value {
            Value::Null => {}
            Value::Array(references) => {
                if let Some(bad) = references.iter().find(|r| !is_valid_entity_id(r)) {
                    return Err(Error::transaction_validation(format!(
                        "Invalid entity ID in link '{name}' for entity '{entity}'. Expected a UUID or a lookup, but received: {}",
                        js::to_string(bad)
                    )));
                }
            }
            single if !is_valid_entity_id(single) => {
                return Err(Error::transaction_validation(format!(
                    "Invalid UUID in link '{name}' for entity '{entity}'. Expected a UUID, but received: {}",
                    js::to_string(single)
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::{lookup, tx};
    use instantdb_schema::{Has, i};
    use serde_json::json;

    const GOAL: &str = "11111111-1111-4111-8111-111111111111";

    fn schema() -> SchemaDef {
        i::schema()
            .entities([
                (
                    "goals",
                    i::entity([
                        ("title", i::string()),
                        ("priority", i::number().indexed()),
                        ("meta", i::json()),
                    ]),
                ),
                ("todos", i::entity([("text", i::string())])),
            ])
            .links([(
                "goalsTodos",
                i::link(
                    i::forward("goals", Has::Many, "todos"),
                    i::reverse("todos", Has::One, "goal"),
                ),
            )])
    }

    fn query(q: Value, with_schema: bool) -> String {
        let schema = schema();
        match validate_query(&q, with_schema.then_some(&schema)) {
            Ok(()) => "ok".to_owned(),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn structure_without_schema() {
        assert_eq!(
            query(json!(null), false),
            "Query must be an object, but received: object (null)"
        );
        assert_eq!(
            query(json!({"goals": []}), false),
            "At path 'goals': Query keys must be strings, but found key of type: string"
        );
        assert_eq!(
            query(json!({"goals": 1}), false),
            "At path 'goals': Query part for entity 'goals' must be an object, but received: number"
        );
        assert_eq!(
            query(json!({"goals": {"$": {"wher": {}}}}), false),
            "At path 'goals.$': Invalid query parameter 'wher' in $ object. Valid parameters are: where, order, limit, last, first, offset, after, afterInclusive, before, beforeInclusive, fields, aggregate. Found: wher"
        );
        // Without a schema upstream never descends into links, so nested options pass.
        assert_eq!(
            query(json!({"goals": {"todos": {"$": {"offset": 1}}}}), false),
            "ok"
        );
        assert_eq!(
            query(json!({"$$ruleParams": {"a": 1}, "goals": {}}), false),
            "ok"
        );
    }

    #[test]
    fn names_and_types_with_schema() {
        assert_eq!(
            query(json!({"goalz": {}}), true),
            "At path 'goalz': Entity 'goalz' does not exist in schema. Available entities: goals, todos"
        );
        assert_eq!(
            query(json!({"goals": {"todoz": {}}}), true),
            "At path 'goals.todoz': Link 'todoz' does not exist on entity 'goals'. Available links: todos"
        );
        assert_eq!(
            query(json!({"goals": {"todos": {"$": {"offset": 1}}}}), true),
            "At path 'goals.todos.$': 'offset' can only be used on top-level namespaces. It cannot be used in nested queries."
        );
        assert_eq!(
            query(
                json!({"goals": {"$": {"where": {"or": [{"title": 1}]}}}}),
                true
            ),
            "At path 'goals.$.where.or[[object Object]].title': Invalid value for attribute 'title' in entity 'goals'. Expected string, but received: number"
        );
        assert_eq!(
            query(
                json!({"goals": {"$": {"where": {"title": {"$ilike": "%a%"}}}}}),
                true
            ),
            "At path 'goals.$.where.title.$ilike': Operator '$ilike' can only be used with indexed attributes, but 'title' in entity 'goals' is not indexed"
        );
        assert_eq!(
            query(
                json!({"goals": {"$": {"where": {"priority": {"$in": [1, 2]}, "meta": {"any": "thing"}}}}}),
                true
            ),
            "ok"
        );
        assert_eq!(
            query(
                json!({"todos": {"$": {"where": {"goal.titel": "x"}}}}),
                true
            ),
            "At path 'todos.$.where.goal.titel': Attribute 'titel' does not exist on entity 'goals' in dot notation path 'goal.titel'. Available attributes: title, priority, meta, id"
        );
        assert_eq!(
            query(json!({"todos": {"$": {"where": {"goal": "nope"}}}}), true),
            "At path 'todos.$.where.goal': Invalid value for link 'goal' in entity 'todos'. Expected a UUID, but received: nope"
        );
        assert_eq!(
            query(json!({"goals": {"$": {"where": {"x": 1}}}}), true),
            "At path 'goals.$.where.x': Attribute or link 'x' does not exist on entity 'goals'. Available attributes: title, priority, meta. Available links: todos"
        );
    }

    fn transaction(chunks: impl Into<Chunks>) -> String {
        match validate_transaction(&chunks.into(), &schema()) {
            Ok(()) => "ok".to_owned(),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn transactions_with_schema() {
        assert_eq!(
            transaction(tx("goals", "not-a-uuid").update(json!({"title": "A"}))),
            "Invalid id for entity 'goals'. Expected a UUID, but received: not-a-uuid"
        );
        assert_eq!(
            transaction(tx("goals", GOAL).update(json!({"title": 1}))),
            "Invalid value for attribute 'title' in entity 'goals'. Expected string, but received: number"
        );
        assert_eq!(
            transaction(tx("nope", GOAL).delete().update(json!({}))),
            "Entity 'nope' does not exist in schema. Available entities: goals, todos"
        );
        assert_eq!(
            transaction(tx("goals", GOAL).link(json!({"todos": ["x"]}))),
            "Invalid entity ID in link 'todos' for entity 'goals'. Expected a UUID or a lookup, but received: x"
        );
        assert_eq!(
            transaction(tx("goals", GOAL).link(json!({"todos": {"text": "x"}}))),
            "Invalid UUID in link 'todos' for entity 'goals'. Expected a UUID, but received: [object Object]"
        );
        assert_eq!(
            transaction([
                tx("goals", lookup("title", "x")).update(json!({"title": null, "unknown": 1})),
                tx("todos", GOAL).link(json!({"goal": lookup("title", "x")})),
            ]),
            "ok"
        );
    }
}
