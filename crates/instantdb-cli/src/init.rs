//! `instant init`, as instant-cli 1.0.67 (`commands/init.ts`, `context/currentApp.ts`,
//! `lib/handleEnv.ts`): pick the app (`--app`, the app id in the environment, a new app with
//! `--title`, a temporary one with `--temp`, or a choice on a terminal), offer to write `.env`
//! with the framework's variable name (from `package.json`: Next.js, Svelte, Vite, Expo, Nuxt,
//! Bun, else `INSTANT_APP_ID`) and `INSTANT_APP_ADMIN_TOKEN`, then pull the schema and perms
//! when there are no local files, or offer to push the local ones.
//!
//! The `.env` file is written atomically and readable by its owner only, since it holds the
//! admin token; the token itself is never printed.

use std::path::Path;

use clap::Args;
use instantdb_platform::http::Secret;
use serde_json::Value;

use crate::io::{self, Failure, say};
use crate::project::{FileKind, Project};
use crate::pull::{self, PullArgs, Which};
use crate::push::{self, PushArgs};
use crate::server::{self, Context, GlobalArgs};

/// Options of `instant init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// If you have an existing app ID, we can pull schema and perms from there.
    #[arg(short = 'a', long = "app", value_name = "APP_ID")]
    app: Option<String>,
    /// The package the pulled files import from (react, react-native, core, admin, solid,
    /// svelte, vue).
    #[arg(short = 'p', long, value_name = "PACKAGE")]
    package: Option<String>,
    /// Title for the created app.
    #[arg(long, value_name = "TITLE")]
    title: Option<String>,
    /// Create a temporary app which will automatically delete itself after >24 hours.
    #[arg(long)]
    temp: bool,
}

/// The app `init` settled on.
struct Picked {
    id: String,
    admin_token: Option<Secret>,
}

/// instant-cli's `detectEnvType`: the app id variable of the project's framework.
pub(crate) fn env_var_for(package_json: Option<&Value>) -> &'static str {
    let has = |section: &str, name: &str| {
        package_json
            .and_then(|pkg| pkg.get(section)?.get(name))
            .is_some()
    };
    if has("dependencies", "next") {
        "NEXT_PUBLIC_INSTANT_APP_ID"
    } else if has("devDependencies", "svelte") {
        "PUBLIC_INSTANT_APP_ID"
    } else if has("devDependencies", "vite") {
        "VITE_INSTANT_APP_ID"
    } else if has("dependencies", "expo") {
        "EXPO_PUBLIC_INSTANT_APP_ID"
    } else if has("dependencies", "nuxt") {
        "NUXT_PUBLIC_INSTANT_APP_ID"
    } else if has("dependencies", "@types/bun") {
        "BUN_PUBLIC_INSTANT_APP_ID"
    } else {
        "INSTANT_APP_ID"
    }
}

