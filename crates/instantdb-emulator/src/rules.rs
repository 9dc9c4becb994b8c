//! Permission rules: the subset of Instant's CEL rules the emulator evaluates.
//!
//! Instant compiles each rule with Google CEL (`model/rule.clj`, `db/cel.clj`). The emulator
//! does not embed a CEL engine; it parses and evaluates the forms Instant's own docs and the
//! platform README use, and answers anything else with `permission-evaluation-failed` naming the
//! construct, rather than guessing. Supported:
//!
//! - literals: `true`, `false`, `null`, numbers, `"strings"` and `'strings'`, lists `[a, b]`;
//! - names: `auth`, `data`, `newData`, `ruleParams`, and `bind` names (from `$default` and the
//!   entity's `bind`, array or object form); member access `a.b.c` (a missing key is `null`);
//! - operators: `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `&&`, `||`, `!`, parentheses;
//! - `data.ref('link.attr')`, `newData.ref(...)` and `auth.ref('$user.link.attr')`: the list of
//!   values reached through links (use it with `in`, or compare it with `==`/`!=`).
//!
//! Not supported (evaluation fails clearly): other function and method calls (`size(...)`,
//! `auth.email.endsWith(...)`), arithmetic, the ternary operator, `request.*`.
//!
//! Program lookup follows `get-program!`: `etype.allow.action`, `etype.allow.$default`,
//! `$default.allow.action`, `$default.allow.$default`, then the system-namespace fallbacks
//! (`$users` view/update: own user only, create: true; `$files`: false). No rule means allowed.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

/// The values a rule sees.
#[derive(Clone, Copy)]
pub(crate) struct RuleInput<'a> {
    /// The acting user's `$users` object, `None` for guests.
    pub(crate) auth: Option<&'a Value>,
    /// The entity (before the change for update/delete).
    pub(crate) data: &'a Value,
    /// The entity after the change (update only).
    pub(crate) new_data: Option<&'a Value>,
    pub(crate) rule_params: &'a Value,
    /// Follows `data.ref(...)` / `auth.ref(...)` paths through the app's links.
    pub(crate) refs: &'a dyn RefResolver,
}

/// Whose links a `ref(...)` call follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    if let Some(code) = perms {
        for (ns, key) in [
            (etype, action),
            (etype, "$default"),
            ("$default", action),
            ("$default", "$default"),
        ] {
            match code
                .get(ns)
                .and_then(|rules| rules.get("allow"))
                .and_then(|allow| allow.get(key))
            {
                Some(Value::String(text)) => return Some(text.clone()),
                Some(Value::Bool(flag)) => return Some(flag.to_string()),
                _ => {}
            }
        }
    }
    match (etype, action) {
        ("$users", "create") => Some("true".to_owned()),
        ("$users", "view" | "update") => Some(
            "auth.id == data.id || (data.linkedPrimaryUser != null && auth.id == data.linkedPrimaryUser)"
                .to_owned(),
        ),
        ("$files" | "$streams", _) | ("$users", _) => Some("false".to_owned()),
        _ => None,
    }
}

/// Whether `action` on `etype` is allowed for `input`.
pub(crate) fn allowed(
    perms: Option<&Value>,
    etype: &str,
    action: &str,
    input: &RuleInput<'_>,
) -> ApiResult<bool> {
    let Some(code) = program(perms, etype, action) else {
        return Ok(true);
    };
    let binds = binds(perms, etype);
    let fail = |cause: String| ApiError::permission_evaluation_failed(etype, action, &cause);
    let expr = parse(&code).map_err(fail)?;
    let mut eval = Evaluator {
        input,
        binds: &binds,
        depth: 0,
    };
    match eval.eval(&expr).map_err(fail)? {
        Value::Bool(result) => Ok(result),
        other => Err(fail(format!(
            "The rule returned {other} instead of a boolean"
        ))),
    }
}

