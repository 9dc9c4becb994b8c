//! Permission rules: Instant's CEL rules, compiled and evaluated with the `cel` crate.
//!
//! The server compiles each rule with Google's CEL for Java (`server/src/instant/model/rule.clj`,
//! `server/src/instant/db/cel.clj`); the emulator parses and runs the same text with cel-rust,
//! with the standard library and the `strings` and `math` extensions the server adds. On top of
//! CEL, what Instant changes is reproduced by rewriting the parsed expression before it runs:
//!
//! - `bind`: the `$default` then the entity's binds wrap the rule as `cel.bind(name, expr, body)`,
//!   only the binds the rule uses, in dependency order (`with-binds`, `sort-binds`); a cycle is
//!   `The binds have a cyclic dependency a -> b -> a`;
//! - maps (`data`, `newData`, `auth`, `ruleParams`, and the maps inside them) answer `null` for a
//!   missing key instead of failing (`CelMap` overrides `containsKey`), so `has(data.x)` is
//!   always true on a map, as upstream;
//! - `data.ref('link.attr')`, `newData.ref(...)` and `auth.ref('$user.link.attr')` are the lists of
//!   values reached through links; their arguments are string literals (resolved before the rule
//!   runs), and an `auth.ref` path must start with `$user.`;
//! - `timestamp(x)` accepts RFC 3339 text, a `YYYY-MM-DD` date or epoch milliseconds
//!   (`triple-model/parse-date-value`), and `t.getTime()` is the epoch seconds of a timestamp;
//! - `request.time` is the time of the request, `request.origin`/`request.ip` are `null`, and
//!   `request.modifiedFields` lists the attributes an update changes.
//!
//! Rules are checked when pushed (`validation-errors`): CEL syntax, references to undeclared
//! variables (`newData` only in create and update rules), `!` or `&&`/`||` applied to a literal of
//! the wrong type (the server's type checker), the `auth.ref` prefix, binds, field rules and
//! reserved namespaces, every error with its `in` path. A rule that fails to compile when it is
//! used is 400 `validation-failed` (`data-type` `permission`); one that fails while running is
//! 400 `permission-evaluation-failed` with the CEL error's kind, as upstream.
//!
//! Program lookup follows `get-program!`: `etype.allow.action`, `etype.allow.$default`,
//! `$default.allow.action`, `$default.allow.$default`, then the system-namespace fallbacks
//! (`$users` view/update: own user only, create: true; `$files`: false). No rule means allowed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use cel::common::ast::{CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedExpr, LiteralValue};
use cel::extractors::Arguments;
use cel::objects::{Key, Map};
use cel::{Context, Env, ExecutionError};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

/// The values a rule sees.
#[derive(Clone, Copy)]
pub(crate) struct RuleInput<'a> {
    /// The acting user's `$users` object, `None` for guests.
    pub(crate) auth: Option<&'a Value>,
    /// The entity (before the change for update/delete).
    pub(crate) data: &'a Value,
    /// The entity after the change (create and update).
    pub(crate) new_data: Option<&'a Value>,
    pub(crate) rule_params: &'a Value,
    /// Follows `data.ref(...)` / `auth.ref(...)` paths through the app's links.
    pub(crate) refs: &'a dyn RefResolver,
}

/// Whose links a `ref(...)` call follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RefSubject {
    /// `data.ref(...)` and `newData.ref(...)`: the entity the rule is about.
    Data,
    /// `auth.ref('$user....')`: the acting user's `$users` entity.
    Auth,
}

/// Resolves `ref` paths for the rule evaluator, which has no access to the data itself.
pub(crate) trait RefResolver {
    /// The values at the end of `path` (`link.link.attr`) from the subject, possibly empty.
    fn resolve(&self, subject: RefSubject, path: &str) -> Vec<Value>;
}

/// Finds the rule text for `etype`/`action`; `None` means "no rule: allowed".
pub(crate) fn program(perms: Option<&Value>, etype: &str, action: &str) -> Option<String> {
    program_at(perms, etype, action).map(|(code, _)| code)
}

/// The rule text and the path it was found at (`get-program!`'s `paths`); fallbacks have none.
fn program_at(
    perms: Option<&Value>,
    etype: &str,
    action: &str,
) -> Option<(String, Option<[String; 3]>)> {
    if let Some(code) = perms {
        for (ns, key) in [
            (etype, action),
            (etype, "$default"),
            ("$default", action),
            ("$default", "$default"),
        ] {
            let path = || Some([ns.to_owned(), "allow".to_owned(), key.to_owned()]);
            match code
                .get(ns)
                .and_then(|rules| rules.get("allow"))
                .and_then(|allow| allow.get(key))
            {
                Some(Value::String(text)) => return Some((text.clone(), path())),
                // `patch-code`: a boolean rule is its text.
                Some(Value::Bool(flag)) => return Some((flag.to_string(), path())),
                _ => {}
            }
        }
    }
    // `fallback-program`.
    let fallback = match (etype, action) {
        ("$users", "create") => "true",
        ("$users", "view" | "update") => {
            "auth.id == data.id || (data.linkedPrimaryUser != null && auth.id == data.linkedPrimaryUser)"
        }
        ("$files" | "$streams", _) | ("$users", _) => "false",
        _ => return None,
    };
    Some((fallback.to_owned(), None))
}

// ---- The environment ------------------------------------------------------------------------

/// The standard library with the extensions the server's compiler adds (`runtime-compiler-builder`:
/// `CelExtensions/strings` and `math`; `bindings` is the `cel.bind` rewrite below).
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    // Both only fail on a name declared twice, which the unit tests would show.
    let _ = env.add_extension(cel::extensions::strings);
    let _ = env.add_extension(cel::extensions::math);
    Arc::new(env)
});

/// The variables each action's compiler declares (`action->compiler`): `newData` only for
/// create and update (link/unlink rules are not evaluated by the emulator).
fn declared(action: &str, name: &str) -> bool {
    match name {
        "data" | "auth" | "ruleParams" | "request" | "rateLimit" => true,
        "newData" => !matches!(action, "view" | "delete"),
        _ => false,
    }
}