fn read_package_json(dir: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Runs `instant init`.
pub(crate) fn run(args: InitArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant init", global)?;
    if args.temp && args.app.is_some() {
        return Err(ctx.fail("Cannot use --temp and --app together."));
    }
    let picked = pick_app(&ctx, &args)?;
    write_env(&ctx, global, &picked)?;

    // The files: pulled when missing, offered for a push when present.
    let project = Project::current(&ctx.env).map_err(|err| err.prefixed(ctx.command))?;
    for (kind, which, what) in [
        (FileKind::Schema, Which::Schema, "schema"),
        (FileKind::Perms, Which::Perms, "perms"),
    ] {
        if project.locate(kind).exists {
            let question = format!("Found local {what}. Push it to the new app?");
            let push = if ctx.yes {
                true
            } else if io::interactive() {
                io::confirm(&question, false, false).map_err(|err| err.prefixed(ctx.command))?
            } else {
                say(format_args!(
                    "Found local {what}; not pushed (no terminal to ask). Run `instant push {}` \
                     to push it.",
                    if what == "perms" { "perms" } else { "schema" }
                ));
                false
            };
            if push {
                let mut global = clone_global(global);
                global.yes = true;
                push::run(PushArgs::for_init(which, &picked.id), &global)?;
            }
        } else {
            let mut global = clone_global(global);
            global.yes = true;
            pull::run(
                PullArgs::for_init(which, &picked.id, args.package.clone()),
                &global,
            )?;
        }
    }
    Ok(())
}

fn clone_global(global: &GlobalArgs) -> GlobalArgs {
    GlobalArgs {
        token: global.token.clone(),
        yes: global.yes,
        env_file: global.env_file.clone(),
        api_uri: global.api_uri.clone(),
        timeout: global.timeout.clone(),
    }
}

fn pick_app(ctx: &Context, args: &InitArgs) -> Result<Picked, Failure> {
    let runtime = server::runtime(ctx.command)?;
    if args.temp {
        let api = ctx.platform(None)?;
        let title = args
            .title
            .clone()
            .unwrap_or_else(|| "temporary app".to_owned());
        let temp = runtime.block_on(ctx.call(
            "creating the temporary app",
            None,
            api.create_temporary_app(title).with_options(ctx.options()),
        ))?;
        say(format_args!(
            "Created a temporary app: {} (deleted after a while unless claimed with `instant claim`).",
            temp.app.id.as_str()
        ));
        return Ok(Picked {
            id: temp.app.id.into_string(),
            admin_token: temp.app.admin_token,
        });
    }
    // An app id in the environment, without --app or --title, is the app (instant-cli's
    // `WithAppLayer`).
    if args.app.is_none()
        && args.title.is_none()
        && let Ok(id) = ctx.app_id(&server::AppArgs { app: None })
    {
        let token = server::ADMIN_TOKEN_VARS
            .iter()
            .find_map(|name| ctx.env.get(name))
            .map(Secret::new);
        return Ok(Picked {
            id,
            admin_token: token,
        });
    }
    let (token, source) = ctx.token(false)?;
    let api = ctx.platform(Some(token))?;
    if let Some(app) = &args.app {
        let id = ctx.app_id(&server::AppArgs {
            app: Some(app.clone()),
        })?;
        let apps = runtime.block_on(ctx.call(
            "listing the apps",
            Some(&source),
            api.dash_apps().with_options(ctx.options()),
        ))?;
        let found = apps
            .into_iter()
            .find(|app| app.id.as_str() == id)
            .ok_or_else(|| ctx.fail(format!("App not found on your account: {id}")))?;
        return Ok(Picked {
            id,
            admin_token: found.admin_token,
        });
    }
    let title = match &args.title {
        Some(title) => title.clone(),
        None if !io::interactive() => {
            return Err(ctx.fail(
                "Cannot ask which app to use: stdin is not a terminal. Pass --app APP_ID, \
                 --title TITLE (a new app) or --temp.",
            ));
        }
        None => {
            let apps = runtime.block_on(ctx.call(
                "listing the apps",
                Some(&source),
                api.dash_apps().with_options(ctx.options()),
            ))?;
            let mut items = vec!["Create a new app".to_owned()];
            items.extend(
                apps.iter()
                    .map(|app| format!("{} ({})", app.title, app.id.as_str())),
            );
            let choice = dialoguer::Select::new()
                .with_prompt("Which app should this project use?")
                .items(&items)
                .default(0)
                .interact()
                .map_err(|err| ctx.fail(err))?;
            if let Some(app) = choice.checked_sub(1).and_then(|i| apps.get(i)) {
                return Ok(Picked {
                    id: app.id.as_str().to_owned(),
                    admin_token: app.admin_token.clone(),
                });
            }
            dialoguer::Input::<String>::new()
                .with_prompt("App name")
                .interact_text()
                .map_err(|err| ctx.fail(err))?
        }
    };
    let app = runtime.block_on(ctx.call(
        "creating the app",
        Some(&source),
        api.create_dash_app(title).with_options(ctx.options()),
    ))?;
    say(format_args!(
        "Created app \"{}\" ({}).",
        app.title,
        app.id.as_str()
    ));
    Ok(Picked {
        id: app.id.into_string(),
        admin_token: app.admin_token,
    })
}

/// instant-cli's `handleEnv`: an existing env file is left alone (the variable to set is
/// printed); otherwise it is offered.
fn write_env(ctx: &Context, global: &GlobalArgs, picked: &Picked) -> Result<(), Failure> {
    let cwd =
        std::env::current_dir().map_err(|err| ctx.fail(format!("the current directory: {err}")))?;
    let var = env_var_for(read_package_json(&cwd).as_ref());
    let file = global.env_file.clone().unwrap_or_else(|| ".env".into());
    let path = cwd.join(&file);
    let dash = format!(
        "{}/dash?s=main&t=home&app={}",
        ctx.dash_uri(None),
        picked.id
    );
    if path.exists() {
        say(format_args!("\nPicked app {}!\n", picked.id));
        say("To use this app automatically from now on, update your `.env` file:");
        say(format_args!("  {var}={}", picked.id));
        say(format_args!("{dash}\n"));
        return Ok(());
    }
    let Some(token) = &picked.admin_token else {
        say(format_args!(
            "Set {var}={} to use this app automatically from now on.",
            picked.id
        ));
        return Ok(());
    };
    let question = format!(
        "Looks like you don't have a `{}` file yet.\nIf we set {var} & INSTANT_APP_ADMIN_TOKEN, \
         we can remember the app that you chose for all\nfuture commands.\nWant us to create \
         this env file for you?",
        file.display()
    );
    let ok = if ctx.yes {
        true
    } else if io::interactive() {
        io::confirm(&question, false, true).map_err(|err| err.prefixed(ctx.command))?
    } else {
        false
    };
    if !ok {
        say(format_args!(
            "No .env file created. You can always set `{var}` later. \n"
        ));
        return Ok(());
    }
    io::write_private(
        &path,
        &format!(
            "{var}={}\nINSTANT_APP_ADMIN_TOKEN={}\n",
            picked.id,
            token.expose()
        ),
    )?;
    if file.as_os_str() == ".env" {
        say("Created .env file!");
    } else {
        say(format_args!("Created {}!", file.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_env_variable_follows_the_framework() {
        let cases = [
            (
                json!({"dependencies": {"next": "15"}}),
                "NEXT_PUBLIC_INSTANT_APP_ID",
            ),
            (
                json!({"devDependencies": {"svelte": "5"}}),
                "PUBLIC_INSTANT_APP_ID",
            ),
            (
                json!({"devDependencies": {"vite": "6"}}),
                "VITE_INSTANT_APP_ID",
            ),
            (
                json!({"dependencies": {"expo": "52"}}),
                "EXPO_PUBLIC_INSTANT_APP_ID",
            ),
            (
                json!({"dependencies": {"nuxt": "3"}}),
                "NUXT_PUBLIC_INSTANT_APP_ID",
            ),
            (
                json!({"dependencies": {"@types/bun": "1"}}),
                "BUN_PUBLIC_INSTANT_APP_ID",
            ),
            (json!({"dependencies": {"react": "19"}}), "INSTANT_APP_ID"),
        ];
        for (package, var) in cases {
            assert_eq!(env_var_for(Some(&package)), var, "{package}");
        }
        assert_eq!(env_var_for(None), "INSTANT_APP_ID");
    }
}
