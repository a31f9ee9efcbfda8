use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong in the store; the HTTP layer maps each kind to one status.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row, or a row of another org (row-level security makes the two the same).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A constraint refused the write.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database cannot be reached, or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A stored row no longer reads back as a valid domain value.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(DieselError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let message = info.message().to_owned();
                match kind {
                    DatabaseErrorKind::UniqueViolation => Self::Conflict(message),
                    DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::CheckViolation
                    | DatabaseErrorKind::NotNullViolation => Self::Invalid(message),
                    // No SQLSTATE: the socket is closed or broken (say, a pooled connection
                    // that outlived a database restart).
                    DatabaseErrorKind::ClosedConnection
                    | DatabaseErrorKind::UnableToSendCommand => Self::Unavailable(message),
                    // A statement timeout cancels the query; a shutdown terminates the session.
                    _ if message.contains("statement timeout")
                        || message.contains("terminating connection") =>
                    {
                        Self::Unavailable(message)
                    }
                    _ => Self::Database(DieselError::DatabaseError(kind, info)),
                }
            }
            DieselError::BrokenTransactionManager => {
                Self::Unavailable("the connection was lost mid-transaction".to_owned())
            }
            other => Self::Database(other),
        }
    }
}

impl From<diesel::ConnectionError> for StoreError {
    fn from(error: diesel::ConnectionError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>> for StoreError {
    fn from(
        error: deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>,
    ) -> Self {
        Self::Unavailable(error.to_string())
    }
}
