//! Reading `instant.schema.ts` and `instant.perms.ts` back into data, on swc's parser.
//!
//! Upstream (`typescript-schema.ts`, `perms.ts`) parses with Babel and pattern-matches the AST;
//! the walkers in [`schema`] and [`perms`] follow the same steps in the same order, so every file
//! upstream accepts gives the same result and every file both reject gives upstream's message.
//! Babel node type names in those messages (`SpreadElement`, `TSAsExpression`, ...) come from
//! [`babel_type`]. Parentheses are transparent, as in Babel's AST.

mod eval;
mod fast;
mod guard;
mod json;
pub(crate) mod perms;
pub(crate) mod schema;

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;

use swc_common::sync::Lrc;
use swc_common::{FileName, SourceMap, Span, Spanned};
use swc_ecma_ast::{
    Callee, Decl, EsVersion, Expr, Lit, MemberExpr, MemberProp, Module, ModuleDecl, ModuleItem,
    ObjectLit, Pat, Prop, PropName, PropOrSpread, Stmt, VarDeclarator,
};
use swc_ecma_parser::{Syntax, TsSyntax, parse_file_as_module};

use crate::error::{ParseError, ParseErrorKind};

/// A problem found while walking the syntax tree: where, and upstream's message.
#[derive(Debug)]
pub(crate) struct Located {
    pub(crate) span: Span,
    pub(crate) message: String,
}

impl Located {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Located {
        Located {
            span,
            message: message.into(),
        }
    }
}

pub(crate) type WalkResult<T> = Result<T, Located>;

pub(crate) use guard::STACK_SIZE;

/// Runs the nesting guard on a file about to be parsed (see [`guard`]).
pub(crate) fn guard_check(
    fm: &swc_common::SourceFile,
    file_name: &str,
    src: &str,
) -> Result<(), ParseError> {
    guard::check(fm, Syntax::Typescript(TsSyntax::default())).map_err(|too_deep| {
        ParseError::at(
            file_name,
            src,
            too_deep.offset,
            ParseErrorKind::TooDeep,
            too_deep.message,
        )
    })
}

/// Reads a relative module: given a path built from the importing file's name and the import
/// source, its text (`None` when there is no such file).
pub(crate) type Read<'r> = &'r dyn Fn(&str) -> Option<String>;

/// A schema read from a file.
pub(crate) struct SchemaRead {
    pub(crate) schema: instantdb_schema::SchemaDef,
    /// The links JSON as written (for files read by the walkers).
    pub(crate) links: serde_json::Value,
    /// `JSON.stringify` of the evaluated default export (for files read by the evaluator).
    pub(crate) wire: Option<serde_json::Value>,
}

/// The schema a file declares: straight from the text when the file is in the generated shape,
/// else by evaluating it, else (for the forms only upstream's parser accepts) by walking it.
/// With `links_json`, the fast path must also give the links JSON as written.
pub(crate) fn schema(
    src: &str,
    file_name: &str,
    links_json: bool,
    read: Option<Read<'_>>,
) -> Result<SchemaRead, ParseError> {
    let unmarked = src.strip_prefix('\u{feff}').unwrap_or(src);
    if let Some((schema, links)) = fast::schema_direct(unmarked) {
        if !links_json {
            return Ok(SchemaRead {
                schema,
                links: serde_json::Value::Null,
                wire: None,
            });
        }
        if let Some(links) = links.json(unmarked) {
            return Ok(SchemaRead {
                schema,
                links,
                wire: None,
            });
        }
    }
    if let Some(value) = with_fast(unmarked, file_name, read, evaluate_schema, walk_schema) {
        return Ok(value);
    }
    with_swc(src, file_name, read, evaluate_schema, walk_schema)
}

/// The rules a file declares (see [`schema`]).
pub(crate) fn perms(
    src: &str,
    file_name: &str,
    read: Option<Read<'_>>,
) -> Result<instantdb_schema::perms::Rules, ParseError> {
    let unmarked = src.strip_prefix('\u{feff}').unwrap_or(src);
    if let Some(value) = with_fast(unmarked, file_name, read, perms::evaluate, perms::walk) {
        return Ok(value);
    }
    with_swc(src, file_name, read, perms::evaluate, perms::walk)
}

