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
