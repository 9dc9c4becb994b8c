//! OAuth scopes: the six the server knows, and a set of them as the token endpoint reports it.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// One scope an OAuth app can ask for.
///
/// On the wire scopes are space-separated in the `scope` parameter of the authorization URL and
/// in the `scopes` (or `scope`) field of token responses. The server meets a `*-read`
/// requirement with either the read or the write scope of the same area, and a `*-write`
/// requirement only with the write scope; [`Scope::satisfies`] and [`Scopes::allows`] apply
/// that rule.
///
/// ```
/// use instantdb_oauth::Scope;
///
/// let scope: Scope = "apps-write".parse()?;
/// assert_eq!(scope, Scope::AppsWrite);
/// assert_eq!(scope.as_str(), "apps-write");
/// assert!(scope.satisfies(Scope::AppsRead));
/// assert!(!Scope::AppsRead.satisfies(Scope::AppsWrite));
/// # Ok::<(), instantdb_oauth::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `apps-read`: list apps, read schema and perms, plan schema pushes.
    AppsRead,
    /// `apps-write`: create, rename and delete apps, push schema and perms.
    AppsWrite,
    /// `data-read`: read app data (backups, webhook configuration).
    DataRead,
    /// `data-write`: write app data (webhook mutations).
    DataWrite,
    /// `storage-read`: read stored files.
    StorageRead,
    /// `storage-write`: upload and delete stored files.
    StorageWrite,
}

impl Scope {
    /// Every scope, in the order [`Scopes`] writes them.
    pub const ALL: [Scope; 6] = [
        Scope::AppsRead,
        Scope::AppsWrite,
        Scope::DataRead,
        Scope::DataWrite,
        Scope::StorageRead,
        Scope::StorageWrite,
    ];

    /// The wire name, e.g. `apps-read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AppsRead => "apps-read",
            Scope::AppsWrite => "apps-write",
            Scope::DataRead => "data-read",
            Scope::DataWrite => "data-write",
            Scope::StorageRead => "storage-read",
            Scope::StorageWrite => "storage-write",
        }
    }

    /// Whether this is a `*-write` scope.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Scope::AppsWrite | Scope::DataWrite | Scope::StorageWrite
        )
    }

    /// The read scope of the same area (`apps-write` → `apps-read`; a read scope is its own).
    pub fn read_scope(self) -> Scope {
        match self {
            Scope::AppsRead | Scope::AppsWrite => Scope::AppsRead,
            Scope::DataRead | Scope::DataWrite => Scope::DataRead,
            Scope::StorageRead | Scope::StorageWrite => Scope::StorageRead,
        }
    }

    /// Whether a token holding this scope passes the server's check for `required`: the same
    /// scope, or the write scope of the area when a read scope is required.
    pub fn satisfies(self, required: Scope) -> bool {
        self == required || (self.is_write() && self.read_scope() == required)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = Error;

    fn from_str(text: &str) -> Result<Scope, Error> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| {
                Error::config(format!(
                    "unknown scope `{}`; expected one of apps-read, apps-write, data-read, \
                     data-write, storage-read, storage-write",
                    text.escape_debug()
                ))
            })
    }
}

/// A set of scopes, as requested in an authorization URL or granted to a token.
///
/// Written in a fixed order (that of [`Scope::ALL`]) and space-separated, which is the wire
/// form of the `scope` parameter. Read from a server leniently: scope names this version does
/// not know are kept in [`Scopes::unknown`] (and written back) instead of failing the whole
/// token response; parsed from user input ([`FromStr`]) strictly.
///
/// ```
/// use instantdb_oauth::{Scope, Scopes};
///
/// let scopes: Scopes = [Scope::AppsWrite, Scope::DataRead].into_iter().collect();
/// assert_eq!(scopes.to_string(), "apps-write data-read");
/// assert!(scopes.allows(Scope::AppsRead)); // write implies read
/// assert!(!scopes.allows(Scope::DataWrite));
///
/// let granted = Scopes::from_wire("apps-read apps-write future-scope");
/// assert_eq!(granted.unknown(), ["future-scope"]);
/// assert!("apps-read, data-write".parse::<Scopes>()?.contains(Scope::DataWrite));
/// assert!("apps-reed".parse::<Scopes>().is_err());
/// # Ok::<(), instantdb_oauth::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes {
    known: u8,
    unknown: Vec<String>,
}

impl Scopes {
    /// The empty set.
    pub fn new() -> Scopes {
        Scopes::default()
    }

    /// All six scopes.
    pub fn all() -> Scopes {
        Scope::ALL.into_iter().collect()
    }

    /// Reads a space-separated list as a server sends it, keeping names this version does not
    /// know (see [`Scopes::unknown`]). Never fails.
    pub fn from_wire(text: &str) -> Scopes {
        let mut scopes = Scopes::new();
        for name in text.split_ascii_whitespace() {
            scopes.insert_name(name);
        }
        scopes
    }

    fn insert_name(&mut self, name: &str) {
        match name.parse::<Scope>() {
            Ok(scope) => self.insert(scope),
            Err(_) => {
                if !self.unknown.iter().any(|known| known == name) {
                    self.unknown.push(name.to_owned());
                }
            }
        }
    }

