//! Upstream's client-side schema checks before an overwrite push: `collectSystemCatalogIdentNames`
//! and `validateSchema`.

use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};

use crate::api::{ApiAttr, Catalog};
use crate::error::Error;
use crate::js;
use crate::model::{Has, OnDelete, SchemaDef};

/// The labels Instant manages, by entity: `{"$users": {"id", "email", ...}, "$files": {...}}`.
///
/// Serializes as `{etype: [label, ...]}`, the JSON form of upstream's `{etype: Set<label>}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SystemCatalogIdentNames(pub IndexMap<String, IndexSet<String>>);

impl SystemCatalogIdentNames {
    /// Whether `etype.label` is a system attribute (upstream's `isSystemCatalogAttr`).
    pub fn contains(&self, etype: &str, label: &str) -> bool {
        self.0
            .get(etype)
            .is_some_and(|labels| labels.contains(label))
    }

    /// Whether `etype` is a system entity.
    pub fn has_entity(&self, etype: &str) -> bool {
        self.0.contains_key(etype)
    }

    /// Records `etype.label` as a system attribute.
    pub fn insert(&mut self, etype: impl Into<String>, label: impl Into<String>) {
        self.0.entry(etype.into()).or_default().insert(label.into());
    }
}

impl<E: Into<String>, L: Into<String>> FromIterator<(E, L)> for SystemCatalogIdentNames {
    fn from_iter<T: IntoIterator<Item = (E, L)>>(iter: T) -> Self {
        let mut names = SystemCatalogIdentNames::default();
        for (etype, label) in iter {
            names.insert(etype, label);
        }
        names
    }
}

/// The forward and reverse identities of every `system` attribute in `attrs`, by entity.
///
/// What counts depends on the attrs passed: the SDK's overwrite push passes
/// [`api_schema_to_attrs`](crate::api_schema_to_attrs) of the filtered superadmin schema (hidden
/// system attrs absent), the CLI the unfiltered attrs of `/dash/apps/:id/schema/pull`.
pub fn collect_system_catalog_ident_names(attrs: &[ApiAttr]) -> SystemCatalogIdentNames {
    let mut names = SystemCatalogIdentNames::default();
    for attr in attrs.iter().filter(|attr| attr.catalog == Catalog::System) {
        for ident in std::iter::once(&attr.forward_identity).chain(&attr.reverse_identity) {
            names.insert(ident.etype.as_str(), ident.label.as_str());
        }
    }
    names
}