/// Global functions and macros of the environment, for the undeclared-reference check.
fn known_global(name: &str) -> bool {
    name.starts_with('@')
        || name.starts_with('_')
        || name.starts_with("math.")
        || name.starts_with("strings.")
        || name.starts_with("optional.")
        || matches!(
            name,
            "has"
                | "size"
                | "int"
                | "uint"
                | "double"
                | "string"
                | "bytes"
                | "bool"
                | "type"
                | "dyn"
                | "timestamp"
                | "duration"
                | "matches"
                | "max"
                | "min"
                | "!_"
                | "-_"
                | "strings.quote"
                | "math.greatest"
                | "math.least"
        )
}

// ---- Compiling ------------------------------------------------------------------------------

/// A compiled rule: the rewritten expression and the `ref` calls it needs resolved.
#[derive(Debug)]
struct Compiled {
    expr: IdedExpr,
    refs: Vec<(RefSubject, String)>,
}

/// `normalize-bind`: array or object form to `[name, expr, ...]`.
fn normalize_bind(bind: Option<&Value>) -> Vec<Value> {
    match bind {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(map)) => map
            .iter()
            .flat_map(|(name, expr)| [json!(name), expr.clone()])
            .collect(),
        _ => Vec::new(),
    }
}

/// Free identifiers of `expr`: the names it reads that no comprehension (or bind) defines.
fn free_idents(expr: &IdedExpr, bound: &mut Vec<String>, out: &mut BTreeSet<String>) {
    match &expr.expr {
        Expr::Ident(name) => {
            if !bound.iter().any(|b| b == name) {
                out.insert(name.clone());
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                free_idents(target, bound, out);
            }
            for arg in &call.args {
                free_idents(arg, bound, out);
            }
        }
        Expr::Select(select) => free_idents(&select.operand, bound, out),
        Expr::List(list) => {
            for element in &list.elements {
                free_idents(element, bound, out);
            }
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(entry) = &entry.expr {
                    free_idents(&entry.key, bound, out);
                    free_idents(&entry.value, bound, out);
                }
            }
        }
        Expr::Struct(structure) => {
            for entry in &structure.entries {
                if let EntryExpr::StructField(field) = &entry.expr {
                    free_idents(&field.value, bound, out);
                }
            }
        }
        Expr::Comprehension(comp) => {
            free_idents(&comp.iter_range, bound, out);
            free_idents(&comp.accu_init, bound, out);
            let depth = bound.len();
            bound.push(comp.accu_var.clone());
            bound.push(comp.iter_var.clone());
            if let Some(var) = &comp.iter_var2 {
                bound.push(var.clone());
            }
            free_idents(&comp.loop_cond, bound, out);
            free_idents(&comp.loop_step, bound, out);
            free_idents(&comp.result, bound, out);
            bound.truncate(depth);
        }
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Deepest bracket nesting, and longest run of unary operators, accepted before parsing: the
/// generated parser's prediction recurses on both and would exhaust a thread's stack first.
const MAX_NESTING: usize = 32;

/// Refuses input the parser cannot take without overflowing the stack (quotes are skipped).
fn too_deep(code: &str) -> bool {
    let (mut depth, mut run) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in code.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == '!' || c == '-' {
            run += 1;
            if run > MAX_NESTING {
                return true;
            }
        } else if !c.is_whitespace() {
            run = 0;
        }
    }
    false
}

fn parse(code: &str) -> Result<IdedExpr, Vec<String>> {
    if too_deep(code) {
        return Err(vec![format!(
            "expression recursion limit exceeded: more than {MAX_NESTING} nested levels"
        )]);
    }
    ENV.parser().parse(code).map_err(|errors| {
        errors
            .errors
            .iter()
            .map(|error| error.msg.clone())
            .collect()
    })
}

/// `with-binds`: wraps `expr` in the binds it uses, innermost first in dependency order.
fn with_binds(perms: &Value, etype: &str, expr: &str) -> Result<String, Vec<String>> {
    let mut binds = normalize_bind(perms.get("$default").and_then(|r| r.get("bind")));
    binds.extend(normalize_bind(perms.get(etype).and_then(|r| r.get("bind"))));
    if !binds.len().is_multiple_of(2) {
        return Err(vec![
            "bind should have an even number of elements".to_owned(),
        ]);
    }
    if binds.is_empty() {
        return Ok(expr.to_owned());
    }
    // `(apply hash-map binds)`: a later pair wins.
    let mut bind_map: HashMap<String, String> = HashMap::new();
    for pair in binds.chunks(2) {
        let name = pair[0]
            .as_str()
            .map_or_else(|| pair[0].to_string(), str::to_owned);
        let body = pair[1]
            .as_str()
            .map_or_else(|| pair[1].to_string(), str::to_owned);
        bind_map.insert(name, body);
    }
    let usages = |code: &str| -> Result<BTreeSet<String>, Vec<String>> {
        let mut free = BTreeSet::new();
        free_idents(&parse(code)?, &mut Vec::new(), &mut free);
        Ok(free
            .into_iter()
            .filter(|name| bind_map.contains_key(name))
            .collect())
    };
    // Breadth first from the rule, as upstream's loop: which binds are used, and what each uses.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut used: Vec<String> = Vec::new();
    let mut references: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut queue: Vec<(Option<String>, String)> = vec![(None, expr.to_owned())];
    while !queue.is_empty() {
        let (source, code) = queue.remove(0);
        let found = usages(&code)?;
        let new: Vec<String> = found.difference(&seen).cloned().collect();
        seen.extend(found.iter().cloned());
        used.extend(new.iter().cloned());
        if let Some(source) = source {
            references.insert(source, found);
        }
        for name in new {
            let body = bind_map.get(&name).cloned().unwrap_or_default();
            queue.push((Some(name), body));
        }
    }
    // `sort-binds`: depth-first, dependencies first; the wrapping below puts the first sorted
    // bind outermost... as upstream, `path` is built with `conj` on a list (prepending).
    let mut done: HashSet<String> = HashSet::new();
    let mut visiting: HashSet<String> = HashSet::new();
    let mut order: Vec<String> = Vec::new();
    fn visit(
        name: &str,
        trail: &mut Vec<String>,
        references: &HashMap<String, BTreeSet<String>>,
        done: &mut HashSet<String>,
        visiting: &mut HashSet<String>,
        order: &mut Vec<String>,
    ) -> Result<(), Vec<String>> {
        if done.contains(name) {
            return Ok(());
        }
        if visiting.contains(name) {
            return Err(vec![format!(
                "The binds have a cyclic dependency {}",
                trail.join(" -> ")
            )]);
        }
        visiting.insert(name.to_owned());
        for next in references.get(name).into_iter().flatten() {
            trail.push(next.clone());
            visit(next, trail, references, done, visiting, order)?;
            trail.pop();
        }
        done.insert(name.to_owned());
        order.push(name.to_owned());
        Ok(())
    }
    for name in &used {
        let mut trail = vec![name.clone()];
        visit(
            name,
            &mut trail,
            &references,
            &mut done,
            &mut visiting,
            &mut order,
        )?;
    }
    // Upstream reduces over the prepended list: the last visited bind wraps first (innermost),
    // so a bind's dependencies end up outside it.
    let mut body = expr.to_owned();
    for name in order.iter().rev() {
        let value = bind_map.get(name).cloned().unwrap_or_default();
        body = format!("cel.bind({name}, {value}, {body})");
    }
    Ok(body)
}

