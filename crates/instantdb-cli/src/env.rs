//! The environment the server commands read: the process's variables, then `.env` files as
//! `instant-cli` loads them (dotenv-flow 4 with dotenv 16's parser).
//!
//! Without `--env FILE`, the files are `.env.defaults`, `.env`, `.env.local` (skipped when
//! `NODE_ENV` is `test`), `.env.<NODE_ENV>` and `.env.<NODE_ENV>.local`, those that exist in the
//! nearest directory that has any of them, from the current one up (as the schema file is
//! found), later ones overriding earlier ones. With `--env FILE` only that file is
//! read. A variable set in the process, even to an empty string, always wins over the files.
//! The process environment is never modified: the values are looked up here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::io::Failure;

/// dotenv 16's `LINE` pattern with JavaScript's `\s` and `\w` spelled out, so it matches the
/// same text without Unicode tables. With leftmost-first alternation and no backreferences,
/// the regex crate finds the same matches as JavaScript's backtracking engine.
const LINE: &str = concat!(
    r"(?m)(?:^|^)[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]*",
    r"(?:export[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]+)?",
    r"([A-Za-z0-9_.\-]+)",
    r"(?:[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]*=[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]*?",
    r"|:[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]+?)",
    r"([\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]*'(?:\\'|[^'])*'",
    r"|[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]*\x22(?:\\\x22|[^\x22])*\x22",
    r"|[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]*`(?:\\`|[^`])*`",
    r"|[^#\r\n]+)?",
    r"[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]*(?:#.*)?(?:$|$)",
);

/// JavaScript's `String.prototype.trim` set (White_Space plus U+FEFF, without U+0085).
fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}'))
}

fn line_regex() -> Option<&'static Regex> {
    static LINE_RE: OnceLock<Option<Regex>> = OnceLock::new();
    // The pattern is a constant; a test compiles it, so `None` never happens in a release.
    LINE_RE.get_or_init(|| Regex::new(LINE).ok()).as_ref()
}

/// dotenv 16's `parse`: `KEY=value` lines, `export` prefixes, `#` comments, single, double and
/// back-quoted values (multi-line allowed), `\n`/`\r` escapes in double quotes only, no variable
/// expansion. A later duplicate key wins.
pub(crate) fn parse_dotenv(src: &str) -> Vec<(String, String)> {
    let Some(re) = line_regex() else {
        return Vec::new();
    };
    let src = src.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<(String, String)> = Vec::new();
    for caps in re.captures_iter(&src) {
        let Some(key) = caps.get(1) else { continue };
        let raw = js_trim(caps.get(2).map_or("", |m| m.as_str()));
        let quote = raw.chars().next();
        let mut value = strip_quotes(raw).to_owned();
        if quote == Some('"') {
            value = value.replace("\\n", "\n").replace("\\r", "\r");
        }
        // As a JavaScript object: a repeated key keeps its first position, takes the new value.
        match out.iter_mut().find(|(k, _)| k == key.as_str()) {
            Some(slot) => slot.1 = value,
            None => out.push((key.as_str().to_owned(), value)),
        }
    }
    out
}

/// `value.replace(/^(['"`])([\s\S]*)\1$/mg, '$2')`: surrounding matching quotes go. With the
/// `m` flag `$` may also match before a newline, but `[\s\S]*` is greedy and the value is
/// trimmed, so only the last character can close the quote.
fn strip_quotes(value: &str) -> &str {
    let mut chars = value.chars();
    match (chars.next(), chars.next_back()) {
        (Some(open), Some(close)) if open == close && matches!(open, '\'' | '"' | '`') => {
            &value[1..value.len() - 1]
        }
        _ => value,
    }
}

/// The process environment plus the `.env` files' values.
#[derive(Debug, Default)]
pub(crate) struct Env {
    files: HashMap<String, String>,
    /// Overrides of the process environment, for tests.
    process: Option<HashMap<String, String>>,
}

impl Env {
    /// Reads the `.env` files of `dir` (or only `env_file`, relative to `dir`).
    pub(crate) fn load(dir: &Path, env_file: Option<&Path>) -> Result<Env, Failure> {
        let mut env = Env::default();
        let files = match env_file {
            Some(file) => {
                let path = dir.join(file);
                if !path.is_file() {
                    return Err(Failure::new(format!(
                        "--env {}: no such file",
                        file.display()
                    )));
                }
                vec![path]
            }
            // The nearest directory, from `dir` up, that has any of the files: as the schema
            // file, `.env` is found when a command runs in a subdirectory such as `src/`.
            None => dir
                .ancestors()
                .map(|dir| env.default_files(dir))
                .find(|files| !files.is_empty())
                .unwrap_or_default(),
        };
        for path in files {
            let bytes = std::fs::read(&path)
                .map_err(|err| Failure::new(format!("{}: {err}", path.display())))?;
            for (key, value) in parse_dotenv(&String::from_utf8_lossy(&bytes)) {
                env.files.insert(key, value);
            }
        }
        Ok(env)
    }

    /// dotenv-flow's default list, in loading order, as far as the files exist.
    fn default_files(&self, dir: &Path) -> Vec<PathBuf> {
        let node_env = self.process_var("NODE_ENV").filter(|v| !v.is_empty());
        let mut names = vec![".env.defaults".to_owned(), ".env".to_owned()];
        if node_env.as_deref() != Some("test") {
            names.push(".env.local".to_owned());
        }
        if let Some(node_env) = &node_env {
            names.push(format!(".env.{node_env}"));
            names.push(format!(".env.{node_env}.local"));
        }
        names
            .into_iter()
            .map(|name| dir.join(name))
            .filter(|path| path.is_file())
            .collect()
    }

