//! The catalog obeys the distribution rules of docs/scaling.md, so that Citus can distribute the
//! schema by `org_id` as it stands: every table an org's rows live in has `org_id`, and its
//! primary key, every unique constraint or index and every foreign key lead with it. The tables
//! kept whole on every node (reference tables) are named, each with its reason.

use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::support::*;

/// Tables every node holds whole, not distributed: looked up before any org is known, or the
/// server's own.
const REFERENCE: &[(&str, &str)] = &[
    ("organizations", "the distribution key's own table"),
    (
        "api_tokens",
        "a token is found by its hash before its org is known",
    ),
    ("server_secrets", "the server's secrets, no org's"),
    ("__diesel_schema_migrations", "the schema's version"),
];

#[derive(diesel::QueryableByName, Debug)]
struct Broken {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rule: String,
}

/// Every breach of the rules in the database `conn` is connected to, one line each.
async fn breaches(conn: &mut diesel_async::AsyncPgConnection) -> Vec<String> {
    let reference: Vec<&str> = REFERENCE.iter().map(|(t, _)| *t).collect();
    let list = reference
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH tables AS (
           SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT IN ({list}))
         SELECT t.relname || ': no org_id column' AS rule FROM tables t
           WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                             WHERE a.attrelid = t.oid AND a.attname = 'org_id' AND NOT a.attisdropped)
         UNION ALL
         SELECT t.relname || ': no primary key' FROM tables t
           WHERE NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = t.oid AND i.indisprimary)
         UNION ALL
         SELECT t.relname || ': unique index ' || ic.relname || ' does not lead with org_id'
           FROM tables t JOIN pg_index i ON i.indrelid = t.oid AND i.indisunique
           JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
           WHERE a.attname <> 'org_id'
         UNION ALL
         SELECT t.relname || ': foreign key ' || k.conname || ' does not lead with org_id'
           FROM tables t JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype = 'f'
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.conkey[1]
           WHERE a.attname <> 'org_id'
         UNION ALL
         SELECT t.relname || ': foreign key ' || k.conname || ' references distributed '
                || r.relname || ' by other than its org_id and key'
           FROM tables t JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype = 'f'
           JOIN pg_class r ON r.oid = k.confrelid
           JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.confkey[1]
           WHERE r.relname NOT IN ({list}) AND a.attname <> 'org_id'
         UNION ALL
         SELECT c.relname || ' (reference) has a foreign key into distributed ' || r.relname
           FROM pg_class c JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
           JOIN pg_class r ON r.oid = k.confrelid
           WHERE c.relname IN ({list}) AND r.relname NOT IN ({list})
         ORDER BY 1"
    );
    diesel::sql_query(sql)
        .load::<Broken>(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.rule)
        .collect()
}

#[tokio::test]
async fn every_org_table_is_keyed_by_org_id_first() {
    let world = World::new().await;
    let mut owner = raw(&world).await;
    assert_eq!(breaches(&mut owner).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_table_that_breaks_the_rules_is_found() {
    let world = World::new().await;
    let mut owner = raw(&world).await;
    owner
        .batch_execute(
            "CREATE TABLE stray (org_id uuid NOT NULL, id uuid PRIMARY KEY, code text UNIQUE);
             CREATE TABLE loose (id uuid PRIMARY KEY);
             CREATE TABLE chained (org_id uuid NOT NULL, id uuid, stray uuid REFERENCES stray (id),
                                   PRIMARY KEY (org_id, id));",
        )
        .await
        .unwrap();
    let found = breaches(&mut owner).await;
    for expected in [
        "loose: no org_id column",
        "stray: unique index stray_pkey does not lead with org_id",
        "stray: unique index stray_code_key does not lead with org_id",
        "chained: foreign key chained_stray_fkey does not lead with org_id",
        "chained: foreign key chained_stray_fkey references distributed stray by other than its org_id and key",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "{expected} not in {found:?}"
        );
    }
}
