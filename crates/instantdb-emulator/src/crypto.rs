//! The few cryptographic helpers the emulator needs, on `ring`: hashes of stored secrets,
//! random secrets, and the Ed25519 key that signs webhook deliveries.

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use crate::store::StoredSigningKey;

/// SHA-256 of `bytes`, lower-case hex: how secrets (client secrets, codes, CLI-login secrets)
/// are stored, so a data directory never holds them in the clear.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `n` random bytes from the OS, as hex (`crypt-util/random-hex`).
pub(crate) fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The OS generator only fails on a broken system; a v4 UUID's bytes (also OS randomness
    // through getrandom) are the fallback rather than a panic.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        for chunk in bytes.chunks_mut(16) {
            let random = uuid::Uuid::new_v4();
            chunk.copy_from_slice(&random.as_bytes()[..chunk.len()]);
        }
    }
    hex(&bytes)
}

/// Constant-time equality of two byte strings (codes' redirect URIs, PKCE).
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// base64url without padding (JWKS coordinates, JWT parts).
pub(crate) fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The Ed25519 key that signs webhook deliveries (`Instant-Signature`) and payload tokens.
pub(crate) struct SigningKey {
    pub(crate) kid: String,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The stored key, or a new one (returned for storing) when there is none or it does not
    /// parse.
    pub(crate) fn load_or_generate(
        stored: Option<&StoredSigningKey>,
    ) -> Result<(SigningKey, Option<StoredSigningKey>), String> {
        if let Some(stored) = stored {
            let parsed = base64::engine::general_purpose::STANDARD
                .decode(&stored.pkcs8)
                .ok()
                .and_then(|der| Ed25519KeyPair::from_pkcs8(&der).ok());
            if let Some(pair) = parsed {
                let key = SigningKey {
                    kid: stored.kid.clone(),
                    pair,
                };
                return Ok((key, None));
            }
            tracing::warn!("the stored webhook signing key is unreadable; making a new one");
        }
        let rng = SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| "the OS random generator failed".to_owned())?;
        let pair = Ed25519KeyPair::from_pkcs8(der.as_ref())
            .map_err(|_| "a generated Ed25519 key did not parse".to_owned())?;
        let mut id = [0u8; 4];
        rng.fill(&mut id)
            .map_err(|_| "the OS random generator failed".to_owned())?;
        // Tink key ids are positive 31-bit numbers in practice.
        let kid = (u32::from_be_bytes(id) >> 1).to_string();
        let stored = StoredSigningKey {
            kid: kid.clone(),
            pkcs8: base64::engine::general_purpose::STANDARD.encode(der.as_ref()),
        };
        Ok((SigningKey { kid, pair }, Some(stored)))
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    /// Whether `signature` is this key's signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.pair.public_key().as_ref())
            .verify(message, signature)
            .is_ok()
    }

    /// The JWK Set served at `/.well-known/webhooks/jwks.json` (`crypt/ed25519-public-jwks`).
    pub(crate) fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": self.kid,
                "x": base64url(self.pair.public_key().as_ref()),
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_hex_has_the_asked_length_and_varies() {
        assert_eq!(random_hex(34).len(), 68);
        assert_ne!(random_hex(16), random_hex(16));
        assert!(constant_eq(b"abc", b"abc"));
        assert!(!constant_eq(b"abc", b"abd"));
        assert!(!constant_eq(b"abc", b"ab"));
    }

    #[test]
    fn signing_keys_sign_verify_and_reload() {
        let (key, stored) = SigningKey::load_or_generate(None).unwrap();
        let stored = stored.unwrap();
        let signature = key.sign(b"1.{}");
        assert!(key.verify(b"1.{}", &signature));
        assert!(!key.verify(b"2.{}", &signature));
        let (again, fresh) = SigningKey::load_or_generate(Some(&stored)).unwrap();
        assert!(fresh.is_none());
        assert_eq!(again.kid, key.kid);
        assert!(again.verify(b"1.{}", &signature));
        assert!(!format!("{key:?}").contains(&stored.pkcs8));
    }
}