    fn process_var(&self, name: &str) -> Option<String> {
        match &self.process {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
        }
    }

    /// The variable's value when it is set to something non-empty (upstream tests values for
    /// truthiness): the process's value if the process has the variable at all, else the files'.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        match self.process_var(name) {
            Some(value) => Some(value),
            None => self.files.get(name).cloned(),
        }
        .filter(|value| !value.is_empty())
    }

    /// Whether a boolean flag such as `INSTANT_CLI_DEV` is on (`true`, `1`, `yes`, `on`).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|value| {
            matches!(
                value.to_ascii_lowercase().as_str(),
                "true" | "1" | "yes" | "on"
            )
        })
    }

    /// An environment made of `vars` only, for tests.
    #[cfg(test)]
    pub(crate) fn from_vars(vars: &[(&str, &str)]) -> Env {
        Env {
            files: HashMap::new(),
            process: Some(
                vars.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(src: &str) -> Vec<(String, String)> {
        parse_dotenv(src)
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_line_pattern_compiles() {
        assert!(line_regex().is_some());
    }

    /// Expected values from dotenv 16.6.1's `parse` under Node 20.
    #[test]
    fn parses_as_dotenv_16() {
        let src = "# comment\nBASIC=basic\n\nexport EXPORTED = yes # trailing\nEMPTY=\nSPACED=  some value  \nSINGLE='quoted # not a comment'\nDOUBLE=\"line1\\nline2\"\nRAW='no\\nexpansion'\nBACK=`back`\nMULTI=\"a\nb\"\nCOLON: value\nDOTTED.KEY-X=1\nINNER=\"abc\" tail\nDUP=first\nDUP=second\n  INDENTED=ok\nNOEQUALS\nURL=https://example.com/path?x=1#frag\n";
        assert_eq!(
            parsed(src),
            pairs(&[
                ("BASIC", "basic"),
                ("EXPORTED", "yes"),
                ("EMPTY", ""),
                ("SPACED", "some value"),
                ("SINGLE", "quoted # not a comment"),
                ("DOUBLE", "line1\nline2"),
                ("RAW", "no\\nexpansion"),
                ("BACK", "back"),
                ("MULTI", "a\nb"),
                ("COLON", "value"),
                ("DOTTED.KEY-X", "1"),
                ("INNER", "\"abc\" tail"),
                ("DUP", "second"),
                ("INDENTED", "ok"),
                ("URL", "https://example.com/path?x=1"),
            ])
        );
        assert_eq!(
            parsed("A=1\r\nB=2\rC=3"),
            pairs(&[("A", "1"), ("B", "2"), ("C", "3")])
        );
    }

    #[test]
    fn process_values_win_even_when_empty_and_empty_means_unset() {
        let mut env = Env::from_vars(&[("SET", "process"), ("BLANK", "")]);
        env.files.insert("SET".into(), "file".into());
        env.files.insert("BLANK".into(), "file".into());
        env.files.insert("ONLY_FILE".into(), "file".into());
        env.files.insert("EMPTY_FILE".into(), String::new());
        assert_eq!(env.get("SET").as_deref(), Some("process"));
        assert_eq!(env.get("BLANK"), None);
        assert_eq!(env.get("ONLY_FILE").as_deref(), Some("file"));
        assert_eq!(env.get("EMPTY_FILE"), None);
        assert_eq!(env.get("MISSING"), None);
    }

    #[test]
    fn loads_dotenv_flow_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            ".env.defaults",
            "A=defaults\nB=defaults\nC=defaults\nD=defaults\n",
        );
        write(".env", "B=env\nC=env\nD=env\n");
        write(".env.local", "C=local\n");
        write(".env.production", "D=production\n");
        write(".env.test", "D=test\n");

        let mut env = Env::from_vars(&[]);
        for path in env.default_files(dir.path()) {
            let text = std::fs::read_to_string(path).unwrap();
            env.files.extend(parse_dotenv(&text));
        }
        let values = |env: &Env| ["A", "B", "C", "D"].map(|k| env.get(k).unwrap_or_default());
        assert_eq!(values(&env), ["defaults", "env", "local", "env"]);

        let prod = Env::from_vars(&[("NODE_ENV", "production")]);
        let names: Vec<_> = prod
            .default_files(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [".env.defaults", ".env", ".env.local", ".env.production"]
        );
        let test = Env::from_vars(&[("NODE_ENV", "test")]);
        let names: Vec<_> = test
            .default_files(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [".env.defaults", ".env", ".env.test"]);

        // From a subdirectory, the nearest directory with files is used.
        let sub = dir.path().join("src/app");
        std::fs::create_dir_all(&sub).unwrap();
        let from_sub = Env::load(&sub, None).unwrap();
        assert_eq!(from_sub.files.get("B").map(String::as_str), Some("env"));
        std::fs::write(sub.join(".env"), "B=sub\n").unwrap();
        let nearer = Env::load(&sub, None).unwrap();
        assert_eq!(nearer.files.get("B").map(String::as_str), Some("sub"));
        assert_eq!(
            nearer.files.get("A"),
            None,
            "only the nearest directory's files"
        );

        let err = Env::load(dir.path(), Some(Path::new("missing.env"))).unwrap_err();
        assert!(format!("{err:?}").contains("missing.env: no such file"));
    }
}
