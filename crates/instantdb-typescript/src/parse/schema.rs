//! `schemaTypescriptFileToInstantSchema`: the schema a `instant.schema.ts` declares.

use instantdb_schema::{AttrDef, EntityDef, IndexMap, LinkDef, RoomDef, SchemaDef, ValueType};
use serde_json::Value;
use swc_common::{Span, Spanned};
use swc_ecma_ast::{Callee, Expr, Module, ObjectLit};

use super::json::ast_to_json;
use super::{
    Context, Located, PropValue, Property, WalkResult, binding_name, default_export, key_name,
    member_property_name, properties, top_level_declarations, unparen, unwrap_extensions,
};

const EXPECTED_SCHEMA_CALL: &str =
    "Could not extract schema. Expected a call to `i.schema()`, got something else.";
const NO_ENTITIES: &str = "Could not extract schema, did not find any entities.";

/// The sections read so far; later `_schema` declarations overwrite what they define, as
/// upstream's loop does.
struct Sections<'a> {
    entities: Option<IndexMap<String, EntityDef>>,
    links: Option<(&'a ObjectLit, Value)>,
    rooms: IndexMap<String, RoomDef>,
    last_call: Option<Span>,
}

/// The schema, and its `links` JSON as written (key order and unknown keys kept).
pub(crate) fn walk(module: &Module, context: &Context) -> WalkResult<(SchemaDef, Value)> {
    let mut sections = Sections {
        entities: None,
        links: None,
        rooms: IndexMap::new(),
        last_call: None,
    };
    let mut found = false;
    for (declarators, _exported) in top_level_declarations(module) {
        let [declarator] = declarators else { continue };
        if binding_name(declarator) != Some("_schema") {
            continue;
        }
        found = true;
        match declarator.init.as_deref() {
            Some(init) => read_schema_call(init, context, &mut sections)?,
            None => return Err(Located::new(declarator.span, EXPECTED_SCHEMA_CALL)),
        }
    }
    if !found {
        // Beyond upstream: `export default i.schema(...)`, or a schema variable of another
        // name that is the default export.
        if let Some(expr) = default_export(module)
            && context.i_call_with_object(expr).is_some()
        {
            read_schema_call(expr, context, &mut sections)?;
        }
    }
    let Some(entities) = sections.entities else {
        let span = sections.last_call.unwrap_or(module.span);
        return Err(Located::new(span.shrink_to_lo(), NO_ENTITIES));
    };
    let (links, links_json) = match sections.links {
        Some((object, value)) => (links_from_json(object, &value)?, value),
        None => (IndexMap::new(), Value::Object(serde_json::Map::new())),
    };
    let schema = SchemaDef {
        entities,
        links,
        rooms: sections.rooms,
    };
    Ok((schema, links_json))
}

fn read_schema_call<'a>(
    init: &'a Expr,
    context: &Context,
    sections: &mut Sections<'a>,
) -> WalkResult<()> {
    let object = context
        .i_call_with_object(init)
        .ok_or_else(|| Located::new(init.span(), EXPECTED_SCHEMA_CALL))?;
    sections.last_call = Some(init.span());
    for property in properties(object) {
        let (key, value) = object_property(property, |babel_type, span| {
            Located::new(
                span,
                format!(
                    "Could not extra schema property, expected an `ObjectProperty`, got \
                     `{babel_type}'."
                ),
            )
        })?;
        let section = key_name(key)?;
        let Some(section_object) = object_value(value) else {
            return Err(Located::new(
                value.span(),
                format!(
                    "Failed to extract {section}, expected an `ObjectExpression`, got `{}`.",
                    value.babel_type()
                ),
            ));
        };
        match section.as_str() {
            "entities" => sections.entities = Some(read_entities(section_object, context)?),
            "links" => {
                if let Some(expr) = value.expr() {
                    sections.links = Some((section_object, ast_to_json(expr)?));
                }
            }
            "rooms" => sections.rooms = read_rooms(section_object, context)?,
            _ => {}
        }
    }
    Ok(())
}

/// The object literal a property value is (through parentheses, `as const`, `satisfies`).
fn object_value(value: PropValue<'_>) -> Option<&ObjectLit> {
    match unwrap_extensions(value.expr()?) {
        Expr::Object(object) => Some(object),
        _ => None,
    }
}

