//! The database half of `gongkai admin backup` and `restore`: a `pg_dump` of one snapshot, read
//! together with what the backup's manifest states about it (migrations, row counts, the
//! attachments whose objects must be copied), and a `pg_restore` into an empty database.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::error::StoreError;
use crate::schema::attachments;

/// What one snapshot of the database holds, as far as a backup's manifest states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub server_version: String,
    /// Versions of the applied migrations, oldest first.
    pub migrations: Vec<String>,
    /// Rows per table of the `public` schema.
    pub tables: BTreeMap<String, i64>,
    /// Every attachment's object: its key in the store, SHA-256 (hex) and size.
    pub objects: Vec<StoredObject>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub storage_key: String,
    pub sha256: String,
    pub size_bytes: i64,
}

/// Finds a PostgreSQL client program (`pg_dump`, `pg_restore`) where the embedded launcher finds
/// the server: `GONGKAI_PG_BINDIR`, `pg_config --bindir`, `PATH`, `/usr/lib/postgresql/*/bin`.
pub fn client_program(name: &str) -> Result<PathBuf, String> {
    let usable = |dir: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if let Some(dir) = std::env::var_os("GONGKAI_PG_BINDIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return if usable(&dir) {
            Ok(dir.join(name))
        } else {
            Err(format!("GONGKAI_PG_BINDIR: {} has no {name}", dir.display()))
        };
    }
    crate::embedded::candidate_bindirs()
        .find(|dir| usable(dir))
        .map(|dir| dir.join(name))
        .ok_or_else(|| {
            format!(
                "{name} was not found (GONGKAI_PG_BINDIR, pg_config, PATH, /usr/lib/postgresql/*/bin): install \
                 PostgreSQL's client programs (Debian/Ubuntu: apt-get install postgresql-client) or set GONGKAI_PG_BINDIR"
            )
        })
}

async fn connect(url: &str) -> Result<AsyncPgConnection, String> {
    let mut conn =
        AsyncPgConnection::establish(url).await.map_err(|e| format!("cannot connect to the database: {e}"))?;
    // A dump may take long: neither the snapshot's transaction nor a count may be cut short.
    conn.batch_execute("SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0")
        .await
        .map_err(|e| format!("cannot prepare the database session: {e}"))?;
    Ok(conn)
}

/// Runs a PostgreSQL client program; a failure is one message with the end of its errors.
async fn run(program: &Path, args: &[&OsStr]) -> Result<(), String> {
    let out = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .current_dir("/")
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let detail = lines[lines.len().saturating_sub(4)..].join(" | ");
    Err(format!("{} failed ({}): {detail}", program.display(), out.status))
}

/// Dumps the database of `url` into `file` (`pg_dump`'s custom format) from one snapshot, and
/// reads the manifest's facts from that same snapshot, so that the objects listed are exactly
/// those the dump refers to.
pub async fn dump(url: &str, file: &Path) -> Result<Snapshot, String> {
    let pg_dump = client_program("pg_dump")?;
    let mut conn = connect(url).await?;
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(async |conn| {
            #[derive(QueryableByName)]
            struct Exported {
                #[diesel(sql_type = Text)]
                id: String,
            }
            let exported: Exported = diesel::sql_query("SELECT pg_export_snapshot() AS id").get_result(conn).await?;
            let snapshot = format!("--snapshot={}", exported.id);
            let args: [&OsStr; 7] = [
                "--format=custom".as_ref(),
                "--no-password".as_ref(),
                snapshot.as_ref(),
                "--file".as_ref(),
                file.as_os_str(),
                "--dbname".as_ref(),
                url.as_ref(),
            ];
            run(&pg_dump, &args).await.map_err(StoreError::Other)?;
            read_snapshot(conn).await
        })
        .await
        .map_err(|e| match e {
            StoreError::Other(message) => message,
            other => format!("cannot read the database snapshot: {other}"),
        })
}