/// `bind` pairs of `$default` then `etype`, each in array or object form.
fn binds(perms: Option<&Value>, etype: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(code) = perms else { return out };
    for ns in ["$default", etype] {
        match code.get(ns).and_then(|rules| rules.get("bind")) {
            Some(Value::Array(items)) => {
                for pair in items.chunks(2) {
                    if let [Value::String(name), Value::String(expr)] = pair {
                        out.insert(name.clone(), expr.clone());
                    }
                }
            }
            Some(Value::Object(map)) => {
                for (name, expr) in map {
                    if let Value::String(expr) = expr {
                        out.insert(name.clone(), expr.clone());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Structural validation of pushed rules (`rule-model/validation-errors`, reduced to what can be
/// checked without compiling CEL): an object of namespaces, each with optional `allow` (strings
/// or booleans), `bind` (even-length string array or string map) and `fields`.
pub(crate) fn validation_errors(code: &Value) -> Vec<Value> {
    let mut errors = Vec::new();
    let Some(namespaces) = code.as_object() else {
        return vec![json!({"message": "Rules must be an object.", "in": []})];
    };
    for (ns, rules) in namespaces {
        let Some(rules) = rules.as_object() else {
            errors.push(
                json!({"message": format!("The rules for `{ns}` must be an object."), "in": [ns]}),
            );
            continue;
        };
        if let Some(allow) = rules.get("allow") {
            match allow.as_object() {
                Some(allow) => {
                    for (action, rule) in allow {
                        if !(rule.is_string() || rule.is_boolean() || rule.is_null()) {
                            errors.push(json!({
                                "message": format!("The rule for `{ns}.allow.{action}` must be a string."),
                                "in": [ns, "allow", action],
                            }));
                        }
                    }
                    if ns == "$users"
                        && let Some(rule) = allow.get("delete")
                        && rule != "false"
                        && !rule.is_null()
                    {
                        errors.push(json!({
                                    "message": "The $users namespace doesn't support permissions for delete. Set `$users.allow.delete` to `\"false\"`.",
                                    "in": ["$users", "allow", "delete"],
                                }));
                    }
                }
                None => errors.push(json!({
                    "message": format!("`{ns}.allow` must be an object."),
                    "in": [ns, "allow"],
                })),
            }
        }
        if let Some(bind) = rules.get("bind") {
            let ok = match bind {
                Value::Array(items) => items.len() % 2 == 0 && items.iter().all(Value::is_string),
                Value::Object(map) => map.values().all(Value::is_string),
                _ => false,
            };
            if !ok {
                errors.push(json!({
                    "message": "bind should have an even number of elements",
                    "in": [ns, "bind"],
                }));
            }
        }
    }
    errors
}

// ---- Parsing ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Literal(Value),
    List(Vec<Expr>),
    Name(String),
    Member(Box<Expr>, String),
    /// `<name>.ref('<path>')`.
    Ref(String, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Sym(&'static str),
}

const UNSUPPORTED: &str = "the emulator evaluates only literals, names, member access, `ref(...)`, comparisons, `in`, `&&`, `||`, `!` and parentheses";

fn tokenize(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            tokens.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            tokens.push(Tok::Num(
                text.parse().map_err(|_| format!("Bad number `{text}`"))?,
            ));
        } else if c == '"' || c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("Unterminated string literal".to_owned()),
                    Some(&ch) if ch == c => break,
                    Some('\\') => {
                        i += 1;
                        match chars.get(i) {
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            Some(&other) => text.push(other),
                            None => return Err("Unterminated string literal".to_owned()),
                        }
                    }
                    Some(&ch) => text.push(ch),
                }
                i += 1;
            }
            i += 1;
            tokens.push(Tok::Str(text));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match two.as_str() {
                "==" => Some("=="),
                "!=" => Some("!="),
                "<=" => Some("<="),
                ">=" => Some(">="),
                "&&" => Some("&&"),
                "||" => Some("||"),
                _ => None,
            };
            if let Some(sym) = sym {
                tokens.push(Tok::Sym(sym));
                i += 2;
                continue;
            }
            let sym = match c {
                '<' => "<",
                '>' => ">",
                '!' => "!",
                '(' => "(",
                ')' => ")",
                '[' => "[",
                ']' => "]",
                ',' => ",",
                '.' => ".",
                other => {
                    return Err(format!("Unsupported token `{other}` ({UNSUPPORTED})"));
                }
            };
            tokens.push(Tok::Sym(sym));
            i += 1;
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    /// Nesting depth, bounded so a pathological rule cannot exhaust the stack.
    depth: usize,
}

/// Deeper nesting than any real rule needs.
const MAX_DEPTH: usize = 64;

fn parse(src: &str) -> Result<Expr, String> {
    let mut parser = Parser {
        tokens: tokenize(src)?,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return Err(format!(
            "Unexpected {:?} in rule `{src}` ({UNSUPPORTED})",
            parser.tokens[parser.pos]
        ));
    }
    Ok(expr)
}

impl Parser {
    fn peek_sym(&self, sym: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Tok::Sym(s)) if *s == sym)
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        if self.peek_sym(sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_sym("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.compare()?;
        while self.eat_sym("&&") {
            left = Expr::And(Box::new(left), Box::new(self.compare()?));
        }
        Ok(left)
    }

    fn compare(&mut self) -> Result<Expr, String> {
        let left = self.unary()?;
        let op = match self.tokens.get(self.pos) {
            Some(Tok::Sym("==")) => CmpOp::Eq,
            Some(Tok::Sym("!=")) => CmpOp::Ne,
            Some(Tok::Sym("<")) => CmpOp::Lt,
            Some(Tok::Sym("<=")) => CmpOp::Le,
            Some(Tok::Sym(">")) => CmpOp::Gt,
            Some(Tok::Sym(">=")) => CmpOp::Ge,
            Some(Tok::Ident(word)) if word == "in" => CmpOp::In,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.unary()?;
        Ok(Expr::Compare(op, Box::new(left), Box::new(right)))
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("The rule nests deeper than {MAX_DEPTH} levels"));
        }
        let expr = if self.eat_sym("!") {
            self.unary().map(|inner| Expr::Not(Box::new(inner)))
        } else {
            self.postfix()
        };
        self.depth -= 1;
        expr
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        let mut expr = self.primary()?;
        loop {
            if self.eat_sym(".") {
                match self.tokens.get(self.pos).cloned() {
                    Some(Tok::Ident(name)) => {
                        self.pos += 1;
                        if self.peek_sym("(") {
                            expr = self.ref_call(expr, &name)?;
                            continue;
                        }
                        expr = Expr::Member(Box::new(expr), name);
                    }
                    _ => return Err("Expected a name after `.`".to_owned()),
                }
            } else if self.peek_sym("(") {
                return Err(format!("Function calls are not supported ({UNSUPPORTED})"));
            } else if self.peek_sym("[") {
                return Err(format!(
                    "Indexing with `[...]` is not supported ({UNSUPPORTED})"
                ));
            } else {
                return Ok(expr);
            }
        }
    }

    /// `data.ref('path')`: the only method call the subset has.
    fn ref_call(&mut self, target: Expr, name: &str) -> Result<Expr, String> {
        let subject = match (&target, name) {
            (Expr::Name(subject), "ref")
                if matches!(subject.as_str(), "data" | "newData" | "auth") =>
            {
                subject.clone()
            }
            _ => {
                return Err(format!(
                    "Method call `.{name}(...)` is not supported ({UNSUPPORTED})"
                ));
            }
        };
        self.pos += 1; // `(`
        let path = match self.tokens.get(self.pos).cloned() {
            Some(Tok::Str(path)) => path,
            _ => return Err("`ref` takes one string literal path".to_owned()),
        };
        self.pos += 1;
        if !self.eat_sym(")") {
            return Err("`ref` takes one string literal path".to_owned());
        }
        Ok(Expr::Ref(subject, path))
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| "Unexpected end of rule".to_owned())?;
        self.pos += 1;
        match token {
            Tok::Num(n) => Ok(Expr::Literal(json!(n))),
            Tok::Str(text) => Ok(Expr::Literal(Value::String(text))),
            Tok::Ident(word) => Ok(match word.as_str() {
                "true" => Expr::Literal(Value::Bool(true)),
                "false" => Expr::Literal(Value::Bool(false)),
                "null" => Expr::Literal(Value::Null),
                _ => Expr::Name(word),
            }),
            Tok::Sym("(") => {
                let inner = self.or()?;
                if !self.eat_sym(")") {
                    return Err("Expected `)`".to_owned());
                }
                Ok(inner)
            }
            Tok::Sym("[") => {
                let mut items = Vec::new();
                if !self.eat_sym("]") {
                    loop {
                        items.push(self.or()?);
                        if self.eat_sym("]") {
                            break;
                        }
                        if !self.eat_sym(",") {
                            return Err("Expected `,` or `]` in a list".to_owned());
                        }
                    }
                }
                Ok(Expr::List(items))
            }
            other => Err(format!("Unexpected {other:?} ({UNSUPPORTED})")),
        }
    }
}

// ---- Evaluation ---------------------------------------------------------------------------

struct Evaluator<'a> {
    input: &'a RuleInput<'a>,
    binds: &'a HashMap<String, String>,
    depth: usize,
}

impl Evaluator<'_> {
    fn eval(&mut self, expr: &Expr) -> Result<Value, String> {
        Ok(match expr {
            Expr::Literal(value) => value.clone(),
            Expr::List(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Name(name) => self.name(name)?,
            Expr::Member(target, key) => match self.eval(target)? {
                Value::Object(map) => map.get(key).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Expr::Ref(subject, path) => {
                let subject = if subject == "auth" {
                    if !path.starts_with("$user.") {
                        return Err(format!("auth.ref paths start with `$user.`, got `{path}`"));
                    }
                    RefSubject::Auth
                } else {
                    RefSubject::Data
                };
                Value::Array(self.input.refs.resolve(subject, path))
            }
            Expr::Not(inner) => Value::Bool(!self.truthy(inner)?),
            Expr::And(left, right) => Value::Bool(self.truthy(left)? && self.truthy(right)?),
            Expr::Or(left, right) => Value::Bool(self.truthy(left)? || self.truthy(right)?),
            Expr::Compare(op, left, right) => {
                let (left, right) = (self.eval(left)?, self.eval(right)?);
                Value::Bool(compare(*op, &left, &right))
            }
        })
    }

    fn truthy(&mut self, expr: &Expr) -> Result<bool, String> {
        match self.eval(expr)? {
            Value::Bool(flag) => Ok(flag),
            other => Err(format!("Expected a boolean, got {other}")),
        }
    }

    fn name(&mut self, name: &str) -> Result<Value, String> {
        match name {
            "auth" => Ok(self.input.auth.cloned().unwrap_or_else(|| json!({}))),
            "data" => Ok(self.input.data.clone()),
            "newData" => Ok(self.input.new_data.unwrap_or(self.input.data).clone()),
            "ruleParams" => Ok(self.input.rule_params.clone()),
            _ => {
                let Some(source) = self.binds.get(name) else {
                    return Err(format!("Unknown name `{name}` ({UNSUPPORTED})"));
                };
                if self.depth > 32 {
                    return Err(format!("The bind `{name}` refers to itself"));
                }
                let expr = parse(source)?;
                self.depth += 1;
                let value = self.eval(&expr);
                self.depth -= 1;
                value
            }
        }
    }
}

fn as_f64(value: &Value) -> Option<f64> {
    value.as_f64()
}

fn compare(op: CmpOp, left: &Value, right: &Value) -> bool {
    match op {
        CmpOp::Eq => json_eq(left, right),
        CmpOp::Ne => !json_eq(left, right),
        CmpOp::In => match right {
            Value::Array(items) => items.iter().any(|item| json_eq(left, item)),
            Value::Object(map) => left.as_str().is_some_and(|key| map.contains_key(key)),
            _ => false,
        },
        _ => {
            let ordering = match (left, right) {
                (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                _ => as_f64(left)
                    .zip(as_f64(right))
                    .and_then(|(a, b)| a.partial_cmp(&b)),
            };
            match ordering {
                None => false,
                Some(ordering) => match op {
                    CmpOp::Lt => ordering.is_lt(),
                    CmpOp::Le => ordering.is_le(),
                    CmpOp::Gt => ordering.is_gt(),
                    _ => ordering.is_ge(),
                },
            }
        }
    }
}

fn json_eq(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => left == right,
    }
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
    fn unsupported_forms_fail_clearly() {
        let err = check("data.owner.size()", None, json!({})).unwrap_err();
        assert_eq!(err.kind(), Some("permission-evaluation-failed"));
        assert!(err.message().contains("goals.view"), "{}", err.message());
        assert!(check("size(data.x) > 1", None, json!({})).is_err());
        assert!(check("unknownName", None, json!({})).is_err());
        let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(check(&deep, None, json!({})).is_err());
        assert!(check(&"!".repeat(10_000), None, json!({})).is_err());
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