    /// Adds a scope.
    pub fn insert(&mut self, scope: Scope) {
        self.known |= scope.bit();
    }

    /// Removes a scope.
    pub fn remove(&mut self, scope: Scope) {
        self.known &= !scope.bit();
    }

    /// Whether exactly this scope is in the set (no write-implies-read; see [`Scopes::allows`]).
    pub fn contains(&self, scope: Scope) -> bool {
        self.known & scope.bit() != 0
    }

    /// Whether a token with these scopes passes the server's check for `required` (a write
    /// scope also allows the read scope of its area).
    pub fn allows(&self, required: Scope) -> bool {
        self.iter().any(|held| held.satisfies(required))
    }

    /// Whether every scope of `required` is allowed.
    pub fn allows_all(&self, required: &Scopes) -> bool {
        required.iter().all(|scope| self.allows(scope))
    }

    /// The known scopes, in [`Scope::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    /// Scope names a server reported that this version does not know, in the order received.
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }

    /// Whether the set holds no scope, known or unknown.
    pub fn is_empty(&self) -> bool {
        self.known == 0 && self.unknown.is_empty()
    }

    /// The number of scopes, known and unknown.
    pub fn len(&self) -> usize {
        self.known.count_ones() as usize + self.unknown.len()
    }
}

impl fmt::Display for Scopes {
    /// Space-separated, known scopes first in [`Scope::ALL`] order, then unknown ones.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known = self.iter().map(|scope| -> &str { scope.as_str() });
        let names = known.chain(self.unknown.iter().map(String::as_str));
        for (idx, name) in names.enumerate() {
            if idx > 0 {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({:?})", self.to_string())
    }
}

impl FromStr for Scopes {
    type Err = Error;

    /// Parses user input strictly: names separated by spaces and/or commas, each one of the six
    /// known scopes.
    fn from_str(text: &str) -> Result<Scopes, Error> {
        text.split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|name| !name.is_empty())
            .map(str::parse::<Scope>)
            .collect()
    }
}

impl From<Scope> for Scopes {
    fn from(scope: Scope) -> Scopes {
        let mut scopes = Scopes::new();
        scopes.insert(scope);
        scopes
    }
}

impl<const N: usize> From<[Scope; N]> for Scopes {
    fn from(scopes: [Scope; N]) -> Scopes {
        scopes.into_iter().collect()
    }
}

impl From<&[Scope]> for Scopes {
    fn from(scopes: &[Scope]) -> Scopes {
        scopes.iter().copied().collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Scopes {
        let mut scopes = Scopes::new();
        scopes.extend(iter);
        scopes
    }
}

impl Extend<Scope> for Scopes {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, iter: I) {
        for scope in iter {
            self.insert(scope);
        }
    }
}

/// Written as the space-separated wire string, so a stored token's scopes read back with
/// [`Scopes::from_wire`].
impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads a space-separated string (the wire form) or an array of names, leniently as
/// [`Scopes::from_wire`].
impl<'de> serde::Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scopes, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            List(Vec<String>),
        }
        Ok(match Wire::deserialize(deserializer)? {
            Wire::Text(text) => Scopes::from_wire(&text),
            Wire::List(names) => {
                let mut scopes = Scopes::new();
                for name in &names {
                    scopes.insert_name(name);
                }
                scopes
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_implies_read_and_nothing_else() {
        for held in Scope::ALL {
            for required in Scope::ALL {
                let expected =
                    held == required || (held.is_write() && held.read_scope() == required);
                assert_eq!(held.satisfies(required), expected, "{held} for {required}");
            }
        }
        assert!(Scope::DataWrite.satisfies(Scope::DataRead));
        assert!(!Scope::DataWrite.satisfies(Scope::AppsRead));
        assert!(!Scope::StorageRead.satisfies(Scope::StorageWrite));
    }

    #[test]
    fn wire_form_round_trips_in_canonical_order() {
        let scopes = Scopes::from_wire("storage-write  apps-read\tx-new apps-read x-new");
        assert_eq!(scopes.to_string(), "apps-read storage-write x-new");
        assert_eq!(scopes.len(), 3);
        assert_eq!(Scopes::from_wire(&scopes.to_string()), scopes);
        assert_eq!(
            Scopes::all().to_string(),
            "apps-read apps-write data-read data-write storage-read storage-write"
        );
        assert!(Scopes::from_wire("  ").is_empty());
    }

    #[test]
    fn strict_parse_names_the_bad_scope() {
        let err = "apps-read,bogus".parse::<Scopes>().unwrap_err();
        assert!(err.to_string().contains("`bogus`"), "{err}");
        assert_eq!(
            "apps-read, apps-write".parse::<Scopes>().unwrap(),
            Scopes::from([Scope::AppsRead, Scope::AppsWrite])
        );
    }

    #[test]
    fn serde_accepts_strings_and_lists() {
        let from_text: Scopes = serde_json::from_str(r#""data-read apps-write""#).unwrap();
        let from_list: Scopes = serde_json::from_str(r#"["apps-write", "data-read"]"#).unwrap();
        assert_eq!(from_text, from_list);
        assert_eq!(
            serde_json::to_string(&from_text).unwrap(),
            r#""apps-write data-read""#
        );
    }
}