/// The facts of the database as it is now (inside a transaction: as of its snapshot).
pub async fn read_snapshot(conn: &mut AsyncPgConnection) -> Result<Snapshot, StoreError> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let version: Name = diesel::sql_query("SELECT current_setting('server_version') AS name").get_result(conn).await?;
    let names: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load(conn)
    .await?;
    let mut tables = BTreeMap::new();
    for Name { name } in names {
        let sql = format!("SELECT count(*) AS n FROM public.{}", quote_ident(&name));
        let count: crate::CountRow = diesel::sql_query(sql).get_result(conn).await?;
        tables.insert(name, count.n);
    }
    let migrations = if tables.contains_key("__diesel_schema_migrations") {
        let rows: Vec<Name> =
            diesel::sql_query("SELECT version::text AS name FROM __diesel_schema_migrations ORDER BY version")
                .load(conn)
                .await?;
        rows.into_iter().map(|r| r.name).collect()
    } else {
        Vec::new()
    };
    let objects = if tables.contains_key("attachments") {
        attachments::table
            .select((attachments::storage_key, attachments::sha256, attachments::size_bytes))
            .order(attachments::storage_key.asc())
            .load::<(String, String, i64)>(conn)
            .await?
            .into_iter()
            .map(|(storage_key, sha256, size_bytes)| StoredObject { storage_key, sha256, size_bytes })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Snapshot { server_version: version.name, migrations, tables, objects })
}

/// Names of the relations (tables, views, sequences …) outside PostgreSQL's own schemas: a
/// database with none is empty.
pub async fn occupants(url: &str) -> Result<Vec<String>, String> {
    let mut conn = connect(url).await?;
    list_occupants(&mut conn).await.map_err(|e| format!("cannot inspect the target database: {e}"))
}

async fn list_occupants(conn: &mut AsyncPgConnection) -> Result<Vec<String>, StoreError> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<Name> = diesel::sql_query(
        "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' \
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 1",
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// Restores the dump `file` into the database of `url`, which must be empty unless `force`
/// (then every schema but PostgreSQL's own is dropped first). One transaction: a failure leaves
/// the database as it was. Owners and privileges of the source are not restored (the connecting
/// user owns everything). Answers the facts of the restored database.
pub async fn restore(url: &str, file: &Path, force: bool) -> Result<Snapshot, String> {
    let pg_restore = client_program("pg_restore")?;
    let mut conn = connect(url).await?;
    let occupied = list_occupants(&mut conn).await.map_err(|e| format!("cannot inspect the target database: {e}"))?;
    if !occupied.is_empty() {
        if !force {
            return Err(not_empty(&occupied));
        }
        clear(&mut conn).await.map_err(|e| format!("--force: cannot empty the target database: {e}"))?;
    }
    let args: [&OsStr; 8] = [
        "--no-owner".as_ref(),
        "--no-privileges".as_ref(),
        "--exit-on-error".as_ref(),
        "--single-transaction".as_ref(),
        "--no-password".as_ref(),
        "--dbname".as_ref(),
        url.as_ref(),
        file.as_os_str(),
    ];
    run(&pg_restore, &args).await?;
    read_snapshot(&mut conn).await.map_err(|e| format!("cannot read the restored database: {e}"))
}

/// The refusal to restore over data, naming some of it.
pub fn not_empty(occupied: &[String]) -> String {
    let some: Vec<&str> = occupied.iter().take(3).map(String::as_str).collect();
    let more = if occupied.len() > 3 { ", …" } else { "" };
    format!(
        "the target database is not empty ({} relations: {}{more}): restore only into an empty database \
         (createdb a new one, or a new GONGKAI_DATA_DIR), or pass --force to drop everything in it first",
        occupied.len(),
        some.join(", ")
    )
}

/// Drops every schema but PostgreSQL's own (and what is in them), then recreates `public`.
async fn clear(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let schemas: Vec<Name> = diesel::sql_query(
        "SELECT nspname::text AS name FROM pg_namespace \
         WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' ORDER BY 1",
    )
    .load(conn)
    .await?;
    let mut sql = String::from("BEGIN;");
    for Name { name } in schemas {
        sql.push_str(&format!(" DROP SCHEMA {} CASCADE;", quote_ident(&name)));
    }
    sql.push_str(" CREATE SCHEMA public; COMMIT;");
    conn.batch_execute(&sql).await?;
    Ok(())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("users"), "\"users\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn the_refusal_names_some_of_what_is_there() {
        let occupied: Vec<String> = ["public.a", "public.b", "public.c", "public.d"].map(String::from).to_vec();
        let message = not_empty(&occupied);
        assert!(message.starts_with("the target database is not empty (4 relations: public.a, public.b, public.c, …)"));
        assert!(message.contains("--force"));
    }
}
