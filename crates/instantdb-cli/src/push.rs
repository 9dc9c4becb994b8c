//! `instant push [schema|perms|all]`: apply `instant.schema.ts` / `instant.perms.ts` to an app,
//! as `instant-cli push` does.
//!
//! The schema push is the client-side diff: the app's schema and every attribute come from
//! `GET /dash/apps/:id/schema/pull`; the local schema is validated against the system
//! attributes, diffed (deletions and renames included: `--rename etype.old:etype.new`, or a
//! question per new name on a terminal), shown as a plan, confirmed, and applied as exactly
//! those steps (`POST /dash/apps/:id/schema/steps/apply`), whose background jobs (indexes,
//! uniqueness, required and type checks) are followed until they end. A failed job makes the
//! command fail. The rules push shows a line diff of the rules JSON, confirms, and replaces
//! them (platform `pushPerms`).
//!
//! Unlike instant-cli, which executes the files with Node.js, both files are read statically
//! by `instantdb-typescript` (see the help text for what it accepts).

use clap::Args;
use futures_util::StreamExt;
use instantdb_platform::{PlatformClient, PulledSchema, PushResult};
use instantdb_schema::diff::{
    RenameChoice, RenameContext, RenameResolver, RenameSelector, convert_tx_steps, diff_schemas,
};
use instantdb_schema::perms::Rules;
use instantdb_schema::{SchemaDef, collect_system_catalog_ident_names, validate_schema};
use instantdb_typescript::{
    ParseError, ReadModule, parse_perms_typescript_file_with_imports,
    parse_schema_typescript_file_with_imports,
};
use serde_json::Value;

use crate::io::{self, Failure, say};
use crate::plan;
use crate::progress::Progress;
use crate::project::{FileKind, Project};
use crate::pull::Which;
use crate::server::{self, AppArgs, Context, GlobalArgs, TokenSource};

/// Options of `instant push`.
#[derive(Debug, Args)]
#[command(
    after_help = "The files are read without running them: instant evaluates what their code \
would give (the default export, as instant-cli reads it; else `_schema` / `rules`) for:
  - literals, and module-level `const` (or `let` never reassigned) used by name anywhere:
    entities, links, rooms, one entity, attribute, link or rule, a bind list; `{ entities }`
  - spreads (`...timestamps`), later keys overriding earlier ones; `Object.freeze`,
    `Object.assign({}, ...)`, `Object.fromEntries/entries/keys/values`, array `.map`,
    `.filter`, `.reduce`, `.concat`, `.join`, `.includes`
  - template literals, `+`, `? :`, `&&`, `||`, `??`; computed keys (`[KEY]`, `[Names.Todos]`)
  - `as`, `as const`, `satisfies`, `!`, type declarations, `declare`, `import type`, enums
  - the `i` builder of @instantdb/core 1.0.67 under any import name: `i.schema`, `i.entity`,
    `i.graph`, `i.string/number/boolean/date/json/any<T>()` with `.optional()`, `.unique()`,
    `.indexed()`, `.clientRequired()` in any order, `.asType<T>()`, `.withRoomSchema<T>()`
  - helper functions whose body builds and returns a value (`const`, `if`, `return`)
  - relative imports of sibling modules (`./schema/shared`, `.ts/.mts/.js`, `index.ts`)
What only running could tell (functions imported from packages, loops, classes, `new`,
`process.env`, values changed after their declaration) is refused with an error that points
at it and says what to write instead.

Environment variables:
  INSTANT_SCHEMA_FILE_PATH    The schema file [default: instant.schema.ts, found as instant-cli finds it]
  INSTANT_PERMS_FILE_PATH     The permissions file [default: instant.perms.ts]
They, and every other variable, may also be set in .env files."
)]
pub(crate) struct PushArgs {
    /// What to push.
    #[arg(value_enum, default_value_t = Which::All)]
    which: Which,
    #[command(flatten)]
    app: AppArgs,
    /// Renames, as `entity.old:entity.new` (a link by either of its labels); several may follow
    /// one flag. Anything in the schema that is neither kept nor renamed is deleted with its
    /// data, and new names are created. Put `schema|perms|all` before this flag.
    #[arg(long, value_name = "FROM:TO", num_args = 1.., action = clap::ArgAction::Append)]
    rename: Vec<String>,
    /// Accepted for instant-cli compatibility; does nothing (upstream's flag is a no-op too).
    #[arg(long, hide = true)]
    skip_check_types: bool,
    /// Accepted for instant-cli compatibility; a push needs no package.
    #[arg(short = 'p', long, hide = true, value_name = "PACKAGE")]
    package: Option<String>,
    /// How often background jobs are polled at first, in milliseconds (tests shorten it).
    #[arg(long, value_name = "MS", hide = true)]
    poll_ms: Option<u64>,
}

