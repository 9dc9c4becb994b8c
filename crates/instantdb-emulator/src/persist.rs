//! `--data-dir`: the state in a redb database, written after every request that changed it.
//!
//! Layout (one file, `emulator.redb`): table `records` maps `server` (users, tokens, orgs),
//! `seq` (the last transaction id), `app/<app-id>` (an app's metadata: attrs, rules, jobs, app
//! users' tokens) and `ent/<app-id>/<entity-id>/<etype>` (one entity) to JSON; table `files`
//! maps `<app-id>/<location-id>` to a stored file's bytes. Each flush is one redb write
//! transaction committed with `Durability::Immediate`, so a crash leaves either the state before
//! a request or the state after it. Why redb: see the decision record in docs/ARCHITECTURE.md.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{Error, ErrorKind};
use crate::store::data::{AppData, Entity};
use crate::store::{App, AppMeta, Dirty, ServerRecords, State};

const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");

/// An open data directory.
pub(crate) struct Persist {
    db: Database,
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|err| Error::corrupt(key, err))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(Error::database)
}

fn entity_key(app: &Uuid, eid: &Uuid, etype: &str) -> String {
    format!("ent/{app}/{eid}/{etype}")
}

/// Makes `dir` 0700 and `file` 0600 (Unix; elsewhere the platform's defaults stay).
#[cfg(unix)]
fn restrict_permissions(dir: &Path, file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path, _file: &Path) -> std::io::Result<()> {
    Ok(())
}

impl Persist {
    /// Opens (or creates) the database in `dir` and loads the state it holds.
    pub(crate) fn open(dir: &Path) -> Result<(Persist, State), Error> {
        std::fs::create_dir_all(dir).map_err(|source| {
            Error::from(ErrorKind::DataDir {
                path: dir.display().to_string(),
                source,
            })
        })?;
        let path = dir.join("emulator.redb");
        let db = Database::create(&path).map_err(Error::database)?;
        // The file holds admin tokens, refresh tokens and user data: owner-only, as a key file.
        restrict_permissions(dir, &path).map_err(|source| {
            Error::from(ErrorKind::DataDir {
                path: path.display().to_string(),
                source,
            })
        })?;
        let txn = db.begin_write().map_err(Error::database)?;
        txn.open_table(RECORDS).map_err(Error::database)?;
        txn.open_table(FILES).map_err(Error::database)?;
        txn.commit().map_err(Error::database)?;
        let persist = Persist { db };
        let state = persist.load()?;
        Ok((persist, state))
    }

    fn load(&self) -> Result<State, Error> {
        let txn = self.db.begin_read().map_err(Error::database)?;
        let records = txn.open_table(RECORDS).map_err(Error::database)?;
        let mut state = State::default();
        let mut entities: Vec<(Uuid, String, Uuid, Entity)> = Vec::new();
        for item in records.iter().map_err(Error::database)? {
            let (key, value) = item.map_err(Error::database)?;
            let (key, bytes) = (key.value(), value.value());
            if key == "server" {
                state.server = decode::<ServerRecords>(key, bytes)?;
            } else if key == "seq" {
                state.tx_seq = decode(key, bytes)?;
            } else if let Some(rest) = key.strip_prefix("app/") {
                let meta: AppMeta = decode(key, bytes)?;
                if rest != meta.id.to_string() {
                    return Err(Error::corrupt(key, "the key does not match the app id"));
                }
                state.apps.insert(
                    meta.id,
                    App {
                        meta,
                        data: AppData::default(),
                        files: Default::default(),
                    },
                );
            } else if let Some(rest) = key.strip_prefix("ent/") {
                let mut parts = rest.splitn(3, '/');
                let (Some(app), Some(eid), Some(etype)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(Error::corrupt(key, "malformed entity key"));
                };
                let app = Uuid::parse_str(app).map_err(|err| Error::corrupt(key, err))?;
                let eid = Uuid::parse_str(eid).map_err(|err| Error::corrupt(key, err))?;
                entities.push((app, etype.to_owned(), eid, decode(key, bytes)?));
            } else {
                return Err(Error::corrupt(key, "unknown record"));
            }
        }
        // Entities come back in key order; restore creation order so listings stay stable.
        entities.sort_by(|a, b| a.3.created_at.cmp(&b.3.created_at).then(a.2.cmp(&b.2)));
        for (app_id, etype, eid, entity) in entities {
            let app = state.apps.get_mut(&app_id).ok_or_else(|| {
                Error::corrupt(
                    &entity_key(&app_id, &eid, &etype),
                    "entity of an unknown app",
                )
            })?;
            app.data.load(&etype, eid, entity);
        }
        let files = txn.open_table(FILES).map_err(Error::database)?;
        for item in files.iter().map_err(Error::database)? {
            let (key, value) = item.map_err(Error::database)?;
            let key = key.value();
            let Some((app, location)) = key.split_once('/') else {
                return Err(Error::corrupt(key, "malformed file key"));
            };
            let app = Uuid::parse_str(app).map_err(|err| Error::corrupt(key, err))?;
            if let Some(app) = state.apps.get_mut(&app) {
                app.files.insert(
                    location.to_owned(),
                    bytes::Bytes::copy_from_slice(value.value()),
                );
            }
        }
        Ok(state)
    }

