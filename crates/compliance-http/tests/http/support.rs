use std::collections::HashMap;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use compliance_http::paging::PAGE_TOKEN_SECRET;
use compliance_http::{AppState, catch_panics, configure, error_shape, refuse_nul_in_query};
use compliance_store::testing::TestDb;
use compliance_store::{Role, Store};
use serde_json::Value;

/// Reads a whole awc response into a [`Reply`] (a macro: awc's response type is generic).
macro_rules! reply {
    ($response:expr) => {{
        let mut response = $response;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let bytes = response.body().limit(64 << 20).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            body,
            headers,
        }
    }};
}

/// The tests' key-sealing key (a server keeps its own outside the database).
pub const KEY_SEALING_KEY: [u8; 32] = [3; 32];

/// How long a test waits for an answer: generous, so a loaded runner is slow, not failing.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: HashMap<String, String>,
}

impl Reply {
    /// Asserts the one error shape, with this status and gRPC code, and a message containing `says`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: u64, says: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.body["code"].as_u64(), Some(code), "{self:?}");
        let message = self.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {self:?}"));
        assert!(message.contains(says), "{message:?} should say {says:?}");
        assert_eq!(
            self.body.as_object().unwrap().len(),
            2,
            "only code and message: {self:?}"
        );
    }
}

/// A server on an ephemeral port over a fresh database, with a token per role in two orgs.
pub struct Server {
    pub base: String,
    pub db: TestDb,
    pub acme: HashMap<Role, String>,
    pub globex: HashMap<Role, String>,
    client: awc::Client,
}

impl Server {
    pub async fn start() -> Self {
        let db = TestDb::new().await;
        Self::start_on(db).await
    }

    pub async fn start_on(db: TestDb) -> Self {
        let mut acme = HashMap::new();
        let mut globex = HashMap::new();
        for (name, tokens) in [("acme", &mut acme), ("globex", &mut globex)] {
            let org = db.store.ensure_organization(name).await.unwrap();
            for role in Role::ALL {
                tokens.insert(
                    role,
                    db.store.issue_token(org.id, role).await.unwrap().secret,
                );
            }
        }
        let base = serve(db.store.clone()).await;
        Self {
            base,
            db,
            acme,
            globex,
            client: awc::Client::default(),
        }
    }

    pub fn admin(&self) -> &str {
        &self.acme[&Role::Admin]
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .timeout(PATIENCE);
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let response = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        };
        reply!(response.unwrap())
    }

    /// Sends raw bytes with the given headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .timeout(PATIENCE);
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        reply!(request.send_body(body).await.unwrap())
    }

    /// The body's bytes exactly, asserting a 200.
    pub async fn raw_bytes(&self, method: &str, path: &str, authorization: &str) -> Vec<u8> {
        let mut response = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .timeout(PATIENCE)
            .insert_header(("Authorization", authorization))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.body().limit(64 << 20).await.unwrap().to_vec()
    }

    /// A new agent named `name` in the token's org; its id.
    pub async fn new_agent(&self, token: &str, name: &str) -> String {
        let created = self
            .post("/v1/agents", token, &serde_json::json!({"name": name}))
            .await;
        assert_eq!(created.status, 201, "{created:?}");
        created.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call("POST", path, Some(token), Some(body)).await
    }
}

/// Serves the app on 127.0.0.1 and an ephemeral port; the base URL.
pub async fn serve(store: Store) -> String {
    let page_key = store.server_secret(PAGE_TOKEN_SECRET).await.unwrap();
    serve_state(AppState::new(store, page_key, KEY_SEALING_KEY))
}

/// Serves `state` on 127.0.0.1 and an ephemeral port; the base URL.
pub fn serve_state(state: web::Data<AppState>) -> String {
    let server = HttpServer::new(move || {
        App::new()
            .wrap(error_shape())
            .wrap(from_fn(refuse_nul_in_query))
            .wrap(from_fn(catch_panics))
            .wrap(from_fn(compliance_http::metrics::record))
            .configure(configure(state.clone()))
            .route(PANIC_ROUTE, web::post().to(panic_in_transaction))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = server.addrs()[0];
    actix_rt::spawn(server.run());
    format!("http://{address}")
}

/// A route only the tests serve: it writes inside a tenant transaction, then panics.
pub const PANIC_ROUTE: &str = "/test/panic-in-transaction";

async fn panic_in_transaction(
    tenant: compliance_http::Tenant<compliance_http::permission::Record>,
    state: web::Data<AppState>,
) -> actix_web::HttpResponse {
    let mut conn = state.store.tenant(tenant.org()).await.unwrap();
    let asset = compliance_store::assets::NewAsset {
        id: uuid::Uuid::new_v4(),
        attributes: [("arc_display_type".to_owned(), "half-written".to_owned())].into(),
        behaviours: Vec::new(),
    };
    compliance_store::assets::create(&mut conn, &asset)
        .await
        .unwrap();
    panic!("a bug in a handler, mid-transaction");
}
