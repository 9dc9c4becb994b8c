//! `permsTypescriptFileToCode`: the rules a `instant.perms.ts` declares.

use instantdb_schema::perms::Rules;
use serde_json::Value;
use swc_common::Spanned;
use swc_ecma_ast::{Expr, Module};

use super::json::ast_to_json;
use super::{
    Context, Located, WalkResult, binding_name, default_export, top_level_declarations, unparen,
    unwrap_extensions,
};

const NO_RULES: &str = "Could not extract rules, did not find the rules variable declaration.";
const NOT_RULES: &str = "Could not extract rules";

pub(crate) fn walk(module: &Module, _context: &Context) -> WalkResult<Rules> {
    let (value, span) = rules_value(module)?;
    to_rules(value, span)
}

/// The rules the file default-exports, evaluated.
pub(crate) fn evaluate(
    evaluator: &super::eval::Evaluator<'_, '_>,
    module_span: swc_common::Span,
) -> Result<Rules, super::eval::Error> {
    let evaluated = evaluator.rules(module_span)?;
    Ok(to_rules(evaluated.json, evaluated.span)?)
}

/// [`walk`] without the conversion to [`Rules`]: any JSON value, as upstream returns it.
pub(crate) fn walk_value(module: &Module, _context: &Context) -> WalkResult<Value> {
    rules_value(module).map(|(value, _)| value)
}

/// [`evaluate`] without the conversion to [`Rules`]: `JSON.stringify` of whatever the file
/// default-exports (`undefined` prints as nothing, read here as `null`).
pub(crate) fn evaluate_value(
    evaluator: &super::eval::Evaluator<'_, '_>,
    module_span: swc_common::Span,
) -> Result<Value, super::eval::Error> {
    Ok(evaluator.rules(module_span)?.json)
}

fn to_rules(value: Value, span: swc_common::Span) -> WalkResult<Rules> {
    match &value {
        Value::Object(_) => {
            Rules::from_value(&value).map_err(|err| Located::new(span, err.to_string()))
        }
        other => Err(Located::new(
            span,
            format!(
                "Could not extract rules: the rules must be an object, got {}.",
                json_kind(other)
            ),
        )),
    }
}

/// The rules JSON and the span of the expression it came from.
fn rules_value(module: &Module) -> WalkResult<(Value, swc_common::Span)> {
    // Upstream: the first top-level single-declarator `rules` declaration.
    let first = top_level_declarations(module)
        .into_iter()
        .filter_map(|(declarators, _exported)| match declarators {
            [declarator] if binding_name(declarator) == Some("rules") => Some(declarator),
            _ => None,
        })
        .next();
    if let Some(declarator) = first {
        let Some(init) = declarator.init.as_deref() else {
            return Err(Located::new(declarator.span, NOT_RULES));
        };
        // Upstream requires `<expr> satisfies T` and converts `<expr>`, whatever it is.
        if let Expr::TsSatisfies(satisfies) = unparen(init) {
            return Ok((ast_to_json(&satisfies.expr)?, init.span()));
        }
        // Beyond upstream: `const rules: InstantRules = {...}` (or `{...} as const`).
        return match unwrap_extensions(init) {
            Expr::Object(_) => Ok((ast_to_json(init)?, init.span())),
            _ => Err(Located::new(init.span(), NOT_RULES)),
        };
    }
    // Beyond upstream: `export default {...} satisfies InstantRules`, or the default export of a
    // differently named variable.
    if let Some(expr) = default_export(module)
        && let Expr::Object(_) = unwrap_extensions(expr)
    {
        return Ok((ast_to_json(expr)?, expr.span()));
    }
    Err(Located::new(module.span.shrink_to_lo(), NO_RULES))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
