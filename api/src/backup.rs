//! `gongkai admin backup` and `restore`. A backup is a directory:
//!
//! - `database.dump`: `pg_dump`'s custom format, of one snapshot of the whole database;
//! - `objects/<sha256>`: every attachment object the snapshot refers to, named by its SHA-256;
//! - `manifest.json`: the format, Gongkai's version, the time, the migrations applied, the rows
//!   of every table and every object (storage key, SHA-256, size), read from the same snapshot.
//!   It is written last: a directory without it is not a complete backup.
//!
//! Keys are NOT included (see [`KEYS_NOT_INCLUDED`]). A restore goes only into an empty database
//! (unless forced), checks every file against the manifest before it touches anything, and checks
//! the restored rows against the manifest afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use object_store::path::Path as BlobPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bootstrap::write_private;

pub const FORMAT: &str = "gongkai-backup";
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DUMP: &str = "database.dump";
const OBJECTS: &str = "objects";

/// What a backup deliberately leaves out, stated in every manifest.
pub const KEYS_NOT_INCLUDED: &str = "keys are not included: the personal-data key \
    (GONGKAI_PERSONAL_DATA_KEY_FILE, default $GONGKAI_DATA_DIR/keys/personal-data.key) and the token-signing key \
    (GONGKAI_JWT_KEY_FILE, default $GONGKAI_DATA_DIR/keys/jwt-ed25519.pem); without the personal-data key the \
    sealed identity numbers and contacts in this backup cannot be read";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub gongkai_version: String,
    pub created_at: DateTime<Utc>,
    pub database: DatabaseEntry,
    /// Every attachment object, kept as `objects/<sha256>`.
    pub objects: Vec<ObjectEntry>,
    pub not_included: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseEntry {
    pub file: String,
    pub format: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub server_version: String,
    pub migrations: Vec<String>,
    /// Rows per table of the `public` schema.
    pub tables: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEntry {
    pub storage_key: String,
    pub sha256: String,
    pub size_bytes: i64,
}

/// Writes a backup of the database of `database_url` and of the attachment objects in `blobs`
/// into the directory `to`, which must not exist or be empty.
pub async fn backup(database_url: &str, blobs: &dyn ObjectStore, to: &Path) -> Result<Manifest, String> {
    prepare_directory(to)?;
    let dump_path = to.join(DUMP);
    let snapshot = persistence::backup::dump(database_url, &dump_path).await?;
    fs::set_permissions(&dump_path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(|e| format!("cannot restrict {}: {e}", dump_path.display()))?;
    let (dump_sha256, dump_size) = file_sha256(&dump_path).await?;
    let objects_dir = to.join(OBJECTS);
    make_private_dir(&objects_dir)?;
    let mut objects = Vec::with_capacity(snapshot.objects.len());
    for object in snapshot.objects {
        let bytes = fetch(blobs, &object).await?;
        let file = objects_dir.join(&object.sha256);
        if !file.exists() {
            write_private(&file, &bytes)?;
        }
        objects.push(ObjectEntry {
            storage_key: object.storage_key,
            sha256: object.sha256,
            size_bytes: object.size_bytes,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        gongkai_version: env!("CARGO_PKG_VERSION").into(),
        created_at: Utc::now(),
        database: DatabaseEntry {
            file: DUMP.into(),
            format: "pg_dump custom".into(),
            sha256: dump_sha256,
            size_bytes: dump_size,
            server_version: snapshot.server_version,
            migrations: snapshot.migrations,
            tables: snapshot.tables,
        },
        objects,
        not_included: vec![KEYS_NOT_INCLUDED.into()],
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| format!("cannot write the manifest: {e}"))?;
    // Written under another name and renamed: a manifest is only ever there complete.
    let partial = to.join(format!("{MANIFEST}.partial"));
    write_private(&partial, &json)?;
    fs::rename(&partial, to.join(MANIFEST)).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    Ok(manifest)
}

/// The object of `object` from the store, checked against the SHA-256 its record states.
async fn fetch(blobs: &dyn ObjectStore, object: &persistence::backup::StoredObject) -> Result<Vec<u8>, String> {
    let key = &object.storage_key;
    let bytes = match blobs.get(&BlobPath::from(key.as_str())).await {
        Ok(found) => found.bytes().await,
        Err(e) => Err(e),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes.to_vec(),
        Err(object_store::Error::NotFound { .. }) => {
            return Err(format!(
                "the attachment object {key} is in the database but missing from the store: it may have been deleted \
                 while the backup ran (run the backup again), or the store has lost it"
            ))
        }
        Err(e) => return Err(format!("cannot read the attachment object {key} from the store: {e}")),
    };
    let found = hex::encode(Sha256::digest(&bytes));
    if found != object.sha256 {
        return Err(format!(
            "the attachment object {key} in the store is damaged: its SHA-256 is {found}, the database recorded {}; \
             put back the original (an older backup has it) and back up again",
            object.sha256
        ));
    }
    Ok(bytes)
}

/// Restores the backup in directory `from` into the database of `database_url` — which must be
/// empty, unless `force` (then everything in it is dropped first) — and its objects into `blobs`.
/// Every file is checked against the manifest before anything is written.
pub async fn restore(
    database_url: &str,
    blobs: &dyn ObjectStore,
    from: &Path,
    force: bool,
) -> Result<Manifest, String> {
    let manifest = read_manifest(from)?;
    check_migrations(&manifest)?;
    if !force {
        let occupied = persistence::backup::occupants(database_url).await?;
        if !occupied.is_empty() {
            return Err(persistence::backup::not_empty(&occupied));
        }
    }
    let dump = from.join(DUMP);
    let (sha256, size) = file_sha256(&dump).await?;
    if sha256 != manifest.database.sha256 || size != manifest.database.size_bytes {
        return Err(format!(
            "{} is damaged: SHA-256 {sha256} ({size} bytes), the manifest says {} ({} bytes); nothing was restored",
            dump.display(),
            manifest.database.sha256,
            manifest.database.size_bytes
        ));
    }
    for object in &manifest.objects {
        read_object(from, object)?;
    }
    let restored = persistence::backup::restore(database_url, &dump, force).await?;
    check_restored(&manifest, &restored)?;
    for object in &manifest.objects {
        let bytes = read_object(from, object)?;
        let key = BlobPath::parse(&object.storage_key)
            .map_err(|e| format!("the manifest's storage key {:?} is not a valid key: {e}", object.storage_key))?;
        blobs.put(&key, PutPayload::from(bytes)).await.map_err(|e| {
            format!(
                "the database is restored, but the attachment object {} could not be stored: {e}; fix the store and \
                 run the restore again with --force",
                object.storage_key
            )
        })?;
    }
    Ok(manifest)
}

/// The manifest of the backup in `from`, if it is one this build can restore.
pub fn read_manifest(from: &Path) -> Result<Manifest, String> {
    let path = from.join(MANIFEST);
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{} does not exist: {} is not a Gongkai backup, or an incomplete one",
                path.display(),
                from.display()
            ))
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("{} is not a valid manifest: {e}", path.display()))?;
    if manifest.format != FORMAT {
        return Err(format!("{} is not a Gongkai backup manifest (format {:?})", path.display(), manifest.format));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(format!(
            "{} has format version {}, newer than this Gongkai reads ({FORMAT_VERSION}): restore with Gongkai {} or newer",
            path.display(),
            manifest.format_version,
            manifest.gongkai_version
        ));
    }
    Ok(manifest)
}

/// Migration versions compared by their digits (`2026-11-26-000003` and `20261126000003` agree).
fn digits(version: &str) -> String {
    version.chars().filter(char::is_ascii_digit).collect()
}

/// Refuses a backup made by a newer Gongkai, whose schema this build does not know.
fn check_migrations(manifest: &Manifest) -> Result<(), String> {
    let known: BTreeSet<String> = persistence::pool::known_migrations().iter().map(|v| digits(v)).collect();
    let unknown: Vec<&str> =
        manifest.database.migrations.iter().filter(|v| !known.contains(&digits(v))).map(String::as_str).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the backup was made by a newer Gongkai ({}): its migrations {} are unknown to this build; restore with that \
         version or a later one",
        manifest.gongkai_version,
        unknown.join(", ")
    ))
}