fn string_literal(expr: &IdedExpr) -> Option<String> {
    match &expr.expr {
        Expr::Literal(LiteralValue::String(text)) => Some(text.inner().to_owned()),
        _ => None,
    }
}

fn call(func: &str, target: Option<IdedExpr>, args: Vec<IdedExpr>, id: u64) -> IdedExpr {
    IdedExpr {
        id,
        expr: Expr::Call(CallExpr {
            func_name: func.to_owned(),
            target: target.map(Box::new),
            args,
        }),
    }
}

fn literal_string(text: &str, id: u64) -> IdedExpr {
    IdedExpr {
        id,
        expr: Expr::Literal(LiteralValue::String(text.to_owned().into())),
    }
}

/// Rewrites a parsed rule into what the emulator runs (see the module docs), collecting the
/// `ref` calls and compile errors on the way.
struct Rewriter<'a> {
    action: &'a str,
    refs: Vec<(RefSubject, String)>,
    errors: Vec<String>,
    bound: Vec<String>,
}

impl Rewriter<'_> {
    fn rewrite(&mut self, expr: IdedExpr) -> IdedExpr {
        let id = expr.id;
        match expr.expr {
            Expr::Ident(name) => {
                if !self.bound.contains(&name) && !declared(self.action, &name) {
                    self.errors.push(format!(
                        "undeclared reference to '{name}' (in container '')"
                    ));
                }
                IdedExpr {
                    id,
                    expr: Expr::Ident(name),
                }
            }
            Expr::Select(select) => {
                let operand = self.rewrite(*select.operand);
                let func = if select.test { "@has" } else { "@field" };
                call(
                    func,
                    None,
                    vec![operand, literal_string(&select.field, id)],
                    id,
                )
            }
            Expr::Call(mut call_expr) => {
                let name = call_expr.func_name.clone();
                // `cel.bind(name, init, body)`: a comprehension over nothing whose accumulator
                // is the bound name, as CEL's bindings extension expands it.
                if name == "bind"
                    && call_expr.args.len() == 3
                    && matches!(call_expr.target.as_deref(), Some(IdedExpr { expr: Expr::Ident(t), .. }) if t == "cel")
                {
                    let mut args = call_expr.args.into_iter();
                    let (var, init, body) = (args.next(), args.next(), args.next());
                    let (Some(var), Some(init), Some(body)) = (var, init, body) else {
                        return IdedExpr::default();
                    };
                    let Expr::Ident(var) = var.expr else {
                        self.errors
                            .push("cel.bind() variable names must be simple identifiers".into());
                        return IdedExpr::default();
                    };
                    let init = self.rewrite(init);
                    self.bound.push(var.clone());
                    let body = self.rewrite(body);
                    self.bound.pop();
                    return IdedExpr {
                        id,
                        expr: Expr::Comprehension(Box::new(ComprehensionExpr {
                            iter_range: IdedExpr {
                                id,
                                expr: Expr::List(cel::common::ast::ListExpr::new(Vec::new())),
                            },
                            iter_var: "#unused".to_owned(),
                            iter_var2: None,
                            accu_var: var,
                            accu_init: init,
                            loop_cond: IdedExpr {
                                id,
                                expr: Expr::Literal(LiteralValue::Boolean(false.into())),
                            },
                            loop_step: IdedExpr {
                                id,
                                expr: Expr::Ident("#unused".to_owned()),
                            },
                            result: body,
                        })),
                    };
                }
                if name == "ref" && call_expr.target.is_some() {
                    let subject = match call_expr.target.as_deref() {
                        Some(IdedExpr {
                            expr: Expr::Ident(t),
                            ..
                        }) if t == "auth" => Some(RefSubject::Auth),
                        Some(IdedExpr {
                            expr: Expr::Ident(t),
                            ..
                        }) if t == "data" || t == "newData" => Some(RefSubject::Data),
                        _ => None,
                    };
                    let path = call_expr.args.first().and_then(string_literal);
                    if subject == Some(RefSubject::Auth)
                        && !path.as_deref().is_some_and(|p| p.starts_with("$user."))
                    {
                        // `auth-ref-validator`.
                        self.errors
                            .push("auth.ref arg must start with `$user.`".to_owned());
                    }
                    if let Some(target) = call_expr.target.take() {
                        // Still checks that the target is declared (`newData` in a view rule).
                        self.rewrite(*target);
                    }
                    return match (subject, path) {
                        (Some(subject), Some(path)) if call_expr.args.len() == 1 => {
                            let index = self.refs.len();
                            self.refs.push((subject, path));
                            IdedExpr {
                                id,
                                expr: Expr::Ident(format!("@ref{index}")),
                            }
                        }
                        _ => {
                            self.errors.push(
                                "ref() takes one string literal, on data, newData or auth"
                                    .to_owned(),
                            );
                            IdedExpr::default()
                        }
                    };
                }
                // `math.greatest(...)`, `strings.quote(...)`: a namespace, not a variable.
                let namespaced = matches!(call_expr.target.as_deref(), Some(IdedExpr { expr: Expr::Ident(t), .. }) if matches!(t.as_str(), "math" | "strings" | "optional"));
                let target = if namespaced {
                    call_expr.target.take().map(|t| *t)
                } else {
                    call_expr.target.take().map(|t| self.rewrite(*t))
                };
                let args: Vec<IdedExpr> = std::mem::take(&mut call_expr.args)
                    .into_iter()
                    .map(|arg| self.rewrite(arg))
                    .collect();
                self.check_literal_operands(&name, &args);
                match (name.as_str(), target) {
                    ("timestamp", None) if args.len() == 1 => call("@timestamp", None, args, id),
                    ("getTime", Some(target)) if args.is_empty() => {
                        call("@getTime", None, vec![target], id)
                    }
                    ("_[_]", None) if args.len() == 2 => call("@index", None, args, id),
                    (_, None) if !known_global(&name) => {
                        self.errors.push(format!(
                            "undeclared reference to '{name}' (in container '')"
                        ));
                        call(&name, None, args, id)
                    }
                    (_, target) => call(&name, target, args, id),
                }
            }
            Expr::List(mut list) => {
                list.elements = std::mem::take(&mut list.elements)
                    .into_iter()
                    .map(|e| self.rewrite(e))
                    .collect();
                IdedExpr {
                    id,
                    expr: Expr::List(list),
                }
            }
            Expr::Map(mut map) => {
                for entry in &mut map.entries {
                    if let EntryExpr::MapEntry(entry) = &mut entry.expr {
                        entry.key = self.rewrite(std::mem::take(&mut entry.key));
                        entry.value = self.rewrite(std::mem::take(&mut entry.value));
                    }
                }
                IdedExpr {
                    id,
                    expr: Expr::Map(map),
                }
            }
            Expr::Comprehension(comp) => {
                let comp = *comp;
                let iter_range = self.rewrite(comp.iter_range);
                let accu_init = self.rewrite(comp.accu_init);
                let depth = self.bound.len();
                self.bound.push(comp.accu_var.clone());
                self.bound.push(comp.iter_var.clone());
                if let Some(var) = &comp.iter_var2 {
                    self.bound.push(var.clone());
                }
                let loop_cond = self.rewrite(comp.loop_cond);
                let loop_step = self.rewrite(comp.loop_step);
                let result = self.rewrite(comp.result);
                self.bound.truncate(depth);
                IdedExpr {
                    id,
                    expr: Expr::Comprehension(Box::new(ComprehensionExpr {
                        iter_range,
                        accu_init,
                        loop_cond,
                        loop_step,
                        result,
                        ..comp
                    })),
                }
            }
            other => IdedExpr { id, expr: other },
        }
    }

    /// The server's type checker on what it can see without types: a logical operator applied
    /// to a literal of another type (`rule_test.clj` `invalid-syntax-fails`).
    fn check_literal_operands(&mut self, name: &str, args: &[IdedExpr]) {
        let kind = |e: &IdedExpr| match &e.expr {
            Expr::Literal(LiteralValue::Boolean(_)) => Some("bool"),
            Expr::Literal(LiteralValue::Int(_)) => Some("int"),
            Expr::Literal(LiteralValue::UInt(_)) => Some("uint"),
            Expr::Literal(LiteralValue::Double(_)) => Some("double"),
            Expr::Literal(LiteralValue::String(_)) => Some("string"),
            Expr::Literal(LiteralValue::Bytes(_)) => Some("bytes"),
            Expr::Literal(LiteralValue::Null) => Some("null_type"),
            Expr::List(_) => Some("list(dyn)"),
            Expr::Map(_) => Some("map(dyn, dyn)"),
            _ => None,
        };
        match name {
            "!_" => {
                if let Some(k) = args.first().and_then(kind).filter(|k| *k != "bool") {
                    self.errors.push(format!(
                        "found no matching overload for '!_' applied to '({k})' (candidates: (bool))"
                    ));
                }
            }
            "_&&_" | "_||_" => {
                let kinds: Vec<Option<&str>> = args.iter().map(kind).collect();
                if kinds.iter().any(|k| k.is_some_and(|k| k != "bool")) {
                    let shown: Vec<&str> = kinds.iter().map(|k| k.unwrap_or("dyn")).collect();
                    self.errors.push(format!(
                        "found no matching overload for '{name}' applied to '({})' (candidates: (bool, bool))",
                        shown.join(", ")
                    ));
                }
            }
            _ => {}
        }
    }
}

