//! `instant pull [schema|perms|all]`: write an app's schema and permission rules to
//! `instant.schema.ts` / `instant.perms.ts`, as `instant-cli pull` writes them.
//!
//! The schema comes from `GET /dash/apps/:id/schema/pull`, the rules from the platform API's
//! `getPerms`. The files are `instantdb-typescript`'s prettier-style output (what instant-cli
//! writes after running prettier with default options); the schema keeps the rooms of the
//! existing file, since the server does not store rooms.

use clap::{Args, ValueEnum};
use instantdb_platform::PlatformClient;
use instantdb_typescript::{
    DEFAULT_MODULE, Style, generate_perms_file, generate_schema_file,
    parse_schema_typescript_file_with_imports, preserve_types,
};

use crate::io::{self, Failure, say};
use crate::project::{FileKind, Located, Project};
use crate::server::{self, AppArgs, Context, GlobalArgs};

/// Which files a pull or push handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Which {
    /// `instant.schema.ts`.
    Schema,
    /// `instant.perms.ts`.
    Perms,
    /// Both.
    All,
}

impl Which {
    pub(crate) fn schema(self) -> bool {
        matches!(self, Which::Schema | Which::All)
    }

    pub(crate) fn perms(self) -> bool {
        matches!(self, Which::Perms | Which::All)
    }
}

/// Options of `instant pull`.
#[derive(Debug, Args)]
#[command(after_help = "Environment variables:
  INSTANT_SCHEMA_FILE_PATH    The schema file [default: instant.schema.ts, found as instant-cli finds it]
  INSTANT_PERMS_FILE_PATH     The permissions file [default: instant.perms.ts]
They, and every other variable, may also be set in .env files.")]
pub(crate) struct PullArgs {
    /// What to pull.
    #[arg(value_enum, default_value_t = Which::All)]
    which: Which,
    #[command(flatten)]
    app: AppArgs,
    /// The package the files import `i` from: react, react-native, core, admin, solid, svelte,
    /// vue, or a full name (default: the Instant package in `package.json`, else
    /// `@instantdb/core`).
    #[arg(short = 'p', long, value_name = "PACKAGE")]
    package: Option<String>,
    /// Also write the typed Rust module of the pulled schema to FILE (`instant codegen rust`),
    /// for `instantdb::admin::typed`.
    #[arg(long, value_name = "FILE")]
    rust: Option<std::path::PathBuf>,
    /// Keep the TypeScript types of the existing schema file: the generic type arguments of
    /// `i.json<MyType>()`, `i.string<'a' | 'b'>()`, `i.entity(...).asType<T>()` at the same
    /// place, and the imports those types need, as instant-cli's flag of the same name does
    /// (an entity's `.asType<T>()` comes back as `i.entity<T>(...)`). Use it when your schema
    /// file types attributes or entities; without it they are written untyped.
    #[arg(long)]
    experimental_type_preservation: bool,
}

impl PullArgs {
    /// What `instant init` pulls for a fresh project.
    pub(crate) fn for_init(which: Which, app_id: &str, package: Option<String>) -> PullArgs {
        PullArgs {
            which,
            app: AppArgs {
                app: Some(app_id.to_owned()),
            },
            package,
            rust: None,
            experimental_type_preservation: false,
        }
    }
}

/// Runs `instant pull`.
pub(crate) fn run(args: PullArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant pull", global)?;
    let app_id = ctx.app_id(&args.app)?;
    let (token, source) = ctx.token(true)?;
    let api = ctx.platform(Some(token))?;
    let project = Project::current(&ctx.env).map_err(|err| err.prefixed(ctx.command))?;
    let module = match project
        .module_name(args.package.as_deref())
        .map_err(|err| err.prefixed(ctx.command))?
    {
        Some(module) => module,
        None => {
            say(format_args!(
                "No Instant package in package.json: the files import from {DEFAULT_MODULE} (choose with --package)."
            ));
            DEFAULT_MODULE.to_owned()
        }
    };
    let pull = Pull {
        ctx: &ctx,
        api: &api,
        app_id: &app_id,
        source: &source,
        project: &project,
        module: &module,
        yes: ctx.yes,
        rust: args.rust.as_deref(),
        preserve_types: args.experimental_type_preservation,
    };
    if pull.rust.is_some() && !args.which.schema() {
        return Err(ctx.fail("--rust needs the schema: pull `schema` or `all`".to_owned()));
    }
    server::runtime(ctx.command)?.block_on(async {
        if args.which.schema() {
            pull.schema().await?;
        }
        if args.which.perms() {
            pull.perms().await?;
        }
        Ok(())
    })
}

struct Pull<'a> {
    ctx: &'a Context,
    api: &'a PlatformClient,
    app_id: &'a str,
    source: &'a server::TokenSource,
    project: &'a Project<'a>,
    module: &'a str,
    yes: bool,
    rust: Option<&'a std::path::Path>,
    preserve_types: bool,
}

