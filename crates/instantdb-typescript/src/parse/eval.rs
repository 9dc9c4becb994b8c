//! Static evaluation: the value a schema or rules file default-exports, as instant-cli would get
//! it by running the file, computed from the syntax tree without running anything.
//!
//! instant-cli loads `instant.schema.ts` / `instant.perms.ts` with `unconfig` (which runs the
//! file through jiti) and takes the default export. Hand-written files use ordinary JavaScript
//! to build that value: shared attributes in a `const`, spreads, template literals, enums, small
//! helper functions, sibling modules. [`Evaluator`] interprets that subset of JavaScript over
//! swc's syntax tree: module-level bindings are evaluated on demand (memoized, cycles
//! detected), helper functions are called with their arguments, and `@instantdb/*`'s `i`
//! builder is modelled on `@instantdb/core` 1.0.67 (`dist/commonjs/schema.js`,
//! `schemaTypes.js`): the same objects with the same keys in the same order, so
//! `JSON.stringify` of the result is byte-identical to the executed file's.
//!
//! Whatever depends on running code (a function imported from a package, a loop, a class, the
//! environment) is refused with a located error that says, in plain words, what to write
//! instead. The work is bounded ([`FUEL`], [`MAX_CALL_DEPTH`]) so that no input hangs.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use instantdb_schema::IndexMap;
use serde_json::{Map, Value};
use swc_common::{Span, Spanned};
use swc_ecma_ast::{
    ArrayLit, ArrowFunctionBody, BinaryOp, Callee, Decl, DefaultDecl, ExportSpecifier, Expr,
    ExprOrSpread, Function, FunctionBody, ImportSpecifier, Lit, MemberExpr, MemberProp, Module,
    ModuleDecl, ModuleExportName, ModuleItem, ObjectLit, ObjectPatProp, OptChainBase, Pat, Prop,
    PropName, PropOrSpread, Stmt, TsEnumDecl, TsEnumMemberId, UnaryOp, VarDeclKind, VarDeclarator,
};

use super::Located;
use crate::js;

/// The most evaluation steps (expressions, copied entries) one file may take: far above what a
/// real schema needs (a few thousand), low enough that doubling spreads cannot run for long.
const FUEL: u64 = 2_000_000;

/// The deepest chain of helper calls (recursion has no base case the evaluator could see).
const MAX_CALL_DEPTH: usize = 64;

/// What a schema file default-exports, after evaluation.
pub(crate) struct Evaluated {
    /// `JSON.stringify` of the value, as a JSON tree in JS key order.
    pub(crate) json: Value,
    /// Where the value was built (for errors found when converting it).
    pub(crate) span: Span,
}

/// A JavaScript value, as far as this evaluator models them.
#[derive(Clone)]
pub(crate) enum Val<'a> {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Array(Rc<Vec<Val<'a>>>),
    Object(Rc<Object<'a>>),
    Func(Rc<Func<'a>>),
    Native(Native),
    /// A method read from an object (`attr.optional`), called with that object as `this`.
    Bound(Rc<Object<'a>>, &'static str),
    /// A value that only running code could give, with what it is in plain words and where it
    /// came from. Any use of it is refused.
    Opaque(Rc<str>, Span),
}

/// An object: plain, or an instance of one of the `@instantdb/core` classes.
pub(crate) struct Object<'a> {
    class: Class,
    props: IndexMap<String, Val<'a>>,
    /// Where it was created.
    span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Plain,
    DataAttrDef,
    EntityDef,
    InstantSchemaDef,
}

/// Built-in functions.
#[derive(Clone, Copy)]
pub(crate) enum Native {
    /// `i.<name>`.
    I(&'static str),
    ObjectFreeze,
    ObjectAssign,
    ObjectEntries,
    ObjectFromEntries,
    ObjectKeys,
    ObjectValues,
}

const I_METHODS: [&str; 9] = [
    "schema", "graph", "entity", "string", "number", "boolean", "date", "json", "any",
];

/// A helper function declared in the file.
pub(crate) struct Func<'a> {
    name: String,
    params: Vec<&'a Pat>,
    body: Body<'a>,
    scope: Rc<Scope<'a>>,
}

#[derive(Clone, Copy)]
enum Body<'a> {
    Expr(&'a Expr),
    Block(&'a FunctionBody),
}

/// A function's local names, then its enclosing function's, then the module's.
pub(crate) struct Scope<'a> {
    vars: RefCell<HashMap<String, Val<'a>>>,
    parent: Option<Rc<Scope<'a>>>,
    module: usize,
}

impl<'a> Scope<'a> {
    fn module(module: usize) -> Rc<Scope<'a>> {
        Rc::new(Scope {
            vars: RefCell::new(HashMap::new()),
            parent: None,
            module,
        })
    }

    fn child(parent: &Rc<Scope<'a>>) -> Rc<Scope<'a>> {
        Rc::new(Scope {
            vars: RefCell::new(HashMap::new()),
            parent: Some(parent.clone()),
            module: parent.module,
        })
    }

    fn lookup(&self, name: &str) -> Option<Val<'a>> {
        if let Some(value) = self.vars.borrow().get(name) {
            return Some(value.clone());
        }
        self.parent.as_ref().and_then(|parent| parent.lookup(name))
    }
}

/// One module's top-level names.
enum Binding<'a> {
    /// `const`/`let`/`var` declarator (any pattern), by index into [`ModuleInfo::declarators`].
    Declarator(usize),
    Function(&'a Function, Span),
    /// An enum's declarations (TypeScript merges them).
    Enum(Vec<&'a TsEnumDecl>),
    /// `declare const x: T`, `declare function`, ...: a type-level name without a value.
    Declared(Span),
    Class(Span),
    /// `import { imported as local } from "source"`; `imported` is `*` for a namespace import.
    Import {
        source: &'a str,
        imported: String,
        module: Option<usize>,
        span: Span,
    },
}

/// Where an exported name comes from.
enum Export<'a> {
    Local(String),
    Expr(&'a Expr),
    Reexport {
        module: usize,
        name: String,
    },
    Namespace(usize),
    /// `export ... from` a module that could not be resolved.
    Unresolved {
        source: &'a str,
        span: Span,
    },
}

/// A parsed module, ready to evaluate.
pub(crate) struct ModuleInfo<'a> {
    bindings: HashMap<String, Binding<'a>>,
    declarators: Vec<(&'a VarDeclarator, VarDeclKind)>,
    /// Names assigned to after their declaration, at the top level.
    reassigned: HashMap<String, Span>,
    exports: HashMap<String, Export<'a>>,
    stars: Vec<usize>,
    /// The evaluated bindings.
    values: RefCell<HashMap<String, Val<'a>>>,
    /// Declarators being evaluated, to detect cycles.
    evaluating: RefCell<Vec<usize>>,
    /// Whether the default export expression, or the namespace object, is being evaluated
    /// (an import cycle can come back to either).
    evaluating_default: Cell<bool>,
    evaluating_namespace: Cell<bool>,
    /// The module's name, as written in errors.
    pub(crate) name: String,
}

/// Resolves the relative import `source` of module `from` to a module index.
pub(crate) type Resolve<'r> = dyn Fn(usize, &str) -> Option<usize> + 'r;

impl<'a> ModuleInfo<'a> {
    /// Collects the top-level names of `module`; `resolve` maps relative import sources to
    /// module indices (`None`: not found, or not read from disk).
    pub(crate) fn new(
        index: usize,
        name: String,
        module: &'a Module,
        resolve: &Resolve<'_>,
    ) -> ModuleInfo<'a> {
        let mut info = ModuleInfo {
            bindings: HashMap::new(),
            declarators: Vec::new(),
            reassigned: HashMap::new(),
            exports: HashMap::new(),
            stars: Vec::new(),
            values: RefCell::new(HashMap::new()),
            evaluating: RefCell::new(Vec::new()),
            evaluating_default: Cell::new(false),
            evaluating_namespace: Cell::new(false),
            name,
        };
        for item in &module.body {
            match item {
                ModuleItem::Stmt(Stmt::Decl(decl)) => info.declare(decl, false),
                ModuleItem::Stmt(stmt) => collect_assignments(stmt, &mut info.reassigned),
                ModuleItem::ModuleDecl(decl) => match decl {
                    ModuleDecl::Import(import) => {
                        if import.type_only {
                            continue;
                        }
                        let source = import.src.value.as_str().unwrap_or("");
                        let module = resolve(index, source);
                        for specifier in &import.specifiers {
                            let (local, imported) = match specifier {
                                ImportSpecifier::Named(named) => {
                                    if named.is_type_only {
                                        continue;
                                    }
                                    let imported = named
                                        .imported
                                        .as_ref()
                                        .map(export_name)
                                        .unwrap_or_else(|| named.local.sym.to_string());
                                    (&named.local, imported)
                                }
                                ImportSpecifier::Default(default) => {
                                    (&default.local, "default".to_owned())
                                }
                                ImportSpecifier::Namespace(namespace) => {
                                    (&namespace.local, "*".to_owned())
                                }
                            };
                            info.bindings.insert(
                                local.sym.to_string(),
                                Binding::Import {
                                    source,
                                    imported,
                                    module,
                                    span: local.span,
                                },
                            );
                        }
                    }
                    ModuleDecl::ExportDecl(export) => info.declare(&export.decl, true),
                    ModuleDecl::ExportDefaultExpr(export) => {
                        info.exports
                            .insert("default".to_owned(), Export::Expr(&export.expr));
                    }
                    ModuleDecl::ExportDefaultDecl(export) => match &export.decl {
                        DefaultDecl::Fn(function) => {
                            let name = function
                                .ident
                                .as_ref()
                                .map_or("default".to_owned(), |ident| ident.sym.to_string());
                            info.bindings.insert(
                                name.clone(),
                                Binding::Function(&function.function, function.function.span),
                            );
                            info.exports
                                .insert("default".to_owned(), Export::Local(name));
                        }
                        DefaultDecl::Class(class) => {
                            let name = class
                                .ident
                                .as_ref()
                                .map_or("default".to_owned(), |ident| ident.sym.to_string());
                            info.bindings
                                .insert(name.clone(), Binding::Class(class.class.span));
                            info.exports
                                .insert("default".to_owned(), Export::Local(name));
                        }
                        DefaultDecl::TsInterfaceDecl(_) => {}
                    },
                    ModuleDecl::ExportNamed(named) => {
                        if named.type_only {
                            continue;
                        }
                        let from = named.src.as_ref().map(|src| {
                            let source = src.value.as_str().unwrap_or("");
                            (source, resolve(index, source), src.span)
                        });
                        for specifier in &named.specifiers {
                            let (exported, export) = match specifier {
                                ExportSpecifier::Named(spec) => {
                                    if spec.is_type_only {
                                        continue;
                                    }
                                    let orig = export_name(&spec.orig);
                                    let exported =
                                        spec.exported.as_ref().map_or(orig.clone(), export_name);
                                    let export = match from {
                                        None => Export::Local(orig),
                                        Some((_, Some(module), _)) => {
                                            Export::Reexport { module, name: orig }
                                        }
                                        Some((source, None, span)) => {
                                            Export::Unresolved { source, span }
                                        }
                                    };
                                    (exported, export)
                                }
                                ExportSpecifier::Namespace(spec) => {
                                    let export = match from {
                                        Some((_, Some(module), _)) => Export::Namespace(module),
                                        Some((source, _, span)) => {
                                            Export::Unresolved { source, span }
                                        }
                                        None => continue,
                                    };
                                    (export_name(&spec.name), export)
                                }
                                ExportSpecifier::Default(spec) => {
                                    let export = match from {
                                        Some((_, Some(module), _)) => Export::Reexport {
                                            module,
                                            name: "default".to_owned(),
                                        },
                                        Some((source, _, span)) => {
                                            Export::Unresolved { source, span }
                                        }
                                        None => continue,
                                    };
                                    (spec.exported.sym.to_string(), export)
                                }
                            };
                            info.exports.insert(exported, export);
                        }
                    }
                    ModuleDecl::ExportAll(all) => {
                        if all.type_only {
                            continue;
                        }
                        let source = all.src.value.as_str().unwrap_or("");
                        if let Some(module) = resolve(index, source) {
                            info.stars.push(module);
                        }
                    }
                    ModuleDecl::TsImportEquals(_)
                    | ModuleDecl::TsExportAssignment(_)
                    | ModuleDecl::TsNamespaceExport(_) => {}
                },
            }
        }
        info
    }

    fn declare(&mut self, decl: &'a Decl, exported: bool) {
        let mut names = Vec::new();
        match decl {
            Decl::Var(var) => {
                for declarator in &var.decls {
                    let index = self.declarators.len();
                    self.declarators.push((declarator, var.kind));
                    let mut bound = Vec::new();
                    pattern_names(&declarator.name, &mut bound);
                    for name in bound {
                        let binding = if var.declare {
                            Binding::Declared(declarator.span)
                        } else {
                            Binding::Declarator(index)
                        };
                        self.bindings.insert(name.clone(), binding);
                        names.push(name);
                    }
                }
            }
            Decl::Fn(function) => {
                let name = function.ident.sym.to_string();
                let binding = if function.declare || function.function.body.is_none() {
                    Binding::Declared(function.ident.span)
                } else {
                    Binding::Function(&function.function, function.function.span)
                };
                // Overloads declare the name without a body; keep the implementation.
                if !matches!(binding, Binding::Declared(_)) || !self.bindings.contains_key(&name) {
                    self.bindings.insert(name.clone(), binding);
                }
                names.push(name);
            }
            Decl::TsEnum(decl) => {
                let name = decl.id.sym.to_string();
                let binding = match (decl.declare, self.bindings.remove(&name)) {
                    (true, _) => Binding::Declared(decl.id.span),
                    (false, Some(Binding::Enum(mut decls))) => {
                        decls.push(decl);
                        Binding::Enum(decls)
                    }
                    (false, _) => Binding::Enum(vec![decl]),
                };
                self.bindings.insert(name.clone(), binding);
                names.push(name);
            }
            Decl::Class(class) => {
                let name = class.ident.sym.to_string();
                self.bindings
                    .insert(name.clone(), Binding::Class(class.class.span));
                names.push(name);
            }
            Decl::Using(_) | Decl::TsInterface(_) | Decl::TsTypeAlias(_) | Decl::TsModule(_) => {}
        }
        if exported {
            for name in names {
                self.exports.insert(name.clone(), Export::Local(name));
            }
        }
    }
}

