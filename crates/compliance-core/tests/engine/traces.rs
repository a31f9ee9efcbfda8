//! Spans as audit entries (docs/ingest.md): each dialect's tool call, agent and model spans, what
//! is no evidence, verdicts, payload digests and their opt-in, and the spans refused.

use compliance_core::traces::{self, Mapped, Span, SpanStatus, Value};
use compliance_core::{Outcome, Verdict};
use sha2::{Digest, Sha256};

fn span(attributes: &[(&str, &str)]) -> Span {
    Span {
        trace_id: "5b8efff798038103d269b633813fc60c".to_owned(),
        span_id: "eee19b7ec3c1b174".to_owned(),
        parent_span_id: None,
        name: "a span".to_owned(),
        start_unix_nano: 1_764_583_200_000_000_000,
        end_unix_nano: 1_764_583_200_250_999_999,
        status: SpanStatus::Unset,
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::Text((*v).to_owned())))
            .collect(),
        service_name: Some("triage".to_owned()),
    }
}

fn entry(mapped: Mapped) -> traces::SpanEntry {
    match mapped {
        Mapped::Entry(entry) => *entry,
        other => panic!("not an entry: {other:?}"),
    }
}

#[test]
fn each_dialects_tool_call_is_a_connector_call_naming_its_tool() {
    for (attributes, connector) in [
        (
            vec![
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", "jira"),
            ],
            "jira",
        ),
        (
            vec![
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.data_source.id", "kb"),
            ],
            "kb",
        ),
        (
            vec![
                ("openinference.span.kind", "TOOL"),
                ("tool.name", "vector-db"),
            ],
            "vector-db",
        ),
        (vec![("openinference.span.kind", "RETRIEVER")], "a span"),
        (
            vec![
                ("traceloop.span.kind", "tool"),
                ("traceloop.entity.name", "slack"),
            ],
            "slack",
        ),
    ] {
        let entry = entry(traces::map(&span(&attributes), false));
        assert_eq!(entry.action_type, traces::TOOL_CALLED, "{attributes:?}");
        assert_eq!(
            entry.connector.as_deref(),
            Some(connector),
            "{attributes:?}"
        );
        assert_eq!(entry.status, Outcome::Success);
        assert_eq!(entry.duration_ms, 250, "whole milliseconds");
        assert_eq!(entry.correlation_id, "5b8efff798038103d269b633813fc60c");
        assert_eq!(
            entry.agent.name.as_deref(),
            Some("triage"),
            "the service names it"
        );
    }
}

#[test]
fn agents_and_models_are_entries_and_other_spans_are_no_evidence() {
    let agent = entry(traces::map(
        &span(&[("gen_ai.operation.name", "invoke_agent")]),
        false,
    ));
    assert_eq!(agent.action_type, traces::AGENT_INVOKED);
    let model = entry(traces::map(
        &span(&[
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.provider.name", "openai"),
        ]),
        false,
    ));
    assert_eq!(model.action_type, traces::MODEL_CALLED);
    assert_eq!(model.connector.as_deref(), Some("openai"));
    for attributes in [
        vec![("http.request.method", "GET")],
        vec![("gen_ai.operation.name", "embeddings")],
        vec![("openinference.span.kind", "CHAIN")],
        vec![("traceloop.span.kind", "workflow")],
    ] {
        assert_eq!(
            traces::map(&span(&attributes), false),
            Mapped::Ignored,
            "{attributes:?}"
        );
    }
}

#[test]
fn the_genai_conventions_win_and_name_the_agent_before_the_service() {
    let both = span(&[
        ("gen_ai.operation.name", "execute_tool"),
        ("gen_ai.tool.name", "jira"),
        ("openinference.span.kind", "CHAIN"),
        ("gen_ai.agent.name", "named"),
        ("gen_ai.agent.id", "0000000a-0000-4000-8000-000000000001"),
    ]);
    let entry = entry(traces::map(&both, false));
    assert_eq!(entry.connector.as_deref(), Some("jira"));
    assert_eq!(entry.agent.name.as_deref(), Some("named"));
    assert_eq!(
        entry.agent.id.map(|id| id.to_string()).as_deref(),
        Some("0000000a-0000-4000-8000-000000000001")
    );
    // An id that is no UUID (an OpenAI assistant's) names no agent of ours.
    let foreign = span(&[
        ("gen_ai.operation.name", "invoke_agent"),
        ("gen_ai.agent.id", "asst_5j66"),
    ]);
    assert_eq!(self::entry(traces::map(&foreign, false)).agent.id, None);
}

