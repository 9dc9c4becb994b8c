//! The platform API (`/superadmin/*` and the `/dash/*` routes the SDK and CLI use): apps, orgs,
//! temporary apps, schema, perms and schema push.

pub(crate) mod app_auth;
pub(crate) mod backups;
pub(crate) mod dash;
pub(crate) mod deliveries;
pub(crate) mod oauth;
pub(crate) mod plan;
pub(crate) mod routes;
pub(crate) mod webhooks;
