//! DSSE v1 (<https://github.com/secure-systems-lab/dsse/blob/master/protocol.md>): the signature
//! covers the pre-authentication encoding of the payload type and the payload, never the JSON
//! around them; the envelope's JSON is `{payload, payloadType, signatures: [{keyid, sig}]}`, with
//! payload and sig in standard base64 (envelope.md).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::{AttestError, PublicKey, SecretKey, Statement, canonical};

/// The payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A signed envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The statement's RFC 8785 form, in base64.
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub keyid: String,
    /// ASN.1 DER ECDSA signature of the PAE, in base64.
    pub sig: String,
}

/// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    encoded.extend_from_slice(payload);
    encoded
}

impl Envelope {
    /// `statement`, canonical, signed by `key`.
    pub fn sign(statement: &Statement, key: &SecretKey) -> Result<Self, AttestError> {
        let payload = canonical(statement)?;
        let sig = key.sign(&pae(PAYLOAD_TYPE, &payload));
        Ok(Self {
            payload: STANDARD.encode(&payload),
            payload_type: PAYLOAD_TYPE.to_owned(),
            signatures: vec![Signature {
                keyid: key.public().key_id(),
                sig: STANDARD.encode(sig),
            }],
        })
    }

    /// The statement, once a signature by `key` verifies over it.
    pub fn verify(&self, key: &PublicKey) -> Result<Statement, AttestError> {
        if self.payload_type != PAYLOAD_TYPE {
            return Err(AttestError::Envelope(format!(
                "payloadType is {:?}, not {PAYLOAD_TYPE}",
                self.payload_type
            )));
        }
        let payload = STANDARD
            .decode(&self.payload)
            .map_err(|e| AttestError::Envelope(format!("payload: {e}")))?;
        let message = pae(&self.payload_type, &payload);
        let key_id = key.key_id();
        let verified = self.signatures.iter().any(|signature| {
            STANDARD
                .decode(&signature.sig)
                .is_ok_and(|sig| key.verify(&message, &sig).is_ok())
        });
        if !verified {
            return Err(AttestError::BadSignature(key_id));
        }
        statement(&payload)
    }

    /// The statement the envelope carries, its signature unchecked: for an envelope this
    /// program signed and kept (an auditor's copy is read through [`Envelope::verify`]).
    pub fn statement(&self) -> Result<Statement, AttestError> {
        let payload = STANDARD
            .decode(&self.payload)
            .map_err(|e| AttestError::Envelope(format!("payload: {e}")))?;
        statement(&payload)
    }
}

fn statement(payload: &[u8]) -> Result<Statement, AttestError> {
    serde_json::from_slice(payload).map_err(|e| AttestError::Envelope(format!("statement: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed expectation is a failed test

    use super::*;
    use crate::{PackagePredicate, Subject};

    fn statement() -> Statement {
        Statement::package(
            Subject::sha256("package.json", "aa".repeat(32)),
            Subject::sha256("package.pdf", "bb".repeat(32)),
            PackagePredicate {
                org_id: "o".into(),
                agent_id: "a".into(),
                package_id: "p".into(),
                version: 2,
                generated_at: "2026-04-10T17:00:00Z".into(),
                content_sha256: "cc".repeat(32),
                previous_sha256: "dd".repeat(32),
                controls_covered: vec!["CC6.1".into()],
                log_checkpoint: None,
            },
        )
    }

    fn key(seed: u8) -> SecretKey {
        SecretKey::from_random(&[seed; 32]).unwrap()
    }

    /// The DSSE protocol's own example: PAE("http://example.com/HelloWorld", "hello world").
    #[test]
    fn pae_is_the_protocols() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    /// The DSSE protocol's test key and its securesystemslib key id, signature and JWK, as
    /// pyca/cryptography computes them (DER: securesystemslib and in-toto verify DER only).
    #[test]
    fn the_protocols_test_key_signs_as_securesystemslib_expects() {
        let secret: [u8; 32] =
            hex::decode("d73ec437fd6346e3619c5ebfdfff0f6916804955ad32ac9ac492b0ede1f6ffb7")
                .unwrap()
                .try_into()
                .unwrap();
        let key = SecretKey::from_random(&secret).unwrap();
        let public = key.public();
        assert_eq!(
            public.key_id(),
            "2f9c4662c9410d724be73522fa0dd06be3e17ce4c9b055b2f196737557650ec2"
        );
        let sig = key.sign(&pae("http://example.com/HelloWorld", b"hello world"));
        assert_eq!(
            STANDARD.encode(sig),
            "MEQCIANyarEBrVbCdjtsaqyOSHJ14qeRk6CdxfhZ2fjvPEo7AiBR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="
        );
        let jwk = public.jwk();
        assert_eq!(jwk.x, "Z805D3eqNZywjCI19lInBJOp7YMrCrzAH3CVTAOQ0jg");
        assert_eq!(jwk.y, "DHgr1U4mkSWkT0Qzr_FDLOlOErynOqZ6yAzqEmCN33Q");
    }

    #[test]
    fn an_envelope_verifies_with_its_key_only_and_not_once_altered() {
        let envelope = Envelope::sign(&statement(), &key(7)).unwrap();
        assert_eq!(envelope.verify(&key(7).public()).unwrap(), statement());
        assert!(envelope.verify(&key(8).public()).is_err());
        let mut altered = envelope.clone();
        let mut other = statement();
        other.predicate.version = 3;
        altered.payload = STANDARD.encode(canonical(&other).unwrap());
        assert!(altered.verify(&key(7).public()).is_err());
        let mut retyped = envelope;
        retyped.payload_type = "application/json".into();
        assert!(retyped.verify(&key(7).public()).is_err());
    }

    #[test]
    fn the_same_statement_and_key_sign_to_the_same_envelope() {
        assert_eq!(
            Envelope::sign(&statement(), &key(7)).unwrap(),
            Envelope::sign(&statement(), &key(7)).unwrap()
        );
    }

    #[test]
    fn a_key_travels_as_pkcs8_pem_and_jwk() {
        let secret = key(9);
        let again = SecretKey::from_pkcs8_der(&secret.to_pkcs8_der().unwrap()).unwrap();
        assert_eq!(again.public(), secret.public());
        let public = secret.public();
        let pem = public.to_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        assert_eq!(PublicKey::from_pem(&pem).unwrap(), public);
        let jwk = public.jwk();
        assert_eq!(
            (jwk.kty.as_str(), jwk.crv.as_str(), jwk.x.len(), jwk.y.len()),
            ("EC", "P-256", 43, 43)
        );
        assert_eq!(jwk.kid, public.key_id());
        assert_eq!(public.key_id().len(), 64);
    }
}