/// The names a binding pattern declares.
fn pattern_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(ident) => out.push(ident.id.sym.to_string()),
        Pat::Array(array) => {
            for elem in array.elems.iter().flatten() {
                pattern_names(elem, out);
            }
        }
        Pat::Rest(rest) => pattern_names(&rest.arg, out),
        Pat::Object(object) => {
            for prop in &object.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => pattern_names(&kv.value, out),
                    ObjectPatProp::Assign(assign) => out.push(assign.key.sym.to_string()),
                    ObjectPatProp::Rest(rest) => pattern_names(&rest.arg, out),
                }
            }
        }
        Pat::Assign(assign) => pattern_names(&assign.left, out),
        Pat::Invalid(_) | Pat::Expr(_) => {}
    }
}

/// Top-level statements that change a binding after its declaration (`x = ...`, `x.y = ...`,
/// `x++`, also inside top-level blocks, loops and conditionals): those bindings cannot be read
/// from their declaration alone.
fn collect_assignments(stmt: &Stmt, out: &mut HashMap<String, Span>) {
    fn root(expr: &Expr) -> Option<(&str, Span)> {
        match expr {
            Expr::Ident(ident) => Some((ident.sym.as_str(), ident.span)),
            Expr::Member(member) => root(&member.obj),
            Expr::Paren(paren) => root(&paren.expr),
            Expr::TsAs(cast) => root(&cast.expr),
            Expr::TsNonNull(cast) => root(&cast.expr),
            _ => None,
        }
    }
    fn in_expr(expr: &Expr, out: &mut HashMap<String, Span>) {
        match expr {
            Expr::Assign(assign) => {
                let target = match &assign.left {
                    swc_ecma_ast::AssignTarget::Simple(simple) => match simple {
                        swc_ecma_ast::SimpleAssignTarget::Ident(ident) => {
                            Some((ident.id.sym.as_str(), ident.id.span))
                        }
                        swc_ecma_ast::SimpleAssignTarget::Member(member) => root(&member.obj),
                        _ => None,
                    },
                    swc_ecma_ast::AssignTarget::Pat(_) => None,
                };
                if let Some((name, span)) = target {
                    out.entry(name.to_owned()).or_insert(span);
                }
                in_expr(&assign.right, out);
            }
            Expr::Update(update) => {
                if let Some((name, span)) = root(&update.arg) {
                    out.entry(name.to_owned()).or_insert(span);
                }
            }
            Expr::Seq(seq) => seq.exprs.iter().for_each(|e| in_expr(e, out)),
            Expr::Paren(paren) => in_expr(&paren.expr, out),
            Expr::Call(call) => {
                // `Object.assign(x, ...)` and `arr.push(...)` change `x` / `arr`.
                if let Callee::Expr(callee) = &call.callee
                    && let Expr::Member(member) = &**callee
                {
                    let method = match &member.prop {
                        MemberProp::Ident(ident) => ident.sym.as_str(),
                        _ => "",
                    };
                    let target = if method == "assign" || method == "defineProperty" {
                        call.args.first().and_then(|arg| root(&arg.expr))
                    } else {
                        root(&member.obj)
                    };
                    if let Some((name, span)) = target {
                        out.entry(name.to_owned()).or_insert(span);
                    }
                }
            }
            _ => {}
        }
    }
    match stmt {
        Stmt::Expr(expr) => in_expr(&expr.expr, out),
        Stmt::Block(block) => block.stmts.iter().for_each(|s| collect_assignments(s, out)),
        Stmt::If(if_stmt) => {
            collect_assignments(&if_stmt.cons, out);
            if let Some(alt) = &if_stmt.alt {
                collect_assignments(alt, out);
            }
        }
        Stmt::For(s) => collect_assignments(&s.body, out),
        Stmt::ForIn(s) => collect_assignments(&s.body, out),
        Stmt::ForOf(s) => collect_assignments(&s.body, out),
        Stmt::While(s) => collect_assignments(&s.body, out),
        Stmt::DoWhile(s) => collect_assignments(&s.body, out),
        Stmt::Labeled(s) => collect_assignments(&s.body, out),
        Stmt::Try(s) => {
            s.block
                .stmts
                .iter()
                .for_each(|s| collect_assignments(s, out));
        }
        _ => {}
    }
}

fn export_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::Ident(ident) => ident.sym.to_string(),
        ModuleExportName::Str(s) => s.value.to_atom_lossy().to_string(),
    }
}

/// A module that could not be read, for the imports that name it.
pub(crate) struct Failed {
    pub(crate) error: crate::ParseError,
}

/// Evaluates modules; module 0 is the file being read.
pub(crate) struct Evaluator<'a, 'm> {
    pub(crate) modules: &'m [Result<ModuleInfo<'a>, Failed>],
    fuel: Cell<u64>,
    depth: Cell<usize>,
}

/// An evaluation failure: a located message, or a module that failed to read.
pub(crate) enum Error {
    Located(Located),
    Module(crate::ParseError),
}

impl From<Located> for Error {
    fn from(located: Located) -> Error {
        Error::Located(located)
    }
}

type R<T> = Result<T, Error>;

fn fail<T>(span: Span, message: impl Into<String>) -> R<T> {
    Err(Error::Located(Located::new(span, message)))
}