/// Compiles a rule (binds already applied) for `action`: the errors are the server's CEL
/// issue messages.
fn compile(action: &str, code: &str) -> Result<Compiled, Vec<String>> {
    let expr = parse(code)?;
    let mut rewriter = Rewriter {
        action,
        refs: Vec::new(),
        errors: Vec::new(),
        bound: Vec::new(),
    };
    let expr = rewriter.rewrite(expr);
    if rewriter.errors.is_empty() {
        Ok(Compiled {
            expr,
            refs: rewriter.refs,
        })
    } else {
        Err(rewriter.errors)
    }
}

/// Compiled programs by `(action, code with binds)`, as upstream's `program-cache`: a query
/// evaluates the same rule once per entity.
static PROGRAMS: LazyLock<std::sync::Mutex<ProgramCache>> = LazyLock::new(Default::default);

type ProgramCache = HashMap<(String, String), Arc<Compiled>>;

/// Entries kept before the cache starts over (upstream keeps 2048, least recently used).
const PROGRAM_CACHE_SIZE: usize = 2048;

/// Compiles the rule of `etype.allow.action` with its binds.
fn compile_rule(
    perms: Option<&Value>,
    etype: &str,
    action: &str,
    code: &str,
) -> Result<Arc<Compiled>, Vec<String>> {
    let code = match perms {
        Some(perms) => with_binds(perms, etype, code)?,
        None => code.to_owned(),
    };
    let key = (action.to_owned(), code);
    // A poisoned lock only means another thread panicked mid-insert: the map is still valid.
    let cached = PROGRAMS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
        .cloned();
    if let Some(compiled) = cached {
        return Ok(compiled);
    }
    let compiled = Arc::new(compile(action, &key.1)?);
    let mut programs = PROGRAMS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if programs.len() >= PROGRAM_CACHE_SIZE {
        programs.clear();
    }
    programs.insert(key, Arc::clone(&compiled));
    Ok(compiled)
}