impl Pull<'_> {
    async fn schema(&self) -> Result<(), Failure> {
        say("Pulling schema...");
        let pulled = self
            .api
            .pull_schema(self.app_id)
            .with_options(self.ctx.options())
            .send()
            .await
            .map_err(|err| {
                self.ctx
                    .api_failure("pulling the schema", &err, Some(self.source))
            })?;
        let api_schema = &pulled.schema.api_schema;
        if api_schema.blobs.is_empty() && api_schema.refs.is_empty() {
            say("Schema is empty. Skipping.");
            return Ok(());
        }
        let file = self.locate(FileKind::Schema);
        let cwd = std::env::current_dir().unwrap_or_default();
        let previous = match &file {
            Some((located, text)) => Some(parse_schema_typescript_file_with_imports(text, &located.display, &crate::io::module_reader(&cwd)).map_err(
                |err| {
                    Failure::new(format!(
                        "{}: cannot read the existing schema file, whose rooms the pull keeps:\n{}\nFix it, or move it away to pull a fresh one (without rooms).",
                        self.ctx.command,
                        err.render().trim_end()
                    ))
                },
            )?),
            None => None,
        };
        let mut text = generate_schema_file(
            previous.as_ref(),
            &pulled.schema.schema,
            self.module,
            Style::Prettier,
        );
        if self.preserve_types
            && let Some((_, old_text)) = &file
        {
            text = preserve_types(old_text, &text, Style::Prettier).map_err(|err| {
                Failure::new(format!(
                    "{}: cannot keep the types of the existing schema file \
                     (--experimental-type-preservation):\n{}",
                    self.ctx.command,
                    err.render().trim_end()
                ))
            })?;
        }
        let source = file.as_ref().map(|(located, _)| located.path.clone());
        self.write(FileKind::Schema, file, &text, "schema")?;
        if let Some(path) = self.rust {
            // The server keeps no rooms; the TypeScript file took them from the previous file,
            // and so does the Rust module.
            let mut schema = pulled.schema.schema.clone();
            if let Some(previous) = &previous {
                schema.rooms = previous.rooms.clone();
            }
            let source = source
                .as_deref()
                .and_then(|path| path.file_name())
                .map_or_else(
                    || "instant.schema.ts".to_owned(),
                    |name| name.to_string_lossy().into_owned(),
                );
            let code = crate::rustgen::generate(&schema, &source, "::instantdb::admin::typed");
            crate::rustgen::write(path, &code).map_err(|err| err.prefixed(self.ctx.command))?;
            say(format_args!(
                "Wrote the typed Rust module to {}",
                path.display()
            ));
        }
        Ok(())
    }

    async fn perms(&self) -> Result<(), Failure> {
        say("Pulling perms...");
        let rules = self
            .api
            .get_perms(self.app_id)
            .with_options(self.ctx.options())
            .send()
            .await
            .map_err(|err| {
                self.ctx
                    .api_failure("pulling the permissions", &err, Some(self.source))
            })?;
        let text = generate_perms_file(rules.as_ref(), self.module, Style::Prettier);
        let file = self.locate(FileKind::Perms);
        self.write(FileKind::Perms, file, &text, "permissions")
    }

    /// The existing file of `kind` and its text, if there is one.
    fn locate(&self, kind: FileKind) -> Option<(Located, String)> {
        let located = self.project.locate(kind);
        if located.from_var {
            say(format_args!(
                "Using {}={}",
                kind.path_var(),
                located.display
            ));
        }
        if !located.exists {
            return None;
        }
        // Unreadable counts as absent here; writing it then reports the real problem.
        let text = std::fs::read_to_string(&located.path).ok()?;
        Some((located, text))
    }

    /// Writes `text`, asking before replacing a file with different content.
    fn write(
        &self,
        kind: FileKind,
        existing: Option<(Located, String)>,
        text: &str,
        what: &str,
    ) -> Result<(), Failure> {
        let located = match existing {
            Some((located, old)) => {
                if old == text {
                    say(format_args!("{} is already up to date.", located.display));
                    return Ok(());
                }
                let question = format!(
                    "This will overwrite your local {} file, OK to proceed?",
                    located.display
                );
                if !io::confirm(&question, self.yes, true)
                    .map_err(|err| err.prefixed(self.ctx.command))?
                {
                    say(format_args!("Left {} as it was.", located.display));
                    return Ok(());
                }
                located
            }
            None => self.project.locate(kind),
        };
        if let Some(dir) = located.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|err| self.ctx.fail(format!("{}: {err}", dir.display())))?;
        }
        io::write_atomically(&located.path, text).map_err(|err| err.prefixed(self.ctx.command))?;
        say(format_args!("Wrote {what} to {}", located.display));
        Ok(())
    }
}