/// upstream's `entitiesNodeToEntitiesDef` (also used for a room's topics).
fn read_entities(object: &ObjectLit, context: &Context) -> WalkResult<IndexMap<String, EntityDef>> {
    let mut entities = IndexMap::new();
    for property in properties(object) {
        let (key, value) = object_property(property, not_object_property)?;
        let etype = key_name(key)?;
        let attrs = value
            .expr()
            .and_then(|expr| context.i_call_with_object(expr))
            .ok_or_else(|| {
                Located::new(
                    value.span(),
                    format!(
                        "Could not extract entity `{etype}`. Expected a call to `i.entity()`, \
                         got something else."
                    ),
                )
            })?;
        let entity = read_entity(&etype, attrs, context)?;
        entities.insert(etype, entity);
    }
    Ok(entities)
}

/// The key and value of an `ObjectProperty`, or `error(type, span)` for anything else.
fn object_property<'a>(
    property: Property<'a>,
    error: impl FnOnce(&'static str, Span) -> Located,
) -> WalkResult<(super::Key<'a>, PropValue<'a>)> {
    match property {
        Property::Object { key, value, .. } => Ok((key, value)),
        Property::Other { babel_type, span } => Err(error(babel_type, span)),
    }
}

fn not_object_property(babel_type: &str, span: Span) -> Located {
    Located::new(
        span,
        format!("Expected entities to contain only `ObjectProperty`, got `{babel_type}`."),
    )
}

/// upstream's `entityNodeToEntityDef`.
fn read_entity(etype: &str, object: &ObjectLit, context: &Context) -> WalkResult<EntityDef> {
    let mut attrs = IndexMap::new();
    for property in properties(object) {
        let (key, value) = object_property(property, |babel_type, span| {
            Located::new(
                span,
                format!(
                    "Expected i.entity for `{etype}` to contain only `ObjectProperty`, got \
                     `{babel_type}`."
                ),
            )
        })?;
        let label = key_name(key)?;
        let attr = read_attr(etype, &label, value, context)?;
        attrs.insert(label, attr);
    }
    Ok(EntityDef { attrs })
}

/// One attribute: `i.<type>()` followed by modifiers, walked from the outermost call inwards.
fn read_attr(
    etype: &str,
    label: &str,
    value: PropValue<'_>,
    context: &Context,
) -> WalkResult<AttrDef> {
    let expected_call = |span: Span| {
        Located::new(
            span,
            format!(
                "Could not extract `{etype}.{label}`. Expected a call to `i.string()`, \
                 `i.number()`, etc. Got something else."
            ),
        )
    };
    let Some(Expr::Call(first_call)) = value.expr().map(unwrap_extensions) else {
        return Err(expected_call(value.span()));
    };
    let mut call = first_call;
    // Modifiers from the outermost call inwards, with the span of their name.
    let mut modifiers: Vec<(&str, Span)> = Vec::new();
    let base: Option<ValueType>;
    loop {
        let member = match &call.callee {
            Callee::Expr(callee) => match unparen(callee) {
                Expr::Member(member) => member,
                _ => return Err(expected_call(call.span)),
            },
            _ => return Err(expected_call(call.span)),
        };
        let Some(name) = member_property_name(&member.prop) else {
            return Err(expected_call(call.span));
        };
        match unparen(&member.obj) {
            Expr::Call(inner) => {
                modifiers.push((name, member.prop.span()));
                call = inner;
            }
            obj if context.is_i(obj) => {
                base = match name {
                    "string" => Some(ValueType::String),
                    "number" => Some(ValueType::Number),
                    "boolean" => Some(ValueType::Boolean),
                    "date" => Some(ValueType::Date),
                    "json" | "any" => Some(ValueType::Json),
                    _ => None,
                };
                break;
            }
            _ => return Err(expected_call(call.span)),
        }
    }
    let Some(value_type) = base else {
        return Err(Located::new(
            call.span,
            format!(
                "Could not extract `{etype}.{label}`. Found no call to `i.string()`, \
                 `i.number()`, etc."
            ),
        ));
    };
    let mut attr = AttrDef::new(value_type);
    for (modifier, span) in modifiers.into_iter().rev() {
        attr = match modifier {
            "indexed" => attr.indexed(),
            "unique" => attr.unique(),
            "optional" => attr.optional(),
            "clientRequired" => attr.client_required(),
            _ => {
                return Err(Located::new(
                    span,
                    format!(
                        "Could not extract `{etype}.{label}`. Found a call to `{modifier}()` \
                         that is not recognized."
                    ),
                ));
            }
        };
    }
    Ok(attr)
}

