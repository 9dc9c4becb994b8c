//! PKCE (RFC 7636) verifiers and S256 challenges, and the random `state` of a login.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use instantdb_http::Secret;
use ring::rand::{SecureRandom, SystemRandom};

use crate::Error;

/// Random bytes in a verifier: base64url of 48 bytes is 64 characters, the length upstream's
/// verifiers have, from the unreserved alphabet RFC 7636 §4.1 allows. Upstream draws each
/// character as `byte % 66`, which favours the first 58 characters; whole bytes encoded
/// base64url have no such bias.
const VERIFIER_BYTES: usize = 48;

/// Random bytes in a `state`: 256 bits, more than upstream's UUID (122 random bits).
const STATE_BYTES: usize = 32;

/// A new PKCE code verifier (64 characters of `A-Z a-z 0-9 - _`).
pub(crate) fn new_verifier() -> Result<Secret, Error> {
    random_token(VERIFIER_BYTES)
}

/// A new `state` value for an authorization request.
pub(crate) fn new_state() -> Result<Secret, Error> {
    random_token(STATE_BYTES)
}

/// The S256 challenge of a verifier: base64url, unpadded, of the SHA-256 of its ASCII bytes.
pub(crate) fn s256_challenge(verifier: &Secret) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.expose().as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn random_token(len: usize) -> Result<Secret, Error> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new().fill(&mut bytes).map_err(|_| {
        Error::io(
            "the operating system's random number generator failed",
            None,
        )
    })?;
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn rfc7636_appendix_b() {
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = URL_SAFE_NO_PAD.encode(octets);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            s256_challenge(&Secret::new(verifier)),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_unreserved_and_fresh() {
        let a = new_verifier().unwrap();
        let b = new_verifier().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{}",
            a.expose()
        );
        assert_eq!(new_state().unwrap().expose().len(), 43);
        let challenge = s256_challenge(&a);
        assert_eq!(challenge.len(), 43);
        assert_ne!(challenge, s256_challenge(&b));
    }
}
