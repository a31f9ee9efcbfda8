//! `GET /metrics` in the Prometheus text format: requests by route and status with their
//! latency, errors by status and code, the database pool's use and waits, audit entries
//! ingested, packages generated and PDF render time. Served to the bearer of the operator's
//! metrics token when one is set, else only to loopback clients (docs/api.md, "Metrics").

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::{
    Counter, Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, Registry, TextEncoder,
};

use subtle::ConstantTimeEq;

use crate::{ApiError, AppState};

/// Where an audit entry came in.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Audit,
    Batch,
    Traces,
    ArchivistEvents,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Self::Audit => "audit",
            Self::Batch => "audit_batch",
            Self::Traces => "otlp_traces",
            Self::ArchivistEvents => "archivist_events",
        }
    }
}

/// The server's metrics, registered once per [`AppState`].
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    errors: IntCounterVec,
    entries: IntCounterVec,
    packages: IntCounter,
    renders: Histogram,
    pool: [IntGauge; 4],
    checkouts: IntCounter,
    waited: Counter,
    /// The bearer token `/metrics` asks for, if the operator set one.
    token: OnceLock<String>,
    /// Held while the pool's counters catch up to the store's, so two scrapes add once.
    catching_up: std::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Latency buckets, seconds: from a cached read to a PDF render.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)
                .unwrap_or_else(|error| unreachable!("a fixed metric is valid: {error}"));
            register(&registry, metric)
        };
        let requests = counter(
            "compliance_http_requests_total",
            "HTTP requests answered, by route pattern, method and status",
            &["route", "method", "status"],
        );
        let errors = counter(
            "compliance_http_errors_total",
            "Error answers (status 400 and up), by status and the error shape's code",
            &["status", "code"],
        );
        let entries = counter(
            "compliance_audit_entries_ingested_total",
            "Audit entries and events recorded, by the endpoint they came in through",
            &["source"],
        );
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "compliance_http_request_duration_seconds",
                "Time to answer an HTTP request, by route pattern and method",
            )
            .buckets(BUCKETS.to_vec()),
            &["route", "method"],
        )
        .unwrap_or_else(|error| unreachable!("a fixed metric is valid: {error}"));
        let renders = Histogram::with_opts(
            HistogramOpts::new(
                "compliance_pdf_render_seconds",
                "Time to render a package's PDF",
            )
            .buckets(BUCKETS.to_vec()),
        )
        .unwrap_or_else(|error| unreachable!("a fixed metric is valid: {error}"));
        let gauge = |name: &str, help: &str| {
            let metric = IntGauge::new(name, help)
                .unwrap_or_else(|error| unreachable!("a fixed metric is valid: {error}"));
            register(&registry, metric)
        };
        let pool = [
            gauge(
                "compliance_db_pool_max_connections",
                "The tenant pool's size limit",
            ),
            gauge(
                "compliance_db_pool_connections",
                "Tenant connections open, idle or lent",
            ),
            gauge(
                "compliance_db_pool_idle_connections",
                "Tenant connections open and idle",
            ),
            gauge(
                "compliance_db_pool_waiting",
                "Requests waiting for a tenant connection now",
            ),
        ];
        let checkouts = IntCounter::new(
            "compliance_db_pool_checkouts_total",
            "Tenant connections handed out",
        )
        .unwrap_or_else(|error| unreachable!("a fixed metric is valid: {error}"));
        let waited = Counter::new(
            "compliance_db_pool_wait_seconds_total",
            "Time requests spent waiting for a tenant connection",
        )
        .unwrap_or_else(|error| unreachable!("a fixed metric is valid: {error}"));
        let packages = IntCounter::new(
            "compliance_packages_generated_total",
            "Compliance packages generated",
        )
        .unwrap_or_else(|error| unreachable!("a fixed metric is valid: {error}"));
        Self {
            latency: register(&registry, latency),
            renders: register(&registry, renders),
            checkouts: register(&registry, checkouts),
            waited: register(&registry, waited),
            packages: register(&registry, packages),
            registry,
            requests,
            errors,
            entries,
            pool,
            token: OnceLock::new(),
            catching_up: std::sync::Mutex::new(()),
        }
    }

    /// Asks `/metrics` callers for this bearer token (set once, at start).
    pub fn protect(&self, token: String) {
        let _ = self.token.set(token);
    }

    pub fn entries(&self, source: Source, count: usize) {
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        self.entries
            .with_label_values(&[source.label()])
            .inc_by(count);
    }

    pub fn package_generated(&self) {
        self.packages.inc();
    }

    pub fn rendered(&self, started: Instant) {
        self.renders.observe(started.elapsed().as_secs_f64());
    }

    fn answered(&self, route: &str, method: &Method, status: StatusCode, started: Instant) {
        let method = method_label(method);
        let code = status.as_str();
        self.requests
            .with_label_values(&[route, method, code])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(started.elapsed().as_secs_f64());
        if status.as_u16() >= 400 {
            let grpc = ApiError::code(status).to_string();
            self.errors.with_label_values(&[code, &grpc]).inc();
        }
    }

    /// The text exposition, with the pool read now.
    fn render(&self, state: &AppState) -> Result<String, prometheus::Error> {
        let pool = state.store.pool_use();
        for (gauge, value) in
            self.pool
                .iter()
                .zip([pool.max_size, pool.size, pool.available, pool.waiting])
        {
            gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        // The store counts; the counters catch up to it, one scrape at a time (a poisoned lock
        // only means a scrape panicked: the counters are still whole).
        {
            let _one = self
                .catching_up
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.checkouts
                .inc_by(pool.checkouts.saturating_sub(self.checkouts.get()));
            let behind = pool.wait_seconds - self.waited.get();
            if behind > 0.0 {
                self.waited.inc_by(behind);
            }
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}

fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .unwrap_or_else(|error| unreachable!("each metric is registered once: {error}"));
    metric
}

/// Middleware: counts and times every request by the route pattern it matched (never the raw
/// path, so ids do not multiply the series; `unmatched` for a path no route knows).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let response = next.call(req).await?;
    if let Some(state) = state {
        let route = response.request().match_pattern();
        let route = route.as_deref().unwrap_or("unmatched");
        state
            .metrics
            .answered(route, &method, response.status(), started);
    }
    Ok(response)
}

/// A method as a label: the standard ones by name, any other as `other`, so a client sending
/// invented methods cannot add series without end.
fn method_label(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ]
    .into_iter()
    .zip(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    .find_map(|(known, label)| (known == method).then_some(label))
    .unwrap_or("other")
}

/// GET /metrics.
pub async fn expose(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let allowed = match state.metrics.token.get() {
        Some(token) => crate::auth::bearer(&req)
            .is_ok_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes()))),
        // A request a proxy forwarded is someone else's, whatever address it came from.
        None => {
            let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
                .iter()
                .any(|name| req.headers().contains_key(*name));
            !forwarded && req.peer_addr().is_some_and(|peer| peer.ip().is_loopback())
        }
    };
    if !allowed {
        // Told apart from a missing route only by the operator who set the token.
        return Err(ApiError::not_found("metrics"));
    }
    let text = state.metrics.render(&state).map_err(|error| {
        tracing::error!(%error, "metrics failed to encode");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics failed to encode",
        )
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(text))
}
