//! The few cryptographic helpers the emulator needs, on `ring`: hashes of stored secrets,
//! random secrets, and the Ed25519 key that signs webhook deliveries.

use ring::rand::{SecureRandom, SystemRandom};

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
}