/// `JSON.stringify` of the rules value a file declares, whatever its type (see [`perms`]).
pub(crate) fn perms_json(
    src: &str,
    file_name: &str,
    read: Option<Read<'_>>,
) -> Result<serde_json::Value, ParseError> {
    let unmarked = src.strip_prefix('\u{feff}').unwrap_or(src);
    if let Some(value) = with_fast(
        unmarked,
        file_name,
        read,
        perms::evaluate_value,
        perms::walk_value,
    ) {
        return Ok(value);
    }
    with_swc(
        src,
        file_name,
        read,
        perms::evaluate_value,
        perms::walk_value,
    )
}

/// [`with_swc`] on the fast path's syntax tree, for files in its subset (which import no
/// relative modules): the same evaluation, then the same fallback, so both paths agree. `None`
/// when the file is not in the subset or neither reads it (swc then gives the located error).
fn with_fast<T>(
    src: &str,
    file_name: &str,
    read: Option<Read<'_>>,
    evaluate: impl Fn(&eval::Evaluator<'_, '_>, Span) -> Result<T, eval::Error>,
    walk: impl Fn(&Module, &Context) -> WalkResult<T>,
) -> Option<T> {
    let module = fast::parse(src)?;
    if (read.is_some() && !relative_sources(&module).is_empty()) || redeclared(&module).is_some() {
        return None;
    }
    let no_imports = |_: usize, _: &str| None;
    let infos = [Ok(eval::ModuleInfo::new(
        0,
        file_name.to_owned(),
        &module,
        &no_imports,
    ))];
    if let Ok(value) = evaluate(&eval::Evaluator::new(&infos), module.span) {
        return Some(value);
    }
    walk(&module, &Context::new(&module)).ok()
}

pub(crate) fn evaluate_schema(
    evaluator: &eval::Evaluator<'_, '_>,
    module_span: Span,
) -> Result<SchemaRead, eval::Error> {
    let evaluated = evaluator.schema(module_span)?;
    let schema = instantdb_schema::SchemaDef::from_wire_value(&evaluated.json).map_err(|err| {
        Located::new(
            evaluated.span,
            format!("This schema is not one Instant accepts: {err}."),
        )
    })?;
    Ok(SchemaRead {
        schema,
        links: serde_json::Value::Null,
        wire: Some(evaluated.json),
    })
}

pub(crate) fn walk_schema(module: &Module, context: &Context) -> WalkResult<SchemaRead> {
    let (schema, links) = schema::walk(module, context)?;
    Ok(SchemaRead {
        schema,
        links,
        wire: None,
    })
}

/// One module read with swc: its name, its source file, and its syntax tree (or why not).
struct Loaded {
    name: String,
    file: Lrc<swc_common::SourceFile>,
    module: Result<Module, ParseError>,
    /// Relative import sources and the module index each resolved to.
    resolved: HashMap<String, Option<usize>>,
}

/// The most modules one file may pull in through relative imports.
const MAX_MODULES: usize = 256;

/// Reads `src` with swc (and, with `read`, the relative modules it imports), evaluates it, and
/// falls back to `walk` (upstream's pattern matching) for the files only that reads. When both
/// fail, the evaluator's error is returned: it says what to write instead.
pub(crate) fn with_swc<T>(
    src: &str,
    file_name: &str,
    read: Option<Read<'_>>,
    evaluate: impl Fn(&eval::Evaluator<'_, '_>, Span) -> Result<T, eval::Error>,
    walk: impl Fn(&Module, &Context) -> WalkResult<T>,
) -> Result<T, ParseError> {
    // swc drops a byte-order mark; do it first so offsets index `src`.
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    stacker::maybe_grow(guard::STACK_SIZE / 2, guard::STACK_SIZE, || {
        let cm: Lrc<SourceMap> = Lrc::default();
        let mut loaded = vec![load(&cm, file_name.to_owned(), src.to_owned())];
        if let Err(err) = &loaded[0].module {
            return Err(err.clone());
        }
        // Follow relative imports, breadth first.
        let mut next = 0;
        while next < loaded.len() {
            let sources = match &loaded[next].module {
                Ok(module) => relative_sources(module),
                Err(_) => Vec::new(),
            };
            for source in sources {
                let target = read.and_then(|read| {
                    for candidate in module_candidates(&loaded[next].name, &source) {
                        // A module already read (the entry file included) is not read again.
                        if let Some(index) = loaded.iter().position(|m| m.name == candidate) {
                            return Some(index);
                        }
                        if let Some(text) = read(&candidate) {
                            if loaded.len() >= MAX_MODULES {
                                return None;
                            }
                            loaded.push(load(&cm, candidate, text));
                            return Some(loaded.len() - 1);
                        }
                    }
                    None
                });
                loaded[next].resolved.insert(source, target);
            }
            next += 1;
        }
        let locate = |located: Located| -> ParseError {
            let lo = located.span.lo;
            let owner = loaded
                .iter()
                .find(|m| m.file.start_pos <= lo && lo <= m.file.end_pos)
                .unwrap_or(&loaded[0]);
            ParseError::at(
                &owner.name,
                &owner.file.src,
                lo.0.saturating_sub(owner.file.start_pos.0) as usize,
                ParseErrorKind::Unsupported,
                located.message,
            )
        };

        let main = match &loaded[0].module {
            Ok(module) => module,
            Err(err) => return Err(err.clone()),
        };
        let resolved: Vec<&HashMap<String, Option<usize>>> =
            loaded.iter().map(|m| &m.resolved).collect();
        let resolve = |from: usize, source: &str| resolved[from].get(source).copied().flatten();
        let infos: Vec<Result<eval::ModuleInfo<'_>, eval::Failed>> = loaded
            .iter()
            .enumerate()
            .map(|(index, m)| match &m.module {
                Ok(module) => Ok(eval::ModuleInfo::new(
                    index,
                    m.name.clone(),
                    module,
                    &resolve,
                )),
                Err(error) => Err(eval::Failed {
                    error: error.clone(),
                }),
            })
            .collect();
        let evaluator = eval::Evaluator::new(&infos);
        let evaluated = evaluate(&evaluator, main.span);
        let error = match evaluated {
            Ok(value) => return Ok(value),
            Err(eval::Error::Module(err)) => return Err(err),
            Err(eval::Error::Located(located)) => locate(located),
        };
        match walk(main, &Context::new(main)) {
            Ok(value) => Ok(value),
            Err(_) => Err(error),
        }
    })
}