impl PushArgs {
    /// What `instant init` pushes when the project already has files.
    pub(crate) fn for_init(which: Which, app_id: &str) -> PushArgs {
        PushArgs {
            which,
            app: AppArgs {
                app: Some(app_id.to_owned()),
            },
            rename: Vec::new(),
            skip_check_types: false,
            package: None,
            poll_ms: None,
        }
    }
}

/// Runs `instant push`.
pub(crate) fn run(args: PushArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant push", global)?;
    let app_id = ctx.app_id(&args.app)?;
    // Arguments and files first: a typo should fail before anything is asked of the server.
    check_renames(&args.rename).map_err(|err| ctx.fail(format!("--rename: {err}")))?;
    let renames =
        RenameSelector::parse(&args.rename).map_err(|err| ctx.fail(format!("--rename: {err}")))?;
    let project = Project::current(&ctx.env).map_err(|err| err.prefixed(ctx.command))?;
    let schema = if args.which.schema() {
        Some(read_schema(&ctx, &project)?)
    } else {
        None
    };
    let rules = if args.which.perms() {
        Some(read_rules(&ctx, &project)?)
    } else {
        None
    };
    let (token, source) = ctx.token(true)?;
    let api = ctx.platform(Some(token))?;
    let push = Push {
        ctx: &ctx,
        api: &api,
        app_id: &app_id,
        source: &source,
        yes: ctx.yes,
        poll_ms: args.poll_ms,
    };
    server::runtime(ctx.command)?.block_on(async {
        if let Some(schema) = &schema
            && let Err(failure) = push.schema(schema, renames).await
        {
            // With both parts asked for, say which part stands: the permissions are not
            // pushed after a failed schema push.
            return Err(if rules.is_some() {
                failure.with_note(
                    "The permissions were not pushed, because the schema push failed. Fix the \
                     schema and run `instant push` again (or `instant push perms` for the \
                     permissions alone).",
                )
            } else {
                failure
            });
        }
        if let Some(rules) = &rules
            && let Err(failure) = push.rules(rules).await
        {
            return Err(if schema.is_some() {
                failure
                    .with_note("The schema push above was applied; only the permissions were not.")
            } else {
                failure
            });
        }
        Ok(())
    })
}

/// `--rename` arguments are `entity.attr:entity.attr`; checked here so a typo gets a message
/// that shows the expected form (the library's says "entityname.columname;.").
fn check_renames(renames: &[String]) -> Result<(), String> {
    let lookup = |side: &str| {
        let mut parts = side.split('.');
        matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(entity), Some(label), None)
                if !entity.trim().is_empty() && !label.trim().is_empty()
        )
    };
    for rename in renames {
        let valid = rename
            .split_once(':')
            .is_some_and(|(from, to)| lookup(from) && lookup(to));
        if !valid {
            return Err(format!(
                "Invalid rename command: {rename}. We expect a pattern like \
                 `entityname.columnname:entityname.newcolumnname`, for example \
                 `posts.name:posts.title`."
            ));
        }
    }
    Ok(())
}

/// An attribute and a link label with the same name on one entity: the server would keep one
/// and silently drop the other, so it is refused before anything is sent.
fn check_label_clashes(schema: &SchemaDef) -> Result<(), String> {
    let mut clashes = Vec::new();
    for (name, link) in &schema.links {
        let ends = [
            (&link.forward.on, &link.forward.label),
            (&link.reverse.on, &link.reverse.label),
        ];
        for (entity, label) in ends {
            if schema
                .entities
                .get(entity)
                .is_some_and(|def| def.attrs.contains_key(label))
            {
                clashes.push(format!(
                    "{entity}.{label} is both an attribute and a label of the link `{name}`"
                ));
            }
        }
    }
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Invalid Schema: {}. Rename the attribute or the link label.",
            clashes.join("; ")
        ))
    }
}

fn read_schema(ctx: &Context, project: &Project<'_>) -> Result<SchemaDef, Failure> {
    let schema = read_local(
        ctx,
        project,
        FileKind::Schema,
        "schema",
        parse_schema_typescript_file_with_imports,
    )?;
    check_label_clashes(&schema).map_err(|err| ctx.fail(err))?;
    Ok(schema)
}