/// The restored database must hold exactly the rows and objects the manifest lists.
fn check_restored(manifest: &Manifest, restored: &persistence::backup::Snapshot) -> Result<(), String> {
    let mut differences = Vec::new();
    let names: BTreeSet<&String> = manifest.database.tables.keys().chain(restored.tables.keys()).collect();
    for name in names {
        let expected = manifest.database.tables.get(name);
        let found = restored.tables.get(name);
        if expected != found {
            let show = |n: Option<&i64>| n.map_or("no table".to_owned(), |n| format!("{n} rows"));
            differences.push(format!("{name}: {} restored, {} in the manifest", show(found), show(expected)));
        }
    }
    let listed: BTreeSet<&str> = manifest.objects.iter().map(|o| o.storage_key.as_str()).collect();
    for object in &restored.objects {
        if !listed.contains(object.storage_key.as_str()) {
            differences.push(format!("attachment object {} is not in the backup", object.storage_key));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(format!("the restored database does not match the backup's manifest: {}", differences.join("; ")))
    }
}

/// The bytes of `object` in the backup, checked against the manifest.
fn read_object(from: &Path, object: &ObjectEntry) -> Result<Vec<u8>, String> {
    let name = &object.sha256;
    if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(format!("the manifest's SHA-256 {name:?} of {} is not a SHA-256", object.storage_key));
    }
    let path = from.join(OBJECTS).join(name);
    let bytes = fs::read(&path).map_err(|e| {
        format!("cannot read {} (attachment object {}): {e}; nothing was restored", path.display(), object.storage_key)
    })?;
    let found = hex::encode(Sha256::digest(&bytes));
    if found != *name || i64::try_from(bytes.len()).ok() != Some(object.size_bytes) {
        return Err(format!(
            "{} (attachment object {}) is damaged: its SHA-256 is {found} ({} bytes), the manifest says {name} ({} \
             bytes); nothing was restored",
            path.display(),
            object.storage_key,
            bytes.len(),
            object.size_bytes
        ));
    }
    Ok(bytes)
}