// ---- Evaluating -----------------------------------------------------------------------------

/// JSON into CEL: integers are `int` (the server reads JSON numbers as longs), other numbers
/// `double`.
fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(flag) => cel::Value::Bool(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(int) => cel::Value::Int(int),
            None => cel::Value::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => cel::Value::String(Arc::new(text.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let entries: std::collections::HashMap<Key, cel::Value> = map
                .iter()
                .map(|(key, value)| (Key::from(key.clone()), to_cel(value)))
                .collect();
            cel::Value::Map(Map {
                map: Arc::new(entries),
            })
        }
    }
}

fn map_key(key: &cel::Value) -> Option<Key> {
    match key {
        cel::Value::String(text) => Some(Key::String(text.clone())),
        cel::Value::Int(int) => Some(Key::Int(*int)),
        cel::Value::UInt(uint) => Some(Key::Uint(*uint)),
        cel::Value::Bool(flag) => Some(Key::Bool(*flag)),
        _ => None,
    }
}

/// `a.b` on a map: the value, or `null` when missing (`CelMap`).
fn field(Arguments(args): Arguments) -> Result<cel::Value, ExecutionError> {
    match (args.first(), args.get(1)) {
        (Some(cel::Value::Map(map)), Some(key)) => Ok(map_key(key)
            .and_then(|key| map.map.get(&key).cloned())
            .unwrap_or(cel::Value::Null)),
        (Some(cel::Value::Null), Some(cel::Value::String(key))) => {
            Err(ExecutionError::NoSuchKey(key.clone()))
        }
        (Some(other), Some(cel::Value::String(key))) => Err(ExecutionError::function_error(
            "select",
            format!("no such field '{key}' on {:?}", other.type_of()),
        )),
        _ => Err(ExecutionError::MissingArgumentOrTarget),
    }
}

/// `has(a.b)`: always true on a map (`CelMap` answers `containsKey` with true).
fn has(Arguments(args): Arguments) -> Result<cel::Value, ExecutionError> {
    match args.first() {
        Some(cel::Value::Map(_)) => Ok(cel::Value::Bool(true)),
        Some(other) => Err(ExecutionError::function_error(
            "has",
            format!("invalid type for field selection: {:?}", other.type_of()),
        )),
        None => Err(ExecutionError::MissingArgumentOrTarget),
    }
}

/// `a[k]`: maps answer `null` for a missing key; lists index as usual.
fn index(Arguments(args): Arguments) -> Result<cel::Value, ExecutionError> {
    match (args.first(), args.get(1)) {
        (Some(cel::Value::Map(map)), Some(key)) => Ok(map_key(key)
            .and_then(|key| map.map.get(&key).cloned())
            .unwrap_or(cel::Value::Null)),
        (Some(cel::Value::List(items)), Some(position)) => {
            let at = match position {
                cel::Value::Int(i) => usize::try_from(*i).ok(),
                cel::Value::UInt(u) => usize::try_from(*u).ok(),
                cel::Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 => Some(*f as usize),
                _ => None,
            };
            at.and_then(|at| items.get(at).cloned())
                .ok_or_else(|| ExecutionError::IndexOutOfBounds(position.clone()))
        }
        (Some(target), Some(key)) => Err(ExecutionError::UnsupportedIndex(
            key.clone(),
            target.clone(),
        )),
        _ => Err(ExecutionError::MissingArgumentOrTarget),
    }
}

/// `timestamp(x)` as `triple-model/parse-date-value`: RFC 3339, a bare date, or epoch ms.
fn timestamp(Arguments(args): Arguments) -> Result<cel::Value, ExecutionError> {
    use cel::objects::Value as V;
    let utc = chrono_utc();
    let parsed = match args.first() {
        Some(V::Timestamp(t)) => Some(*t),
        Some(V::Int(ms)) => {
            chrono::DateTime::from_timestamp_millis(*ms).map(|t| t.with_timezone(&utc))
        }
        Some(V::Float(ms)) => {
            chrono::DateTime::from_timestamp_millis(*ms as i64).map(|t| t.with_timezone(&utc))
        }
        Some(V::String(text)) => chrono::DateTime::parse_from_rfc3339(text).ok().or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|date| date.and_hms_opt(0, 0, 0))
                .map(|naive| naive.and_utc().with_timezone(&utc))
        }),
        _ => None,
    };
    parsed.map(V::Timestamp).ok_or_else(|| {
        ExecutionError::function_error(
            "timestamp",
            format!("Unable to parse {:?} as a date", args.first()),
        )
    })
}

fn chrono_utc() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is a valid offset"))
}

/// `t.getTime()`: epoch seconds (`proto/timestamp->epoch-seconds`).
fn get_time(Arguments(args): Arguments) -> Result<cel::Value, ExecutionError> {
    match args.first() {
        Some(cel::Value::Timestamp(t)) => Ok(cel::Value::Int(t.timestamp())),
        other => Err(ExecutionError::function_error(
            "getTime",
            format!("expected a timestamp, got {other:?}"),
        )),
    }
}

/// The error kind the server reports (`CelErrorCode` names).
fn error_kind(error: &ExecutionError) -> &'static str {
    match error {
        ExecutionError::NoSuchKey(_) | ExecutionError::UndeclaredReference(_) => {
            "ATTRIBUTE_NOT_FOUND"
        }
        ExecutionError::DivisionByZero(_) | ExecutionError::RemainderByZero(_) => "DIVIDE_BY_ZERO",
        ExecutionError::Overflow(..) => "NUMERIC_OVERFLOW",
        ExecutionError::IndexOutOfBounds(_) => "INDEX_OUT_OF_BOUNDS",
        ExecutionError::FunctionError { .. } => "BAD_FORMAT",
        ExecutionError::InternalError(_) => "INTERNAL_ERROR",
        _ => "NO_MATCHING_OVERLOAD",
    }
}

/// The attributes an update changes (`request.modifiedFields`).
fn modified_fields(data: &Value, new_data: Option<&Value>) -> Vec<Value> {
    let (Some(Value::Object(before)), Some(Value::Object(after))) = (Some(data), new_data) else {
        return Vec::new();
    };
    after
        .iter()
        .filter(|(key, value)| key.as_str() != "id" && before.get(*key) != Some(*value))
        .map(|(key, _)| json!(key))
        .collect()
}