/// Checks `schema` against the rules the server would otherwise reject it for, with upstream's
/// messages (returned as [`Error::SchemaValidation`]), in upstream's order:
///
/// 1. an entity whose name starts with `$` must be a system entity, and may not make a non-system
///    attribute required;
/// 2. for each link: a system entity's forward side may not be required on a non-system label;
///    `onDelete: "cascade"` needs `has: "one"` on that side; both ends must be entities.
///
/// Divergence from upstream: when the *reverse* end is missing, upstream's message names the
/// forward entity (`connects to non existing entity "<forward.on>"`), which points users at the
/// wrong entity. This names the reverse entity, the one actually missing.
pub fn validate_schema(
    schema: &SchemaDef,
    system_catalog_ident_names: &SystemCatalogIdentNames,
) -> Result<(), Error> {
    let sys = system_catalog_ident_names;
    let fail = |message: String| Err(Error::SchemaValidation(message));
    for (etype, entity) in js::ordered(&schema.entities) {
        let Some(bare) = etype.strip_prefix('$') else {
            continue;
        };
        if !sys.has_entity(etype) {
            return fail(format!(
                "The $ keyword is reserved for system namespaces.\nYou can't create '{etype}'. Perhaps call it '{bare}' instead?"
            ));
        }
        for (label, attr) in js::ordered(&entity.attrs) {
            if !sys.contains(etype, label) && attr.required {
                return fail(format!(
                    "The '{etype}' namespace is managed by the system and can't modify required constraints yet.\nMake sure to set {etype}.{label} as optional.\n i.e {{ {label}: i.{}().optional() }}",
                    attr.value_type.as_str()
                ));
            }
        }
    }
    for (_, link) in js::ordered(&schema.links) {
        let (f, r) = (&link.forward, &link.reverse);
        if sys.has_entity(&f.on) && !sys.contains(&f.on, &f.label) && f.required == Some(true) {
            return fail(format!(
                "The {on} namespace is managed by the system and can't modify required constraints yet.\nMake sure to set {on}{label} as 'optional'.\n i.e {{ 'on': '{on}', 'label': {label}, 'required': false }}",
                on = f.on,
                label = f.label
            ));
        }
        let display = format!("{}{} -> {}{}", f.on, f.label, r.on, r.label);
        let cascade_on_many = |has: Has, on_delete: Option<OnDelete>| {
            has == Has::Many && on_delete == Some(OnDelete::Cascade)
        };
        if cascade_on_many(f.has, f.on_delete) || cascade_on_many(r.has, r.on_delete) {
            return fail(format!(
                "{display} has onDelete: \"cascade\" with has: \"many\""
            ));
        }
        for end in [&f.on, &r.on] {
            if !schema.entities.contains_key(end.as_str()) {
                return fail(format!(
                    "{display} connects to non existing entity \"{end}\"."
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i;

    fn sys() -> SystemCatalogIdentNames {
        [("$users", "id"), ("$users", "email")]
            .into_iter()
            .collect()
    }

    #[track_caller]
    fn check(schema: &SchemaDef, sys: &SystemCatalogIdentNames, expected: Option<&str>) {
        let got = validate_schema(schema, sys)
            .err()
            .map(|err| err.to_string());
        assert_eq!(got.as_deref(), expected);
    }

    // The messages below are upstream's (platform-vectors.json `misc.validateSchema`).

    #[test]
    fn dollar_entities_must_be_system_entities() {
        let schema = i::schema().entities([("$reserved", i::entity([]))]);
        check(
            &schema,
            &SystemCatalogIdentNames::default(),
            Some(
                "The $ keyword is reserved for system namespaces.\nYou can't create '$reserved'. Perhaps call it 'reserved' instead?",
            ),
        );
    }

    #[test]
    fn system_entities_cannot_get_required_attrs() {
        let schema = i::schema().entities([(
            "$users",
            i::entity([("email", i::string()), ("custom", i::string())]),
        )]);
        check(
            &schema,
            &sys(),
            Some(
                "The '$users' namespace is managed by the system and can't modify required constraints yet.\nMake sure to set $users.custom as optional.\n i.e { custom: i.string().optional() }",
            ),
        );
        let fine = i::schema().entities([(
            "$users",
            i::entity([("email", i::string()), ("custom", i::string().optional())]),
        )]);
        check(&fine, &sys(), None);
    }

    #[test]
    fn system_entities_cannot_get_required_links() {
        let schema = i::schema()
            .entities([("$users", i::entity([])), ("configs", i::entity([]))])
            .links([(
                "l",
                i::link(
                    i::forward("$users", Has::One, "config").required(),
                    i::reverse("configs", Has::One, "user"),
                ),
            )]);
        check(
            &schema,
            &sys(),
            Some(
                "The $users namespace is managed by the system and can't modify required constraints yet.\nMake sure to set $usersconfig as 'optional'.\n i.e { 'on': '$users', 'label': config, 'required': false }",
            ),
        );
    }

    #[test]
    fn cascade_needs_has_one() {
        let link = |forward: Has, reverse: Has| {
            i::schema()
                .entities([("ups", i::entity([])), ("pus", i::entity([]))])
                .links([(
                    "l",
                    i::link(
                        i::forward("ups", forward, "").on_delete(OnDelete::Cascade),
                        i::reverse("pus", reverse, "").on_delete(OnDelete::Cascade),
                    ),
                )])
        };
        let message = Some("ups -> pus has onDelete: \"cascade\" with has: \"many\"");
        check(&link(Has::Many, Has::One), &sys(), message);
        check(&link(Has::One, Has::Many), &sys(), message);
        check(&link(Has::One, Has::One), &sys(), None);
    }

    #[test]
    fn links_must_connect_existing_entities() {
        let link = i::link(
            i::forward("posts", Has::One, "author"),
            i::reverse("users", Has::Many, "posts"),
        );
        let missing_reverse = i::schema()
            .entities([("posts", i::entity([]))])
            .links([("l", link.clone())]);
        // Upstream names "posts" here (its bug); we name the missing entity.
        check(
            &missing_reverse,
            &sys(),
            Some("postsauthor -> usersposts connects to non existing entity \"users\"."),
        );
        let missing_forward = i::schema()
            .entities([("users", i::entity([]))])
            .links([("l", link)]);
        check(
            &missing_forward,
            &sys(),
            Some("postsauthor -> usersposts connects to non existing entity \"posts\"."),
        );
    }

    #[test]
    fn collects_both_identities_of_system_attrs() {
        let attrs: Vec<ApiAttr> = serde_json::from_str(
            r#"[{"id":"1","value-type":"ref","cardinality":"one","forward-identity":["f","$users","linkedPrimaryUser"],"reverse-identity":["r","$users","linkedGuestUsers"],"catalog":"system"},
                {"id":"2","value-type":"blob","cardinality":"one","forward-identity":["f2","todos","title"],"catalog":"user"}]"#,
        )
        .unwrap();
        let names = collect_system_catalog_ident_names(&attrs);
        assert!(names.contains("$users", "linkedPrimaryUser"));
        assert!(names.contains("$users", "linkedGuestUsers"));
        assert!(!names.has_entity("todos"));
        assert_eq!(
            serde_json::to_string(&names).unwrap(),
            r#"{"$users":["linkedPrimaryUser","linkedGuestUsers"]}"#
        );
    }
}
