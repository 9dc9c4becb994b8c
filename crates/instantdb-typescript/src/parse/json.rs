//! upstream's `astToJson`: a JSON value from an object/array/literal expression.
//!
//! Same rules and quirks as upstream: spreads and methods in objects, and spreads and holes'
//! neighbours in arrays are handled as there (spreads and methods silently dropped, holes become
//! `null`), numeric keys become their JS string form, a computed `[name]` key reads as `"name"`,
//! and every other node is "Unsupported AST node type for JSON conversion". Beyond upstream:
//! `x as const`, `x satisfies T`, template literals without substitutions and a minus sign on a
//! number literal (which `JSON.stringify` writes for negative numbers) are accepted.

use serde_json::{Map, Number, Value};
use swc_common::Spanned;
use swc_ecma_ast::{Expr, Lit, UnaryOp};

use super::{
    Key, Located, PropValue, Property, WalkResult, babel_type, template_string, unwrap_extensions,
};
use crate::js;

/// Converts `value` (an `ObjectProperty` value) to JSON.
pub(crate) fn prop_value_to_json(value: PropValue<'_>) -> WalkResult<Value> {
    match value {
        PropValue::Expr(expr) => ast_to_json(expr),
        PropValue::Shorthand(ident) => Err(unsupported("Identifier", ident.span)),
    }
}

/// Converts `expr` to JSON.
pub(crate) fn ast_to_json(expr: &Expr) -> WalkResult<Value> {
    let expr = unwrap_extensions(expr);
    match expr {
        Expr::Object(object) => {
            let mut map = Map::new();
            for property in super::properties(object) {
                match property {
                    Property::Object { key, value, .. } => {
                        let key = match key {
                            Key::Identifier(name, _) | Key::String(name, _) => name,
                            Key::Number(n, _) => js::number_to_string(n),
                            Key::Other(babel_type, span, _) => {
                                return Err(Located::new(
                                    span,
                                    format!("Unsupported key type in ObjectProperty: {babel_type}"),
                                ));
                            }
                        };
                        let value = prop_value_to_json(value)?;
                        map.insert(key, value);
                    }
                    Property::Other {
                        babel_type: "SpreadElement" | "ObjectMethod",
                        ..
                    } => {}
                    Property::Other { babel_type, span } => {
                        return Err(Located::new(
                            span,
                            format!("Unsupported property type in ObjectExpression: {babel_type}"),
                        ));
                    }
                }
            }
            Ok(Value::Object(map))
        }
        Expr::Array(array) => {
            let mut items = Vec::with_capacity(array.elems.len());
            for element in &array.elems {
                match element {
                    None => items.push(Value::Null),
                    Some(element) if element.spread.is_some() => {}
                    Some(element) => items.push(ast_to_json(&element.expr)?),
                }
            }
            Ok(Value::Array(items))
        }
        Expr::Lit(Lit::Str(s)) => Ok(Value::String(s.value.to_atom_lossy().to_string())),
        Expr::Lit(Lit::Num(n)) => Ok(number(n.value)),
        Expr::Lit(Lit::Bool(b)) => Ok(Value::Bool(b.value)),
        Expr::Lit(Lit::Null(_)) => Ok(Value::Null),
        Expr::Tpl(tpl) => match template_string(tpl) {
            Some(value) => Ok(Value::String(value)),
            None => Err(unsupported("TemplateLiteral", tpl.span)),
        },
        Expr::Unary(unary) if unary.op == UnaryOp::Minus => match unwrap_extensions(&unary.arg) {
            Expr::Lit(Lit::Num(n)) => Ok(number(-n.value)),
            _ => Err(unsupported("UnaryExpression", unary.span)),
        },
        other => Err(unsupported(babel_type(other), other.span())),
    }
}

fn unsupported(babel_type: &str, span: swc_common::Span) -> Located {
    Located::new(
        span,
        format!("Unsupported AST node type for JSON conversion: {babel_type}"),
    )
}

/// A JS number as JSON: integers stay integers, and what `JSON.stringify` writes as `null`
/// (infinities, from literals such as `1e400`) is `null`.
fn number(x: f64) -> Value {
    const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < SAFE {
        #[allow(clippy::cast_possible_truncation)]
        return Value::from(x as i64);
    }
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}