impl<'a, 'm> Evaluator<'a, 'm> {
    pub(crate) fn new(modules: &'m [Result<ModuleInfo<'a>, Failed>]) -> Self {
        Evaluator {
            modules,
            fuel: Cell::new(FUEL),
            depth: Cell::new(0),
        }
    }

    fn module(&self, index: usize) -> R<&'m ModuleInfo<'a>> {
        match &self.modules[index] {
            Ok(info) => Ok(info),
            Err(failed) => Err(Error::Module(failed.error.clone())),
        }
    }

    fn burn(&self, amount: u64, span: Span) -> R<()> {
        let left = self.fuel.get();
        if left < amount {
            return fail(
                span,
                "The file builds values too large to read without running it (more than two \
                 million steps). Write the schema or rules out more directly.",
            );
        }
        self.fuel.set(left - amount);
        Ok(())
    }

    /// Charges for a string just built: one step per 16 bytes, so that strings doubled again
    /// and again (`s = s + s`) stop at a few tens of megabytes.
    fn burn_text(&self, text: &str, span: Span) -> R<()> {
        self.burn(text.len() as u64 / 16, span)
    }

    /// The main module's default export; `fallback` names the variable upstream's parser reads
    /// when there is none (`_schema`, `rules`). Returns the value and the span to blame.
    pub(crate) fn entry(&self, fallback: &str, module_span: Span) -> R<(Val<'a>, Span)> {
        let main = self.module(0)?;
        if let Some(export) = main.exports.get("default") {
            let span = match export {
                Export::Expr(expr) => expr.span(),
                _ => module_span.shrink_to_lo(),
            };
            return Ok((self.export(0, "default", span, 0)?, span));
        }
        if main.bindings.contains_key(fallback) {
            let span = match main.bindings.get(fallback) {
                Some(Binding::Declarator(index)) => main.declarators[*index].0.span,
                _ => module_span.shrink_to_lo(),
            };
            return Ok((self.module_binding(0, fallback, span)?, span));
        }
        let what = if fallback == "rules" {
            "rules"
        } else {
            "schema"
        };
        let named: Vec<&str> = main.exports.keys().map(String::as_str).collect();
        let mut message = format!(
            "The file has no default export, which is what instant-cli reads. End it with \
             `export default {what};`."
        );
        if !named.is_empty() {
            let mut named = named;
            named.sort_unstable();
            message.push_str(&format!(
                " (It exports {} by name only.)",
                named
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        fail(module_span.shrink_to_lo(), message)
    }

    /// The value module `index` exports as `name`.
    fn export(&self, index: usize, name: &str, span: Span, hops: usize) -> R<Val<'a>> {
        if hops > 64 {
            return fail(span, "These re-exports go round in a circle.");
        }
        let module = self.module(index)?;
        match module.exports.get(name) {
            Some(Export::Local(local)) => self.module_binding(index, local, span),
            Some(Export::Expr(expr)) => {
                let key = "\u{0}default";
                if let Some(value) = module.values.borrow().get(key) {
                    return Ok(value.clone());
                }
                if module.evaluating_default.replace(true) {
                    return fail(span, cycle_message("default export"));
                }
                let value = self.eval(expr, &Scope::module(index));
                module.evaluating_default.set(false);
                let value = value?;
                module
                    .values
                    .borrow_mut()
                    .insert(key.to_owned(), value.clone());
                Ok(value)
            }
            Some(Export::Reexport { module, name }) => self.export(*module, name, span, hops + 1),
            Some(Export::Namespace(module)) => self.namespace(*module, span),
            Some(Export::Unresolved { source, span }) => fail(*span, unresolved(source)),
            None => {
                for star in &module.stars {
                    if name != "default" && self.module(*star)?.has_export(self, name, 0) {
                        return self.export(*star, name, span, hops + 1);
                    }
                }
                fail(
                    span,
                    format!(
                        "`{}` does not export `{name}`. Export it there with `export const \
                         {name} = ...`.",
                        module.name
                    ),
                )
            }
        }
    }

    /// `import * as ns`: an object of the module's exports.
    fn namespace(&self, index: usize, span: Span) -> R<Val<'a>> {
        let module = self.module(index)?;
        let key = "\u{0}namespace";
        if let Some(value) = module.values.borrow().get(key) {
            return Ok(value.clone());
        }
        if module.evaluating_namespace.replace(true) {
            return fail(span, cycle_message("namespace import"));
        }
        let mut names: Vec<&String> = module.exports.keys().collect();
        names.sort();
        let mut props = IndexMap::new();
        let mut result = Ok(());
        for name in names {
            match self.export(index, name, span, 0) {
                Ok(value) => {
                    props.insert(name.clone(), value);
                }
                Err(err) => {
                    result = Err(err);
                    break;
                }
            }
        }
        module.evaluating_namespace.set(false);
        result?;
        let value = object(Class::Plain, props, span);
        module
            .values
            .borrow_mut()
            .insert(key.to_owned(), value.clone());
        Ok(value)
    }

    /// The value of the top-level name `name` of module `index`.
    fn module_binding(&self, index: usize, name: &str, span: Span) -> R<Val<'a>> {
        let module = self.module(index)?;
        if let Some(value) = module.values.borrow().get(name) {
            return Ok(value.clone());
        }
        let Some(binding) = module.bindings.get(name) else {
            return self.global(name, span);
        };
        if let Some(assigned) = module.reassigned.get(name) {
            return fail(
                *assigned,
                format!(
                    "`{name}` is changed after its declaration, so its value depends on running \
                     the file. Build the final value in one `const` declaration instead."
                ),
            );
        }
        let value = match binding {
            Binding::Declarator(declarator_index) => {
                let (declarator, _kind) = module.declarators[*declarator_index];
                if module.evaluating.borrow().contains(declarator_index) {
                    return fail(
                        span,
                        format!(
                            "`{name}` is used in its own definition (directly or through other \
                             names), which fails when the file runs."
                        ),
                    );
                }
                module.evaluating.borrow_mut().push(*declarator_index);
                let result = self.eval_declarator(index, declarator);
                module.evaluating.borrow_mut().pop();
                result?;
                return module
                    .values
                    .borrow()
                    .get(name)
                    .cloned()
                    .map_or_else(|| fail(span, format!("`{name}` has no value.")), Ok);
            }
            Binding::Function(function, span) => Val::Func(Rc::new(Func {
                name: format!("`{name}`"),
                params: function.params.iter().map(|param| &param.pat).collect(),
                body: match &function.body {
                    Some(body) => Body::Block(body),
                    None => return fail(*span, format!("`{name}` has no body.")),
                },
                scope: Scope::module(index),
            })),
            Binding::Enum(decls) => self.eval_enum(index, decls)?,
            Binding::Declared(declared) => {
                return fail(
                    *declared,
                    format!(
                        "`{name}` is only declared (`declare`), so it has no value in this file. \
                         Define it with `const {name} = ...`."
                    ),
                );
            }
            Binding::Class(class) => {
                return fail(
                    *class,
                    format!(
                        "`{name}` is a class, and classes run code. Use plain objects and \
                         `i.*` calls instead."
                    ),
                );
            }
            Binding::Import {
                source,
                imported,
                module: target,
                span: import_span,
            } => match target {
                Some(target) if imported == "*" => self.namespace(*target, *import_span)?,
                Some(target) => self.export(*target, imported, *import_span, 0)?,
                None if is_relative(source) => return fail(*import_span, unresolved(source)),
                None if source.starts_with("@instantdb/") && imported == "i" => {
                    Val::Object(i_builder(*import_span))
                }
                None if source.starts_with("@instantdb/") && imported == "*" => {
                    let mut props = IndexMap::new();
                    props.insert("i".to_owned(), Val::Object(i_builder(*import_span)));
                    object(Class::Plain, props, *import_span)
                }
                None => Val::Opaque(
                    format!(
                        "`{name}` is imported from the package `{source}`, whose code this \
                         reader does not run. Write the value in this file or in a relative \
                         module (`./shared.ts`)."
                    )
                    .into(),
                    *import_span,
                ),
            },
        };
        module
            .values
            .borrow_mut()
            .insert(name.to_owned(), value.clone());
        Ok(value)
    }

    fn eval_declarator(&self, index: usize, declarator: &'a VarDeclarator) -> R<()> {
        let mut value = match &declarator.init {
            Some(init) => self.eval(init, &Scope::module(index))?,
            None => Val::Undefined,
        };
        // `const helper = (...) => ...` is named `helper` in messages.
        if let (Pat::Ident(binding), Val::Func(func)) = (&declarator.name, &value)
            && matches!(
                declarator.init.as_deref(),
                Some(Expr::Arrow(_) | Expr::Fn(_))
            )
        {
            value = Val::Func(Rc::new(Func {
                name: format!("`{}`", binding.id.sym),
                params: func.params.clone(),
                body: func.body,
                scope: func.scope.clone(),
            }));
        }
        let module = self.module(index)?;
        let mut bound = HashMap::new();
        self.bind(&declarator.name, value, &Scope::module(index), &mut bound)?;
        module.values.borrow_mut().extend(bound);
        Ok(())
    }

    /// Binds `pat` to `value`, collecting the names into `out`; defaults are evaluated in
    /// `scope`.
    fn bind(
        &self,
        pat: &'a Pat,
        value: Val<'a>,
        scope: &Rc<Scope<'a>>,
        out: &mut HashMap<String, Val<'a>>,
    ) -> R<()> {
        match pat {
            Pat::Ident(ident) => {
                out.insert(ident.id.sym.to_string(), value);
            }
            Pat::Assign(assign) => {
                let value = match value {
                    Val::Undefined => self.eval(&assign.right, scope)?,
                    value => value,
                };
                self.bind(&assign.left, value, scope, out)?;
            }
            Pat::Object(object_pat) => {
                self.check_readable(&value, object_pat.span)?;
                let mut used = Vec::new();
                for prop in &object_pat.props {
                    match prop {
                        ObjectPatProp::KeyValue(kv) => {
                            let key = self.prop_name(&kv.key, scope)?;
                            let field = self.get(&value, &key, kv.key.span())?;
                            used.push(key);
                            self.bind(&kv.value, field, scope, out)?;
                        }
                        ObjectPatProp::Assign(assign) => {
                            let key = assign.key.sym.to_string();
                            let mut field = self.get(&value, &key, assign.key.span)?;
                            if let (Val::Undefined, Some(default)) = (&field, &assign.value) {
                                field = self.eval(default, scope)?;
                            }
                            used.push(key.clone());
                            out.insert(key, field);
                        }
                        ObjectPatProp::Rest(rest) => {
                            let mut props = IndexMap::new();
                            for (key, field) in self.entries(&value, rest.span)? {
                                if !used.contains(&key) {
                                    props.insert(key, field);
                                }
                            }
                            self.bind(
                                &rest.arg,
                                object(Class::Plain, props, rest.span),
                                scope,
                                out,
                            )?;
                        }
                    }
                }
            }
            Pat::Array(array_pat) => {
                let items = match &value {
                    Val::Array(items) => items.clone(),
                    _ => {
                        return fail(
                            array_pat.span,
                            "Only arrays can be unpacked with `[...]` here.",
                        );
                    }
                };
                for (position, elem) in array_pat.elems.iter().enumerate() {
                    let Some(elem) = elem else { continue };
                    if let Pat::Rest(rest) = elem {
                        let rest_items = items.iter().skip(position).cloned().collect();
                        self.bind(&rest.arg, Val::Array(Rc::new(rest_items)), scope, out)?;
                        break;
                    }
                    let item = items.get(position).cloned().unwrap_or(Val::Undefined);
                    self.bind(elem, item, scope, out)?;
                }
            }
            Pat::Rest(rest) => self.bind(&rest.arg, value, scope, out)?,
            Pat::Invalid(_) | Pat::Expr(_) => {
                return fail(pat.span(), "This kind of binding cannot be read.");
            }
        }
        Ok(())
    }

    /// A TypeScript `enum` as the object TypeScript compiles it to: string members map name to
    /// value; numeric members also map the number back to the name.
    fn eval_enum(&self, index: usize, decls: &[&'a TsEnumDecl]) -> R<Val<'a>> {
        let scope = Scope::module(index);
        let mut props: IndexMap<String, Val<'a>> = IndexMap::new();
        for (position, decl) in decls.iter().enumerate() {
            // Only the first declaration of a merged enum may start without an initializer.
            let mut next = (position == 0).then_some(0.0);
            for member in &decl.members {
                let name = match &member.id {
                    TsEnumMemberId::Ident(ident) => ident.sym.to_string(),
                    TsEnumMemberId::Str(s) => s.value.to_atom_lossy().to_string(),
                };
                let value = match &member.init {
                    Some(init) => self.eval(init, &scope)?,
                    None => match next {
                        Some(n) => Val::Num(n),
                        None => {
                            return fail(
                                member.span,
                                format!(
                                    "Enum member `{name}` needs a value (`{name} = ...`) here."
                                ),
                            );
                        }
                    },
                };
                match value {
                    Val::Num(n) => {
                        props.insert(name.clone(), Val::Num(n));
                        props.insert(js::number_to_string(n), Val::Str(name.clone().into()));
                        next = Some(n + 1.0);
                    }
                    Val::Str(s) => {
                        props.insert(name.clone(), Val::Str(s));
                        next = None;
                    }
                    _ => {
                        return fail(
                            member.span,
                            format!("Enum member `{name}` must be a string or a number."),
                        );
                    }
                }
                // Later members may name earlier ones directly.
                scope
                    .vars
                    .borrow_mut()
                    .insert(name.clone(), props[&name].clone());
            }
        }
        let span = decls.first().map_or(Span::default(), |decl| decl.span);
        Ok(object(Class::Plain, props, span))
    }

    /// Names not declared in the module: the few globals a schema file may use.
    fn global(&self, name: &str, span: Span) -> R<Val<'a>> {
        Ok(match name {
            "undefined" => Val::Undefined,
            // upstream's parser reads `i` as the builder whatever the imports say.
            "i" => Val::Object(i_builder(span)),
            "NaN" => Val::Num(f64::NAN),
            "Infinity" => Val::Num(f64::INFINITY),
            "Object" => {
                let mut props = IndexMap::new();
                for (key, native) in [
                    ("freeze", Native::ObjectFreeze),
                    ("assign", Native::ObjectAssign),
                    ("entries", Native::ObjectEntries),
                    ("fromEntries", Native::ObjectFromEntries),
                    ("keys", Native::ObjectKeys),
                    ("values", Native::ObjectValues),
                ] {
                    props.insert(key.to_owned(), Val::Native(native));
                }
                object(Class::Plain, props, span)
            }
            "process" | "globalThis" | "window" | "Deno" | "Bun" => Val::Opaque(
                format!(
                    "`{name}` is the running program's environment, which is only known when \
                     the file runs. Write the value into the file."
                )
                .into(),
                span,
            ),
            _ => {
                return fail(
                    span,
                    format!(
                        "`{name}` is not defined in this file. Declare it at the top level \
                         (`const {name} = ...`) or import it from a relative module."
                    ),
                );
            }
        })
    }

    fn lookup(&self, name: &str, scope: &Rc<Scope<'a>>, span: Span) -> R<Val<'a>> {
        if let Some(value) = scope.lookup(name) {
            return Ok(value);
        }
        self.module_binding(scope.module, name, span)
    }

    /// Evaluates an expression.
    pub(crate) fn eval(&self, expr: &'a Expr, scope: &Rc<Scope<'a>>) -> R<Val<'a>> {
        self.burn(1, expr.span())?;
        let value = match expr {
            Expr::Paren(paren) => self.eval(&paren.expr, scope)?,
            Expr::TsAs(cast) => self.eval(&cast.expr, scope)?,
            Expr::TsConstAssertion(cast) => self.eval(&cast.expr, scope)?,
            Expr::TsSatisfies(cast) => self.eval(&cast.expr, scope)?,
            Expr::TsNonNull(cast) => self.eval(&cast.expr, scope)?,
            Expr::TsTypeAssertion(cast) => self.eval(&cast.expr, scope)?,
            Expr::TsInstantiation(inst) => self.eval(&inst.expr, scope)?,
            Expr::Lit(lit) => match lit {
                Lit::Str(s) => Val::Str(Rc::from(s.value.to_atom_lossy().as_str())),
                Lit::Num(n) => Val::Num(n.value),
                Lit::Bool(b) => Val::Bool(b.value),
                Lit::Null(_) => Val::Null,
                Lit::BigInt(b) => {
                    return fail(
                        b.span,
                        "BigInt literals (`1n`) cannot be written to JSON. Use a number.",
                    );
                }
                Lit::Regex(r) => {
                    return fail(
                        r.span,
                        "A regular expression is not a value a schema or rules file can hold. \
                         Write it as a string.",
                    );
                }
                Lit::JSXText(t) => return fail(t.span, "JSX cannot be read here."),
            },
            Expr::Tpl(tpl) => {
                let mut out = String::new();
                for (position, quasi) in tpl.quasis.iter().enumerate() {
                    let Some(cooked) = &quasi.cooked else {
                        return fail(quasi.span, "This template literal has an invalid escape.");
                    };
                    out.push_str(&cooked.to_atom_lossy());
                    if let Some(sub) = tpl.exprs.get(position) {
                        let value = self.eval(sub, scope)?;
                        out.push_str(&self.to_string(&value, sub.span())?);
                    }
                }
                self.burn_text(&out, tpl.span)?;
                Val::Str(out.into())
            }
            Expr::Ident(ident) => self.lookup(ident.sym.as_str(), scope, ident.span)?,
            Expr::Array(array) => self.eval_array(array, scope)?,
            Expr::Object(object_lit) => self.eval_object(object_lit, scope)?,
            Expr::Member(member) => {
                let target = self.eval(&member.obj, scope)?;
                let key = self.member_key(member, scope)?;
                self.get(&target, &key, member.span)?
            }
            Expr::OptChain(chain) => match &*chain.base {
                OptChainBase::Member(member) => {
                    let target = self.eval(&member.obj, scope)?;
                    if matches!(target, Val::Undefined | Val::Null) {
                        Val::Undefined
                    } else {
                        let key = self.member_key(member, scope)?;
                        self.get(&target, &key, member.span)?
                    }
                }
                OptChainBase::Call(call) => {
                    let callee = self.eval(&call.callee, scope)?;
                    if matches!(callee, Val::Undefined | Val::Null) {
                        Val::Undefined
                    } else {
                        let args = self.eval_args(&call.args, scope)?;
                        self.call(callee, args, call.span, &call.args)?
                    }
                }
            },
            Expr::Call(call) => {
                let callee = match &call.callee {
                    Callee::Expr(callee) => callee,
                    Callee::Super(s) => return fail(s.span, "`super` calls run code."),
                    Callee::Import(i) => {
                        return fail(
                            i.span,
                            "A dynamic `import()` loads code at run time. Use a static \
                             `import` of a relative module.",
                        );
                    }
                };
                let function = self.eval(callee, scope)?;
                let args = self.eval_args(&call.args, scope)?;
                self.call_named(function, args, call.span, &call.args, callee, scope)?
            }
            Expr::Arrow(arrow) => Val::Func(Rc::new(Func {
                name: "This arrow function".to_owned(),
                params: arrow.params.iter().collect(),
                body: match &*arrow.body {
                    ArrowFunctionBody::FunctionBody(block) => Body::Block(block),
                    ArrowFunctionBody::Expr(expr) => Body::Expr(expr),
                },
                scope: scope.clone(),
            })),
            Expr::Fn(function) => Val::Func(Rc::new(Func {
                name: function
                    .ident
                    .as_ref()
                    .map_or("this function".to_owned(), |ident| {
                        format!("`{}`", ident.sym)
                    }),
                params: function.function.params.iter().map(|p| &p.pat).collect(),
                body: match &function.function.body {
                    Some(body) => Body::Block(body),
                    None => return fail(function.function.span, "This function has no body."),
                },
                scope: scope.clone(),
            })),
            Expr::Unary(unary) => {
                let value = self.eval(&unary.arg, scope)?;
                match unary.op {
                    UnaryOp::Minus => Val::Num(-self.to_number(&value, unary.span)?),
                    UnaryOp::Plus => Val::Num(self.to_number(&value, unary.span)?),
                    UnaryOp::Bang => Val::Bool(!self.truthy(&value, unary.span)?),
                    UnaryOp::Void => Val::Undefined,
                    UnaryOp::TypeOf => Val::Str(
                        match value {
                            Val::Undefined => "undefined",
                            Val::Null | Val::Array(_) | Val::Object(_) => "object",
                            Val::Bool(_) => "boolean",
                            Val::Num(_) => "number",
                            Val::Str(_) => "string",
                            Val::Func(_) | Val::Native(_) | Val::Bound(..) => "function",
                            Val::Opaque(message, span) => {
                                return fail(span, message.to_string());
                            }
                        }
                        .into(),
                    ),
                    UnaryOp::Tilde | UnaryOp::Delete => {
                        return fail(
                            unary.span,
                            format!("The `{}` operator cannot be read here.", unary.op.as_str()),
                        );
                    }
                }
            }
            Expr::Bin(bin) => self.eval_binary(bin, scope)?,
            Expr::Cond(cond) => {
                let test = self.eval(&cond.test, scope)?;
                if self.truthy(&test, cond.test.span())? {
                    self.eval(&cond.cons, scope)?
                } else {
                    self.eval(&cond.alt, scope)?
                }
            }
            other => return fail(other.span(), unsupported_expression(other)),
        };
        Ok(value)
    }

    fn member_key(&self, member: &'a MemberExpr, scope: &Rc<Scope<'a>>) -> R<String> {
        match &member.prop {
            MemberProp::Ident(ident) => Ok(ident.sym.to_string()),
            MemberProp::Computed(computed) => {
                let key = self.eval(&computed.expr, scope)?;
                self.to_key(&key, computed.span)
            }
            MemberProp::PrivateName(private) => {
                fail(private.span, "Private class fields cannot be read here.")
            }
        }
    }

    fn eval_args(&self, args: &'a [ExprOrSpread], scope: &Rc<Scope<'a>>) -> R<Vec<Val<'a>>> {
        let mut out = Vec::with_capacity(args.len());
        for arg in args {
            let value = self.eval(&arg.expr, scope)?;
            match arg.spread {
                Some(spread) => out.extend(self.iterate(&value, spread)?),
                None => out.push(value),
            }
        }
        Ok(out)
    }

    /// The elements `[...value]` would list.
    fn iterate(&self, value: &Val<'a>, span: Span) -> R<Vec<Val<'a>>> {
        match value {
            Val::Array(items) => {
                self.burn(items.len() as u64, span)?;
                Ok(items.as_ref().clone())
            }
            Val::Str(s) => Ok(s.chars().map(|c| Val::Str(c.to_string().into())).collect()),
            Val::Opaque(message, span) => fail(*span, message.to_string()),
            other => fail(
                span,
                format!(
                    "Only arrays can be spread with `...` here, not {}.",
                    kind(other)
                ),
            ),
        }
    }

    fn eval_array(&self, array: &'a ArrayLit, scope: &Rc<Scope<'a>>) -> R<Val<'a>> {
        let mut items = Vec::with_capacity(array.elems.len());
        for elem in &array.elems {
            match elem {
                None => items.push(Val::Undefined),
                Some(elem) => {
                    let value = self.eval(&elem.expr, scope)?;
                    match elem.spread {
                        Some(spread) => items.extend(self.iterate(&value, spread)?),
                        None => items.push(value),
                    }
                }
            }
        }
        Ok(Val::Array(Rc::new(items)))
    }

    fn eval_object(&self, object_lit: &'a ObjectLit, scope: &Rc<Scope<'a>>) -> R<Val<'a>> {
        let mut props: IndexMap<String, Val<'a>> = IndexMap::new();
        // Keys written in this literal. TypeScript rejects a key written twice (TS1117), and
        // transpilers disagree on where it then ends up (jiti moves it to its last place when
        // the literal also has a spread), so it is refused rather than guessed.
        let mut written: Vec<String> = Vec::new();
        let mut write = |key: &str, span: Span| -> R<()> {
            if written.iter().any(|k| k == key) {
                return fail(
                    span,
                    format!(
                        "The key `{key}` is written twice in this object; TypeScript rejects \
                         that. Keep one."
                    ),
                );
            }
            written.push(key.to_owned());
            Ok(())
        };
        for prop in &object_lit.props {
            match prop {
                PropOrSpread::Spread(spread) => {
                    let value = self.eval(&spread.expr, scope)?;
                    for (key, field) in self.entries(&value, spread.dot3_token)? {
                        props.insert(key, field);
                    }
                }
                PropOrSpread::Prop(prop) => match &**prop {
                    Prop::KeyValue(kv) => {
                        let key = self.prop_name(&kv.key, scope)?;
                        write(&key, kv.key.span())?;
                        let value = self.eval(&kv.value, scope)?;
                        props.insert(key, value);
                    }
                    Prop::Shorthand(ident) => {
                        write(ident.sym.as_str(), ident.span)?;
                        let value = self.lookup(ident.sym.as_str(), scope, ident.span)?;
                        props.insert(ident.sym.to_string(), value);
                    }
                    Prop::Method(method) => {
                        let key = self.prop_name(&method.key, scope)?;
                        write(&key, method.key.span())?;
                        let value = Val::Func(Rc::new(Func {
                            name: format!("`{key}`"),
                            params: method.function.params.iter().map(|p| &p.pat).collect(),
                            body: match &method.function.body {
                                Some(body) => Body::Block(body),
                                None => Val::Undefined.into_body_error(method.function.span)?,
                            },
                            scope: scope.clone(),
                        }));
                        props.insert(key, value);
                    }
                    Prop::Getter(getter) => {
                        return fail(
                            getter.span,
                            "Getters run code when read. Write the value as a plain property.",
                        );
                    }
                    Prop::Setter(setter) => {
                        return fail(setter.span, "Setters cannot be read here.");
                    }
                    Prop::Assign(assign) => {
                        return fail(assign.span, "`{ a = b }` is not a valid object literal.");
                    }
                },
            }
        }
        Ok(object(Class::Plain, props, object_lit.span))
    }

    /// A property name as a string key.
    fn prop_name(&self, key: &'a PropName, scope: &Rc<Scope<'a>>) -> R<String> {
        Ok(match key {
            PropName::Ident(ident) => ident.sym.to_string(),
            PropName::Str(s) => s.value.to_atom_lossy().to_string(),
            PropName::Num(n) => js::number_to_string(n.value),
            PropName::BigInt(b) => b.value.to_string(),
            PropName::Computed(computed) => {
                let value = self.eval(&computed.expr, scope)?;
                self.to_key(&value, computed.span)?
            }
        })
    }

    /// `ToPropertyKey`.
    fn to_key(&self, value: &Val<'a>, span: Span) -> R<String> {
        match value {
            Val::Str(s) => Ok(s.to_string()),
            Val::Num(_) | Val::Bool(_) | Val::Null | Val::Undefined => self.to_string(value, span),
            Val::Opaque(message, span) => fail(*span, message.to_string()),
            other => fail(
                span,
                format!(
                    "A property name must be a string or a number, not {}.",
                    kind(other)
                ),
            ),
        }
    }

    /// `{ ...value }`: own enumerable properties in JS order.
    fn entries(&self, value: &Val<'a>, span: Span) -> R<Vec<(String, Val<'a>)>> {
        match value {
            Val::Object(object) => {
                self.burn(object.props.len() as u64, span)?;
                Ok(
                    js::ordered(object.props.iter().map(|(k, v)| (k.as_str(), v)))
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.clone()))
                        .collect(),
                )
            }
            Val::Array(items) => {
                self.burn(items.len() as u64, span)?;
                Ok(items
                    .iter()
                    .enumerate()
                    .map(|(n, v)| (n.to_string(), v.clone()))
                    .collect())
            }
            Val::Str(s) => Ok(s
                .chars()
                .enumerate()
                .map(|(n, c)| (n.to_string(), Val::Str(c.to_string().into())))
                .collect()),
            Val::Undefined
            | Val::Null
            | Val::Bool(_)
            | Val::Num(_)
            | Val::Func(_)
            | Val::Native(_)
            | Val::Bound(..) => Ok(Vec::new()),
            Val::Opaque(message, span) => fail(*span, message.to_string()),
        }
    }

    fn check_readable(&self, value: &Val<'a>, span: Span) -> R<()> {
        match value {
            Val::Undefined | Val::Null => {
                fail(span, format!("Cannot read properties of {}.", kind(value)))
            }
            Val::Opaque(message, span) => fail(*span, message.to_string()),
            _ => Ok(()),
        }
    }

    /// `value[key]`.
    fn get(&self, value: &Val<'a>, key: &str, span: Span) -> R<Val<'a>> {
        self.check_readable(value, span)?;
        Ok(match value {
            Val::Object(object) => match object.props.get(key) {
                Some(field) => field.clone(),
                None => match method(object.class, key) {
                    Some(name) => Val::Bound(object.clone(), name),
                    None => Val::Undefined,
                },
            },
            Val::Array(items) => match key {
                "length" => Val::Num(items.len() as f64),
                "map" | "reduce" | "filter" | "join" | "includes" | "concat" => Val::Bound(
                    Rc::new(Object {
                        class: Class::Plain,
                        props: IndexMap::from_iter([("array".to_owned(), value.clone())]),
                        span,
                    }),
                    match key {
                        "map" => "map",
                        "reduce" => "reduce",
                        "filter" => "filter",
                        "join" => "join",
                        "includes" => "includes",
                        _ => "concat",
                    },
                ),
                _ => match js::array_index(key) {
                    Some(n) => items.get(n as usize).cloned().unwrap_or(Val::Undefined),
                    None => Val::Undefined,
                },
            },
            Val::Str(s) => match key {
                "length" => Val::Num(s.encode_utf16().count() as f64),
                _ => Val::Undefined,
            },
            _ => Val::Undefined,
        })
    }

    fn call_named(
        &self,
        function: Val<'a>,
        args: Vec<Val<'a>>,
        span: Span,
        arg_exprs: &'a [ExprOrSpread],
        callee: &'a Expr,
        scope: &Rc<Scope<'a>>,
    ) -> R<Val<'a>> {
        if matches!(function, Val::Undefined | Val::Null) {
            let name = callee_text(callee);
            if let Expr::Member(member) = strip(callee)
                && let Ok(target) = self.peek_object(&member.obj, scope)
                && target
                    .props
                    .values()
                    .any(|v| matches!(v, Val::Native(Native::I(_))))
            {
                return fail(
                    span,
                    format!(
                        "`{name}` is not part of the `i` builder of @instantdb/core 1.0.67, \
                         which has `i.{}`.",
                        I_METHODS.join("`, `i.")
                    ),
                );
            }
            if let Expr::Member(member) = strip(callee)
                && let Ok(target) = self.peek_object(&member.obj, scope)
            {
                let (what, methods) = match target.class {
                    Class::DataAttrDef => (
                        "an attribute",
                        "`.optional()`, `.unique()`, `.indexed()`, `.clientRequired()`",
                    ),
                    Class::EntityDef => ("an entity", "`.asType<T>()`"),
                    Class::InstantSchemaDef => ("a schema", "`.withRoomSchema<T>()`"),
                    Class::Plain => ("", ""),
                };
                if !what.is_empty() {
                    let method = match &member.prop {
                        MemberProp::Ident(ident) => ident.sym.to_string(),
                        _ => "this".to_owned(),
                    };
                    return fail(
                        span,
                        format!(
                            "`{method}` is not a method of {what} in @instantdb/core 1.0.67, \
                             which has {methods}."
                        ),
                    );
                }
            }
            if let Expr::Member(member) = strip(callee)
                && let MemberProp::Ident(method) = &member.prop
                && let Ok(Val::Array(_) | Val::Str(_)) = self.eval(&member.obj, scope)
            {
                return fail(
                    span,
                    format!(
                        "`.{}(...)` cannot be read without running the file: on arrays this \
                         reader evaluates `.map`, `.filter`, `.reduce`, `.concat`, `.join` and \
                         `.includes`. Write the value out instead.",
                        method.sym
                    ),
                );
            }
            return fail(span, format!("`{name}` is not a function."));
        }
        self.call(function, args, span, arg_exprs)
    }

    /// The object an expression evaluates to, for error messages only.
    fn peek_object(&self, expr: &'a Expr, scope: &Rc<Scope<'a>>) -> R<Rc<Object<'a>>> {
        let saved = self.fuel.get();
        let result = self.eval(expr, scope);
        self.fuel.set(saved);
        match result {
            Ok(Val::Object(object)) => Ok(object),
            _ => fail(expr.span(), ""),
        }
    }

    /// Calls a function value.
    fn call(
        &self,
        function: Val<'a>,
        args: Vec<Val<'a>>,
        span: Span,
        arg_exprs: &'a [ExprOrSpread],
    ) -> R<Val<'a>> {
        match function {
            Val::Func(func) => self.call_func(&func, args, span),
            Val::Native(native) => self.call_native(native, args, span, arg_exprs),
            Val::Bound(receiver, name) => self.call_method(&receiver, name, args, span),
            Val::Opaque(message, span) => fail(span, message.to_string()),
            other => fail(
                span,
                format!("This calls {}, which is not a function.", kind(&other)),
            ),
        }
    }

    fn call_func(&self, func: &Func<'a>, args: Vec<Val<'a>>, span: Span) -> R<Val<'a>> {
        let depth = self.depth.get();
        if depth >= MAX_CALL_DEPTH {
            return fail(
                span,
                format!(
                    "Helper calls nest more than {MAX_CALL_DEPTH} deep here (a recursive \
                     helper?). Write the value out more directly."
                ),
            );
        }
        self.depth.set(depth + 1);
        let result = (|| {
            let scope = Scope::child(&func.scope);
            let mut bound = HashMap::new();
            let mut args = args.into_iter();
            for param in &func.params {
                if let Pat::Rest(rest) = param {
                    let rest_items: Vec<Val<'a>> = args.by_ref().collect();
                    self.bind(
                        &rest.arg,
                        Val::Array(Rc::new(rest_items)),
                        &scope,
                        &mut bound,
                    )?;
                    break;
                }
                let arg = args.next().unwrap_or(Val::Undefined);
                self.bind(param, arg, &scope, &mut bound)?;
                scope.vars.borrow_mut().extend(bound.drain());
            }
            scope.vars.borrow_mut().extend(bound);
            match &func.body {
                Body::Expr(expr) => self.eval(expr, &scope),
                Body::Block(block) => Ok(self
                    .exec_block(&block.stmts, &scope, &func.name)?
                    .unwrap_or(Val::Undefined)),
            }
        })();
        self.depth.set(depth);
        result
    }

    /// Runs the statements of a helper's body: declarations, `if` on known values, `return`.
    /// Returns the returned value, if any.
    fn exec_block(
        &self,
        stmts: &'a [Stmt],
        scope: &Rc<Scope<'a>>,
        name: &str,
    ) -> R<Option<Val<'a>>> {
        // Function declarations are hoisted.
        for stmt in stmts {
            if let Stmt::Decl(Decl::Fn(function)) = stmt
                && let Some(body) = &function.function.body
            {
                let value = Val::Func(Rc::new(Func {
                    name: format!("`{}`", function.ident.sym),
                    params: function.function.params.iter().map(|p| &p.pat).collect(),
                    body: Body::Block(body),
                    scope: scope.clone(),
                }));
                scope
                    .vars
                    .borrow_mut()
                    .insert(function.ident.sym.to_string(), value);
            }
        }
        for stmt in stmts {
            self.burn(1, stmt.span())?;
            match stmt {
                Stmt::Return(ret) => {
                    return Ok(Some(match &ret.arg {
                        Some(arg) => self.eval(arg, scope)?,
                        None => Val::Undefined,
                    }));
                }
                Stmt::Decl(Decl::Var(var)) if var.kind == VarDeclKind::Const || !var.declare => {
                    for declarator in &var.decls {
                        let value = match &declarator.init {
                            Some(init) => self.eval(init, scope)?,
                            None => Val::Undefined,
                        };
                        let mut bound = HashMap::new();
                        self.bind(&declarator.name, value, scope, &mut bound)?;
                        scope.vars.borrow_mut().extend(bound);
                    }
                }
                Stmt::Decl(Decl::Fn(_))
                | Stmt::Decl(Decl::TsInterface(_))
                | Stmt::Decl(Decl::TsTypeAlias(_))
                | Stmt::Empty(_) => {}
                Stmt::Block(block) => {
                    let inner = Scope::child(scope);
                    if let Some(value) = self.exec_block(&block.stmts, &inner, name)? {
                        return Ok(Some(value));
                    }
                }
                Stmt::If(if_stmt) => {
                    let test = self.eval(&if_stmt.test, scope)?;
                    let branch = if self.truthy(&test, if_stmt.test.span())? {
                        Some(&*if_stmt.cons)
                    } else {
                        if_stmt.alt.as_deref()
                    };
                    if let Some(branch) = branch {
                        let inner = Scope::child(scope);
                        if let Some(value) =
                            self.exec_block(std::slice::from_ref(branch), &inner, name)?
                        {
                            return Ok(Some(value));
                        }
                    }
                }
                other => {
                    return fail(
                        other.span(),
                        format!(
                            "{name} does more than build and return a value ({}), so only \
                             running it would tell its result. Keep helpers to `const` \
                             declarations and one `return` of an object.",
                            statement_words(other)
                        ),
                    );
                }
            }
        }
        Ok(None)
    }

    fn call_native(
        &self,
        native: Native,
        args: Vec<Val<'a>>,
        span: Span,
        arg_exprs: &'a [ExprOrSpread],
    ) -> R<Val<'a>> {
        let arg = |n: usize| args.get(n).cloned().unwrap_or(Val::Undefined);
        Ok(match native {
            Native::I(name) => self.call_i(name, &args, span)?,
            Native::ObjectFreeze => arg(0),
            Native::ObjectAssign => {
                // Only into a fresh object: assigning into a named one changes it for every
                // other use, which the evaluator does not model.
                let fresh = arg_exprs
                    .first()
                    .is_some_and(|first| matches!(strip(&first.expr), Expr::Object(_)));
                if !fresh {
                    return fail(
                        span,
                        "`Object.assign` into an existing object changes that object. Write \
                         `{ ...a, ...b }` (or `Object.assign({}, a, b)`) instead.",
                    );
                }
                let mut props = IndexMap::new();
                for source in &args {
                    for (key, value) in self.entries(source, span)? {
                        props.insert(key, value);
                    }
                }
                object(Class::Plain, props, span)
            }
            Native::ObjectEntries | Native::ObjectKeys | Native::ObjectValues => {
                let target = arg(0);
                self.check_readable(&target, span)?;
                let items = self
                    .entries(&target, span)?
                    .into_iter()
                    .map(|(key, value)| match native {
                        Native::ObjectKeys => Val::Str(key.into()),
                        Native::ObjectValues => value,
                        _ => Val::Array(Rc::new(vec![Val::Str(key.into()), value])),
                    })
                    .collect();
                Val::Array(Rc::new(items))
            }
            Native::ObjectFromEntries => {
                let mut props = IndexMap::new();
                for entry in self.iterate(&arg(0), span)? {
                    let key = self.get(&entry, "0", span)?;
                    let value = self.get(&entry, "1", span)?;
                    props.insert(self.to_key(&key, span)?, value);
                }
                object(Class::Plain, props, span)
            }
        })
    }

    /// `i.<name>(...args)`, as `@instantdb/core` 1.0.67's `schema.js` builds them.
    fn call_i(&self, name: &str, args: &[Val<'a>], span: Span) -> R<Val<'a>> {
        let arg = |n: usize| args.get(n).cloned().unwrap_or(Val::Undefined);
        Ok(match name {
            "string" | "number" | "boolean" | "date" | "json" | "any" => {
                let value_type = if name == "any" { "json" } else { name };
                data_attr(value_type, true, false, config(false, false, span), span)
            }
            "entity" => {
                let attrs = arg(0);
                self.check_attrs(&attrs, span)?;
                entity(attrs, object(Class::Plain, IndexMap::new(), span), span)
            }
            "schema" => {
                let def = arg(0);
                self.check_readable(&def, span)?;
                let entities = self.get(&def, "entities", span)?;
                let links = match self.get(&def, "links", span)? {
                    Val::Undefined | Val::Null => object(Class::Plain, IndexMap::new(), span),
                    links => links,
                };
                let rooms = match self.get(&def, "rooms", span)? {
                    Val::Undefined | Val::Null => object(Class::Plain, IndexMap::new(), span),
                    rooms => rooms,
                };
                let enriched = self.enrich(&entities, &links, span)?;
                schema_def(enriched, links, rooms, span)
            }
            "graph" => {
                let entities = arg(0);
                let links = arg(1);
                let enriched = self.enrich(&entities, &links, span)?;
                schema_def(enriched, links, Val::Undefined, span)
            }
            _ => unreachable_native(span)?,
        })
    }

    /// Refuses an `i.entity(...)` argument that does not hold attributes: upstream's parser
    /// and instant-cli's validation both would.
    fn check_attrs(&self, attrs: &Val<'a>, span: Span) -> R<()> {
        let Val::Object(object) = attrs else {
            return fail(
                span,
                format!(
                    "`i.entity(...)` takes an object of attributes (`{{ title: i.string() }}`), \
                     not {}.",
                    kind(attrs)
                ),
            );
        };
        for (label, value) in &object.props {
            match value {
                Val::Object(attr) if attr.class == Class::DataAttrDef => {}
                Val::Opaque(message, span) => return fail(*span, message.to_string()),
                other => {
                    return fail(
                        span,
                        format!(
                            "Attribute `{label}` of this entity is {}, not an attribute such as \
                             `i.string()` or `i.number().optional()`.",
                            kind(other)
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// `enrichEntitiesWithLinks`: each entity again, with the link attributes its links give
    /// it (forward labels, then reverse labels).
    fn enrich(&self, entities: &Val<'a>, links: &Val<'a>, span: Span) -> R<Val<'a>> {
        if matches!(entities, Val::Undefined | Val::Null) {
            return fail(
                span,
                "The schema has no `entities`. Write `i.schema({ entities: { ... } })`.",
            );
        }
        self.check_readable(links, span)?;
        let mut fwd: IndexMap<String, IndexMap<String, Val<'a>>> = IndexMap::new();
        let mut rev: IndexMap<String, IndexMap<String, Val<'a>>> = IndexMap::new();
        for (name, link) in self.entries(links, span)? {
            let missing = |side: &str| {
                fail::<Val<'a>>(
                    span,
                    format!(
                        "Link `{name}` has no `{side}` object. A link is {{ forward: {{ on, has, \
                         label }}, reverse: {{ on, has, label }} }}."
                    ),
                )
            };
            let forward = self.get(&link, "forward", span)?;
            if matches!(forward, Val::Undefined | Val::Null) {
                missing("forward")?;
            }
            let reverse = self.get(&link, "reverse", span)?;
            if matches!(reverse, Val::Undefined | Val::Null) {
                missing("reverse")?;
            }
            let f_on = self.to_key(&self.get(&forward, "on", span)?, span)?;
            let r_on = self.to_key(&self.get(&reverse, "on", span)?, span)?;
            let f_label = self.to_key(&self.get(&forward, "label", span)?, span)?;
            let r_label = self.to_key(&self.get(&reverse, "label", span)?, span)?;
            let attr = |entity_name: Val<'a>, cardinality: Val<'a>| {
                let mut props = IndexMap::new();
                props.insert("entityName".to_owned(), entity_name);
                props.insert("cardinality".to_owned(), cardinality);
                object(Class::Plain, props, span)
            };
            fwd.entry(f_on.clone()).or_default();
            rev.entry(r_on.clone()).or_default();
            let forward_attr = attr(
                self.get(&reverse, "on", span)?,
                self.get(&forward, "has", span)?,
            );
            let reverse_attr = attr(
                self.get(&forward, "on", span)?,
                self.get(&reverse, "has", span)?,
            );
            fwd.entry(f_on).or_default().insert(f_label, forward_attr);
            rev.entry(r_on).or_default().insert(r_label, reverse_attr);
        }
        let mut enriched = IndexMap::new();
        for (name, def) in self.entries(entities, span)? {
            let attrs = match &def {
                Val::Object(object) if object.class == Class::EntityDef => {
                    object.props.get("attrs").cloned().unwrap_or(Val::Undefined)
                }
                Val::Opaque(message, span) => return fail(*span, message.to_string()),
                other => {
                    return fail(
                        span,
                        format!(
                            "Entity `{name}` is {}, not `i.entity({{ ... }})`.",
                            kind(other)
                        ),
                    );
                }
            };
            let mut link_attrs = IndexMap::new();
            for side in [fwd.get(&name), rev.get(&name)].into_iter().flatten() {
                for (key, value) in js::ordered(side.iter().map(|(k, v)| (k.as_str(), v))) {
                    link_attrs.insert(key.to_owned(), value.clone());
                }
            }
            let entity_span = match &def {
                Val::Object(object) => object.span,
                _ => span,
            };
            enriched.insert(
                name,
                entity(
                    attrs,
                    object(Class::Plain, link_attrs, entity_span),
                    entity_span,
                ),
            );
        }
        Ok(object(Class::Plain, enriched, span))
    }

    fn call_method(
        &self,
        receiver: &Rc<Object<'a>>,
        name: &'static str,
        args: Vec<Val<'a>>,
        span: Span,
    ) -> R<Val<'a>> {
        let field = |key: &str| receiver.props.get(key).cloned().unwrap_or(Val::Undefined);
        Ok(match (receiver.class, name) {
            (Class::DataAttrDef, "optional" | "clientRequired") => data_attr_from(
                field("valueType"),
                Val::Bool(false),
                field("isIndexed"),
                field("config"),
                span,
            ),
            (Class::DataAttrDef, "unique" | "indexed") => {
                let mut config = IndexMap::new();
                for (key, value) in self.entries(&field("config"), span)? {
                    config.insert(key, value);
                }
                config.insert(name.to_owned(), Val::Bool(true));
                let is_indexed = if name == "indexed" {
                    Val::Bool(true)
                } else {
                    field("isIndexed")
                };
                data_attr_from(
                    field("valueType"),
                    field("required"),
                    is_indexed,
                    object(Class::Plain, config, span),
                    span,
                )
            }
            (Class::EntityDef, "asType") => entity(field("attrs"), field("links"), span),
            (Class::InstantSchemaDef, "withRoomSchema") => schema_def(
                field("entities"),
                field("links"),
                object(Class::Plain, IndexMap::new(), span),
                span,
            ),
            (
                Class::Plain,
                method @ ("map" | "reduce" | "filter" | "join" | "includes" | "concat"),
            ) => {
                let Some(Val::Array(items)) = receiver.props.get("array") else {
                    return unreachable_native(span);
                };
                let array = Val::Array(items.clone());
                let mut args = args.into_iter();
                let function = args.next().unwrap_or(Val::Undefined);
                match method {
                    "map" | "filter" => {
                        let mut out = Vec::with_capacity(items.len());
                        for (position, item) in items.iter().enumerate() {
                            self.burn(1, span)?;
                            let result = self.call(
                                function.clone(),
                                vec![item.clone(), Val::Num(position as f64), array.clone()],
                                span,
                                &[],
                            )?;
                            if method == "map" {
                                out.push(result);
                            } else if self.truthy(&result, span)? {
                                out.push(item.clone());
                            }
                        }
                        Val::Array(Rc::new(out))
                    }
                    "reduce" => {
                        let mut items_left = items.iter().enumerate();
                        let mut acc = match args.next() {
                            Some(initial) => initial,
                            None => match items_left.next() {
                                Some((_, first)) => first.clone(),
                                None => {
                                    return fail(
                                        span,
                                        "`reduce` of an empty array without an initial value \
                                         fails when the file runs.",
                                    );
                                }
                            },
                        };
                        for (position, item) in items_left {
                            self.burn(1, span)?;
                            acc = self.call(
                                function.clone(),
                                vec![acc, item.clone(), Val::Num(position as f64), array.clone()],
                                span,
                                &[],
                            )?;
                        }
                        acc
                    }
                    "join" => {
                        let separator = match function {
                            Val::Undefined => ",".to_owned(),
                            other => self.to_string(&other, span)?,
                        };
                        let mut parts = Vec::with_capacity(items.len());
                        for item in items.iter() {
                            parts.push(match item {
                                Val::Undefined | Val::Null => String::new(),
                                other => self.to_string(other, span)?,
                            });
                        }
                        let joined = parts.join(&separator);
                        self.burn_text(&joined, span)?;
                        Val::Str(joined.into())
                    }
                    "includes" => {
                        let mut found = false;
                        for item in items.iter() {
                            let same = match (item, &function) {
                                (Val::Num(a), Val::Num(b)) => a == b || (a.is_nan() && b.is_nan()),
                                _ => self.strict_equals(item, &function, span)?,
                            };
                            if same {
                                found = true;
                                break;
                            }
                        }
                        Val::Bool(found)
                    }
                    _ => {
                        let mut out = items.as_ref().clone();
                        for extra in std::iter::once(function).chain(args) {
                            match extra {
                                Val::Array(more) => out.extend(more.iter().cloned()),
                                other => out.push(other),
                            }
                        }
                        self.burn(out.len() as u64, span)?;
                        Val::Array(Rc::new(out))
                    }
                }
            }
            _ => return unreachable_native(span),
        })
    }

    fn eval_binary(&self, bin: &'a swc_ecma_ast::BinExpr, scope: &Rc<Scope<'a>>) -> R<Val<'a>> {
        let left = self.eval(&bin.left, scope)?;
        match bin.op {
            BinaryOp::LogicalAnd => {
                return if self.truthy(&left, bin.left.span())? {
                    self.eval(&bin.right, scope)
                } else {
                    Ok(left)
                };
            }
            BinaryOp::LogicalOr => {
                return if self.truthy(&left, bin.left.span())? {
                    Ok(left)
                } else {
                    self.eval(&bin.right, scope)
                };
            }
            BinaryOp::NullishCoalescing => {
                return if matches!(left, Val::Undefined | Val::Null) {
                    self.eval(&bin.right, scope)
                } else {
                    Ok(left)
                };
            }
            _ => {}
        }
        let right = self.eval(&bin.right, scope)?;
        let span = bin.span;
        Ok(match bin.op {
            BinaryOp::Add => {
                let left = self.to_primitive(&left, span)?;
                let right = self.to_primitive(&right, span)?;
                if matches!(left, Val::Str(_)) || matches!(right, Val::Str(_)) {
                    let mut out = self.to_string(&left, span)?;
                    out.push_str(&self.to_string(&right, span)?);
                    self.burn_text(&out, span)?;
                    Val::Str(out.into())
                } else {
                    Val::Num(self.to_number(&left, span)? + self.to_number(&right, span)?)
                }
            }
            BinaryOp::Sub => Val::Num(self.to_number(&left, span)? - self.to_number(&right, span)?),
            BinaryOp::Mul => Val::Num(self.to_number(&left, span)? * self.to_number(&right, span)?),
            BinaryOp::Div => Val::Num(self.to_number(&left, span)? / self.to_number(&right, span)?),
            BinaryOp::Mod => Val::Num(self.to_number(&left, span)? % self.to_number(&right, span)?),
            BinaryOp::EqEqEq => Val::Bool(self.strict_equals(&left, &right, span)?),
            BinaryOp::NotEqEq => Val::Bool(!self.strict_equals(&left, &right, span)?),
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                let ordering = match (&left, &right) {
                    (Val::Str(a), Val::Str(b)) => Some(a.encode_utf16().cmp(b.encode_utf16())),
                    _ => self
                        .to_number(&left, span)?
                        .partial_cmp(&self.to_number(&right, span)?),
                };
                Val::Bool(match (bin.op, ordering) {
                    (_, None) => false,
                    (BinaryOp::Lt, Some(o)) => o.is_lt(),
                    (BinaryOp::LtEq, Some(o)) => o.is_le(),
                    (BinaryOp::Gt, Some(o)) => o.is_gt(),
                    (_, Some(o)) => o.is_ge(),
                })
            }
            op => {
                return fail(
                    span,
                    format!(
                        "The `{}` operator cannot be read without running the file. Write the \
                         resulting value instead.",
                        op.as_str()
                    ),
                );
            }
        })
    }

    fn strict_equals(&self, left: &Val<'a>, right: &Val<'a>, span: Span) -> R<bool> {
        Ok(match (left, right) {
            (Val::Opaque(message, span), _) | (_, Val::Opaque(message, span)) => {
                return fail(*span, message.to_string());
            }
            (Val::Undefined, Val::Undefined) | (Val::Null, Val::Null) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Num(a), Val::Num(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Array(a), Val::Array(b)) => Rc::ptr_eq(a, b),
            (Val::Object(a), Val::Object(b)) => Rc::ptr_eq(a, b),
            (Val::Func(a), Val::Func(b)) => Rc::ptr_eq(a, b),
            (Val::Native(_) | Val::Bound(..), _) | (_, Val::Native(_) | Val::Bound(..)) => {
                return fail(span, "Comparing functions cannot be read here.");
            }
            _ => false,
        })
    }

    fn truthy(&self, value: &Val<'a>, _span: Span) -> R<bool> {
        Ok(match value {
            Val::Undefined | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Opaque(message, span) => return fail(*span, message.to_string()),
            _ => true,
        })
    }

    fn to_primitive(&self, value: &Val<'a>, span: Span) -> R<Val<'a>> {
        Ok(match value {
            Val::Array(_) | Val::Object(_) => Val::Str(self.to_string(value, span)?.into()),
            other => other.clone(),
        })
    }

    fn to_number(&self, value: &Val<'a>, span: Span) -> R<f64> {
        Ok(match value {
            Val::Undefined => f64::NAN,
            Val::Null => 0.0,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Num(n) => *n,
            Val::Str(s) => {
                let trimmed = s.trim();
                if trimmed.is_empty() {
                    0.0
                } else {
                    trimmed.parse::<f64>().unwrap_or(f64::NAN)
                }
            }
            Val::Opaque(message, span) => return fail(*span, message.to_string()),
            other => {
                return fail(
                    span,
                    format!("Arithmetic on {} cannot be read here.", kind(other)),
                );
            }
        })
    }

    /// `String(value)`.
    fn to_string(&self, value: &Val<'a>, span: Span) -> R<String> {
        Ok(match value {
            Val::Undefined => "undefined".to_owned(),
            Val::Null => "null".to_owned(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => js::number_to_string(*n),
            Val::Str(s) => s.to_string(),
            Val::Array(items) => {
                self.burn(items.len() as u64 + 1, span)?;
                let mut parts = Vec::with_capacity(items.len());
                for item in items.iter() {
                    parts.push(match item {
                        Val::Undefined | Val::Null => String::new(),
                        other => self.to_string(other, span)?,
                    });
                }
                let joined = parts.join(",");
                self.burn_text(&joined, span)?;
                joined
            }
            Val::Object(_) => "[object Object]".to_owned(),
            Val::Opaque(message, span) => return fail(*span, message.to_string()),
            Val::Func(_) | Val::Native(_) | Val::Bound(..) => {
                return fail(
                    span,
                    "A function turned into text gives its source code, which this reader does \
                     not reproduce. Use a string.",
                );
            }
        })
    }

    /// `JSON.stringify` of a value as a JSON tree (`None` where it prints nothing:
    /// `undefined` and functions).
    pub(crate) fn to_json(&self, value: &Val<'a>, span: Span) -> R<Option<Value>> {
        self.burn(1, span)?;
        Ok(Some(match value {
            Val::Undefined | Val::Func(_) | Val::Native(_) | Val::Bound(..) => return Ok(None),
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.to_json(item, span)?.unwrap_or(Value::Null));
                }
                Value::Array(out)
            }
            Val::Object(object) => {
                let mut map = Map::new();
                for (key, field) in js::ordered(object.props.iter().map(|(k, v)| (k.as_str(), v))) {
                    if let Some(json) = self.to_json(field, object.span)? {
                        map.insert(key.to_owned(), json);
                    }
                }
                Value::Object(map)
            }
            Val::Opaque(message, span) => return fail(*span, message.to_string()),
        }))
    }

    /// The default export as a schema: `JSON.stringify(schema)` as a JSON tree.
    pub(crate) fn schema(&self, module_span: Span) -> R<Evaluated> {
        let (value, span) = self.entry("_schema", module_span)?;
        match &value {
            Val::Object(object) if object.class == Class::InstantSchemaDef => {
                self.check_links(object.props.get("links"), object.span)?;
                self.check_rooms(object.props.get("rooms"), object.span)?;
                let json = self.to_json(&value, object.span)?.unwrap_or(Value::Null);
                Ok(Evaluated {
                    json,
                    span: object.span,
                })
            }
            Val::Opaque(message, span) => fail(*span, message.to_string()),
            other => fail(
                span,
                format!(
                    "The default export is {}, not a schema. Build it with \
                     `i.schema({{ entities: {{ ... }} }})` and `export default` it.",
                    kind(other)
                ),
            ),
        }
    }

    /// Refuses links that are not `{forward: {on, has, label, required?, onDelete?}, reverse:
    /// {on, has, label, onDelete?}}`, at the link.
    fn check_links(&self, links: Option<&Val<'a>>, span: Span) -> R<()> {
        let Some(links) = links else { return Ok(()) };
        for (name, link) in self.entries(links, span)? {
            let link_span = match &link {
                Val::Object(object) => object.span,
                _ => span,
            };
            let json = self.to_json(&link, link_span)?.unwrap_or(Value::Null);
            if let Err(err) = serde_json::from_value::<instantdb_schema::LinkDef>(json) {
                return fail(
                    link_span,
                    format!(
                        "Could not read link `{name}`: {err}. A link is {{forward: {{on, has, \
                         label, required?, onDelete?}}, reverse: {{on, has, label, onDelete?}}}}."
                    ),
                );
            }
        }
        Ok(())
    }

    /// Refuses rooms that are not `{presence?: i.entity(...), topics?: {name: i.entity(...)}}`.
    fn check_rooms(&self, rooms: Option<&Val<'a>>, span: Span) -> R<()> {
        let Some(rooms) = rooms else { return Ok(()) };
        if matches!(rooms, Val::Undefined) {
            return Ok(());
        }
        let is_entity = |value: &Val<'a>| matches!(value, Val::Object(object) if object.class == Class::EntityDef);
        for (name, room) in self.entries(rooms, span)? {
            let room_span = match &room {
                Val::Object(object) if object.class == Class::Plain => object.span,
                other => {
                    return fail(
                        span,
                        format!(
                            "Room `{name}` is {}, not an object with `presence` and `topics`.",
                            kind(other)
                        ),
                    );
                }
            };
            if !matches!(&room, Val::Object(o) if o.props.contains_key("presence")) {
                return fail(
                    room_span,
                    format!(
                        "Room `{name}` has no `presence`. Instant's schema model needs one: add \
                         `presence: i.entity({{}})`."
                    ),
                );
            }
            for (key, value) in self.entries(&room, room_span)? {
                match key.as_str() {
                    "presence" if is_entity(&value) => {}
                    "topics" => {
                        if !matches!(&value, Val::Object(o) if o.class == Class::Plain) {
                            return fail(
                                room_span,
                                format!(
                                    "`topics` of room `{name}` is {}, not an object of \
                                     `i.entity(...)`s.",
                                    kind(&value)
                                ),
                            );
                        }
                        for (topic, def) in self.entries(&value, room_span)? {
                            if !is_entity(&def) {
                                return fail(
                                    room_span,
                                    format!(
                                        "Topic `{topic}` of room `{name}` is {}, not \
                                         `i.entity({{ ... }})`.",
                                        kind(&def)
                                    ),
                                );
                            }
                        }
                    }
                    "presence" => {
                        return fail(
                            room_span,
                            format!(
                                "`presence` of room `{name}` is {}, not `i.entity({{ ... }})`.",
                                kind(&value)
                            ),
                        );
                    }
                    _ => {
                        return fail(
                            room_span,
                            format!(
                                "Room `{name}` has the key `{key}`; a room has only `presence` \
                                 and `topics`."
                            ),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The default export as rules JSON (any JSON value, as upstream returns it).
    pub(crate) fn rules(&self, module_span: Span) -> R<Evaluated> {
        let (value, span) = self.entry("rules", module_span)?;
        let span = match &value {
            Val::Object(object) => object.span,
            _ => span,
        };
        let json = self.to_json(&value, span)?.unwrap_or(Value::Null);
        Ok(Evaluated { json, span })
    }
}

impl<'a> Val<'a> {
    fn into_body_error(self, span: Span) -> R<Body<'a>> {
        fail(span, "This method has no body.")
    }
}

fn unreachable_native<T>(span: Span) -> R<T> {
    fail(span, "This built-in function cannot be called this way.")
}

/// The prototype methods of the `@instantdb/core` classes.
fn method(class: Class, key: &str) -> Option<&'static str> {
    match (class, key) {
        (Class::DataAttrDef, "optional") => Some("optional"),
        (Class::DataAttrDef, "clientRequired") => Some("clientRequired"),
        (Class::DataAttrDef, "unique") => Some("unique"),
        (Class::DataAttrDef, "indexed") => Some("indexed"),
        (Class::EntityDef, "asType") => Some("asType"),
        (Class::InstantSchemaDef, "withRoomSchema") => Some("withRoomSchema"),
        _ => None,
    }
}

fn object<'a>(class: Class, props: IndexMap<String, Val<'a>>, span: Span) -> Val<'a> {
    Val::Object(Rc::new(Object { class, props, span }))
}

fn i_builder<'a>(span: Span) -> Rc<Object<'a>> {
    let props = I_METHODS
        .iter()
        .map(|name| ((*name).to_owned(), Val::Native(Native::I(name))))
        .collect();
    Rc::new(Object {
        class: Class::Plain,
        props,
        span,
    })
}

fn config<'a>(indexed: bool, unique: bool, span: Span) -> Val<'a> {
    let mut props = IndexMap::new();
    props.insert("indexed".to_owned(), Val::Bool(indexed));
    props.insert("unique".to_owned(), Val::Bool(unique));
    object(Class::Plain, props, span)
}

/// `new DataAttrDef(valueType, required, isIndexed, config)`: fields in declaration order, then
/// `metadata = {}`.
fn data_attr<'a>(
    value_type: &str,
    required: bool,
    is_indexed: bool,
    config: Val<'a>,
    span: Span,
) -> Val<'a> {
    data_attr_from(
        Val::Str(value_type.into()),
        Val::Bool(required),
        Val::Bool(is_indexed),
        config,
        span,
    )
}

fn data_attr_from<'a>(
    value_type: Val<'a>,
    required: Val<'a>,
    is_indexed: Val<'a>,
    config: Val<'a>,
    span: Span,
) -> Val<'a> {
    let mut props = IndexMap::new();
    props.insert("valueType".to_owned(), value_type);
    props.insert("required".to_owned(), required);
    props.insert("isIndexed".to_owned(), is_indexed);
    props.insert("config".to_owned(), config);
    props.insert(
        "metadata".to_owned(),
        object(Class::Plain, IndexMap::new(), span),
    );
    object(Class::DataAttrDef, props, span)
}