#[test]
fn verdicts_come_from_guardrails_and_stated_verdicts_in_any_case() {
    let guardrail = |decision: &[(&str, &str)], status| {
        let mut attributes = vec![("gen_ai.operation.name", "apply_guardrail")];
        attributes.extend_from_slice(decision);
        let mut span = span(&attributes);
        span.status = status;
        entry(traces::map(&span, false)).policy_verdict
    };
    assert_eq!(
        guardrail(&[("gen_ai.guardrail.decision", "allow")], SpanStatus::Ok),
        Some(Verdict::Permit)
    );
    assert_eq!(
        guardrail(
            &[("microsoft.security.decision.type", "deny")],
            SpanStatus::Ok
        ),
        Some(Verdict::Deny)
    );
    assert_eq!(
        guardrail(&[("gen_ai.guardrail.decision", "warn")], SpanStatus::Ok),
        Some(Verdict::Escalate)
    );
    assert_eq!(guardrail(&[], SpanStatus::Error), Some(Verdict::Deny));
    assert_eq!(guardrail(&[], SpanStatus::Unset), Some(Verdict::Permit));
    let stated = |verdict| {
        traces::map(
            &span(&[
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", "jira"),
                ("compliance.policy_verdict", verdict),
            ]),
            false,
        )
    };
    assert_eq!(
        entry(stated("escalate")).policy_verdict,
        Some(Verdict::Escalate)
    );
    assert!(
        matches!(stated("maybe"), Mapped::Rejected(reason) if reason.contains("compliance.policy_verdict"))
    );
    // A tool call states no verdict unless it says one.
    let plain = span(&[
        ("gen_ai.operation.name", "execute_tool"),
        ("gen_ai.tool.name", "jira"),
    ]);
    assert_eq!(entry(traces::map(&plain, false)).policy_verdict, None);
}

#[test]
fn payloads_are_digests_unless_kept_and_a_long_one_says_why_it_is_not_there() {
    let call = |arguments: &str| {
        span(&[
            ("gen_ai.operation.name", "execute_tool"),
            ("gen_ai.tool.name", "jira"),
            ("gen_ai.tool.call.arguments", arguments),
        ])
    };
    let digest = hex::encode(Sha256::digest(b"{\"q\": 1}"));
    let hidden = entry(traces::map(&call("{\"q\": 1}"), false)).metadata;
    assert_eq!(hidden["arguments_sha256"], digest.as_str());
    assert!(!hidden.contains_key("arguments"));
    let kept = entry(traces::map(&call("{\"q\": 1}"), true)).metadata;
    assert_eq!(kept["arguments"], "{\"q\": 1}");
    assert_eq!(kept["arguments_sha256"], digest.as_str());
    let long = "x".repeat(traces::KEPT_PAYLOAD_BYTES + 1);
    let long = entry(traces::map(&call(&long), true)).metadata;
    assert!(!long.contains_key("arguments"));
    assert!(
        long["arguments_not_kept"]
            .as_str()
            .unwrap()
            .contains("4096")
    );
}

#[test]
fn spans_that_cannot_be_stored_as_sent_are_refused_naming_why() {
    let tool = [
        ("gen_ai.operation.name", "execute_tool"),
        ("gen_ai.tool.name", "jira"),
    ];
    let refused = |span: Span| match traces::map(&span, false) {
        Mapped::Rejected(reason) => reason,
        other => panic!("not refused: {other:?}"),
    };
    let mut unstarted = span(&tool);
    unstarted.start_unix_nano = 0;
    assert!(refused(unstarted).contains("startTimeUnixNano"));
    let mut backwards = span(&tool);
    backwards.end_unix_nano = backwards.start_unix_nano - 1;
    assert!(refused(backwards).contains("endTimeUnixNano"));
    assert!(refused(span(&[("gen_ai.operation.name", "execute_tool")])).contains("names no tool"));
    let long = "t".repeat(101);
    assert!(
        refused(span(&[
            ("gen_ai.operation.name", "execute_tool"),
            ("gen_ai.tool.name", &long)
        ]))
        .contains("100")
    );
    let name = "a".repeat(201);
    assert!(refused(span(&[tool[0], tool[1], ("gen_ai.agent.name", &name)])).contains("200"));
}
