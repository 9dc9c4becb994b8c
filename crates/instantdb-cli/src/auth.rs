//! Where the CLI keeps its login: the token files of `instant-cli`, shared with it, so logging
//! in with either tool logs in both.
//!
//! One file per server: `<config>/auth/<sha256 hex of the normalised API URI>`, where `<config>`
//! is what the npm package `env-paths` 3 computes for `instantdb-prod` (with its default
//! `-nodejs` suffix): `$XDG_CONFIG_HOME/instantdb-prod-nodejs` or
//! `~/.config/instantdb-prod-nodejs` on Linux and other Unixes,
//! `~/Library/Preferences/instantdb-prod-nodejs` on macOS, and
//! `%APPDATA%\instantdb-prod-nodejs\Config` on Windows. The file holds the token alone and is
//! created with mode 0600, through a temporary file renamed over it, so a concurrent reader never
//! sees half a token.
//!
//! As `instant-cli`, a login to `https://api.instantdb.com` or `http://localhost:8888` is also
//! written to the pre-2026 file (`<config of instantdb-prod or instantdb-dev>/a`), and a token
//! found only there is copied to the per-server file when read.

use std::path::{Path, PathBuf};

use instantdb_platform::http::{DEFAULT_API_URI, Secret};

use crate::io::{self, Failure};

/// The server `instant-cli`'s development mode talks to, whose login also goes to the legacy
/// `instantdb-dev` file.
const LEGACY_DEV_API_URI: &str = "http://localhost:8888";

/// `normalizeApiURI` of instant-cli: parsed as a WHATWG URL (so the scheme and host are
/// lower-cased and a default port dropped), only http(s), query and fragment dropped, trailing
/// slashes of the path removed, and no trailing `/`.
pub(crate) fn normalize_api_uri(api_uri: &str) -> Result<String, Failure> {
    let mut url = url::Url::parse(api_uri)
        .map_err(|err| Failure::new(format!("invalid API URI `{api_uri}`: {err}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::new(format!(
            "invalid API URI `{api_uri}`: Instant API URI must use http:// or https://"
        )));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    let text = url.to_string();
    Ok(text.strip_suffix('/').unwrap_or(&text).to_owned())
}

/// The token files of one user account on this machine.
#[derive(Debug, Clone)]
pub(crate) struct TokenStore {
    /// `env-paths('instantdb-prod').config`.
    prod_dir: PathBuf,
    /// `env-paths('instantdb-dev').config`, home of the legacy development-server file.
    dev_dir: PathBuf,
}

impl TokenStore {
    /// The store `instant-cli` uses for the current user, from the process environment.
    pub(crate) fn for_current_user() -> Result<TokenStore, Failure> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let home = home_dir().ok_or_else(|| {
            Failure::new("cannot find your home directory to store the login (set HOME)")
        })?;
        let dir = |name: &str| config_dir(name, std::env::consts::OS, &home, &var);
        Ok(TokenStore {
            prod_dir: dir("instantdb-prod"),
            dev_dir: dir("instantdb-dev"),
        })
    }

    /// The per-server token file of `api_uri`.
    pub(crate) fn path(&self, api_uri: &str) -> Result<PathBuf, Failure> {
        let normalized = normalize_api_uri(api_uri)?;
        let hash: String = ring::digest::digest(&ring::digest::SHA256, normalized.as_bytes())
            .as_ref()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(self.prod_dir.join("auth").join(hash))
    }

    /// The pre-2026 file, for the two servers that had one.
    fn legacy_path(&self, api_uri: &str) -> Result<Option<PathBuf>, Failure> {
        let normalized = normalize_api_uri(api_uri)?;
        Ok(if normalized == DEFAULT_API_URI {
            Some(self.prod_dir.join("a"))
        } else if normalized == LEGACY_DEV_API_URI {
            Some(self.dev_dir.join("a"))
        } else {
            None
        })
    }

    /// The stored token for `api_uri`, if any.
    pub(crate) fn read(&self, api_uri: &str) -> Result<Option<Secret>, Failure> {
        let path = self.path(api_uri)?;
        if let Some(token) = read_token(&path)? {
            return Ok(Some(token));
        }
        let Some(legacy) = self.legacy_path(api_uri)? else {
            return Ok(None);
        };
        let token = read_token(&legacy)?;
        if let Some(token) = &token {
            // Best effort, as upstream: the legacy file still works if this fails.
            let _ = write_token(&path, token);
        }
        Ok(token)
    }

    /// Stores `token` for `api_uri`; returns the file written.
    pub(crate) fn write(&self, api_uri: &str, token: &Secret) -> Result<PathBuf, Failure> {
        let path = self.path(api_uri)?;
        write_token(&path, token)?;
        if let Some(legacy) = self.legacy_path(api_uri)? {
            // Best effort, as upstream: only older instant-cli versions read it.
            let _ = write_token(&legacy, token);
        }
        Ok(path)
    }

    /// Deletes the stored token for `api_uri`; whether there was one.
    pub(crate) fn remove(&self, api_uri: &str) -> Result<bool, Failure> {
        let mut removed = false;
        let paths = [Some(self.path(api_uri)?), self.legacy_path(api_uri)?];
        for path in paths.into_iter().flatten() {
            match std::fs::remove_file(&path) {
                Ok(()) => removed = true,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(Failure::new(format!("{}: {err}", path.display()))),
            }
        }
        Ok(removed)
    }
}

