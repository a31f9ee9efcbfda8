//! An org's signing key: ECDSA over NIST P-256 with SHA-256 (FIPS 186-5), by RustCrypto's p256.
//! Published as PEM (SubjectPublicKeyInfo, RFC 5280 and 7468) and as a JWK (RFC 7517/7518), and
//! named by its key id as securesystemslib names it (`compute_default_keyid`): the lower-case hex
//! SHA-256 of the OLPC canonical JSON of `{"keytype": "ecdsa", "keyval": {"public": <PEM>},
//! "scheme": "ecdsa-sha2-nistp256"}`, so `SSlibKey.from_crypto(...)` finds the same id.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use serde::{Deserialize, Serialize};

use crate::{AttestError, digest};

/// The signature scheme, as securesystemslib names it.
pub const SCHEME: &str = "ecdsa-sha2-nistp256";

/// A private key. Its bytes leave only as PKCS#8 DER, to be sealed before they are stored.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key: its public half names it.
        write!(f, "SecretKey({})", self.public().key_id())
    }
}

impl SecretKey {
    /// The key whose scalar is `secret` (32 random bytes); `None` in the negligible case that
    /// they are zero or not below the group order, when the caller draws again.
    pub fn from_random(secret: &[u8; 32]) -> Option<Self> {
        SigningKey::from_bytes(secret.into()).ok().map(Self)
    }

    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, AttestError> {
        SigningKey::from_pkcs8_der(der)
            .map(Self)
            .map_err(|e| AttestError::Key(e.to_string()))
    }

    /// PKCS#8 DER (RFC 5208), the form the store seals.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, AttestError> {
        self.0
            .to_pkcs8_der()
            .map(|document| document.as_bytes().to_vec())
            .map_err(|e| AttestError::Key(e.to_string()))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(*self.0.verifying_key())
    }

    /// The ASN.1 DER signature of `message` (the nonce by RFC 6979: the same message and key
    /// always sign alike).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.0.sign(message);
        signature.as_bytes().to_vec()
    }
}

/// A public key, as an auditor holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// A public key as a JSON Web Key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    /// `sig`. No `alg`: JWS's ES256 is raw r‖s, while these keys sign DSSE in DER.
    #[serde(rename = "use")]
    pub use_: String,
}

impl PublicKey {
    /// From PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo).
    pub fn from_pem(pem: &str) -> Result<Self, AttestError> {
        VerifyingKey::from_public_key_pem(pem.trim())
            .map(Self)
            .map_err(|e| AttestError::Key(e.to_string()))
    }

    pub fn from_spki_der(der: &[u8]) -> Result<Self, AttestError> {
        VerifyingKey::from_public_key_der(der)
            .map(Self)
            .map_err(|e| AttestError::Key(e.to_string()))
    }

    /// SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        // Encoding a valid point as SPKI cannot fail; were it to, the key would have no id.
        self.0
            .to_public_key_der()
            .map(|document| document.as_bytes().to_vec())
            .unwrap_or_default()
    }

    pub fn to_pem(&self) -> String {
        self.0.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// securesystemslib's key id (see the module's documentation). The PEM holds neither `"`
    /// nor `\\`, the only characters OLPC canonical JSON escapes, so it goes in as it is.
    pub fn key_id(&self) -> String {
        let key = format!(
            "{{\"keytype\":\"ecdsa\",\"keyval\":{{\"public\":\"{}\"}},\"scheme\":\"{SCHEME}\"}}",
            self.to_pem()
        );
        digest(key.as_bytes())
    }

    pub fn jwk(&self) -> Jwk {
        let point = self.0.to_encoded_point(false);
        let coordinate =
            |c: Option<&p256::FieldBytes>| c.map(|c| URL_SAFE_NO_PAD.encode(c)).unwrap_or_default();
        Jwk {
            kty: "EC".to_owned(),
            crv: "P-256".to_owned(),
            x: coordinate(point.x()),
            y: coordinate(point.y()),
            kid: self.key_id(),
            use_: "sig".to_owned(),
        }
    }

    /// Whether `signature` (ASN.1 DER) signs `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), AttestError> {
        let signature = DerSignature::try_from(signature)
            .map_err(|_| AttestError::BadSignature(self.key_id()))?;
        self.0
            .verify(message, &signature)
            .map_err(|_| AttestError::BadSignature(self.key_id()))
    }
}