    /// Writes everything `state` marked dirty in one transaction.
    pub(crate) fn flush(&self, state: &mut State) -> Result<(), Error> {
        let dirty = std::mem::take(&mut state.dirty);
        let entity_changes: Vec<(Uuid, Vec<(String, Uuid)>)> = state
            .apps
            .iter_mut()
            .filter(|(_, app)| !app.data.dirty.is_empty())
            .map(|(id, app)| (*id, app.data.dirty.drain().collect()))
            .collect();
        if is_clean(&dirty) && entity_changes.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(Error::database)?;
        {
            let mut records = txn.open_table(RECORDS).map_err(Error::database)?;
            if dirty.server {
                records
                    .insert("server", encode(&state.server)?.as_slice())
                    .map_err(Error::database)?;
            }
            if dirty.seq {
                records
                    .insert("seq", encode(&state.tx_seq)?.as_slice())
                    .map_err(Error::database)?;
            }
            for app_id in &dirty.apps {
                let key = format!("app/{app_id}");
                match state.apps.get(app_id) {
                    Some(app) => {
                        records
                            .insert(key.as_str(), encode(&app.meta)?.as_slice())
                            .map_err(Error::database)?;
                    }
                    None => {
                        records.remove(key.as_str()).map_err(Error::database)?;
                    }
                }
            }
            for (app_id, changed) in &entity_changes {
                let Some(app) = state.apps.get(app_id) else {
                    continue;
                };
                for (etype, eid) in changed {
                    let key = entity_key(app_id, eid, etype);
                    match app.data.entity(etype, eid) {
                        Some(entity) => {
                            records
                                .insert(key.as_str(), encode(entity)?.as_slice())
                                .map_err(Error::database)?;
                        }
                        None => {
                            records.remove(key.as_str()).map_err(Error::database)?;
                        }
                    }
                }
            }
            let mut files = txn.open_table(FILES).map_err(Error::database)?;
            for (app_id, location) in &dirty.files {
                let key = format!("{app_id}/{location}");
                match state
                    .apps
                    .get(app_id)
                    .and_then(|app| app.files.get(location))
                {
                    Some(bytes) => {
                        files
                            .insert(key.as_str(), bytes.as_ref())
                            .map_err(Error::database)?;
                    }
                    None => {
                        files.remove(key.as_str()).map_err(Error::database)?;
                    }
                }
            }
        }
        txn.commit().map_err(Error::database)?;
        Ok(())
    }
}

fn is_clean(dirty: &Dirty) -> bool {
    !dirty.server && !dirty.seq && dirty.apps.is_empty() && dirty.files.is_empty()
}
