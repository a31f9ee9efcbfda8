use compliance_core::Attributes;
use compliance_store::testing::TestDb;
use compliance_store::{Organization, Store, TenantConn};
use uuid::Uuid;

/// A fresh database with two orgs.
pub struct World {
    pub db: TestDb,
    pub acme: Organization,
    pub globex: Organization,
}

impl World {
    pub async fn new() -> Self {
        let db = TestDb::new().await;
        let acme = db.store.ensure_organization("acme").await.unwrap();
        let globex = db.store.ensure_organization("globex").await.unwrap();
        Self { db, acme, globex }
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub async fn acme(&self) -> TenantConn {
        self.db.store.tenant(self.acme.id).await.unwrap()
    }

    pub async fn globex(&self) -> TenantConn {
        self.db.store.tenant(self.globex.id).await.unwrap()
    }
}

pub fn attrs(pairs: &[(&str, &str)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A raw connection as the schema owner, for SQL the store would never send.
pub async fn raw(world: &World) -> diesel_async::AsyncPgConnection {
    use diesel_async::AsyncConnection;
    diesel_async::AsyncPgConnection::establish(&world.db.url)
        .await
        .unwrap()
}

#[derive(diesel::QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// Runs `sql` (which must select one bigint `n`) on `conn`.
pub async fn count(conn: &mut diesel_async::AsyncPgConnection, sql: &str) -> i64 {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap()
        .n
}

/// Runs `sql` and gives the database's error message, if any.
pub async fn try_sql(
    conn: &mut diesel_async::AsyncPgConnection,
    sql: &str,
) -> Result<usize, String> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(sql)
        .execute(conn)
        .await
        .map_err(|e| e.to_string())
}

/// Begins a transaction on `conn` as the tenant role, bound to `org` (or to none).
pub async fn as_tenant(conn: &mut diesel_async::AsyncPgConnection, org: Option<Uuid>) {
    use diesel_async::SimpleAsyncConnection;
    conn.batch_execute("BEGIN; SET LOCAL ROLE compliance_app")
        .await
        .unwrap();
    if let Some(org) = org {
        conn.batch_execute(&format!("SELECT set_config('app.org_id', '{org}', true)"))
            .await
            .unwrap();
    }
}

pub async fn end(conn: &mut diesel_async::AsyncPgConnection) {
    use diesel_async::SimpleAsyncConnection;
    conn.batch_execute("ROLLBACK").await.unwrap();
}

pub async fn asset(world: &World, org: &Organization, n: u128) {
    let mut conn = world.store().tenant(org.id).await.unwrap();
    let new = compliance_store::assets::NewAsset {
        id: id(n),
        ..Default::default()
    };
    compliance_store::assets::create(&mut conn, &new)
        .await
        .unwrap();
    conn.commit().await.unwrap();
}

/// The key-sealing key the store tests seal signing and log keys under.
pub fn seal() -> compliance_store::signing::KeySeal {
    compliance_store::signing::KeySeal::new(&[9; 32])
}
