//! Signed attestations over HTTP: every generated package is attested in its generating
//! transaction; the envelope verifies with the key `/v1/keys` publishes; its subjects are the
//! package's RFC 8785 JSON and its PDF as downloaded; keys are the org's own, sealed at rest,
//! and rotate with the old ones still published.

use compliance_attest::{Envelope, PREDICATE_TYPE, PublicKey, STATEMENT_TYPE, canonical, digest};
use compliance_store::Role;
use compliance_store::signing::{self, KeySeal};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};

use crate::support::*;

async fn package(server: &Server, token: &str, name: &str) -> Value {
    let agent = server
        .post("/v1/agents", token, &json!({"name": name}))
        .await;
    let agent = agent.body["id"].as_str().unwrap().to_owned();
    let entry = json!({"agent_id": agent, "action_type": "connector.called", "connector": "jira",
                       "policy_verdict": "PERMIT", "status": "success", "metadata": {"risk": 0.5}});
    assert_eq!(server.post("/v1/audit", token, &entry).await.status, 201);
    let generated = server
        .post("/v1/compliance", token, &json!({"agent_id": agent}))
        .await;
    assert_eq!(generated.status, 201, "{generated:?}");
    generated.body
}

/// The package's envelope, as an admin of acme reads it.
async fn envelope_of(server: &Server, id: &str) -> Envelope {
    let reply = server
        .get(&format!("/v1/compliance/{id}/attestation"), server.admin())
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    serde_json::from_value(reply.body).unwrap()
}

fn key_of(keys: &Value, key_id: &str) -> PublicKey {
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == key_id)
        .unwrap_or_else(|| panic!("no key {key_id} in {keys}"));
    assert_eq!(key["scheme"], "ecdsa-sha2-nistp256");
    PublicKey::from_pem(key["pem"].as_str().unwrap()).unwrap()
}

#[actix_rt::test]
async fn a_generated_package_is_attested_and_verifies_with_the_published_key() {
    let server = Server::start().await;
    let viewer = &server.acme[&Role::Viewer];
    let generated = package(&server, server.admin(), "attested").await;
    let id = generated["id"].as_str().unwrap();
    let envelope = server
        .get(&format!("/v1/compliance/{id}/attestation"), viewer)
        .await;
    assert_eq!(envelope.status, 200, "{envelope:?}");
    assert_eq!(envelope.body["payloadType"], "application/vnd.in-toto+json");
    let envelope: Envelope = serde_json::from_value(envelope.body).unwrap();
    let keys = server.get("/v1/keys", viewer).await.body;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1, "{keys}");
    let key = key_of(&keys, &envelope.signatures[0].keyid);
    assert_eq!(key.key_id(), envelope.signatures[0].keyid);
    let statement = envelope.verify(&key).unwrap();
    assert_eq!(statement.statement_type, STATEMENT_TYPE);
    assert_eq!(statement.predicate_type, PREDICATE_TYPE);
    // The JSON subject: the package as GET /v1/compliance/{id} answers it, less its chain
    // status, in RFC 8785 form.
    let mut read = server
        .get(&format!("/v1/compliance/{id}"), viewer)
        .await
        .body;
    read.as_object_mut().unwrap().remove("chain");
    assert_eq!(read, generated);
    assert_eq!(
        statement.subject[0].sha256_digest(),
        Some(digest(&canonical(&read).unwrap()).as_str())
    );
    // The PDF subject: the bytes every download serves.
    let pdf = server
        .raw_bytes(
            "GET",
            &format!("/v1/compliance/{id}/pdf"),
            &format!("Bearer {viewer}"),
        )
        .await;
    assert_eq!(
        statement.subject[1].sha256_digest(),
        Some(digest(&pdf).as_str())
    );
    assert!(statement.subject[1].name.ends_with(&format!("{id}.pdf")));
    let predicate = &statement.predicate;
    assert_eq!(predicate.package_id, id);
    assert_eq!(predicate.version, 1);
    assert_eq!(predicate.content_sha256, generated["content_sha256"]);
    assert_eq!(predicate.previous_sha256, "");
    assert_eq!(predicate.generated_at, generated["generated_at"]);
    // Every framework's covered ids: SOC 2's, then each crosswalk's.
    let mut covered = generated["control_mappings"]["controls_covered"]
        .as_array()
        .unwrap()
        .clone();
    for crosswalk in generated["crosswalks"].as_array().unwrap() {
        covered.extend(crosswalk["controls_covered"].as_array().unwrap().clone());
    }
    assert_eq!(json!(predicate.controls_covered), json!(covered));
    // Tampering with what it names shows.
    let mut altered = read.clone();
    altered["version"] = json!(2);
    assert_ne!(
        statement.subject[0].sha256_digest(),
        Some(digest(&canonical(&altered).unwrap()).as_str())
    );
}

