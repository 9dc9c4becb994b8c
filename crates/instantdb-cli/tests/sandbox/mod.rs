//! A sandbox for running `instant` as a process: a home directory for the token files and a
//! project directory, with a clean Instant environment.

// Each test file uses a different part of it.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A home directory for the token files and a project directory to run in.
pub(crate) struct Sandbox {
    _dir: tempfile::TempDir,
    pub(crate) home: PathBuf,
    pub(crate) project: PathBuf,
    pub(crate) api_uri: String,
}

impl Sandbox {
    pub(crate) fn new(api_uri: &str) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&project).unwrap();
        Sandbox {
            _dir: dir,
            home,
            project,
            api_uri: api_uri.to_owned(),
        }
    }

    /// `instant ARGS` in `dir` (relative to the project), with a clean Instant environment.
    pub(crate) fn command_in(&self, dir: &str, args: &[&str], vars: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_instant"));
        command
            .args(args)
            .current_dir(self.project.join(dir))
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("INSTANT_CLI_API_URI", &self.api_uri)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("INSTANT_") && name != "INSTANT_CLI_API_URI" {
                command.env_remove(name.as_ref());
            }
        }
        for (name, value) in vars {
            command.env(name, value);
        }
        command
    }

    pub(crate) async fn run_in(&self, dir: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = self.command_in(dir, args, vars);
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    pub(crate) async fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        self.run_in("", args, vars).await
    }

    pub(crate) fn write(&self, name: &str, text: &str) {
        let path = self.project.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Where instant-cli keeps the login for this server.
    pub(crate) fn token_file(&self) -> PathBuf {
        let hash: String = ring::digest::digest(&ring::digest::SHA256, self.api_uri.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.home
            .join(".config/instantdb-prod-nodejs/auth")
            .join(hash)
    }
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts exit code `code` and returns (stdout, stderr).
pub(crate) fn exit(output: &Output, code: i32) -> (String, String) {
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}
