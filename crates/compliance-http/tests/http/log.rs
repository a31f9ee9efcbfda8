//! The transparency log over HTTP, checked with the verifier's own code (compliance-attest):
//! every entry a leaf whose proof verifies against a checkpoint signed with the published key;
//! consistency between checkpoints; leaf indexes gapless under racing appends and rollbacks;
//! packages anchored to the log; an entry altered or deleted behind the API's back found out.

use compliance_attest::log::{self, decode, leaf_hash, verify_consistency, verify_inclusion};
use compliance_attest::open_checkpoint;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};

use crate::support::*;

async fn agent(server: &Server, token: &str, name: &str) -> String {
    let created = server
        .post("/v1/agents", token, &json!({"name": name}))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

async fn entry(server: &Server, token: &str, agent: &str, extra: Value) -> String {
    let mut body = json!({"agent_id": agent, "action_type": "connector.called", "connector": "jira",
                          "policy_verdict": "PERMIT", "status": "success"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let created = server.post("/v1/audit", token, &body).await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

async fn verifier_key(server: &Server, token: &str) -> String {
    let key = server.get("/v1/log/key", token).await;
    assert_eq!(key.status, 200, "{key:?}");
    key.body["verifier_key"].as_str().unwrap().to_owned()
}

async fn checkpoint(server: &Server, token: &str) -> String {
    let bytes = server
        .raw_bytes("GET", "/v1/log/checkpoint", &format!("Bearer {token}"))
        .await;
    String::from_utf8(bytes).unwrap()
}

/// A proof's base64 hashes, decoded.
fn hashes(list: &Value) -> Vec<log::Hash> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|h| decode(h.as_str().unwrap()).unwrap())
        .collect()
}

/// Checks an entry's proof as an auditor would, and says its leaf index.
fn verify_proof(proof: &Value, key: &str) -> u64 {
    let data = proof["leaf_data"].as_str().unwrap();
    let hash = leaf_hash(data.as_bytes());
    assert_eq!(log::encode(&hash), proof["leaf_hash"], "{proof}");
    let signed = open_checkpoint(proof["checkpoint"].as_str().unwrap(), key).unwrap();
    assert_eq!(signed.size, proof["tree_size"].as_u64().unwrap());
    assert_eq!(log::encode(&signed.root), proof["root_hash"]);
    let path = hashes(&proof["inclusion_proof"]);
    let index = proof["leaf_index"].as_u64().unwrap();
    verify_inclusion(&path, index, signed.size, hash, signed.root).unwrap();
    index
}

#[actix_rt::test]
async fn every_entry_is_a_leaf_whose_proof_verifies_against_the_signed_checkpoint() {
    let server = Server::start().await;
    let admin = server.admin();
    let agent = agent(&server, admin, "logged").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(entry(&server, admin, &agent, json!({"duration_ms": n})).await);
    }
    let batch = json!({"entries": [
        {"agent_id": agent, "action_type": "agent.deployed", "created_at": "2026-01-01T00:00:00Z"},
        {"agent_id": agent, "action_type": "agent.deployed"},
    ]});
    assert_eq!(
        server.post("/v1/audit/batch", admin, &batch).await.status,
        201
    );
    let key = verifier_key(&server, admin).await;
    let note = checkpoint(&server, admin).await;
    let signed = open_checkpoint(&note, &key).unwrap();
    assert!(signed.origin.starts_with("compliance-evidence/"), "{note}");
    assert!(signed.size >= 7, "{note}");
    let mut indexes = Vec::new();
    for id in &ids {
        let proof = server.get(&format!("/v1/audit/{id}/proof"), admin).await;
        assert_eq!(proof.status, 200, "{proof:?}");
        indexes.push(verify_proof(&proof.body, &key));
        // The leaf is the entry as stored: its id, its acceptance and its fields.
        let leaf: Value = serde_json::from_str(proof.body["leaf_data"].as_str().unwrap()).unwrap();
        assert_eq!(leaf["id"], json!(id));
        assert!(leaf["accepted_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(leaf["connector"], "jira");
    }
    // In acceptance order, one after the other.
    assert!(indexes.windows(2).all(|w| w[1] == w[0] + 1), "{indexes:?}");
    // Against an older tree too, as long as the entry is in it.
    let first = &ids[0];
    let at = indexes[0] + 1;
    let older = server
        .get(&format!("/v1/audit/{first}/proof?tree_size={at}"), admin)
        .await;
    assert_eq!(older.body["tree_size"], at, "{older:?}");
    verify_proof(&older.body, &key);
    server
        .get(
            &format!("/v1/audit/{first}/proof?tree_size={}", indexes[0]),
            admin,
        )
        .await
        .assert_error(422, 3, "tree_size");
    server
        .get(&format!("/v1/audit/{first}/proof?tree_size=99999"), admin)
        .await
        .assert_error(422, 3, "tree_size");
    // Another org's entry, and another org's log.
    let globex = &server.globex[&compliance_store::Role::Admin];
    server
        .get(&format!("/v1/audit/{first}/proof"), globex)
        .await
        .assert_error(404, 5, "audit entry not found");
    let theirs = open_checkpoint(
        &checkpoint(&server, globex).await,
        &verifier_key(&server, globex).await,
    )
    .unwrap();
    assert_ne!(theirs.origin, signed.origin);
    assert!(open_checkpoint(&note, &verifier_key(&server, globex).await).is_err());
}

#[actix_rt::test]
async fn one_checkpoint_s_tree_is_a_prefix_of_the_next() {
    let server = Server::start().await;
    let admin = server.admin();
    let agent = agent(&server, admin, "growing").await;
    entry(&server, admin, &agent, json!({})).await;
    let key = verifier_key(&server, admin).await;
    let before = open_checkpoint(&checkpoint(&server, admin).await, &key).unwrap();
    let mut newest = String::new();
    for _ in 0..3 {
        newest = entry(&server, admin, &agent, json!({})).await;
    }
    // Newer than the latest checkpoint (kept for a few seconds): proved against the log now.
    let fresh = server
        .get(&format!("/v1/audit/{newest}/proof"), admin)
        .await;
    assert_eq!(fresh.status, 200, "{fresh:?}");
    assert_eq!(fresh.body["tree_size"], before.size + 3);
    verify_proof(&fresh.body, &key);
    // A proof against a past tree is signed for the asking, and writes nothing.
    let mut owner = AsyncPgConnection::establish(&server.db.url).await.unwrap();
    let kept = async |owner: &mut AsyncPgConnection| {
        #[derive(diesel::QueryableByName)]
        struct Kept {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel_async::RunQueryDsl::get_result::<Kept>(
            diesel::sql_query("SELECT count(*) AS n FROM log_checkpoints"),
            owner,
        )
        .await
        .unwrap()
        .n
    };
    let rows = kept(&mut owner).await;
    let past = server
        .get(
            &format!("/v1/log/consistency?from=1&to={}", before.size + 1),
            admin,
        )
        .await;
    assert_eq!(past.status, 200, "{past:?}");
    open_checkpoint(past.body["checkpoint"].as_str().unwrap(), &key).unwrap();
    assert_eq!(kept(&mut owner).await, rows, "a GET stored no checkpoint");
    let to = before.size + 3;
    let reply = server
        .get(
            &format!("/v1/log/consistency?from={}&to={to}", before.size),
            admin,
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let after = open_checkpoint(reply.body["checkpoint"].as_str().unwrap(), &key).unwrap();
    assert_eq!(after.size, to);
    let proof = hashes(&reply.body["proof"]);
    verify_consistency(&proof, before.size, before.root, after.size, after.root).unwrap();
    assert_eq!(reply.body["from_root"], log::encode(&before.root));
    // The wrong way round, or past the log's end: refused with the rule.
    server
        .get(
            &format!("/v1/log/consistency?from={to}&to={}", before.size),
            admin,
        )
        .await
        .assert_error(422, 3, "from and to");
    server
        .get(
            &format!("/v1/log/consistency?from=1&to={}", to + 100),
            admin,
        )
        .await
        .assert_error(422, 3, "from and to");
    server
        .get("/v1/log/consistency?from=-1", admin)
        .await
        .assert_error(400, 3, "invalid digit");
}

#[actix_rt::test]
async fn leaf_indexes_are_gapless_under_racing_appends_and_rollbacks() {
    let server = Server::start().await;
    let admin = server.admin();
    let agent = agent(&server, admin, "racing").await;
    let globex_agent = agent_of_globex(&server).await;
    let racing = (0..16).map(|_| entry(&server, admin, &agent, json!({})));
    let mut ids: Vec<String> = futures_util::future::join_all(racing).await;
    // A batch naming another org's agent fails whole: none of its rows, and no leaf, stay.
    let failing = json!({"entries": [
        {"agent_id": agent, "action_type": "agent.deployed"},
        {"agent_id": globex_agent, "action_type": "agent.deployed"},
    ]});
    assert_eq!(
        server.post("/v1/audit/batch", admin, &failing).await.status,
        404
    );
    ids.push(entry(&server, admin, &agent, json!({})).await);
    let key = verifier_key(&server, admin).await;
    let mut indexes = Vec::new();
    for id in &ids {
        let proof = server.get(&format!("/v1/audit/{id}/proof"), admin).await;
        indexes.push(verify_proof(&proof.body, &key));
    }
    indexes.sort_unstable();
    let size = open_checkpoint(&checkpoint(&server, admin).await, &key)
        .unwrap()
        .size;
    // Every leaf is one of these 17 entries, or one the server wrote before them.
    assert_eq!(indexes.len(), 17);
    assert!(indexes.windows(2).all(|w| w[1] == w[0] + 1), "{indexes:?}");
    assert_eq!(
        *indexes.last().unwrap() + 1,
        size,
        "the last entry is the last leaf"
    );
}

async fn agent_of_globex(server: &Server) -> String {
    let globex = server.globex[&compliance_store::Role::Admin].clone();
    agent(server, &globex, "theirs").await
}

#[actix_rt::test]
async fn a_package_anchors_the_log_and_the_next_version_proves_it_extends_it() {
    let server = Server::start().await;
    let admin = server.admin();
    let agent = agent(&server, admin, "anchored").await;
    entry(&server, admin, &agent, json!({})).await;
    let generate = async || {
        let reply = server
            .post("/v1/compliance", admin, &json!({"agent_id": agent}))
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body
    };
    let first = generate().await;
    // One entry filed two days after it says it happened.
    let late = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let late = late
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    entry(&server, admin, &agent, json!({"created_at": late})).await;
    let second = generate().await;
    let key = verifier_key(&server, admin).await;
    let (old, new) = (&first["log"], &second["log"]);
    assert!(old["previous"].is_null(), "{old}");
    let old_tree = open_checkpoint(old["checkpoint"].as_str().unwrap(), &key).unwrap();
    let new_tree = open_checkpoint(new["checkpoint"].as_str().unwrap(), &key).unwrap();
    assert_eq!(new_tree.size, new["tree_size"].as_u64().unwrap());
    assert_eq!(log::encode(&new_tree.root), new["root_hash"]);
    // The first generation's own entry and the late one were appended in between.
    assert_eq!(new_tree.size, old_tree.size + 2, "{old} {new}");
    let previous = &new["previous"];
    assert_eq!(previous["tree_size"], old_tree.size);
    let proof = hashes(&previous["consistency_proof"]);
    verify_consistency(
        &proof,
        old_tree.size,
        old_tree.root,
        new_tree.size,
        new_tree.root,
    )
    .unwrap();
    assert_eq!(new["back_dated"]["entries"], 1, "{new}");
    assert_eq!(new["back_dated"]["tolerance_seconds"], 900);
    assert!(new["back_dated"]["max_lag_seconds"].as_i64().unwrap() >= 2 * 86_400 - 1);
    // The attestation names the checkpoint.
    let id = second["id"].as_str().unwrap();
    let envelope = server
        .get(&format!("/v1/compliance/{id}/attestation"), admin)
        .await
        .body;
    let envelope: compliance_attest::Envelope = serde_json::from_value(envelope).unwrap();
    let statement = envelope.statement().unwrap();
    assert_eq!(
        statement.predicate.log_checkpoint.as_deref(),
        new["checkpoint"].as_str()
    );
}

#[actix_rt::test]
async fn an_entry_altered_or_deleted_behind_the_api_is_found_out() {
    let server = Server::start().await;
    let admin = server.admin();
    let agent = agent(&server, admin, "tampered").await;
    let altered = entry(&server, admin, &agent, json!({})).await;
    let deleted = entry(&server, admin, &agent, json!({})).await;
    let key = verifier_key(&server, admin).await;
    let before = server
        .get(&format!("/v1/audit/{altered}/proof"), admin)
        .await
        .body;
    verify_proof(&before, &key);
    // The schema owner turns off what keeps the trail append-only and edits it.
    let mut owner = AsyncPgConnection::establish(&server.db.url).await.unwrap();
    owner
        .batch_execute(&format!(
            "ALTER TABLE events DISABLE TRIGGER events_append_only;
             UPDATE events SET policy_verdict = 'DENY' WHERE id = '{altered}';"
        ))
        .await
        .unwrap();
    let after = server
        .get(&format!("/v1/audit/{altered}/proof"), admin)
        .await
        .body;
    let data = after["leaf_data"].as_str().unwrap();
    assert!(
        data.contains("\"DENY\""),
        "the leaf is made from the row as it is now"
    );
    let signed = open_checkpoint(after["checkpoint"].as_str().unwrap(), &key).unwrap();
    let path = hashes(&after["inclusion_proof"]);
    let index = after["leaf_index"].as_u64().unwrap();
    let checked = verify_inclusion(
        &path,
        index,
        signed.size,
        leaf_hash(data.as_bytes()),
        signed.root,
    );
    assert!(checked.is_err(), "an altered entry no longer proves");
    // A deleted entry: the server no longer knows it, but the proof an auditor kept still
    // proves it was leaf `index` of the log the server signs, and the next package refuses to
    // count a trail with a hole in it.
    let kept = server
        .get(&format!("/v1/audit/{deleted}/proof"), admin)
        .await
        .body;
    owner
        .batch_execute(&format!("DELETE FROM events WHERE id = '{deleted}';"))
        .await
        .unwrap();
    let gone = server
        .get(&format!("/v1/audit/{deleted}/proof"), admin)
        .await;
    assert_eq!(gone.status, 404, "{gone:?}");
    let latest = open_checkpoint(&checkpoint(&server, admin).await, &key).unwrap();
    assert_eq!(latest.size, kept["tree_size"].as_u64().unwrap());
    verify_inclusion(
        &hashes(&kept["inclusion_proof"]),
        kept["leaf_index"].as_u64().unwrap(),
        latest.size,
        leaf_hash(kept["leaf_data"].as_str().unwrap().as_bytes()),
        latest.root,
    )
    .expect("the kept proof still holds: the log cannot forget the entry");
    let refused = server
        .post("/v1/compliance", admin, &json!({"agent_id": agent}))
        .await;
    assert_eq!(refused.status, 500, "{refused:?}");
    let listed = server
        .get(&format!("/v1/compliance?agent_id={agent}"), admin)
        .await;
    assert_eq!(listed.body["total"], 0, "nothing was generated");
}

#[actix_rt::test]
async fn an_asset_answers_merkle_log_and_an_unknown_mechanism_is_refused() {
    let server = Server::start().await;
    let admin = server.admin();
    for mechanism in ["MERKLE_LOG", "SIMPLE_HASH"] {
        let created = server
            .post(
                "/archivist/v2/assets",
                admin,
                &json!({"behaviours": ["RecordEvidence"], "proof_mechanism": mechanism,
                        "attributes": {"arc_display_type": "Door"}}),
            )
            .await;
        assert_eq!(created.status, 200, "{created:?}");
        assert_eq!(created.body["proof_mechanism"], "MERKLE_LOG");
    }
    server
        .post(
            "/archivist/v2/assets",
            admin,
            &json!({"proof_mechanism": "KHIPU", "attributes": {"arc_display_type": "Door"}}),
        )
        .await
        .assert_error(400, 3, "proof_mechanism");
}