fn entity<'a>(attrs: Val<'a>, links: Val<'a>, span: Span) -> Val<'a> {
    let mut props = IndexMap::new();
    props.insert("attrs".to_owned(), attrs);
    props.insert("links".to_owned(), links);
    object(Class::EntityDef, props, span)
}

fn schema_def<'a>(entities: Val<'a>, links: Val<'a>, rooms: Val<'a>, span: Span) -> Val<'a> {
    let mut props = IndexMap::new();
    props.insert("entities".to_owned(), entities);
    props.insert("links".to_owned(), links);
    props.insert("rooms".to_owned(), rooms);
    object(Class::InstantSchemaDef, props, span)
}

/// A value's kind in plain words, for messages.
fn kind(value: &Val<'_>) -> String {
    match value {
        Val::Undefined => "undefined".to_owned(),
        Val::Null => "null".to_owned(),
        Val::Bool(b) => format!("the boolean `{b}`"),
        Val::Num(n) => format!("the number `{}`", js::number_to_string(*n)),
        Val::Str(s) => {
            let shown: String = s.chars().take(40).collect();
            format!("the string \"{shown}\"")
        }
        Val::Array(_) => "an array".to_owned(),
        Val::Object(object) => match object.class {
            Class::Plain => "a plain object".to_owned(),
            Class::DataAttrDef => "an attribute (`i.string()`, ...)".to_owned(),
            Class::EntityDef => "an entity (`i.entity(...)`)".to_owned(),
            Class::InstantSchemaDef => "a schema (`i.schema(...)`)".to_owned(),
        },
        Val::Func(_) | Val::Native(_) | Val::Bound(..) => "a function".to_owned(),
        Val::Opaque(..) => "a value only known at run time".to_owned(),
    }
}