/// Parses one module (the guard first, then swc, a panic inside swc becoming an error).
fn load(cm: &Lrc<SourceMap>, name: String, src: String) -> Loaded {
    let file = cm.new_source_file(Lrc::new(FileName::Custom(name.clone())), src);
    let module = parse_file(&name, &file);
    Loaded {
        name,
        file,
        module,
        resolved: HashMap::new(),
    }
}

fn parse_file(file_name: &str, fm: &swc_common::SourceFile) -> Result<Module, ParseError> {
    let src: &str = &fm.src;
    let start = fm.start_pos.0;
    let offset = |span: Span| span.lo.0.saturating_sub(start) as usize;
    let syntax = Syntax::Typescript(TsSyntax::default());

    guard::check(fm, syntax).map_err(|too_deep| {
        ParseError::at(
            file_name,
            src,
            too_deep.offset,
            ParseErrorKind::TooDeep,
            too_deep.message,
        )
    })?;

    let mut recovered = Vec::new();
    // swc checks some of its own invariants with `debug_assert!`, and malformed input can
    // reach one (swc_ecma_parser 47 asserts in `read_regexp` on `{ /  }` after a `==`
    // run; found by the fuzzer). Release builds go on to a syntax error; a debug build of
    // a downstream crate would panic, so a panic inside swc becomes a parse error here.
    // (This workspace turns those assertions off for swc in its own dev profile.)
    let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
        parse_file_as_module(fm, syntax, EsVersion::latest(), None, &mut recovered)
    }));
    let Ok(parsed) = parsed else {
        return Err(ParseError::at(
            file_name,
            src,
            0,
            ParseErrorKind::Syntax,
            "the TypeScript parser (swc) failed with an internal error on this file",
        ));
    };
    // Babel runs with `errorRecovery: false`: any error, even one swc recovers from, fails.
    match parsed {
        Ok(module) if recovered.is_empty() => match redeclared(&module) {
            // Babel reports a name declared twice as a syntax error; swc leaves that to later
            // passes.
            Some((span, name)) => Err(ParseError::at(
                file_name,
                src,
                offset(span),
                ParseErrorKind::Syntax,
                format!("Identifier '{name}' has already been declared."),
            )),
            None => Ok(module),
        },
        Ok(_) | Err(_) => {
            let error = match parsed {
                Err(error) => error,
                Ok(_) => recovered.swap_remove(0),
            };
            Err(ParseError::at(
                file_name,
                src,
                offset(error.span()),
                ParseErrorKind::Syntax,
                error.kind().msg(),
            ))
        }
    }
}

