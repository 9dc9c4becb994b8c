//! `instant pull --experimental-type-preservation`: instant-cli 1.0.67's `mergeSchema`
//! (`dist/util/mergeSchema.js`), which copies the generic type arguments of the old schema file
//! into the newly generated one, with the imports those types need.
//!
//! Upstream walks acorn's tree; this walks swc's, step for step:
//! 1. in the old file's first `i.schema(...)` argument, every call at a property path
//!    (`entities.todos`, `entities.todos.title`, `rooms.chat.presence`, ...) whose call chain
//!    carries type arguments (`i.json<T>()`, `i.string<'a' | 'b'>().optional()`,
//!    `i.entity({...}).asType<T>()`; the innermost ones win) is remembered as source text;
//! 2. in the new file, the call at the same path gets that text: replacing its own type
//!    arguments, or inserted right after the `i.<fn>` it starts from;
//! 3. every type name those arguments refer to (`T`, the `A` of `A.B`) that the old file
//!    imported and the new file does not is imported again, the way the old file did (named,
//!    aliased, default, namespace; `type` or not), as lines added after the file's leading `//`
//!    comments.
//!
//! Like upstream, an entity's attributes are only visited when the entity is a direct
//! `i.entity(...)` call (not through `.asType()`), spreads or computed keys that are not plain
//! identifiers make the merge fail, and the text is merged before formatting.

use std::collections::HashMap;

use swc_common::sync::Lrc;
use swc_common::{FileName, SourceMap, Span, Spanned};
use swc_ecma_ast::{
    CallExpr, Callee, EsVersion, Expr, ImportSpecifier, Lit, MemberProp, Module, ModuleDecl,
    ModuleExportName, ModuleItem, ObjectLit, Prop, PropName, PropOrSpread, TsEntityName,
    TsFnOrConstructorType, TsFnParam, TsLit, TsType, TsTypeElement, TsTypeParamInstantiation,
    TsUnionOrIntersectionType,
};
use swc_ecma_parser::{Syntax, TsSyntax, parse_file_as_module};

use crate::{ParseError, ParseErrorKind};

/// One parsed file: its text and tree, and where its offsets start.
struct File {
    src: String,
    module: Module,
    start: u32,
}

impl File {
    fn parse(src: &str, name: &str) -> Result<File, ParseError> {
        let cm: Lrc<SourceMap> = Lrc::default();
        let fm = cm.new_source_file(Lrc::new(FileName::Custom(name.to_owned())), src.to_owned());
        crate::parse::guard_check(&fm, name, src)?;
        let mut recovered = Vec::new();
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse_file_as_module(
                &fm,
                Syntax::Typescript(TsSyntax::default()),
                EsVersion::latest(),
                None,
                &mut recovered,
            )
        }));
        let start = fm.start_pos.0;
        let error = |offset: usize, message: String| {
            ParseError::at(name, src, offset, ParseErrorKind::Syntax, message)
        };
        match parsed {
            Ok(Ok(module)) if recovered.is_empty() => Ok(File {
                src: src.to_owned(),
                module,
                start,
            }),
            Ok(Ok(_)) => {
                let first = recovered.swap_remove(0);
                Err(error(
                    first.span().lo.0.saturating_sub(start) as usize,
                    first.kind().msg().to_string(),
                ))
            }
            Ok(Err(err)) => Err(error(
                err.span().lo.0.saturating_sub(start) as usize,
                err.kind().msg().to_string(),
            )),
            Err(_) => Err(error(
                0,
                "the TypeScript parser (swc) failed with an internal error on this file".to_owned(),
            )),
        }
    }

    fn range(&self, span: Span) -> (usize, usize) {
        (
            span.lo.0.saturating_sub(self.start) as usize,
            span.hi.0.saturating_sub(self.start) as usize,
        )
    }

    fn text(&self, span: Span) -> &str {
        let (lo, hi) = self.range(span);
        self.src.get(lo..hi).unwrap_or("")
    }
}

