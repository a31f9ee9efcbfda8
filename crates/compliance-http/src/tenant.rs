//! The request pipeline's one entry point: `Tenant<P>` authenticates the bearer token, proves
//! the permission `P`, and runs the handler's work in a transaction bound to the caller's org.
//!
//! ```ignore
//! pub async fn read(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<AgentView>> {
//!     let id = uuid("id", &id)?;
//!     let agent = tenant.transact(async |conn| agents::get(conn, id).await.or_404("agent")).await?;
//!     Ok(Json(AgentView::from(&agent)))
//! }
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, dev::Payload, web};
use compliance_store::{Principal, TenantConn};
use uuid::Uuid;

use crate::idempotent::{self, Written};
use crate::permission::{Permission, Writes, allowed};
use crate::request::Body;
use crate::{ApiError, ApiResult, AppState, auth};

/// An authenticated caller holding permission `P`, bound to its org.
///
/// A write needs a writing permission:
///
/// ```no_run
/// # use compliance_http::{Tenant, permission::Record, request::Body, idempotent::Written};
/// # async fn f(tenant: Tenant<Record>, body: Body<compliance_http::v1::packages::GenerateRequest>) {
/// let _ = tenant.write(&body, async |_conn| Written::created(&"written")).await;
/// # }
/// ```
///
/// so a handler that reads cannot write:
///
/// ```compile_fail,E0599
/// # use compliance_http::{Tenant, permission::Read, request::Body, idempotent::Written};
/// # async fn f(tenant: Tenant<Read>, body: Body<compliance_http::v1::packages::GenerateRequest>) {
/// let _ = tenant.write(&body, async |_conn| Written::created(&"written")).await;
/// # }
/// ```
pub struct Tenant<P> {
    principal: Principal,
    state: web::Data<AppState>,
    /// What an idempotent write needs of the request: its key, method and path.
    write: idempotent::Request,
    permission: PhantomData<P>,
}

impl<P> std::fmt::Debug for Tenant<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("org", &self.principal.org)
            .field("role", &self.principal.role)
            .finish_non_exhaustive()
    }
}

impl<P: Permission> FromRequest for Tenant<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credentials = auth::bearer(req);
        let write = idempotent::Request::of(req);
        let (authorized, gate) = tokio::sync::watch::channel(false);
        req.extensions_mut().insert(Gate(gate));
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::unavailable("the server is not configured"))?;
            let tenant = Self::authorize(state, &credentials?, write).await?;
            // Only now may the body be parsed (see `Gate`).
            let _ = authorized.send(true);
            Ok(tenant)
        })
    }
}

impl<P: Permission> Tenant<P> {
    /// The caller whose token is `secret`, proved to hold `P`: the bearer token of an API
    /// request, or the token a page's session cookie holds (`crate::ui`).
    pub(crate) async fn authorize(
        state: web::Data<AppState>,
        secret: &str,
        write: idempotent::Request,
    ) -> ApiResult<Self> {
        let principal = auth::authenticate(&state, secret).await?;
        if !allowed(principal.role, P::ACTION) {
            return Err(ApiError::forbidden(format!(
                "the {} role may not do this",
                principal.role
            )));
        }
        Ok(Self {
            principal,
            state,
            write,
            permission: PhantomData,
        })
    }
}

/// Holds a request's body back until its `Tenant` is authorized: actix polls a handler's
/// extractors together, and a caller without the permission must hear 403, not learn from a 400
/// what the body got wrong.
#[derive(Debug, Clone)]
pub(crate) struct Gate(tokio::sync::watch::Receiver<bool>);

impl Gate {
    /// Waits for the request's `Tenant` to be authorized, or to fail (its error then answers).
    pub(crate) async fn passed(req: &HttpRequest) {
        let gate = req.extensions().get::<Self>().cloned();
        if let Some(Self(mut authorized)) = gate {
            let _ = authorized.wait_for(|done| *done).await;
        }
    }
}

impl<P> Tenant<P> {
    pub fn org(&self) -> Uuid {
        self.principal.org
    }

    /// The token the caller authenticated with.
    pub fn token(&self) -> Uuid {
        self.principal.token
    }

    pub fn role(&self) -> compliance_store::Role {
        self.principal.role
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs `work` in one transaction bound to the caller's org: committed when it succeeds,
    /// rolled back when it fails.
    pub async fn transact<T>(
        &self,
        work: impl AsyncFnOnce(&mut TenantConn) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.state.store.transact(self.org(), work).await
    }
}

impl<P: Writes> Tenant<P> {
    /// Runs `work` as [`Tenant::transact`] does and answers what it wrote, kept with the
    /// request's `Idempotency-Key` when it has one (see [`idempotent`]).
    pub async fn write<T>(
        &self,
        body: &Body<T>,
        work: impl AsyncFnOnce(&mut TenantConn) -> ApiResult<Written>,
    ) -> ApiResult<HttpResponse> {
        idempotent::write(&self.state.store, self.org(), &self.write, body.raw(), work).await
    }

    /// [`Tenant::write`] for a request without a body: its `Idempotency-Key` stands for the
    /// request itself.
    pub async fn write_bodiless(
        &self,
        work: impl AsyncFnOnce(&mut TenantConn) -> ApiResult<Written>,
    ) -> ApiResult<HttpResponse> {
        idempotent::write(&self.state.store, self.org(), &self.write, &[], work).await
    }
}