/// The first top-level name declared twice where JavaScript forbids it: a `let`, `const`,
/// class, function or import binding declared again by any declaration (`var` may repeat
/// `var`; TypeScript lets enums merge with enums and functions overload without bodies;
/// `declare` and type declarations bind no value).
fn redeclared(module: &Module) -> Option<(Span, String)> {
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        Var,
        Lexical,
        Enum,
    }
    let mut seen: HashMap<String, Kind> = HashMap::new();
    let mut check = |name: &str, kind: Kind, span: Span| -> Option<(Span, String)> {
        match seen.get(name) {
            Some(Kind::Var) if kind == Kind::Var => None,
            Some(Kind::Enum) if kind == Kind::Enum => None,
            Some(_) => Some((span, name.to_owned())),
            None => {
                seen.insert(name.to_owned(), kind);
                None
            }
        }
    };
    for item in &module.body {
        let decl = match item {
            ModuleItem::Stmt(Stmt::Decl(decl)) => decl,
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => &export.decl,
            ModuleItem::ModuleDecl(ModuleDecl::Import(import)) if !import.type_only => {
                for specifier in &import.specifiers {
                    let local = match specifier {
                        swc_ecma_ast::ImportSpecifier::Named(named) if !named.is_type_only => {
                            &named.local
                        }
                        swc_ecma_ast::ImportSpecifier::Named(_) => continue,
                        swc_ecma_ast::ImportSpecifier::Default(default) => &default.local,
                        swc_ecma_ast::ImportSpecifier::Namespace(namespace) => &namespace.local,
                    };
                    if let Some(found) = check(local.sym.as_str(), Kind::Lexical, local.span) {
                        return Some(found);
                    }
                }
                continue;
            }
            _ => continue,
        };
        match decl {
            Decl::Var(var) if !var.declare => {
                let kind = if var.kind == swc_ecma_ast::VarDeclKind::Var {
                    Kind::Var
                } else {
                    Kind::Lexical
                };
                for declarator in &var.decls {
                    let mut names = Vec::new();
                    binding_names(&declarator.name, &mut names);
                    for (name, span) in names {
                        if let Some(found) = check(&name, kind, span) {
                            return Some(found);
                        }
                    }
                }
            }
            Decl::Fn(function) if !function.declare && function.function.body.is_some() => {
                if let Some(found) = check(
                    function.ident.sym.as_str(),
                    Kind::Lexical,
                    function.ident.span,
                ) {
                    return Some(found);
                }
            }
            Decl::Class(class) if !class.declare => {
                if let Some(found) =
                    check(class.ident.sym.as_str(), Kind::Lexical, class.ident.span)
                {
                    return Some(found);
                }
            }
            Decl::TsEnum(decl) if !decl.declare => {
                if let Some(found) = check(decl.id.sym.as_str(), Kind::Enum, decl.id.span) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

fn binding_names(pat: &Pat, out: &mut Vec<(String, Span)>) {
    match pat {
        Pat::Ident(ident) => out.push((ident.id.sym.to_string(), ident.id.span)),
        Pat::Array(array) => array
            .elems
            .iter()
            .flatten()
            .for_each(|elem| binding_names(elem, out)),
        Pat::Rest(rest) => binding_names(&rest.arg, out),
        Pat::Object(object) => {
            for prop in &object.props {
                match prop {
                    swc_ecma_ast::ObjectPatProp::KeyValue(kv) => binding_names(&kv.value, out),
                    swc_ecma_ast::ObjectPatProp::Assign(assign) => {
                        out.push((assign.key.sym.to_string(), assign.key.span));
                    }
                    swc_ecma_ast::ObjectPatProp::Rest(rest) => binding_names(&rest.arg, out),
                }
            }
        }
        Pat::Assign(assign) => binding_names(&assign.left, out),
        Pat::Invalid(_) | Pat::Expr(_) => {}
    }
}

/// The relative sources a module imports values from (type-only imports left out).
fn relative_sources(module: &Module) -> Vec<String> {
    let mut out = Vec::new();
    for item in &module.body {
        let ModuleItem::ModuleDecl(decl) = item else {
            continue;
        };
        let source = match decl {
            ModuleDecl::Import(import) if !import.type_only => &import.src,
            ModuleDecl::ExportNamed(named) if !named.type_only => match &named.src {
                Some(src) => src,
                None => continue,
            },
            ModuleDecl::ExportAll(all) if !all.type_only => &all.src,
            _ => continue,
        };
        let source = source.value.as_str().unwrap_or("").to_owned();
        if eval::is_relative(&source) && !out.contains(&source) {
            out.push(source);
        }
    }
    out
}

/// The files a relative import may name, in the order TypeScript-aware loaders try them: the path as
/// written, then with `.ts`, `.tsx`, `.mts`, `.cts`, `.js`, `.mjs`, `.cjs`, then `index.*` in
/// that folder; `./x.js` also finds `./x.ts`.
fn module_candidates(from: &str, source: &str) -> Vec<String> {
    let base = std::path::Path::new(from)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let mut parts: Vec<String> = base
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let absolute = base.has_root();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| p != ".." && p != "/") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..".to_owned());
                }
            }
            part => parts.push(part.to_owned()),
        }
    }
    let joined = {
        let mut path = std::path::PathBuf::new();
        for part in &parts {
            path.push(part);
        }
        path.to_string_lossy().into_owned()
    };
    const EXTENSIONS: [&str; 7] = ["ts", "tsx", "mts", "cts", "js", "mjs", "cjs"];
    let mut candidates = Vec::new();
    let extension = std::path::Path::new(&joined)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    if EXTENSIONS.contains(&extension) {
        candidates.push(joined.clone());
        let stem = &joined[..joined.len() - extension.len()];
        let swaps: &[&str] = match extension {
            "js" => &["ts", "tsx"],
            "mjs" => &["mts"],
            "cjs" => &["cts"],
            _ => &[],
        };
        candidates.extend(swaps.iter().map(|swap| format!("{stem}{swap}")));
    } else {
        candidates.extend(EXTENSIONS.iter().map(|ext| format!("{joined}.{ext}")));
        let index = std::path::Path::new(&joined).join("index");
        let index = index.to_string_lossy();
        candidates.extend(EXTENSIONS.iter().map(|ext| format!("{index}.{ext}")));
    }
    candidates
}