fn read_rules(ctx: &Context, project: &Project<'_>) -> Result<Rules, Failure> {
    read_local(
        ctx,
        project,
        FileKind::Perms,
        "permissions",
        parse_perms_typescript_file_with_imports,
    )
}

/// Finds and parses the local file of `kind`, with instant-cli's message when it is missing.
fn read_local<T>(
    ctx: &Context,
    project: &Project<'_>,
    kind: FileKind,
    what: &str,
    parse: fn(&str, &str, ReadModule<'_>) -> Result<T, ParseError>,
) -> Result<T, Failure> {
    let located = project.locate(kind);
    if located.from_var {
        say(format_args!(
            "Using {}={}",
            kind.path_var(),
            located.display
        ));
    }
    if !located.exists {
        return Err(ctx.fail(format!(
            "We couldn't find your `instant.{stem}.ts` file (looked for {}). Make sure it's in \
             the root directory. (Hint: You can use an {} environment variable to specify it.)",
            located.display,
            kind.path_var(),
            stem = kind.stem(),
        )));
    }
    let text = crate::io::read_text(&located.path)
        .map_err(|message| ctx.fail(format!("{}: {message}", located.display)))?;
    // The shown name is relative to the current directory (or absolute), and so are the
    // paths of the modules it imports.
    let cwd = std::env::current_dir().unwrap_or_default();
    parse(&text, &located.display, &crate::io::module_reader(&cwd)).map_err(|err| {
        Failure::new(format!(
            "{}: cannot read the {what} file (instant reads it without running it; see `instant push --help`):\n{}",
            ctx.command,
            err.render().trim_end()
        ))
    })
}

struct Push<'a> {
    ctx: &'a Context,
    api: &'a PlatformClient,
    app_id: &'a str,
    source: &'a TokenSource,
    yes: bool,
    poll_ms: Option<u64>,
}

impl Push<'_> {
    async fn schema(&self, local: &SchemaDef, renames: RenameSelector) -> Result<(), Failure> {
        say("Planning schema...");
        let pulled: PulledSchema = self
            .api
            .pull_schema(self.app_id)
            .with_options(self.ctx.options())
            .send()
            .await
            .map_err(|err| {
                self.ctx
                    .api_failure("reading the app's schema", &err, Some(self.source))
            })?;
        let system = collect_system_catalog_ident_names(&pulled.attrs);
        validate_schema(local, &system)
            .map_err(|err| self.ctx.fail(format!("Invalid Schema: {err}")))?;
        let mut resolver = Resolver {
            auto: renames,
            ask: !self.yes && io::interactive(),
        };
        let txs = diff_schemas(&pulled.schema.schema, local, &mut resolver, &system)
            .map_err(|err| self.ctx.fail(err))?;
        let steps = convert_tx_steps(&txs, &pulled.attrs, || uuid::Uuid::new_v4().to_string())
            .map_err(|err| self.ctx.fail(err))?;
        if steps.is_empty() {
            say("No schema changes to apply!");
            return Ok(());
        }
        say(format_args!(
            "Changes to the schema of {} ({}):",
            pulled.app_title, self.app_id
        ));
        for line in plan::render(&txs, &pulled.attrs) {
            say(format_args!("  {line}"));
        }
        let destructive = plan::deletes(&txs);
        if destructive {
            say("Deleted attributes and links lose their data.");
        }
        if !io::confirm("Push these changes?", self.yes, !destructive)
            .map_err(|err| err.prefixed(self.ctx.command))?
        {
            return Err(self.ctx.fail("Schema migration cancelled."));
        }

        let mut push = self
            .api
            .apply_schema_steps(self.app_id, &steps, &pulled.attrs)
            .with_options(self.ctx.options());
        if let Some(ms) = self.poll_ms {
            push = push.polling(
                instantdb_platform::PollingPolicy::default()
                    .with_initial_interval(std::time::Duration::from_millis(ms)),
            );
        }
        let mut push = push.send();
        let mut progress = Progress::start(steps.len());
        while let Some(summary) = push.next().await {
            progress.update(&summary);
        }
        progress.finish();
        let result: PushResult = push.await.map_err(|err| {
            self.ctx
                .api_failure("applying the schema", &err, Some(self.source))
        })?;
        let after = result.new_schema.attrs();
        for step in result.steps() {
            if let Some(report) = plan::job_report(step, &after) {
                say(report);
            }
        }
        if result.has_errors() {
            let failed = result.errored_steps().count();
            let total = result.steps().len();
            return Err(self.ctx.fail(format!(
                "Some steps failed while updating schema: {failed} of {total} schema \
                 operations failed (see above); the other {} were applied.",
                total - failed
            )));
        }
        // Only now: the background jobs (indexes, uniqueness, types) have all succeeded.
        say("Schema updated!");
        Ok(())
    }

    async fn rules(&self, local: &Rules) -> Result<(), Failure> {
        say("Planning perms...");
        let current = self
            .api
            .get_perms(self.app_id)
            .with_options(self.ctx.options())
            .send()
            .await
            .map_err(|err| {
                self.ctx
                    .api_failure("reading the app's permissions", &err, Some(self.source))
            })?
            .unwrap_or_default();
        let (old, new) = (current.to_value(), local.to_value());
        if old == new {
            say("No perms changes to apply!");
            return Ok(());
        }
        for line in line_diff(&pretty(&old), &pretty(&new)) {
            say(format_args!("  {line}"));
        }
        if !io::confirm("Push these changes to your perms?", self.yes, true)
            .map_err(|err| err.prefixed(self.ctx.command))?
        {
            say("Left the permissions as they were.");
            return Ok(());
        }
        self.api
            .push_perms(self.app_id, local)
            .with_options(self.ctx.options())
            .send()
            .await
            .map_err(|err| {
                self.ctx
                    .api_failure("pushing the permissions", &err, Some(self.source))
            })?;
        say("Permissions updated!");
        Ok(())
    }
}