/// Node's `os.homedir()`: `HOME` on Unix (`USERPROFILE` on Windows), else the system's idea.
fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(std::env::home_dir)
}

/// `envPaths(name).config` of env-paths 3 on `os` (Rust's `std::env::consts::OS` names).
fn config_dir(
    name: &str,
    os: &str,
    home: &Path,
    var: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> PathBuf {
    let name = format!("{name}-nodejs");
    match os {
        "macos" => home.join("Library").join("Preferences").join(name),
        "windows" => var("APPDATA")
            .map_or_else(|| home.join("AppData").join("Roaming"), PathBuf::from)
            .join(name)
            .join("Config"),
        _ => var("XDG_CONFIG_HOME")
            .map_or_else(|| home.join(".config"), PathBuf::from)
            .join(name),
    }
}

/// The token in `path` (trimmed, as upstream reads it), `None` if the file is missing or blank.
fn read_token(path: &Path) -> Result<Option<Secret>, Failure> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| {
                Failure::new(format!("{}: the stored token is not text", path.display()))
            })?;
            let token = text.trim();
            Ok((!token.is_empty()).then(|| Secret::new(token)))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Failure::new(format!("{}: {err}", path.display()))),
    }
}

/// Writes the token alone, mode 0600, atomically; directories it creates are private (0700).
fn write_token(path: &Path, token: &Secret) -> Result<(), Failure> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(|err| Failure::new(format!("{}: {err}", dir.display())))?;
    }
    io::write_private(path, token.expose())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[input, normalizeApiURI(input), sha256hex]` from instant-cli's `auth/index.ts`
    /// functions run under Node 20.
    const NODE_VECTORS: [(&str, &str, &str); 7] = [
        (
            "https://api.instantdb.com",
            "https://api.instantdb.com",
            "29a5d547df393dbeaa8ac5f5db244126d0b30a0d744633756781e08d99c60f57",
        ),
        (
            "https://API.InstantDB.com:443/",
            "https://api.instantdb.com",
            "29a5d547df393dbeaa8ac5f5db244126d0b30a0d744633756781e08d99c60f57",
        ),
        (
            "http://localhost:8888",
            "http://localhost:8888",
            "05a206bc846560e1b90e0f32f042a315daffe0edb6ff8a5c5d7a19ec34ae8909",
        ),
        (
            "http://127.0.0.1:8888/",
            "http://127.0.0.1:8888",
            "529c4adb33a177f5a5e38daf3c68da5c4f1603e535f0edead04bde15fc4d08e1",
        ),
        (
            "https://example.com/instant//?x=1#y",
            "https://example.com/instant",
            "13f4b89a03512dbdc189f336650a59c0ed80e3dad21053bcaede2121165e2f36",
        ),
        (
            "https://example.com:8443/a/b/",
            "https://example.com:8443/a/b",
            "b27c508f52583ae7d71d3a4b6bd5c47bf1851b243d6f585e7ac09ea37baa1dd6",
        ),
        (
            "http://[::1]:8888",
            "http://[::1]:8888",
            "b4d2c2108f32a69cd3fac9e75b59305660c0bdfd6f47a73b7dc61a1d673e437c",
        ),
    ];

    fn store(dir: &Path) -> TokenStore {
        TokenStore {
            prod_dir: dir.join("instantdb-prod-nodejs"),
            dev_dir: dir.join("instantdb-dev-nodejs"),
        }
    }

    #[test]
    fn file_names_match_instant_cli() {
        let store = store(Path::new("/cfg"));
        for (input, normalized, hash) in NODE_VECTORS {
            assert_eq!(normalize_api_uri(input).unwrap(), normalized, "{input}");
            assert_eq!(
                store.path(input).unwrap(),
                Path::new("/cfg/instantdb-prod-nodejs/auth").join(hash),
                "{input}"
            );
        }
        assert!(normalize_api_uri("ftp://example.com").is_err());
        assert!(normalize_api_uri("not a url").is_err());
    }

    /// What env-paths 3.0.0 computes (`index.js`; Linux checked under Node 20 with and without
    /// `XDG_CONFIG_HOME`).
    #[test]
    fn config_dirs_match_env_paths() {
        let home = Path::new("/home/u");
        let none = |_: &str| None;
        assert_eq!(
            config_dir("instantdb-prod", "linux", home, &none),
            Path::new("/home/u/.config/instantdb-prod-nodejs")
        );
        let xdg = |name: &str| (name == "XDG_CONFIG_HOME").then(|| "/x/cfg".into());
        assert_eq!(
            config_dir("instantdb-prod", "freebsd", home, &xdg),
            Path::new("/x/cfg/instantdb-prod-nodejs")
        );
        assert_eq!(
            config_dir("instantdb-dev", "macos", home, &none),
            Path::new("/home/u/Library/Preferences/instantdb-dev-nodejs")
        );
        let appdata = |name: &str| (name == "APPDATA").then(|| "/appdata".into());
        assert_eq!(
            config_dir("instantdb-prod", "windows", home, &appdata),
            Path::new("/appdata/instantdb-prod-nodejs/Config")
        );
        assert_eq!(
            config_dir("instantdb-prod", "windows", home, &none),
            Path::new("/home/u/AppData/Roaming/instantdb-prod-nodejs/Config")
        );
    }

    #[test]
    fn write_read_remove_round_trip_with_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let api = "http://127.0.0.1:4000/";
        assert!(store.read(api).unwrap().is_none());
        let path = store.write(api, &Secret::new("tok-1")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "tok-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        // The same server however it is spelled.
        let token = store.read("http://127.0.0.1:4000").unwrap().unwrap();
        assert_eq!(token.expose(), "tok-1");
        // Whitespace around a hand-written token is ignored, as upstream.
        std::fs::write(&path, "  tok-2\n").unwrap();
        assert_eq!(store.read(api).unwrap().unwrap().expose(), "tok-2");
        assert!(store.remove(api).unwrap());
        assert!(!store.remove(api).unwrap());
        assert!(store.read(api).unwrap().is_none());
        // No legacy file for other servers.
        assert!(!dir.path().join("instantdb-prod-nodejs/a").exists());
    }

    #[test]
    fn legacy_files_are_written_and_migrated_for_cloud_and_localhost() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        store.write(DEFAULT_API_URI, &Secret::new("cloud")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("instantdb-prod-nodejs/a")).unwrap(),
            "cloud"
        );

        let legacy = dir.path().join("instantdb-dev-nodejs/a");
        std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
        std::fs::write(&legacy, "old-dev-token").unwrap();
        let token = store.read("http://localhost:8888/").unwrap().unwrap();
        assert_eq!(token.expose(), "old-dev-token");
        let scoped = store.path(LEGACY_DEV_API_URI).unwrap();
        assert_eq!(std::fs::read_to_string(scoped).unwrap(), "old-dev-token");
        assert!(store.remove(LEGACY_DEV_API_URI).unwrap());
        assert!(!legacy.exists());
    }
}
