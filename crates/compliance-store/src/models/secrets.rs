//! Secrets every server sharing the database agrees on, made once by the first that needs one:
//! an operator path, run as the schema owner (the tenant role cannot read them).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::server_secrets;
use crate::{Store, StoreError, StoreResult};

/// Bytes in a secret: 256 bits.
pub const SECRET_BYTES: usize = 32;

impl Store {
    /// The secret called `name`, made from the operating system's randomness on first use. Two
    /// servers asking at once get the same one: the first insert wins, and both read it back.
    pub async fn server_secret(&self, name: &str) -> StoreResult<[u8; SECRET_BYTES]> {
        let mut fresh = [0u8; SECRET_BYTES];
        getrandom::fill(&mut fresh)
            .map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
        let mut conn = self.operator().await?;
        diesel::insert_into(server_secrets::table)
            .values((
                server_secrets::name.eq(name),
                server_secrets::secret.eq(fresh.as_slice()),
            ))
            .on_conflict_do_nothing()
            .execute(&mut *conn)
            .await?;
        let stored: Vec<u8> = server_secrets::table
            .filter(server_secrets::name.eq(name))
            .select(server_secrets::secret)
            .first(&mut *conn)
            .await?;
        stored
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("server secret {name:?} is not 32 bytes")))
    }
}