/// Renames from `--rename` first; then, on a terminal without `--yes`, a question for each
/// new name that could be a renamed old one (instant-cli's prompt); otherwise create.
struct Resolver {
    auto: RenameSelector,
    ask: bool,
}

impl RenameResolver for Resolver {
    fn resolve(
        &mut self,
        created: &str,
        candidates: &[String],
        context: &RenameContext<'_>,
    ) -> RenameChoice {
        let choice = self.auto.resolve(created, candidates, context);
        if choice != RenameChoice::Create || !self.ask {
            return choice;
        }
        let (kind, name) = match context {
            RenameContext::Attribute { entity_name } => {
                ("attr", format!("{entity_name}.{created}"))
            }
            RenameContext::Link { .. } => ("link", created.to_owned()),
        };
        let mut items = vec![format!("+ {name}   create {kind}")];
        items.extend(
            candidates
                .iter()
                .map(|from| format!("~ {from} › {created}   rename {kind}")),
        );
        let answer = dialoguer::Select::new()
            .with_prompt(format!("Is {name} created or renamed from another {kind}?"))
            .items(&items)
            .default(0)
            .interact();
        match answer {
            Ok(index) if index > 0 => candidates
                .get(index - 1)
                .map_or(RenameChoice::Create, |from| {
                    RenameChoice::RenameFrom(from.clone())
                }),
            // Enter on "create", or no answer (Ctrl-C reaches the process anyway).
            _ => RenameChoice::Create,
        }
    }
}

/// JSON as `JSON.stringify(value, null, 2)` would lay it out, by lines.
fn pretty(value: &Value) -> Vec<String> {
    serde_json::to_string_pretty(value)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A line diff (longest common subsequence) of two short texts: `  ` kept, `- ` removed,
/// `+ ` added. Rules files are small; quadratic is fine.
fn line_diff(old: &[String], new: &[String]) -> Vec<String> {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push(format!("  {}", old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {}", old[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", new[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn line_diffs_keep_common_lines() {
        let diff = line_diff(&lines("{\n  a\n  b\n}"), &lines("{\n  a\n  c\n}"));
        assert_eq!(diff, ["  {", "    a", "-   b", "+   c", "  }"]);
        assert_eq!(line_diff(&[], &lines("x")), ["+ x"]);
        assert_eq!(line_diff(&lines("x"), &[]), ["- x"]);
    }

    #[test]
    fn resolver_uses_renames_and_never_asks_without_a_terminal() {
        let mut resolver = Resolver {
            auto: RenameSelector::parse(&["todos.name:todos.title"]).unwrap(),
            ask: false,
        };
        let context = RenameContext::Attribute {
            entity_name: "todos",
        };
        let candidates = vec!["name".to_owned()];
        assert_eq!(
            resolver.resolve("title", &candidates, &context),
            RenameChoice::RenameFrom("name".into())
        );
        assert_eq!(
            resolver.resolve("other", &candidates, &context),
            RenameChoice::Create
        );
    }
}
