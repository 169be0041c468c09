//! SSHSIG signatures (OpenSSH's PROTOCOL.sshsig) by Ed25519 keys, plain and FIDO
//! (`sk-ssh-ed25519@openssh.com`), checked in process. A server hook judging a push of a
//! thousand countersigned commits otherwise spends nearly all its time starting two
//! `ssh-keygen -Y` processes per commit, past the 5 seconds a forge allows a pre-receive hook.
//!
//! The checks, and their order, are those of OpenSSH's sshsig.c (`sshsig_wrap_verify`) and
//! ssh-ed25519.c / ssh-ed25519-sk.c, so that what passes here is what `ssh-keygen -Y
//! check-novalidate` passes; where they differ, this side is the stricter (it refuses a
//! signature version other than 1, and, through `verify_strict`, non-canonical scalars and
//! small-order keys, which no honest signer makes). Any other key type, and any certificate,
//! is [`Crypto::Unsupported`]: the caller hands it to ssh-keygen.

use ed25519_dalek::{Signature as Ed25519Signature, VerifyingKey};
use sha2::{Digest as _, Sha256, Sha512};

use super::signature::{ssh_string, Reader, SshPublicKey};

const MAGIC: &[u8] = b"SSHSIG";
const ED25519: &str = "ssh-ed25519";
const SK_ED25519: &str = "sk-ssh-ed25519@openssh.com";

/// What the in-process check says of a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Crypto {
    /// Made by the key it carries, over this message, in this namespace.
    Valid,
    /// Not: the reason, in ssh-keygen's terms where it has one.
    Invalid(String),
    /// A key type (or a certificate) not checked here.
    Unsupported,
}

/// Whether `key` is one this module checks: a plain Ed25519 key, hardware-backed or not.
pub fn supports(key: &SshPublicKey) -> bool {
    key.certificate.is_none() && (key.key_type == ED25519 || key.key_type == SK_ED25519)
}

/// Checks the SSHSIG `blob` over `message` for `namespace`.
pub fn verify(blob: &[u8], namespace: &str, message: &[u8]) -> Crypto {
    let env = match Envelope::parse(blob) {
        Ok(Some(env)) => env,
        Ok(None) => return Crypto::Unsupported,
        Err(why) => return Crypto::Invalid(why),
    };
    if env.namespace != namespace.as_bytes() {
        return Crypto::Invalid("namespace does not match".into());
    }
    let h_message = match env.hash_alg {
        b"sha512" => Sha512::digest(message).to_vec(),
        b"sha256" => Sha256::digest(message).to_vec(),
        other => {
            return Crypto::Invalid(format!(
                "unsupported hash algorithm '{}'",
                String::from_utf8_lossy(other)
            ))
        }
    };
    // What was signed: the preamble again, with the reserved field empty whatever the
    // envelope carries (as sshsig.c rebuilds it), and the message's hash.
    let mut signed = MAGIC.to_vec();
    ssh_string(&mut signed, env.namespace);
    ssh_string(&mut signed, b"");
    ssh_string(&mut signed, env.hash_alg);
    ssh_string(&mut signed, &h_message);
    match env.key.key_type.as_str() {
        ED25519 => ed25519(&env.key.blob, env.sig, &signed),
        SK_ED25519 => sk_ed25519(&env.key.blob, env.sig, &signed),
        _ => Crypto::Unsupported,
    }
}

/// The SSHSIG envelope's fields, for a key this module checks (`None` otherwise).
struct Envelope<'a> {
    key: SshPublicKey,
    namespace: &'a [u8],
    hash_alg: &'a [u8],
    sig: &'a [u8],
}