fn strip(mut expr: &Expr) -> &Expr {
    loop {
        expr = match expr {
            Expr::Paren(e) => &e.expr,
            Expr::TsAs(e) => &e.expr,
            Expr::TsSatisfies(e) => &e.expr,
            Expr::TsConstAssertion(e) => &e.expr,
            Expr::TsNonNull(e) => &e.expr,
            Expr::TsTypeAssertion(e) => &e.expr,
            Expr::TsInstantiation(e) => &e.expr,
            _ => return expr,
        };
    }
}

/// `a.b.c` for messages.
fn callee_text(expr: &Expr) -> String {
    match strip(expr) {
        Expr::Ident(ident) => ident.sym.to_string(),
        Expr::Member(member) => {
            let prop = match &member.prop {
                MemberProp::Ident(ident) => ident.sym.to_string(),
                _ => "[...]".to_owned(),
            };
            format!("{}.{prop}", callee_text(&member.obj))
        }
        Expr::Call(call) => match &call.callee {
            Callee::Expr(callee) => format!("{}(...)", callee_text(callee)),
            _ => "(...)".to_owned(),
        },
        _ => "this expression".to_owned(),
    }
}

fn cycle_message(what: &str) -> String {
    format!(
        "This {what} depends on itself through imports that go round in a circle, which \
         fails when the file runs. Move the shared values into a module that imports neither."
    )
}