/// What the file's imports say about the name `i`.
pub(crate) struct Context {
    /// Local names bound to `i`: `i` itself (upstream accepts it whatever the imports say) and
    /// the aliases of `import { i as b }`.
    i_names: HashSet<String>,
    /// Local names of `import * as ns`, so that `ns.i` means `i`.
    namespaces: HashSet<String>,
}

impl Context {
    fn new(module: &Module) -> Context {
        let mut context = Context {
            i_names: HashSet::from(["i".to_owned()]),
            namespaces: HashSet::new(),
        };
        for item in &module.body {
            let ModuleItem::ModuleDecl(ModuleDecl::Import(import)) = item else {
                continue;
            };
            for specifier in &import.specifiers {
                match specifier {
                    swc_ecma_ast::ImportSpecifier::Named(named) => {
                        let imported = match &named.imported {
                            Some(swc_ecma_ast::ModuleExportName::Ident(ident)) => {
                                ident.sym.to_string()
                            }
                            Some(swc_ecma_ast::ModuleExportName::Str(s)) => {
                                s.value.to_atom_lossy().to_string()
                            }
                            None => named.local.sym.to_string(),
                        };
                        if imported == "i" {
                            context.i_names.insert(named.local.sym.to_string());
                        }
                    }
                    swc_ecma_ast::ImportSpecifier::Namespace(namespace) => {
                        context.namespaces.insert(namespace.local.sym.to_string());
                    }
                    swc_ecma_ast::ImportSpecifier::Default(_) => {}
                }
            }
        }
        context
    }

    /// Whether `expr` denotes the `i` builder.
    fn is_i(&self, expr: &Expr) -> bool {
        match unparen(expr) {
            Expr::Ident(ident) => self.i_names.contains(ident.sym.as_str()),
            Expr::Member(member) => {
                matches!(&member.prop, MemberProp::Ident(prop) if prop.sym == "i")
                    && matches!(unparen(&member.obj), Expr::Ident(ns) if self.namespaces.contains(ns.sym.as_str()))
            }
            _ => false,
        }
    }

    /// `i.<anything>({...})` with exactly one object argument: what upstream accepts for
    /// `i.schema(...)`, `i.entity(...)` and a room's `presence`. Returns the object.
    fn i_call_with_object<'a>(&self, expr: &'a Expr) -> Option<&'a ObjectLit> {
        let Expr::Call(call) = unwrap_extensions(expr) else {
            return None;
        };
        let Callee::Expr(callee) = &call.callee else {
            return None;
        };
        let Expr::Member(MemberExpr { obj, .. }) = unparen(callee) else {
            return None;
        };
        if !self.is_i(obj) || call.args.len() != 1 || call.args[0].spread.is_some() {
            return None;
        }
        match unwrap_extensions(&call.args[0].expr) {
            Expr::Object(object) => Some(object),
            _ => None,
        }
    }
}