/// Creates `dir` (mode 0700), or accepts it when it exists and is empty.
fn prepare_directory(dir: &Path) -> Result<(), String> {
    match fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(false) => Err(format!("{} is not empty: back up into a new or empty directory", dir.display())),
        Ok(true) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display())),
        Err(e) => Err(format!("cannot use {} for the backup: {e}", dir.display())),
    }
}

fn make_private_dir(dir: &Path) -> Result<(), String> {
    fs::DirBuilder::new().mode(0o700).create(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// SHA-256 (hex) and size of a file, read off the async runtime.
async fn file_sha256(path: &Path) -> Result<(String, u64), String> {
    let path: PathBuf = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut file = fs::File::open(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (mut hasher, mut size, mut buffer) = (Sha256::new(), 0u64, vec![0u8; 1 << 16]);
        loop {
            let n = file.read(&mut buffer).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if n == 0 {
                return Ok((hex::encode(hasher.finalize()), size));
            }
            hasher.update(&buffer[..n]);
            size += n as u64;
        }
    })
    .await
    .map_err(|e| format!("cannot hash the file: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_versions_compare_by_their_digits() {
        assert_eq!(digits("2026-11-26-000003"), digits("20261126000003"));
    }

    #[test]
    fn a_directory_without_a_manifest_is_not_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_manifest(dir.path()).unwrap_err();
        assert!(err.contains("is not a Gongkai backup, or an incomplete one"), "{err}");
        fs::write(dir.path().join(MANIFEST), b"{\"format\": \"zip\"}").unwrap();
        assert!(read_manifest(dir.path()).unwrap_err().contains("is not a valid manifest"));
    }

    #[test]
    fn backups_go_only_into_new_or_empty_directories() {
        let dir = tempfile::tempdir().unwrap();
        prepare_directory(dir.path()).unwrap();
        prepare_directory(&dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/x"), b"x").unwrap();
        let err = prepare_directory(&dir.path().join("a/b")).unwrap_err();
        assert!(err.ends_with("is not empty: back up into a new or empty directory"), "{err}");
    }
}