fn evaluate(
    compiled: &Compiled,
    action: &str,
    input: &RuleInput<'_>,
) -> Result<cel::Value, ExecutionError> {
    let mut context = Context::with_env(Arc::clone(&ENV));
    let empty = json!({});
    context.add_variable_from_value("auth", to_cel(input.auth.unwrap_or(&empty)));
    context.add_variable_from_value("data", to_cel(input.data));
    context.add_variable_from_value("ruleParams", to_cel(input.rule_params));
    context.add_variable_from_value("rateLimit", to_cel(&empty));
    if declared(action, "newData") {
        // A create rule's `newData` is the entity being created, as its `data` is.
        context.add_variable_from_value("newData", to_cel(input.new_data.unwrap_or(input.data)));
    }
    let now = chrono::Utc::now().with_timezone(&chrono_utc());
    let mut request = std::collections::HashMap::new();
    request.insert(Key::from("time".to_owned()), cel::Value::Timestamp(now));
    request.insert(Key::from("origin".to_owned()), cel::Value::Null);
    request.insert(Key::from("ip".to_owned()), cel::Value::Null);
    request.insert(
        Key::from("modifiedFields".to_owned()),
        to_cel(&Value::Array(modified_fields(input.data, input.new_data))),
    );
    context.add_variable_from_value(
        "request",
        cel::Value::Map(Map {
            map: Arc::new(request),
        }),
    );
    for (index, (subject, path)) in compiled.refs.iter().enumerate() {
        let path = match subject {
            RefSubject::Auth => path.as_str(),
            RefSubject::Data => path.as_str(),
        };
        // A guest has no `$users` entity: `auth.ref(...)` is empty (`ref-impl` on a null id).
        let values = if *subject == RefSubject::Auth && input.auth.is_none() {
            Vec::new()
        } else {
            input.refs.resolve(*subject, path)
        };
        context.add_variable_from_value(format!("@ref{index}"), to_cel(&Value::Array(values)));
    }
    let _ = context.add_function("@field", field);
    let _ = context.add_function("@has", has);
    let _ = context.add_function("@index", index);
    let _ = context.add_function("@timestamp", timestamp);
    let _ = context.add_function("@getTime", get_time);
    context.resolve(&compiled.expr)
}

/// Whether `action` on `etype` is allowed for `input`.
pub(crate) fn allowed(
    perms: Option<&Value>,
    etype: &str,
    action: &str,
    input: &RuleInput<'_>,
) -> ApiResult<bool> {
    let Some((code, path)) = program_at(perms, etype, action) else {
        return Ok(true);
    };
    let compiled =
        compile_rule(perms.filter(|_| path.is_some()), etype, action, &code).map_err(|errors| {
            // `get-program!`: 400 validation-failed for the path the rule was found at.
            ApiError::validation(
                "permission",
                json!(path.clone().map_or_else(
                    || vec![etype.to_owned(), "allow".to_owned(), action.to_owned()],
                    |p| p.to_vec()
                )),
                errors
                    .into_iter()
                    .map(|message| json!({ "message": message }))
                    .collect(),
            )
        })?;
    match evaluate(&compiled, action, input) {
        Ok(cel::Value::Bool(result)) => Ok(result),
        // `eval-program-with-bindings`: null is nil, which denies.
        Ok(cel::Value::Null) => Ok(false),
        Ok(other) => Err(ApiError::permission_evaluation_failed_kind(
            etype,
            action,
            "NO_MATCHING_OVERLOAD",
            &format!(
                "The rule returned a {} instead of a boolean",
                other.type_of()
            ),
        )),
        Err(error) => Err(ApiError::permission_evaluation_failed_kind(
            etype,
            action,
            error_kind(&error),
            &error.to_string(),
        )),
    }
}

// ---- Validation of pushed rules -------------------------------------------------------------

/// `bind-validation-errors`.
fn bind_validation_errors(rules: &serde_json::Map<String, Value>) -> Vec<Value> {
    let mut errors = Vec::new();
    for (etype, rule) in rules {
        let bind = normalize_bind(rule.get("bind"));
        if !bind.len().is_multiple_of(2) {
            errors.push(json!({"message": "bind should have an even number of elements", "in": [etype, "bind"]}));
            continue;
        }
        let mut seen = HashSet::new();
        for pair in bind.chunks(2) {
            let name = pair[0]
                .as_str()
                .map_or_else(|| pair[0].to_string(), str::to_owned);
            if !seen.insert(name.clone()) {
                errors.push(json!({"message": "bind should only contain a given variable name once", "in": [etype, "bind", name]}));
                break;
            }
        }
    }
    errors
}

/// `expr-validation-errors` for the rule at `path`, if there is one.
fn expr_validation_errors(rules: &Value, etype: &str, action: &str, path: &[&str]) -> Vec<Value> {
    let Some(raw) = rules
        .get(path[0])
        .and_then(|r| r.get(path[1]))
        .and_then(|r| r.get(path[2]))
    else {
        return Vec::new();
    };
    let code = match raw {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => return Vec::new(),
        _ => {
            return vec![
                json!({"message": "There was an unexpected error evaluating the rules", "in": path}),
            ];
        }
    };
    match compile_rule(Some(rules), etype, action, &code) {
        Ok(_) => Vec::new(),
        Err(messages) => messages
            .into_iter()
            .map(|message| json!({ "message": message, "in": path }))
            .collect(),
    }
}