impl<'a> Envelope<'a> {
    fn parse(blob: &'a [u8]) -> Result<Option<Envelope<'a>>, String> {
        let truncated = || "truncated SSH signature".to_string();
        let mut r = Reader(blob);
        if r.take(MAGIC.len()) != Some(MAGIC) {
            return Err("not an SSH signature (no SSHSIG magic)".into());
        }
        let version = r.u32().ok_or_else(truncated)?;
        if version != 1 {
            return Err(format!("unsupported SSH signature version {version}"));
        }
        let key = r.string().ok_or_else(truncated)?;
        let namespace = cstring(r.string().ok_or_else(truncated)?)?;
        r.string().ok_or_else(truncated)?; // reserved
        let hash_alg = cstring(r.string().ok_or_else(truncated)?)?;
        let sig = r.string().ok_or_else(truncated)?;
        if !r.0.is_empty() {
            return Err("signature contains trailing data".into());
        }
        let key = SshPublicKey::parse(key).map_err(|e| format!("{e:#}"))?;
        if !supports(&key) {
            return Ok(None);
        }
        Ok(Some(Envelope {
            key,
            namespace,
            hash_alg,
            sig,
        }))
    }
}

/// OpenSSH reads these fields as C strings: one with a NUL inside is malformed, not cut.
fn cstring(s: &[u8]) -> Result<&[u8], String> {
    if s.contains(&0) {
        Err("a signature field holds a NUL byte".into())
    } else {
        Ok(s)
    }
}

/// The 32-byte point of an Ed25519 key blob (`string type, string pk`, and for `sk-` keys
/// `string application` after it), with the application when there is one.
fn key_parts(blob: &[u8]) -> Option<([u8; 32], Option<&[u8]>)> {
    let mut r = Reader(blob);
    let key_type = r.string()?;
    let pk: [u8; 32] = r.string()?.try_into().ok()?;
    let application = if key_type == SK_ED25519.as_bytes() {
        Some(cstring(r.string()?).ok()?)
    } else {
        None
    };
    r.0.is_empty().then_some((pk, application))
}

/// `string "ssh-ed25519", string signature[64]` and nothing after it.
fn ed25519(key: &[u8], sig: &[u8], signed: &[u8]) -> Crypto {
    let mut r = Reader(sig);
    let Some(sig_type) = r.string() else {
        return Crypto::Invalid("malformed ed25519 signature".into());
    };
    if sig_type != ED25519.as_bytes() {
        return Crypto::Invalid(format!(
            "an {ED25519} key made a {} signature",
            String::from_utf8_lossy(sig_type)
        ));
    }
    let Some(raw) = r.string() else {
        return Crypto::Invalid("malformed ed25519 signature".into());
    };
    if !r.0.is_empty() {
        return Crypto::Invalid("trailing bytes after the ed25519 signature".into());
    }
    check(key, raw, signed)
}

/// `string "sk-ssh-ed25519@openssh.com", string signature[64], byte flags, uint32 counter`:
/// the authenticator signed SHA256(application) ‖ flags ‖ counter ‖ SHA256(message)
/// (PROTOCOL.u2f), so flags and counter can't be altered without breaking it.
fn sk_ed25519(key: &[u8], sig: &[u8], signed: &[u8]) -> Crypto {
    let malformed = || Crypto::Invalid("malformed security-key (sk-) signature".into());
    let mut r = Reader(sig);
    let Some(sig_type) = r.string() else {
        return malformed();
    };
    if sig_type != SK_ED25519.as_bytes() {
        return Crypto::Invalid(format!(
            "an {SK_ED25519} key made a {} signature",
            String::from_utf8_lossy(sig_type)
        ));
    }
    let (Some(raw), Some(flags), Some(counter)) = (r.string(), r.take(1), r.u32()) else {
        return malformed();
    };
    if !r.0.is_empty() {
        return Crypto::Invalid("trailing bytes after the security-key signature".into());
    }
    let Some((_, Some(application))) = key_parts(key) else {
        return Crypto::Invalid("malformed sk-ssh-ed25519 public key".into());
    };
    let mut data = Sha256::digest(application).to_vec();
    data.extend_from_slice(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data.extend_from_slice(&Sha256::digest(signed));
    check(key, raw, &data)
}

fn check(key: &[u8], raw: &[u8], data: &[u8]) -> Crypto {
    let Some((pk, _)) = key_parts(key) else {
        return Crypto::Invalid("malformed ed25519 public key".into());
    };
    let Ok(raw) = <[u8; 64]>::try_from(raw) else {
        return Crypto::Invalid(format!(
            "an ed25519 signature is 64 bytes, this one {}",
            raw.len()
        ));
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return Crypto::Invalid("the ed25519 public key is not a curve point".into());
    };
    match vk.verify_strict(data, &Ed25519Signature::from_bytes(&raw)) {
        Ok(()) => Crypto::Valid,
        Err(_) => Crypto::Invalid("incorrect signature".into()),
    }
}

#[cfg(test)]
#[path = "sshsig_tests.rs"]
mod tests;