/// upstream's `roomsNodeToRoomsDef`.
fn read_rooms(object: &ObjectLit, context: &Context) -> WalkResult<IndexMap<String, RoomDef>> {
    let mut rooms = IndexMap::new();
    for property in properties(object) {
        let (key, value) = object_property(property, not_object_property)?;
        let room_name = key_name(key)?;
        let Some(room_object) = object_value(value) else {
            return Err(Located::new(
                value.span(),
                format!(
                    "Could not extract room `{room_name}`. Expected an object with topics and \
                     presence keys, got `{}`.",
                    value.babel_type()
                ),
            ));
        };
        let room = read_room(&room_name, room_object, context)?;
        rooms.insert(room_name, room);
    }
    Ok(rooms)
}

/// upstream's `roomNodeToRoomDef`.
fn read_room(room_name: &str, object: &ObjectLit, context: &Context) -> WalkResult<RoomDef> {
    let mut presence = None;
    let mut topics = None;
    for property in properties(object) {
        let (key, value) = object_property(property, not_object_property)?;
        let key_span = key.span();
        let name = key_name(key)?;
        match name.as_str() {
            "topics" => {
                let Some(topics_object) = object_value(value) else {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "Could not exxtract `rooms.{room_name}.topics`. Expected an object, \
                             got `{}`.",
                            value.babel_type()
                        ),
                    ));
                };
                topics = Some(read_entities(topics_object, context)?);
            }
            "presence" => {
                let attrs = value
                    .expr()
                    .and_then(|expr| context.i_call_with_object(expr))
                    .ok_or_else(|| {
                        Located::new(
                            value.span(),
                            format!(
                                "Could not extract `rooms.{room_name}.presence`. Expected a call \
                                 to `i.entity()`, got something else."
                            ),
                        )
                    })?;
                // Upstream names the room, not `presence`, in attribute errors.
                presence = Some(read_entity(room_name, attrs, context)?);
            }
            _ => {
                return Err(Located::new(
                    key_span,
                    format!("Could not extract `rooms.{room_name}`. Unexpected property `{name}`."),
                ));
            }
        }
    }
    let Some(presence) = presence else {
        return Err(Located::new(
            object.span,
            format!(
                "Could not extract room {room_name}, `presence` key was missing from room \
                 definition."
            ),
        ));
    };
    Ok(RoomDef { presence, topics })
}

/// The links JSON as the model's typed links. Upstream passes the JSON through unchecked; the
/// model needs `{forward: {on, has, label, required?, onDelete?}, reverse: {on, has, label,
/// onDelete?}}`, so anything else is reported at the offending link.
fn links_from_json(object: &ObjectLit, json: &Value) -> WalkResult<IndexMap<String, LinkDef>> {
    let Value::Object(map) = json else {
        return Ok(IndexMap::new());
    };
    let mut links = IndexMap::new();
    for (name, value) in map {
        match serde_json::from_value::<LinkDef>(value.clone()) {
            Ok(link) => {
                links.insert(name.clone(), link);
            }
            Err(err) => {
                let span = link_span(object, name).unwrap_or(object.span);
                return Err(Located::new(
                    span,
                    format!(
                        "Could not read link `{name}`: {err}. A link is {{forward: {{on, has, \
                         label, required?, onDelete?}}, reverse: {{on, has, label, onDelete?}}}}."
                    ),
                ));
            }
        }
    }
    Ok(links)
}

/// The span of the last property of `object` whose key reads as `name`.
fn link_span(object: &ObjectLit, name: &str) -> Option<Span> {
    properties(object)
        .filter_map(|property| match property {
            Property::Object { key, span, .. } => {
                let key_text = match &key {
                    super::Key::Identifier(k, _) | super::Key::String(k, _) => k.clone(),
                    super::Key::Number(n, _) => crate::js::number_to_string(*n),
                    super::Key::Other(..) => return None,
                };
                (key_text == name).then_some(span)
            }
            Property::Other { .. } => None,
        })
        .last()
}