#[actix_rt::test]
async fn keys_are_the_orgs_own_and_another_orgs_attestation_is_404() {
    let server = Server::start().await;
    let acme = package(&server, server.admin(), "acme-attested").await;
    let globex_admin = &server.globex[&Role::Admin];
    package(&server, globex_admin, "globex-attested").await;
    let acme_keys = server.get("/v1/keys", server.admin()).await.body;
    let globex_keys = server.get("/v1/keys", globex_admin).await.body;
    assert_ne!(
        acme_keys["keys"][0]["key_id"],
        globex_keys["keys"][0]["key_id"]
    );
    let id = acme["id"].as_str().unwrap();
    server
        .get(&format!("/v1/compliance/{id}/attestation"), globex_admin)
        .await
        .assert_error(404, 5, "compliance package not found");
    // An acme envelope does not verify with globex's key.
    let envelope = envelope_of(&server, id).await;
    let globex_key = PublicKey::from_pem(globex_keys["keys"][0]["pem"].as_str().unwrap()).unwrap();
    assert!(envelope.verify(&globex_key).is_err());
}

#[actix_rt::test]
async fn a_private_key_is_stored_sealed_and_opens_under_the_servers_key_only() {
    let server = Server::start().await;
    package(&server, server.admin(), "sealed").await;
    let org = server
        .db
        .store
        .ensure_organization("acme")
        .await
        .unwrap()
        .id;
    // What a reader of the database sees: no PKCS#8 structure, only the sealed bytes.
    let mut owner = AsyncPgConnection::establish(&server.db.url).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Sealed {
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        sealed_private_key: Vec<u8>,
    }
    let rows: Vec<Sealed> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT sealed_private_key FROM signing_keys"),
        &mut owner,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "acme's key alone: globex made none yet");
    // PKCS#8 of a P-256 key holds the curve's OID 1.2.840.10045.3.1.7 in clear.
    let oid = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    for row in &rows {
        assert!(!row.sealed_private_key.windows(oid.len()).any(|w| w == oid));
    }
    // Under another server key the signing key does not open: it is refused, never used.
    let opened = server
        .db
        .store
        .transact(org, async |conn| {
            signing::active(conn, &KeySeal::new(&[9; 32])).await
        })
        .await;
    assert!(opened.is_err(), "{opened:?}");
    // Nor does the table let anyone change a key but to retire it.
    let changed = owner
        .batch_execute("UPDATE signing_keys SET public_key = '\\x00'")
        .await;
    assert!(changed.is_err(), "{changed:?}");
}

#[actix_rt::test]
async fn a_rotated_key_stays_published_and_old_attestations_still_verify() {
    let server = Server::start().await;
    let first = package(&server, server.admin(), "rotating").await;
    // Only an admin rotates; an auditor who may generate packages may not.
    server
        .post("/v1/keys/rotate", &server.acme[&Role::Auditor], &json!({}))
        .await
        .assert_error(403, 7, "the auditor role may not do this");
    let rotated = server
        .post("/v1/keys/rotate", server.admin(), &json!({}))
        .await;
    assert_eq!(rotated.status, 201, "{rotated:?}");
    assert!(rotated.body["retired_at"].is_null(), "{rotated:?}");
    let agent = first["agent_id"].as_str().unwrap();
    let second = server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": agent}),
        )
        .await
        .body;
    let keys = server.get("/v1/keys", server.admin()).await.body;
    let listed = keys["keys"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{keys}");
    assert!(
        listed[0]["retired_at"].is_null(),
        "the signing key first: {keys}"
    );
    assert!(listed[1]["retired_at"].is_string(), "{keys}");
    assert_eq!(listed[0]["key_id"], rotated.body["key_id"]);
    // A retried rotation (same Idempotency-Key, no body) answers the first and rotates nothing.
    let admin = format!("Bearer {}", server.admin());
    let headers = [
        ("Authorization", admin.as_str()),
        ("Idempotency-Key", "rotate-1"),
    ];
    let once = server
        .raw("POST", "/v1/keys/rotate", &headers, Vec::new())
        .await;
    assert_eq!(once.status, 201, "{once:?}");
    let again = server
        .raw("POST", "/v1/keys/rotate", &headers, Vec::new())
        .await;
    assert_eq!(again.body, once.body);
    let keys = server.get("/v1/keys", server.admin()).await.body;
    let listed = keys["keys"].as_array().unwrap();
    assert_eq!(listed.len(), 3, "{keys}");
    assert_eq!(listed[0]["key_id"], once.body["key_id"]);
    // Signing first, then the retired ones newest first: the second version's, then the first's.
    for (package, key) in [(&first, &listed[2]), (&second, &listed[1])] {
        let id = package["id"].as_str().unwrap();
        let envelope = envelope_of(&server, id).await;
        assert_eq!(envelope.signatures[0].keyid, key["key_id"]);
        let statement = envelope
            .verify(&key_of(&keys, key["key_id"].as_str().unwrap()))
            .unwrap();
        assert_eq!(statement.predicate.package_id, id);
    }
    // The second version names the first: the chain, as the attestations tell it.
    let envelope = envelope_of(&server, second["id"].as_str().unwrap()).await;
    let statement = envelope
        .verify(&key_of(&keys, &envelope.signatures[0].keyid))
        .unwrap();
    assert_eq!(statement.predicate.previous_sha256, first["content_sha256"]);
}