/// Removes parentheses, which Babel does not represent.
pub(crate) fn unparen(mut expr: &Expr) -> &Expr {
    while let Expr::Paren(paren) = expr {
        expr = &paren.expr;
    }
    expr
}

/// Removes parentheses and the wrappers this crate accepts beyond upstream: `x as const` and
/// `x satisfies T`. Other casts (`x as T`, `<T>x`, `x!`) are kept, so they are rejected.
pub(crate) fn unwrap_extensions(mut expr: &Expr) -> &Expr {
    loop {
        expr = match expr {
            Expr::Paren(paren) => &paren.expr,
            Expr::TsConstAssertion(assertion) => &assertion.expr,
            Expr::TsSatisfies(satisfies) => &satisfies.expr,
            _ => return expr,
        };
    }
}

/// A property of an object literal as upstream sees it: an `ObjectProperty` (key and value) or
/// anything else, named by its Babel type.
pub(crate) enum Property<'a> {
    /// `key: value` or shorthand `key`.
    Object {
        key: Key<'a>,
        value: PropValue<'a>,
        span: Span,
    },
    /// A spread, method, getter or setter.
    Other {
        babel_type: &'static str,
        span: Span,
    },
}

/// The value of an `ObjectProperty`: an expression, or the identifier of a shorthand `{ a }`
/// (which Babel represents as an `ObjectProperty` whose value is that identifier).
#[derive(Clone, Copy)]
pub(crate) enum PropValue<'a> {
    Expr(&'a Expr),
    Shorthand(&'a swc_ecma_ast::Ident),
}

impl<'a> PropValue<'a> {
    /// The expression, if it is not a shorthand.
    pub(crate) fn expr(self) -> Option<&'a Expr> {
        match self {
            PropValue::Expr(expr) => Some(expr),
            PropValue::Shorthand(_) => None,
        }
    }

    /// Babel's type for the value.
    pub(crate) fn babel_type(self) -> &'static str {
        match self {
            PropValue::Expr(expr) => babel_type(expr),
            PropValue::Shorthand(_) => "Identifier",
        }
    }

    pub(crate) fn span(self) -> Span {
        match self {
            PropValue::Expr(expr) => expr.span(),
            PropValue::Shorthand(ident) => ident.span,
        }
    }
}

/// An object key, resolved as Babel's AST presents it (a computed key is its expression).
pub(crate) enum Key<'a> {
    /// An identifier, or a computed `[identifier]` (upstream reads its name either way).
    Identifier(String, Span),
    /// A string literal (or computed `["..."]`, or, beyond upstream, a template literal
    /// without substitutions).
    String(String, Span),
    /// A numeric literal.
    Number(f64, Span),
    /// Anything else, by Babel type.
    Other(&'static str, Span, std::marker::PhantomData<&'a ()>),
}

impl Key<'_> {
    pub(crate) fn span(&self) -> Span {
        match self {
            Key::Identifier(_, span)
            | Key::String(_, span)
            | Key::Number(_, span)
            | Key::Other(_, span, _) => *span,
        }
    }
}

pub(crate) fn properties(object: &ObjectLit) -> impl Iterator<Item = Property<'_>> {
    object.props.iter().map(|prop| match prop {
        PropOrSpread::Spread(spread) => Property::Other {
            babel_type: "SpreadElement",
            span: spread.span(),
        },
        PropOrSpread::Prop(prop) => match &**prop {
            Prop::KeyValue(kv) => Property::Object {
                key: key_of(&kv.key),
                value: PropValue::Expr(&kv.value),
                span: kv.span(),
            },
            Prop::Shorthand(ident) => Property::Object {
                key: Key::Identifier(ident.sym.to_string(), ident.span),
                value: PropValue::Shorthand(ident),
                span: ident.span,
            },
            Prop::Method(_) | Prop::Getter(_) | Prop::Setter(_) => Property::Other {
                babel_type: "ObjectMethod",
                span: prop.span(),
            },
            Prop::Assign(_) => Property::Other {
                babel_type: "AssignmentPattern",
                span: prop.span(),
            },
        },
    })
}