pub(crate) fn is_relative(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

fn unresolved(source: &str) -> String {
    format!(
        "The module `{source}` could not be read: relative imports are followed only when the \
         file is read from disk, and only to `.ts`, `.tsx`, `.mts`, `.cts`, `.js`, `.mjs` files \
         or an `index` file in a folder."
    )
}

fn statement_words(stmt: &Stmt) -> &'static str {
    match stmt {
        Stmt::For(_) | Stmt::ForIn(_) | Stmt::ForOf(_) => "a `for` loop",
        Stmt::While(_) | Stmt::DoWhile(_) => "a `while` loop",
        Stmt::Expr(_) => "a statement that changes something",
        Stmt::Switch(_) => "a `switch` statement",
        Stmt::Try(_) => "a `try` block",
        Stmt::Throw(_) => "a `throw`",
        Stmt::Decl(Decl::Class(_)) => "a class",
        _ => "a statement other than `const` and `return`",
    }
}

/// What an expression the evaluator does not model is, in plain words, and what to write.
fn unsupported_expression(expr: &Expr) -> String {
    let what = match expr {
        Expr::New(_) => "A `new` expression constructs an object by running code",
        Expr::Class(_) => "A class runs code",
        Expr::Await(_) => "`await` waits for code to run",
        Expr::Yield(_) => "`yield` runs code",
        Expr::Assign(_) => "An assignment changes a value while the file runs",
        Expr::Update(_) => "`++` / `--` change a value while the file runs",
        Expr::Seq(_) => "A comma expression runs several expressions",
        Expr::This(_) => "`this` depends on how code is called",
        Expr::TaggedTpl(_) => "A tagged template calls a function",
        Expr::MetaProp(_) => "`import.meta` depends on where the file runs",
        Expr::JSXElement(_) | Expr::JSXFragment(_) | Expr::JSXMember(_) => "JSX",
        Expr::SuperProp(_) => "`super` depends on a class",
        _ => "This expression",
    };
    format!(
        "{what}, so its value cannot be known without running the file. Write the value \
         literally (strings, numbers, objects, arrays, `i.*` calls) or from `const`s."
    )
}

impl ModuleInfo<'_> {
    /// Whether the module exports `name`, directly or through `export *`.
    fn has_export(&self, evaluator: &Evaluator<'_, '_>, name: &str, hops: usize) -> bool {
        if self.exports.contains_key(name) {
            return true;
        }
        hops < 16
            && self.stars.iter().any(|star| {
                matches!(&evaluator.modules[*star], Ok(module) if module.has_export(evaluator, name, hops + 1))
            })
    }
}