/// `rule-model/validation-errors`: binds, then every etype's four rules (reserved namespaces,
/// `$users.allow.delete`, CEL), then field rules, then `$rateLimits`, each with its `in` path.
pub(crate) fn validation_errors(code: &Value) -> Vec<Value> {
    let Some(rules) = code.as_object() else {
        return vec![json!({"message": "Rules must be an object.", "in": []})];
    };
    let mut errors = bind_validation_errors(rules);
    for etype in rules.keys().filter(|k| k.as_str() != "$rateLimits") {
        for action in ["view", "create", "update", "delete"] {
            let path = [etype.as_str(), "allow", action];
            if etype == "$users" {
                if action == "delete" {
                    let rule = rules[etype].get("allow").and_then(|a| a.get("delete"));
                    if rule.is_some_and(|r| !r.is_null() && r != "false") {
                        errors.push(json!({
                            "message": "The $users namespace doesn't support permissions for delete. Set `$users.allow.delete` to `\"false\"`.",
                            "in": path,
                        }));
                    }
                    continue;
                }
            } else if etype.starts_with('$')
                && !matches!(
                    etype.as_str(),
                    "$files" | "$default" | "$streams" | "$rateLimits"
                )
            {
                errors.push(json!({
                    "message": format!("The {etype} namespace is a reserved internal namespace that does not yet support rules."),
                    "in": path,
                }));
                continue;
            }
            errors.extend(expr_validation_errors(code, etype, action, &path));
        }
    }
    for (etype, rule) in rules {
        let Some(fields) = rule.get("fields").and_then(Value::as_object) else {
            continue;
        };
        for field in fields.keys() {
            if field == "id" {
                errors.push(json!({
                    "in": [etype, "fields"],
                    "message": format!("You cannot set field rules for `id`. Use {etype} -> allow -> view instead"),
                }));
                continue;
            }
            errors.extend(expr_validation_errors(
                code,
                etype,
                "view",
                &[etype, "fields", field],
            ));
        }
    }
    match rules.get("$rateLimits") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => {
            errors.push(json!({"message": "$rateLimits must be an object", "in": ["$rateLimits"]}))
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Refs;

    impl RefResolver for Refs {
        fn resolve(&self, subject: RefSubject, path: &str) -> Vec<Value> {
            match (subject, path) {
                (RefSubject::Data, "members.id") => vec![json!("u1"), json!("u2")],
                (RefSubject::Auth, "$user.roles.name") => vec![json!("admin")],
                _ => Vec::new(),
            }
        }
    }

    fn check(rule: &str, auth: Option<Value>, data: Value) -> ApiResult<bool> {
        let perms = json!({"goals": {"allow": {"view": rule}, "bind": ["isOwner", "auth.id == data.creatorId"]}});
        let input = RuleInput {
            auth: auth.as_ref(),
            data: &data,
            new_data: None,
            rule_params: &json!({"secret": "s"}),
            refs: &Refs,
        };
        allowed(Some(&perms), "goals", "view", &input)
    }

    #[test]
    fn evaluates_the_documented_forms() {
        let user = json!({"id": "u1", "email": "a@b.c"});
        assert!(check("true", None, json!({})).unwrap());
        assert!(!check("false", None, json!({})).unwrap());
        assert!(check("auth.id != null", Some(user.clone()), json!({})).unwrap());
        assert!(!check("auth.id != null", None, json!({})).unwrap());
        assert!(
            check(
                "auth.id == data.creatorId",
                Some(user.clone()),
                json!({"creatorId": "u1"})
            )
            .unwrap()
        );
        assert!(check("isOwner", Some(user.clone()), json!({"creatorId": "u1"})).unwrap());
        assert!(
            !check(
                "isOwner || false",
                Some(user.clone()),
                json!({"creatorId": "u2"})
            )
            .unwrap()
        );
        assert!(
            check(
                "ruleParams.secret == 's' && !(data.n > 3)",
                None,
                json!({"n": 2})
            )
            .unwrap()
        );
        assert!(
            check(
                "auth.email in ['a@b.c', 'x']",
                Some(user.clone()),
                json!({})
            )
            .unwrap()
        );
        assert!(
            check(
                "auth.id in data.ref('members.id')",
                Some(user.clone()),
                json!({})
            )
            .unwrap()
        );
        assert!(
            check(
                "'admin' in auth.ref('$user.roles.name')",
                Some(user.clone()),
                json!({})
            )
            .unwrap()
        );
        assert!(!check("'admin' in data.ref('members.id')", Some(user), json!({})).unwrap());
        assert!(check("auth.ref('roles.name') == []", None, json!({})).is_err());
    }

    #[test]
    fn full_cel_method_calls_macros_and_arithmetic() {
        let user = json!({"id": "u1", "email": "ada@example.com"});
        let data = json!({"path": "public/a.png", "n": 4, "tags": ["x", "y"], "meta": {"k": 1}});
        let ok = |rule: &str| check(rule, Some(user.clone()), data.clone()).unwrap();
        assert!(ok("data.path.startsWith('public/')"));
        assert!(ok("auth.email.endsWith('@example.com')"));
        assert!(ok("size(data.tags) == 2 && data.tags.size() == 2"));
        assert!(ok("data.path.matches('^public/.*\\\\.png$')"));
        assert!(ok("'x' in data.tags && 'k' in data.meta"));
        assert!(ok(
            "data.tags.exists(t, t == 'y') && data.tags.all(t, size(t) == 1)"
        ));
        assert!(ok("data.n * 2 + 1 == 9 && data.n % 3 == 1"));
        assert!(ok("(data.n > 3 ? 'big' : 'small') == 'big'"));
        assert!(ok("'a' + 'b' == 'ab'"));
        assert!(ok("auth.email.lowerAscii() == 'ada@example.com'"));
        assert!(ok("math.greatest(1, data.n) == 4"));
        assert!(ok("data.tags.map(t, t + '!') == ['x!', 'y!']"));
        assert!(ok("timestamp('2024-01-02T00:00:00Z') < request.time"));
        assert!(ok("timestamp(1700000000000).getTime() == 1700000000"));
        assert!(ok(
            "timestamp('2024-01-02') == timestamp('2024-01-02T00:00:00Z')"
        ));
        // Instant's maps: a missing key is null, and `has` is always true on a map.
        assert!(ok("data.missing == null && has(data.missing)"));
        assert!(ok("data['missing'] == null && data.meta.k == 1"));
        assert!(ok("cel.bind(x, data.n, x + x == 8)"));
    }

    #[test]
    fn evaluation_errors_carry_the_cel_error_kind() {
        let err = check("data.n / 0 == 1", None, json!({"n": 1})).unwrap_err();
        assert_eq!(err.kind(), Some("permission-evaluation-failed"));
        assert!(err.message().contains("goals.view"), "{}", err.message());
        assert_eq!(
            err.envelope_json()["hint"]["error"]["type"],
            "DIVIDE_BY_ZERO"
        );
        let err = check("data.owner.name == 'x'", None, json!({})).unwrap_err();
        assert_eq!(
            err.envelope_json()["hint"]["error"]["type"],
            "ATTRIBUTE_NOT_FOUND"
        );
        let err = check("data.n + 'a' == 1", None, json!({"n": 1})).unwrap_err();
        assert_eq!(err.kind(), Some("permission-evaluation-failed"));
        assert!(!check("null", None, json!({})).unwrap(), "null denies");
        let err = check("'yes'", None, json!({})).unwrap_err();
        assert_eq!(err.kind(), Some("permission-evaluation-failed"));
    }

    #[test]
    fn compile_errors_are_validation_failures_at_the_rule_path() {
        let err = check("unknownName", None, json!({})).unwrap_err();
        assert_eq!(err.kind(), Some("validation-failed"));
        let body = err.envelope_json();
        assert_eq!(body["hint"]["data-type"], "permission");
        assert_eq!(body["hint"]["input"], json!(["goals", "allow", "view"]));
        assert_eq!(
            body["hint"]["errors"][0]["message"],
            "undeclared reference to 'unknownName' (in container '')"
        );
        // `newData` is only declared for create and update.
        assert!(check("newData.x == 1", None, json!({})).is_err());
        assert!(check("data.x ==", None, json!({})).is_err());
        let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(check(&deep, None, json!({})).is_err());
        assert!(check(&"!".repeat(10_000), None, json!({})).is_err());
    }

    /// `server/test/instant/model/rule_test.clj`, case for case.
    #[test]
    fn validation_errors_match_upstream_rule_test() {
        let v = |rules: Value| validation_errors(&rules);
        // does-not-allow-cyclic-dependencies
        assert_eq!(
            v(json!({"myetype": {"bind": ["a", "b", "b", "a"], "allow": {"view": "a"}}})),
            vec![
                json!({"message": "The binds have a cyclic dependency a -> b -> a", "in": ["myetype", "allow", "view"]})
            ]
        );
        // validation-errors-passes
        assert!(
            v(json!({"myetype": {"bind": ["parent", "true", "child", "parent || true"], "allow": {"view": "parent"}}}))
                .is_empty()
        );
        // rate-limit-validation-rejects-non-object
        assert_eq!(
            v(json!({"$rateLimits": "bad"})),
            vec![json!({"message": "$rateLimits must be an object", "in": ["$rateLimits"]})]
        );
        assert!(v(json!({"$rateLimits": null})).is_empty());
        assert!(v(json!({})).is_empty());
        // can-set-create-view-update-rules-for-users
        assert!(v(json!({"$users": {"allow": {"create": "true"}}})).is_empty());
        assert!(v(json!({"$users": {"allow": {"view": "true", "update": "true"}}})).is_empty());
        assert!(!v(json!({"$users": {"allow": {"delete": "true"}}})).is_empty());
        // cant-write-rules-for-system-attrs
        let codes = v(json!({"$codes": {"allow": {"update": "true"}}}));
        assert_eq!(codes.len(), 4);
        assert_eq!(
            codes[3],
            json!({"message": "The $codes namespace is a reserved internal namespace that does not yet support rules.", "in": ["$codes", "allow", "delete"]})
        );
        // invalid-syntax-fails
        assert_eq!(
            v(json!({"myetype": {"allow": {"view": "!10"}}})),
            vec![
                json!({"message": "found no matching overload for '!_' applied to '(int)' (candidates: (bool))", "in": ["myetype", "allow", "view"]})
            ]
        );
        // invalid-auth-ref-fails
        assert_eq!(
            v(json!({"myetype": {"allow": {"view": "1 in auth.ref('$users.id')"}}})),
            vec![
                json!({"message": "auth.ref arg must start with `$user.`", "in": ["myetype", "allow", "view"]})
            ]
        );
        // duplicate-bind-fails
        assert_eq!(
            v(
                json!({"myetype": {"bind": ["duplicate", "true", "duplicate", "false"], "allow": {"view": "duplicate"}}})
            ),
            vec![
                json!({"message": "bind should only contain a given variable name once", "in": ["myetype", "bind", "duplicate"]})
            ]
        );
        // uneven-binds-fail
        assert_eq!(
            v(
                json!({"myetype": {"bind": ["duplicate"], "allow": {"view": "true"}}, "new-etype": {"allow": {"view": "true"}}})
            ),
            vec![
                json!({"message": "bind should have an even number of elements", "in": ["myetype", "bind"]}),
                json!({"message": "bind should have an even number of elements", "in": ["myetype", "allow", "view"]}),
            ]
        );
        // fields-cannot-set-id and field-programs-validate
        assert_eq!(
            v(json!({"myetype": {"fields": {"id": "1 + 1"}}})),
            vec![
                json!({"in": ["myetype", "fields"], "message": "You cannot set field rules for `id`. Use myetype -> allow -> view instead"})
            ]
        );
        assert_eq!(
            v(json!({"myetype": {"fields": {"email": "!10"}}})),
            vec![
                json!({"message": "found no matching overload for '!_' applied to '(int)' (candidates: (bool))", "in": ["myetype", "fields", "email"]})
            ]
        );
    }

    /// `rule_test.clj` `bind-ordering`: only used binds, dependencies outside.
    #[test]
    fn binds_wrap_in_dependency_order() {
        let perms = json!({"myetype": {"bind": ["parent", "true", "child", "parent || true"]}});
        assert_eq!(with_binds(&perms, "myetype", "true").unwrap(), "true");
        assert_eq!(
            with_binds(&perms, "myetype", "parent").unwrap(),
            "cel.bind(parent, true, parent)"
        );
        assert_eq!(
            with_binds(&perms, "myetype", "child").unwrap(),
            "cel.bind(parent, true, cel.bind(child, parent || true, child))"
        );
    }

    #[test]
    fn lookup_order_and_fallbacks() {
        let perms = json!({"$default": {"allow": {"$default": "false"}}, "goals": {"allow": {"view": "true"}}});
        assert_eq!(
            program(Some(&perms), "goals", "view").as_deref(),
            Some("true")
        );
        assert_eq!(
            program(Some(&perms), "goals", "create").as_deref(),
            Some("false")
        );
        assert_eq!(program(None, "goals", "view"), None);
        assert_eq!(program(None, "$files", "view").as_deref(), Some("false"));
    }
}