fn key_of(key: &PropName) -> Key<'_> {
    match key {
        PropName::Ident(ident) => Key::Identifier(ident.sym.to_string(), ident.span),
        PropName::Str(s) => Key::String(s.value.to_atom_lossy().to_string(), s.span),
        PropName::Num(n) => Key::Number(n.value, n.span),
        PropName::BigInt(b) => Key::Other("BigIntLiteral", b.span, PhantomData),
        PropName::Computed(computed) => {
            let expr = unparen(&computed.expr);
            match expr {
                Expr::Ident(ident) => Key::Identifier(ident.sym.to_string(), ident.span),
                Expr::Lit(Lit::Str(s)) => Key::String(s.value.to_atom_lossy().to_string(), s.span),
                Expr::Lit(Lit::Num(n)) => Key::Number(n.value, n.span),
                Expr::Tpl(tpl) => match template_string(tpl) {
                    Some(value) => Key::String(value, tpl.span),
                    None => Key::Other("TemplateLiteral", tpl.span, PhantomData),
                },
                other => Key::Other(babel_type(other), other.span(), PhantomData),
            }
        }
    }
}

/// The cooked value of a template literal without substitutions (`None` if it has some, or an
/// invalid escape).
pub(crate) fn template_string(tpl: &swc_ecma_ast::Tpl) -> Option<String> {
    if !tpl.exprs.is_empty() || tpl.quasis.len() != 1 {
        return None;
    }
    let cooked = tpl.quasis[0].cooked.as_ref()?;
    Some(cooked.to_atom_lossy().to_string())
}

/// upstream's `keyName`: identifier and string keys only.
pub(crate) fn key_name(key: Key<'_>) -> WalkResult<String> {
    match key {
        Key::Identifier(name, _) | Key::String(name, _) => Ok(name),
        Key::Number(_, span) => Err(key_error("NumericLiteral", span)),
        Key::Other(babel_type, span, _) => Err(key_error(babel_type, span)),
    }
}

fn key_error(babel_type: &str, span: Span) -> Located {
    Located::new(
        span,
        format!(
            "Could not extract entities, expected object key to be an `Identifier` or \
             `StringLiteral`, got `{babel_type}`."
        ),
    )
}

/// Top-level variable declarators, as `(declarator, exported)`: plain statements first-class,
/// `export const` (beyond upstream) flagged.
pub(crate) fn top_level_declarations(module: &Module) -> Vec<(&[VarDeclarator], bool)> {
    let mut out = Vec::new();
    for item in &module.body {
        let (decl, exported) = match item {
            ModuleItem::Stmt(Stmt::Decl(decl)) => (decl, false),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => (&export.decl, true),
            _ => continue,
        };
        match decl {
            Decl::Var(var) => out.push((var.decls.as_slice(), exported)),
            Decl::Using(using) => out.push((using.decls.as_slice(), exported)),
            _ => {}
        }
    }
    out
}

/// The declared name of a simple `name` or `name: Type` binding.
pub(crate) fn binding_name(declarator: &VarDeclarator) -> Option<&str> {
    match &declarator.name {
        Pat::Ident(binding) => Some(binding.id.sym.as_str()),
        _ => None,
    }
}

