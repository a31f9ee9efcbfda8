use compliance_core::{AgentProfile, ConnectorConfig, Outcome, PolicyRule, RuleType, Verdict};
use compliance_store::agents::{self, AGENT_DISPLAY_TYPE};
use compliance_store::connectors::{self, NewConnector};
use compliance_store::events::{self, AuditFields, NewEvent};
use compliance_store::figures::audit_groups;
use compliance_store::rules::{self, NewRule};
use compliance_store::{StoreError, assets};
use time::{Duration, OffsetDateTime};

use crate::support::*;

fn triage() -> AgentProfile {
    AgentProfile {
        id: id(1),
        name: "triage-agent".to_owned(),
        description: "Triages detections".to_owned(),
        permitted_systems: vec!["crowdstrike".to_owned(), "jira".to_owned()],
        permitted_actions: vec!["detections:*".to_owned(), "issues:create".to_owned()],
        permitted_data_types: vec!["security_events".to_owned()],
        max_actions_per_hour: Some(500),
        discovered: false,
    }
}

#[tokio::test]
async fn an_agent_is_an_asset_with_its_intent() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    let created = agents::create(&mut conn, &triage()).await.unwrap();
    assert_eq!(created.profile, triage());
    let asset = assets::get(&mut conn, id(1)).await.unwrap();
    assert_eq!(asset.attributes["arc_display_type"], AGENT_DISPLAY_TYPE);
    assert_eq!(asset.attributes["arc_display_name"], "triage-agent");
    assert_eq!(agents::get(&mut conn, id(1)).await.unwrap(), created);
    let (listed, total) = agents::list(&mut conn, 10, 0).await.unwrap();
    assert_eq!((listed, total), (vec![created], 1));
    conn.commit().await.unwrap();
    let mut globex = world.globex().await;
    assert!(matches!(
        agents::get(&mut globex, id(1)).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn connectors_and_rules_belong_to_agents() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    agents::create(&mut conn, &triage()).await.unwrap();
    let crowdstrike = NewConnector {
        id: id(10),
        agent_id: id(1),
        config: ConnectorConfig {
            connector_type: "crowdstrike".to_owned(),
            vendor: "CrowdStrike".to_owned(),
            purpose: "Read detections".to_owned(),
            data_categories: vec!["security_events".to_owned()],
            region: "us-1".to_owned(),
            permitted_operations: vec!["detections:read".to_owned()],
        },
    };
    let created = connectors::create(&mut conn, &crowdstrike).await.unwrap();
    assert_eq!(
        (created.id, created.agent_id, &created.config),
        (crowdstrike.id, crowdstrike.agent_id, &crowdstrike.config)
    );
    assert_eq!(
        connectors::list(&mut conn, Some(id(1)))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        connectors::list(&mut conn, Some(id(2)))
            .await
            .unwrap()
            .is_empty()
    );
    let orphan = NewConnector {
        id: id(11),
        agent_id: id(2),
        ..crowdstrike.clone()
    };
    let result = connectors::create(&mut conn, &orphan).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    conn.rollback().await.unwrap();

    let mut conn = world.acme().await;
    agents::create(&mut conn, &triage()).await.unwrap();
    let own = NewRule {
        id: id(20),
        agent_id: Some(id(1)),
        rule: PolicyRule {
            name: "escalate containment".to_owned(),
            rule_type: RuleType::Escalate,
            connector: "crowdstrike".to_owned(),
            action_pattern: "hosts:contain".to_owned(),
            risk_threshold: 70,
        },
    };
    let org_wide = NewRule {
        id: id(21),
        agent_id: None,
        rule: PolicyRule {
            rule_type: RuleType::Deny,
            ..own.rule.clone()
        },
    };
    rules::create(&mut conn, &own).await.unwrap();
    rules::create(&mut conn, &org_wide).await.unwrap();
    let governing: Vec<_> = rules::list(&mut conn, Some(id(1)))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.rule)
        .collect();
    assert_eq!(governing, [own.rule.clone(), org_wide.rule]);
    let out_of_range = NewRule {
        id: id(22),
        rule: PolicyRule {
            risk_threshold: 101,
            ..own.rule.clone()
        },
        ..own
    };
    assert!(matches!(
        rules::create(&mut conn, &out_of_range).await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn audit_figures_are_grouped_by_the_database() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    agents::create(&mut conn, &triage()).await.unwrap();
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - Duration::days(2);
    let entry = |n: u128, action: &str, connector: Option<&str>, verdict: &str| NewEvent {
        id: id(100 + n),
        asset_id: id(1),
        display_type: action.to_owned(),
        correlation_value: None,
        declared_at: Some(start + Duration::minutes(n as i64)),
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: attrs(&[]),
        asset_attributes: attrs(&[]),
        principal_declared: serde_json::json!({}),
        audit: AuditFields {
            connector: connector.map(str::to_owned),
            policy_verdict: Some(verdict.parse::<Verdict>().unwrap()),
            status: Some(Outcome::Success),
            ..Default::default()
        },
    };
    let mut trail = Vec::new();
    for n in 0..10 {
        trail.push(entry(n, "connector.called", Some("jira"), "PERMIT"));
    }
    trail.push(entry(10, "connector.called", Some("crowdstrike"), "DENY"));
    trail.push(entry(11, "agent.deployed", None, "PERMIT"));
    events::append_many(&mut conn, trail.clone().into())
        .await
        .unwrap();

    let groups = audit_groups(&mut conn, id(1), OffsetDateTime::now_utc())
        .await
        .unwrap();
    let total: i64 = groups.iter().map(|g| g.count).sum();
    assert_eq!(total, 12);
    let jira = groups
        .iter()
        .find(|g| g.connector.as_deref() == Some("jira"))
        .unwrap();
    assert_eq!(
        (jira.count, jira.first, jira.last),
        (10, start, start + Duration::minutes(9))
    );
    assert_eq!(groups.len(), 3);
    // Only entries strictly before the cut-off count.
    let early = audit_groups(&mut conn, id(1), start + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(early.iter().map(|g| g.count).sum::<i64>(), 5);
}