/// Copies the generic type arguments and their imports from `old_file` into `new_file` (see the
/// module docs). Errors are located in the file they concern.
pub(crate) fn merge(old_file: &str, new_file: &str, quote: char) -> Result<String, ParseError> {
    stacker::maybe_grow(
        crate::parse::STACK_SIZE / 2,
        crate::parse::STACK_SIZE,
        || merge_on_stack(old_file, new_file, quote),
    )
}

fn merge_on_stack(old_file: &str, new_file: &str, quote: char) -> Result<String, ParseError> {
    let old = File::parse(old_file, "old schema file")?;
    let new = File::parse(new_file, "new schema file")?;
    let unsupported = |file: &File, name: &str, span: Span, message: String| {
        ParseError::at(
            name,
            &file.src,
            file.range(span).0,
            ParseErrorKind::Unsupported,
            message,
        )
    };

    // 1. The old file's type arguments by path.
    let mut stored: HashMap<String, &TsTypeParamInstantiation> = HashMap::new();
    if let Some(object) = find_schema_object(&old.module) {
        traverse(object, "", &mut |call, path| {
            if let Some(type_args) = analyze_chain(call).0 {
                stored.insert(path.to_owned(), type_args);
            }
        })
        .map_err(|span| unsupported(&old, "old schema file", span, spread_message()))?;
    }

    // 2. Imports on both sides.
    let old_imports = collect_imports(&old.module);
    let new_existing = collect_existing_imports(&new.module);

    // 3. Edits to the new file, and the type names they need.
    let mut needed: Vec<String> = Vec::new();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    if let Some(object) = find_schema_object(&new.module) {
        traverse(object, "", &mut |call, path| {
            let Some(type_args) = stored.get(path) else {
                return;
            };
            let mut strings = Vec::new();
            for param in &type_args.params {
                find_identifiers(param, &mut needed, &mut strings);
            }
            let text = if quote == '"' {
                prettier_quotes(&old, type_args.span, &strings)
            } else {
                old.text(type_args.span).to_owned()
            };
            match analyze_chain(call) {
                (Some(own), _) => {
                    let (lo, hi) = new.range(own.span);
                    edits.push((lo, hi, text));
                }
                (None, Some(base)) => {
                    let callee_end = match &base.callee {
                        Callee::Expr(callee) => new.range(callee.span()).1,
                        _ => return,
                    };
                    edits.push((callee_end, callee_end, text));
                }
                (None, None) => {}
            }
        })
        .map_err(|span| unsupported(&new, "new schema file", span, spread_message()))?;
    }

    // 4. Import lines, grouped by source in the order the names were first needed.
    struct Group {
        source: String,
        named: Vec<(String, bool)>,
        default: Option<(String, bool)>,
        namespace: Option<(String, bool)>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for id in &needed {
        let Some(info) = old_imports.get(id) else {
            continue;
        };
        if new_existing
            .get(&info.source)
            .is_some_and(|names| names.contains(id))
        {
            continue;
        }
        let index = match groups.iter().position(|g| g.source == info.source) {
            Some(index) => index,
            None => {
                groups.push(Group {
                    source: info.source.clone(),
                    named: Vec::new(),
                    default: None,
                    namespace: None,
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        match &info.kind {
            ImportKind::Named(imported) => {
                let text = if imported == id {
                    id.clone()
                } else {
                    format!("{imported} as {id}")
                };
                // A `Map` keyed by the text: a repeated name keeps its first place.
                match group.named.iter_mut().find(|(t, _)| *t == text) {
                    Some(entry) => entry.1 = info.is_type,
                    None => group.named.push((text, info.is_type)),
                }
            }
            ImportKind::Default => group.default = Some((id.clone(), info.is_type)),
            ImportKind::Namespace => group.namespace = Some((id.clone(), info.is_type)),
        }
    }
    let mut blocks: Vec<String> = Vec::new();
    for group in &groups {
        // Upstream writes `'source'`; prettier turns that into `"source"`.
        let source = if quote == '"' {
            crate::js::stringify(&serde_json::Value::String(group.source.clone()))
        } else {
            format!("'{}'", group.source)
        };
        let source = source.as_str();
        if !group.named.is_empty() {
            if group.named.iter().all(|(_, is_type)| *is_type) {
                let names: Vec<&str> = group.named.iter().map(|(t, _)| t.as_str()).collect();
                blocks.push(format!(
                    "import type {{ {} }} from {source};",
                    names.join(", ")
                ));
            } else {
                let names: Vec<String> = group
                    .named
                    .iter()
                    .map(|(t, is_type)| {
                        if *is_type {
                            format!("type {t}")
                        } else {
                            t.clone()
                        }
                    })
                    .collect();
                blocks.push(format!("import {{ {} }} from {source};", names.join(", ")));
            }
        }
        if let Some((name, is_type)) = &group.default {
            blocks.push(if *is_type {
                format!("import type {name} from {source};")
            } else {
                format!("import {name} from {source};")
            });
        }
        if let Some((name, is_type)) = &group.namespace {
            blocks.push(if *is_type {
                format!("import type * as {name} from {source};")
            } else {
                format!("import * as {name} from {source};")
            });
        }
    }

    // 5. Apply the edits from the end, then add the imports after the leading `//` lines.
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
    let mut output = new.src.clone();
    for (lo, hi, text) in edits {
        if lo <= hi && hi <= output.len() {
            output.replace_range(lo..hi, &text);
        }
    }
    if !blocks.is_empty() {
        let imports = blocks.join("\n");
        output = match leading_comments(&output) {
            Some(end) => format!("{}\n{imports}{}", &output[..end], &output[end..]),
            None => format!("{imports}\n{output}"),
        };
    }
    Ok(output)
}

/// The text of `span` with its string literal types quoted as prettier quotes them: double
/// quotes, unless the string holds a quote or an escape (then left as written).
fn prettier_quotes(file: &File, span: Span, strings: &[Span]) -> String {
    let (lo, hi) = file.range(span);
    let mut out = String::new();
    let mut at = lo;
    let mut sorted: Vec<(usize, usize)> = strings.iter().map(|s| file.range(*s)).collect();
    sorted.sort_unstable();
    for (s_lo, s_hi) in sorted {
        if s_lo < at || s_hi > hi || s_hi < s_lo + 2 {
            continue;
        }
        let literal = &file.src[s_lo..s_hi];
        let inner = &literal[1..literal.len() - 1];
        out.push_str(&file.src[at..s_lo]);
        if literal.starts_with('\'') && !inner.contains(['\'', '"', '\\']) {
            out.push('"');
            out.push_str(inner);
            out.push('"');
        } else {
            out.push_str(literal);
        }
        at = s_hi;
    }
    out.push_str(file.src.get(at..hi).unwrap_or(""));
    out
}

fn spread_message() -> String {
    "Cannot preserve types: the schema object has a property without a plain name (a spread or \
     a computed key), which instant-cli's type preservation cannot read either."
        .to_owned()
}

/// Whether `expr` is the identifier `i`.
fn is_i(expr: &Expr) -> bool {
    matches!(expr, Expr::Ident(ident) if ident.sym == "i")
}

fn member_name(prop: &MemberProp) -> Option<&str> {
    match prop {
        MemberProp::Ident(ident) => Some(ident.sym.as_str()),
        _ => None,
    }
}

/// The first argument of the first `i.schema(...)` call, in source order.
fn find_schema_object(module: &Module) -> Option<&Expr> {
    let mut found: Option<&CallExpr> = None;
    for item in &module.body {
        visit_calls(item, &mut |call| {
            if found.is_some() {
                return;
            }
            if let Callee::Expr(callee) = &call.callee
                && let Expr::Member(member) = &**callee
                && is_i(&member.obj)
                && member_name(&member.prop) == Some("schema")
                && !call.args.is_empty()
            {
                found = Some(call);
            }
        });
        if found.is_some() {
            break;
        }
    }
    found.map(|call| &*call.args[0].expr)
}

/// Calls `f` on the calls in a module item, outer ones first (enough for the shapes schema
/// files have: declarations, exports and expression statements).
fn visit_calls<'a>(item: &'a ModuleItem, f: &mut dyn FnMut(&'a CallExpr)) {
    let exprs: Vec<&Expr> = match item {
        ModuleItem::Stmt(swc_ecma_ast::Stmt::Decl(swc_ecma_ast::Decl::Var(var))) => {
            var.decls.iter().filter_map(|d| d.init.as_deref()).collect()
        }
        ModuleItem::Stmt(swc_ecma_ast::Stmt::Expr(stmt)) => vec![&stmt.expr],
        ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => match &export.decl {
            swc_ecma_ast::Decl::Var(var) => {
                var.decls.iter().filter_map(|d| d.init.as_deref()).collect()
            }
            _ => Vec::new(),
        },
        ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(export)) => vec![&export.expr],
        _ => Vec::new(),
    };
    for expr in exprs {
        visit_expr_calls(expr, f, 0);
    }
}

fn visit_expr_calls<'a>(expr: &'a Expr, f: &mut dyn FnMut(&'a CallExpr), depth: usize) {
    if depth > 200 {
        return;
    }
    match expr {
        Expr::Call(call) => {
            f(call);
            if let Callee::Expr(callee) = &call.callee {
                visit_expr_calls(callee, f, depth + 1);
            }
            for arg in &call.args {
                visit_expr_calls(&arg.expr, f, depth + 1);
            }
        }
        Expr::Member(member) => visit_expr_calls(&member.obj, f, depth + 1),
        Expr::Paren(paren) => visit_expr_calls(&paren.expr, f, depth + 1),
        Expr::TsAs(e) => visit_expr_calls(&e.expr, f, depth + 1),
        Expr::TsSatisfies(e) => visit_expr_calls(&e.expr, f, depth + 1),
        Expr::TsConstAssertion(e) => visit_expr_calls(&e.expr, f, depth + 1),
        Expr::TsNonNull(e) => visit_expr_calls(&e.expr, f, depth + 1),
        Expr::Object(object) => {
            for prop in &object.props {
                match prop {
                    PropOrSpread::Spread(spread) => visit_expr_calls(&spread.expr, f, depth + 1),
                    PropOrSpread::Prop(prop) => {
                        if let Prop::KeyValue(kv) = &**prop {
                            visit_expr_calls(&kv.value, f, depth + 1);
                        }
                    }
                }
            }
        }
        Expr::Array(array) => {
            for elem in array.elems.iter().flatten() {
                visit_expr_calls(&elem.expr, f, depth + 1);
            }
        }
        _ => {}
    }
}

/// upstream's `traverseSchema`: calls `callback(call, path)` for each call-valued property,
/// descending into object values and into the argument of direct `i.entity(...)` calls. A
/// property without a plain name fails, at its span.
fn traverse<'a>(
    node: &'a Expr,
    path: &str,
    callback: &mut dyn FnMut(&'a CallExpr, &str),
) -> Result<(), Span> {
    let Expr::Object(object) = node else {
        return Ok(());
    };
    traverse_object(object, path, callback)
}

fn traverse_object<'a>(
    object: &'a ObjectLit,
    path: &str,
    callback: &mut dyn FnMut(&'a CallExpr, &str),
) -> Result<(), Span> {
    for prop in &object.props {
        let (name, value): (Option<String>, Option<&Expr>) = match prop {
            // acorn gives a spread no `key`: upstream fails reading `prop.key.type`.
            PropOrSpread::Spread(spread) => return Err(spread.dot3_token),
            PropOrSpread::Prop(prop) => match &**prop {
                Prop::KeyValue(kv) => (prop_name(&kv.key), Some(&*kv.value)),
                Prop::Shorthand(ident) => (Some(ident.sym.to_string()), None),
                Prop::Method(method) => (prop_name(&method.key), None),
                Prop::Getter(getter) => (prop_name(&getter.key), None),
                Prop::Setter(setter) => (prop_name(&setter.key), None),
                Prop::Assign(_) => (None, None),
            },
        };
        let Some(name) = name else {
            continue;
        };
        let Some(value) = value else {
            continue;
        };
        let new_path = if path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        };
        match value {
            Expr::Object(inner) => traverse_object(inner, &new_path, callback)?,
            Expr::Call(call) => {
                callback(call, &new_path);
                let is_entity = matches!(&call.callee, Callee::Expr(callee)
                    if matches!(&**callee, Expr::Member(member)
                        if member_name(&member.prop) == Some("entity") && is_i(&member.obj)));
                if is_entity && let Some(first) = call.args.first() {
                    traverse(&first.expr, &new_path, callback)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// upstream's `getPropName`: identifiers (also a computed `[name]`, which acorn represents by
/// its identifier), string and number literals; `None` for other keys.
fn prop_name(key: &PropName) -> Option<String> {
    match key {
        PropName::Ident(ident) => Some(ident.sym.to_string()),
        PropName::Str(s) => Some(s.value.to_atom_lossy().to_string()),
        PropName::Num(n) => Some(crate::js::number_to_string(n.value)),
        PropName::BigInt(b) => Some(b.value.to_string()),
        PropName::Computed(computed) => match &*computed.expr {
            Expr::Ident(ident) => Some(ident.sym.to_string()),
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_atom_lossy().to_string()),
            Expr::Lit(Lit::Num(n)) => Some(crate::js::number_to_string(n.value)),
            _ => None,
        },
    }
}

/// upstream's `analyzeChain`: the type arguments of the innermost call in the chain that has
/// some, and the innermost `i.<fn>(...)` call the chain starts from.
fn analyze_chain(node: &CallExpr) -> (Option<&TsTypeParamInstantiation>, Option<&CallExpr>) {
    let mut current = node;
    let mut type_args = None;
    let mut base = None;
    loop {
        if let Some(args) = &current.type_args {
            type_args = Some(&**args);
        }
        let Callee::Expr(callee) = &current.callee else {
            break;
        };
        let Expr::Member(member) = &**callee else {
            break;
        };
        if is_i(&member.obj) {
            base = Some(current);
        }
        match &*member.obj {
            Expr::Call(inner) => current = inner,
            _ => break,
        }
    }
    (type_args, base)
}

enum ImportKind {
    Named(String),
    Default,
    Namespace,
}

struct ImportInfo {
    source: String,
    kind: ImportKind,
    is_type: bool,
}

/// upstream's `collectImports`: local name → where it comes from (later imports win).
fn collect_imports(module: &Module) -> HashMap<String, ImportInfo> {
    let mut imports = HashMap::new();
    for item in &module.body {
        let ModuleItem::ModuleDecl(ModuleDecl::Import(import)) = item else {
            continue;
        };
        let source = import.src.value.to_atom_lossy().to_string();
        for specifier in &import.specifiers {
            let (local, kind, is_type) = match specifier {
                ImportSpecifier::Named(named) => {
                    let imported = match &named.imported {
                        Some(ModuleExportName::Ident(ident)) => ident.sym.to_string(),
                        Some(ModuleExportName::Str(s)) => s.value.to_atom_lossy().to_string(),
                        None => named.local.sym.to_string(),
                    };
                    (
                        &named.local,
                        ImportKind::Named(imported),
                        import.type_only || named.is_type_only,
                    )
                }
                ImportSpecifier::Default(default) => {
                    (&default.local, ImportKind::Default, import.type_only)
                }
                ImportSpecifier::Namespace(namespace) => {
                    (&namespace.local, ImportKind::Namespace, import.type_only)
                }
            };
            imports.insert(
                local.sym.to_string(),
                ImportInfo {
                    source: source.clone(),
                    kind,
                    is_type,
                },
            );
        }
    }
    imports
}

/// upstream's `collectExistingImports`: source → local names imported from it.
fn collect_existing_imports(module: &Module) -> HashMap<String, Vec<String>> {
    let mut existing: HashMap<String, Vec<String>> = HashMap::new();
    for item in &module.body {
        let ModuleItem::ModuleDecl(ModuleDecl::Import(import)) = item else {
            continue;
        };
        let names = existing
            .entry(import.src.value.to_atom_lossy().to_string())
            .or_default();
        for specifier in &import.specifiers {
            let local = match specifier {
                ImportSpecifier::Named(named) => &named.local,
                ImportSpecifier::Default(default) => &default.local,
                ImportSpecifier::Namespace(namespace) => &namespace.local,
            };
            names.push(local.sym.to_string());
        }
    }
    existing
}

/// upstream's `findIdentifiers`: the names of type references (the leftmost part of `A.B`),
/// in the order a depth-first walk meets them, each once.
fn find_identifiers(ty: &TsType, out: &mut Vec<String>, strings: &mut Vec<Span>) {
    let add = |name: &str, out: &mut Vec<String>| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    };
    match ty {
        TsType::TsTypeRef(reference) => {
            let mut name = &reference.type_name;
            while let TsEntityName::TsQualifiedName(qualified) = name {
                name = &qualified.left;
            }
            if let TsEntityName::Ident(ident) = name {
                add(ident.sym.as_str(), out);
            }
            if let Some(args) = &reference.type_params {
                args.params
                    .iter()
                    .for_each(|p| find_identifiers(p, out, strings));
            }
        }
        TsType::TsTypeLit(literal) => {
            for member in &literal.members {
                type_element(member, out, strings);
            }
        }
        TsType::TsArrayType(array) => find_identifiers(&array.elem_type, out, strings),
        TsType::TsTupleType(tuple) => tuple
            .elem_types
            .iter()
            .for_each(|e| find_identifiers(&e.ty, out, strings)),
        TsType::TsOptionalType(optional) => find_identifiers(&optional.type_ann, out, strings),
        TsType::TsRestType(rest) => find_identifiers(&rest.type_ann, out, strings),
        TsType::TsUnionOrIntersectionType(TsUnionOrIntersectionType::TsUnionType(union)) => {
            union
                .types
                .iter()
                .for_each(|t| find_identifiers(t, out, strings));
        }
        TsType::TsUnionOrIntersectionType(TsUnionOrIntersectionType::TsIntersectionType(
            intersection,
        )) => intersection
            .types
            .iter()
            .for_each(|t| find_identifiers(t, out, strings)),
        TsType::TsConditionalType(conditional) => {
            find_identifiers(&conditional.check_type, out, strings);
            find_identifiers(&conditional.extends_type, out, strings);
            find_identifiers(&conditional.true_type, out, strings);
            find_identifiers(&conditional.false_type, out, strings);
        }
        TsType::TsParenthesizedType(paren) => find_identifiers(&paren.type_ann, out, strings),
        TsType::TsTypeOperator(operator) => find_identifiers(&operator.type_ann, out, strings),
        TsType::TsIndexedAccessType(access) => {
            find_identifiers(&access.obj_type, out, strings);
            find_identifiers(&access.index_type, out, strings);
        }
        TsType::TsMappedType(mapped) => {
            if let Some(constraint) = &mapped.type_param.constraint {
                find_identifiers(constraint, out, strings);
            }
            if let Some(name_type) = &mapped.name_type {
                find_identifiers(name_type, out, strings);
            }
            if let Some(type_ann) = &mapped.type_ann {
                find_identifiers(type_ann, out, strings);
            }
        }
        TsType::TsFnOrConstructorType(function) => {
            let (params, return_type) = match function {
                TsFnOrConstructorType::TsFnType(f) => (&f.params, &f.type_ann),
                TsFnOrConstructorType::TsConstructorType(c) => (&c.params, &c.type_ann),
            };
            params.iter().for_each(|p| fn_param(p, out, strings));
            find_identifiers(&return_type.type_ann, out, strings);
        }
        TsType::TsLitType(literal) => match &literal.lit {
            TsLit::Tpl(tpl) => tpl
                .types
                .iter()
                .for_each(|t| find_identifiers(t, out, strings)),
            TsLit::Str(s) => strings.push(s.span),
            _ => {}
        },
        TsType::TsTypePredicate(predicate) => {
            if let Some(ann) = &predicate.type_ann {
                find_identifiers(&ann.type_ann, out, strings);
            }
        }
        TsType::TsImportType(import) => {
            if let Some(args) = &import.type_args {
                args.params
                    .iter()
                    .for_each(|p| find_identifiers(p, out, strings));
            }
        }
        TsType::TsKeywordType(_)
        | TsType::TsThisType(_)
        | TsType::TsTypeQuery(_)
        | TsType::TsInferType(_) => {}
    }
}

fn type_element(member: &TsTypeElement, out: &mut Vec<String>, strings: &mut Vec<Span>) {
    let annotation = match member {
        TsTypeElement::TsPropertySignature(property) => property.type_ann.as_deref(),
        TsTypeElement::TsIndexSignature(index) => {
            index.params.iter().for_each(|p| fn_param(p, out, strings));
            index.type_ann.as_deref()
        }
        TsTypeElement::TsMethodSignature(method) => {
            method.params.iter().for_each(|p| fn_param(p, out, strings));
            method.type_ann.as_deref()
        }
        TsTypeElement::TsCallSignatureDecl(call) => {
            call.params.iter().for_each(|p| fn_param(p, out, strings));
            call.type_ann.as_deref()
        }
        TsTypeElement::TsConstructSignatureDecl(construct) => {
            construct
                .params
                .iter()
                .for_each(|p| fn_param(p, out, strings));
            construct.type_ann.as_deref()
        }
        TsTypeElement::TsGetterSignature(getter) => getter.type_ann.as_deref(),
        TsTypeElement::TsSetterSignature(setter) => {
            fn_param(&setter.param, out, strings);
            None
        }
    };
    if let Some(annotation) = annotation {
        find_identifiers(&annotation.type_ann, out, strings);
    }
}

fn fn_param(param: &TsFnParam, out: &mut Vec<String>, strings: &mut Vec<Span>) {
    let annotation = match param {
        TsFnParam::Ident(ident) => ident.type_ann.as_deref(),
        TsFnParam::Array(array) => array.type_ann.as_deref(),
        TsFnParam::Rest(rest) => rest.type_ann.as_deref(),
        TsFnParam::Object(object) => object.type_ann.as_deref(),
    };
    if let Some(annotation) = annotation {
        find_identifiers(&annotation.type_ann, out, strings);
    }
}

/// The end of the file's leading `//` comment lines, as upstream's
/// `/^(\s*\/\/.*(\r?\n|$))+/` matches them (`None` when there are none).
fn leading_comments(text: &str) -> Option<usize> {
    let is_space = |c: char| c.is_whitespace() || c == '\u{feff}';
    let is_terminator = |c: char| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
    let mut end = None;
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start_matches(is_space);
        let Some(comment) = trimmed.strip_prefix("//") else {
            break;
        };
        let line_len = comment.find(is_terminator).unwrap_or(comment.len());
        let after = &comment[line_len..];
        let consumed = if after.is_empty() {
            0
        } else if after.starts_with("\r\n") {
            2
        } else if after.starts_with('\n') {
            1
        } else {
            break;
        };
        at = text.len() - after.len() + consumed;
        end = Some(at);
        if after.is_empty() {
            break;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_comments_match_upstreams_regex() {
        assert_eq!(leading_comments("// a\n\nimport x;"), Some(5));
        assert_eq!(leading_comments("  // a\r\n// b\nx"), Some(13));
        assert_eq!(leading_comments("// only"), Some(7));
        assert_eq!(leading_comments("import x; // a\n"), None);
        assert_eq!(leading_comments("// a\rx"), None);
    }
}