/// Beyond upstream: the expression the module default-exports (`export default <expr>` or
/// `export { name as default }`), following `const a = b` aliases to the declaration they name.
pub(crate) fn default_export(module: &Module) -> Option<&Expr> {
    let mut target: Option<&Expr> = None;
    let mut named: Option<String> = None;
    for item in &module.body {
        match item {
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(export)) => {
                target = Some(&export.expr);
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(export)) if export.src.is_none() => {
                for specifier in &export.specifiers {
                    if let swc_ecma_ast::ExportSpecifier::Named(spec) = specifier {
                        let exported = spec.exported.as_ref().map(export_name);
                        if exported.as_deref() == Some("default") {
                            named = Some(export_name(&spec.orig));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let declarations = top_level_declarations(module);
    let lookup = |name: &str| -> Option<&Expr> {
        declarations.iter().rev().find_map(|(declarators, _)| {
            declarators
                .iter()
                .find(|d| binding_name(d) == Some(name))
                .and_then(|d| d.init.as_deref())
        })
    };
    let mut expr = match (target, named) {
        (Some(expr), _) => expr,
        (None, Some(name)) => lookup(&name)?,
        (None, None) => return None,
    };
    // Follow `export default schema` → `const schema = _schema` → ..., a bounded number of hops.
    for _ in 0..32 {
        match unwrap_extensions(expr) {
            Expr::Ident(ident) => expr = lookup(ident.sym.as_str())?,
            _ => return Some(expr),
        }
    }
    None
}

fn export_name(name: &swc_ecma_ast::ModuleExportName) -> String {
    match name {
        swc_ecma_ast::ModuleExportName::Ident(ident) => ident.sym.to_string(),
        swc_ecma_ast::ModuleExportName::Str(s) => s.value.to_atom_lossy().to_string(),
    }
}

/// The type Babel would give `expr` (parentheses removed), for upstream's messages.
pub(crate) fn babel_type(expr: &Expr) -> &'static str {
    match unparen(expr) {
        Expr::This(_) => "ThisExpression",
        Expr::Array(_) => "ArrayExpression",
        Expr::Object(_) => "ObjectExpression",
        Expr::Fn(_) => "FunctionExpression",
        Expr::Unary(_) => "UnaryExpression",
        Expr::Update(_) => "UpdateExpression",
        Expr::Bin(bin) => {
            use swc_ecma_ast::BinaryOp::{LogicalAnd, LogicalOr, NullishCoalescing};
            if matches!(bin.op, LogicalAnd | LogicalOr | NullishCoalescing) {
                "LogicalExpression"
            } else {
                "BinaryExpression"
            }
        }
        Expr::Assign(_) => "AssignmentExpression",
        Expr::Member(_) | Expr::SuperProp(_) => "MemberExpression",
        Expr::Cond(_) => "ConditionalExpression",
        Expr::Call(call) => match call.callee {
            Callee::Import(_) => "ImportExpression",
            _ => "CallExpression",
        },
        Expr::New(_) => "NewExpression",
        Expr::Seq(_) => "SequenceExpression",
        Expr::Ident(_) => "Identifier",
        Expr::Lit(lit) => match lit {
            Lit::Str(_) => "StringLiteral",
            Lit::Bool(_) => "BooleanLiteral",
            Lit::Null(_) => "NullLiteral",
            Lit::Num(_) => "NumericLiteral",
            Lit::BigInt(_) => "BigIntLiteral",
            Lit::Regex(_) => "RegExpLiteral",
            Lit::JSXText(_) => "JSXText",
        },
        Expr::Tpl(_) => "TemplateLiteral",
        Expr::TaggedTpl(_) => "TaggedTemplateExpression",
        Expr::Arrow(_) => "ArrowFunctionExpression",
        Expr::Class(_) => "ClassExpression",
        Expr::Yield(_) => "YieldExpression",
        Expr::MetaProp(_) => "MetaProperty",
        Expr::Await(_) => "AwaitExpression",
        Expr::JSXMember(_) | Expr::JSXNamespacedName(_) | Expr::JSXEmpty(_) => "JSXElement",
        Expr::JSXElement(_) => "JSXElement",
        Expr::JSXFragment(_) => "JSXFragment",
        Expr::TsTypeAssertion(_) => "TSTypeAssertion",
        // Babel represents `x as const` as a `TSAsExpression`.
        Expr::TsConstAssertion(_) | Expr::TsAs(_) => "TSAsExpression",
        Expr::TsNonNull(_) => "TSNonNullExpression",
        Expr::TsInstantiation(_) => "TSInstantiationExpression",
        Expr::TsSatisfies(_) => "TSSatisfiesExpression",
        Expr::PrivateName(_) => "PrivateName",
        Expr::OptChain(chain) => match &*chain.base {
            swc_ecma_ast::OptChainBase::Member(_) => "OptionalMemberExpression",
            swc_ecma_ast::OptChainBase::Call(_) => "OptionalCallExpression",
        },
        Expr::Paren(_) | Expr::Invalid(_) => "Invalid",
        #[allow(unreachable_patterns)]
        _ => "Unknown",
    }
}

/// The name of a member expression's property as upstream reads it in attribute chains: an
/// identifier, or a computed `[identifier]` (Babel's `property` is then an `Identifier` too).
pub(crate) fn member_property_name(prop: &MemberProp) -> Option<&str> {
    match prop {
        MemberProp::Ident(ident) => Some(ident.sym.as_str()),
        MemberProp::Computed(computed) => match unparen(&computed.expr) {
            Expr::Ident(ident) => Some(ident.sym.as_str()),
            _ => None,
        },
        MemberProp::PrivateName(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bench_file_is_read_by_the_fast_path() {
        let src = include_str!("../../benches/bench.schema.ts");
        let module = super::fast::parse(src).expect("fast path");
        let walked = super::schema::walk(&module, &super::Context::new(&module)).expect("walk");
        let direct = super::fast::schema_direct(src).expect("direct path");
        assert_eq!(walked.0, direct.0);
        assert_eq!(Some(walked.1), direct.1.json(src));
    }
}
