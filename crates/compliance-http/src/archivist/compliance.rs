use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::microseconds;
use compliance_store::compliance::check_asset;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::paging;
use crate::request::{in_range, query_pairs, rfc3339, time, unknown_parameter, uuid};
use crate::{ApiError, ApiResult, AppState, missing};

/// The most statements one response carries; more answer 206 with a page token.
pub const STATEMENT_LIMIT: i64 = 100;

#[derive(Debug, Serialize, Deserialize)]
struct Page {
    /// Unix nanoseconds: a later page answers for the same instant as the first.
    at: i128,
    offset: i64,
    page_size: i64,
}

impl paging::PageState for Page {
    const LISTING: &'static str = "compliance";

    fn page_size(&self) -> i64 {
        self.page_size
    }

    fn position(&self) -> i64 {
        self.offset
    }
}

/// GET /archivist/v1/compliance/assets/{uuid}?compliant_at=<RFC 3339>
pub async fn check(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let asset = uuid("uuid", &id)?;
    let mut at = None;
    let mut size = None;
    let mut token = None;
    for (name, value) in query_pairs(&req)? {
        match name.as_str() {
            "compliant_at" => at = Some(microseconds(time("compliant_at", &value)?)),
            "page_size" => size = paging::page_size(Some(&value))?,
            "page_token" => token = Some(value),
            _ => return Err(unknown_parameter(&name)),
        }
    }
    // The true current instant (to PostgreSQL's microsecond), never cut to whole seconds: an
    // event recorded a moment ago counts (docs/policies.md, "The instant of a check").
    let now = || microseconds(OffsetDateTime::now_utc());
    let mut page = match token.filter(|t| !t.is_empty()) {
        Some(token) => state.page_tokens.open(caller.org(), &token)?,
        None => Page {
            at: at.unwrap_or_else(now).unix_timestamp_nanos(),
            offset: 0,
            page_size: STATEMENT_LIMIT,
        },
    };
    if let Some(size) = size {
        page.page_size = size.min(STATEMENT_LIMIT);
    }
    if !(1..=STATEMENT_LIMIT).contains(&page.page_size) || page.offset < 0 {
        return Err(ApiError::bad_request(
            "page_token: not a token this server issued",
        ));
    }
    let at = match at {
        Some(at) if page.offset == 0 => at,
        _ => OffsetDateTime::from_unix_timestamp_nanos(page.at)
            .map_err(|_| ApiError::bad_request("page_token: out of range"))
            .and_then(|at| in_range("page_token", at))?,
    };
    let mut conn = state.store.tenant(caller.org()).await?;
    let answer = check_asset(&mut conn, asset, at).await;
    let answer = conn.end(answer).await.map_err(missing("asset"))?;
    let start = usize::try_from(page.offset)
        .unwrap_or(usize::MAX)
        .min(answer.statements.len());
    let end = start
        .saturating_add(usize::try_from(page.page_size).unwrap_or(usize::MAX))
        .min(answer.statements.len());
    let statements: Vec<_> = answer.statements[start..end]
        .iter()
        .map(|s| {
            json!({
                "compliance_policy_identity": format!("compliance_policies/{}", s.policy),
                "compliant": s.compliant,
                "reason": s.reason,
            })
        })
        .collect();
    let more = end < answer.statements.len();
    let next_page_token = if more {
        state.page_tokens.seal(
            caller.org(),
            &Page {
                at: at.unix_timestamp_nanos(),
                offset: end as i64,
                page_size: page.page_size,
            },
        )?
    } else {
        String::new()
    };
    let status = if more {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(json!({
        "compliant": answer.compliant,
        "compliance": statements,
        "next_page_token": next_page_token,
        "compliant_at": rfc3339(at),
    })))
}
