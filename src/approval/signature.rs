//! A signature as it travels in a trailer: a scheme word and the base64 of the raw signature
//! (the SSHSIG blob for ssh, the binary OpenPGP signature packet for openpgp), so that it fits
//! on one line. The ASCII armour the tools want is rebuilt when verifying.

use std::fmt;

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use sha2::Digest as _;

/// The namespace every countersign SSH signature is made in, so that an approval can't be
/// replayed as a commit (`git`) or file (`file`) signature, nor the other way round.
pub const SSH_NAMESPACE: &str = "countersign";

const SSH_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const SSH_END: &str = "-----END SSH SIGNATURE-----";
const PGP_BEGIN: &str = "-----BEGIN PGP SIGNATURE-----";
const PGP_END: &str = "-----END PGP SIGNATURE-----";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Ssh,
    OpenPgp,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ssh => "ssh",
            Scheme::OpenPgp => "openpgp",
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    pub scheme: Scheme,
    pub blob: Vec<u8>,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Signature({}, {} bytes)",
            self.scheme.as_str(),
            self.blob.len()
        )
    }
}

/// What an SSH signature says about itself, before any cryptography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSigInfo {
    /// The signing key's type (`ssh-ed25519`, `sk-ssh-ed25519@openssh.com`, `ssh-rsa`…).
    pub key_type: String,
    pub namespace: String,
    /// The key's fingerprint as ssh-keygen prints it (`SHA256:…`).
    pub fingerprint: String,
}

impl Signature {
    /// The trailer value: `ssh <base64>` or `openpgp <base64>`.
    pub fn to_value(&self) -> String {
        format!("{} {}", self.scheme.as_str(), STANDARD.encode(&self.blob))
    }

    /// Parses a trailer value; whitespace inside the base64 (left by unfolding a folded
    /// trailer) is ignored, anything else that is not canonical base64 is refused.
    pub fn parse_value(value: &str) -> Result<Signature> {
        let (scheme, rest) = value
            .split_once(' ')
            .ok_or_else(|| anyhow!("expected '<scheme> <base64>'"))?;
        let scheme = match scheme {
            "ssh" => Scheme::Ssh,
            "openpgp" => Scheme::OpenPgp,
            other => bail!("unknown signature scheme '{other}' (expected ssh or openpgp)"),
        };
        let b64: String = rest.split_ascii_whitespace().collect();
        let blob = STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| anyhow!("signature is not valid base64: {e}"))?;
        let sig = Signature { scheme, blob };
        if scheme == Scheme::Ssh {
            sig.ssh_info()?;
        }
        Ok(sig)
    }

    /// Reads `ssh-keygen -Y sign` output.
    pub fn from_ssh_armor(text: &str) -> Result<Signature> {
        let blob = dearmor(text, SSH_BEGIN, SSH_END).context("reading the SSH signature")?;
        let sig = Signature {
            scheme: Scheme::Ssh,
            blob,
        };
        sig.ssh_info()?;
        Ok(sig)
    }

    /// Reads `gpg --detach-sign --armor` output (armour headers and checksum are dropped: the
    /// packet itself is what is kept).
    pub fn from_pgp_armor(text: &str) -> Result<Signature> {
        let blob = dearmor(text, PGP_BEGIN, PGP_END).context("reading the OpenPGP signature")?;
        Ok(Signature {
            scheme: Scheme::OpenPgp,
            blob,
        })
    }

    /// The armour `ssh-keygen -Y verify` reads, 70 columns as ssh-keygen writes it.
    pub fn to_ssh_armor(&self) -> String {
        let b64 = STANDARD.encode(&self.blob);
        let mut out = format!("{SSH_BEGIN}\n");
        for chunk in b64.as_bytes().chunks(70) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str(SSH_END);
        out.push('\n');
        out
    }

    /// Parses the SSHSIG envelope: magic, version, public key, namespace. Errors name what is
    /// wrong, so a garbled or foreign signature is reported precisely.
    pub fn ssh_info(&self) -> Result<SshSigInfo> {
        let mut r = Reader(&self.blob);
        if r.take(6) != Some(b"SSHSIG".as_slice()) {
            bail!("not an SSH signature (no SSHSIG magic)");
        }
        let version = r.u32().ok_or_else(|| anyhow!("truncated SSH signature"))?;
        if version != 1 {
            bail!("unsupported SSH signature version {version}");
        }
        let key = r
            .string()
            .ok_or_else(|| anyhow!("truncated SSH signature"))?;
        let namespace = r
            .string()
            .ok_or_else(|| anyhow!("truncated SSH signature"))?;
        let key_type = Reader(key)
            .string()
            .ok_or_else(|| anyhow!("malformed public key in SSH signature"))?;
        for _ in 0..3 {
            // reserved, hash algorithm, signature
            r.string()
                .ok_or_else(|| anyhow!("truncated SSH signature"))?;
        }
        if !r.0.is_empty() {
            bail!("trailing bytes after the SSH signature");
        }
        let fingerprint = format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(sha2::Sha256::digest(key))
        );
        Ok(SshSigInfo {
            key_type: String::from_utf8_lossy(key_type).into_owned(),
            namespace: String::from_utf8_lossy(namespace).into_owned(),
            fingerprint,
        })
    }
}

/// Whether an SSH key type lives on a FIDO authenticator (and so needs a touch to sign).
pub fn is_hardware_key_type(key_type: &str) -> bool {
    key_type.starts_with("sk-")
}

/// The base64 between an armour's BEGIN and END lines, decoded. Lines with a colon before the
/// first blank line are armour headers; a line starting with `=` is the OpenPGP checksum.
fn dearmor(text: &str, begin: &str, end: &str) -> Result<Vec<u8>> {
    let start = text
        .find(begin)
        .ok_or_else(|| anyhow!("no '{begin}' line"))?;
    let body = &text[start + begin.len()..];
    let stop = body.find(end).ok_or_else(|| anyhow!("no '{end}' line"))?;
    let mut b64 = String::new();
    for line in body[..stop].lines() {
        let line = line.trim();
        if line.is_empty() || line.contains(':') || line.starts_with('=') {
            continue;
        }
        b64.push_str(line);
    }
    STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| anyhow!("armoured signature is not valid base64: {e}"))
}

/// SSH wire format: big-endian u32 lengths before strings.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s);
    }

    /// A structurally valid SSHSIG blob (the signature itself is junk).
    pub fn fake_sshsig(namespace: &str) -> Vec<u8> {
        let mut key = Vec::new();
        ssh_string(&mut key, b"ssh-ed25519");
        ssh_string(&mut key, &[7u8; 32]);
        let mut out = b"SSHSIG".to_vec();
        out.extend_from_slice(&1u32.to_be_bytes());
        ssh_string(&mut out, &key);
        ssh_string(&mut out, namespace.as_bytes());
        ssh_string(&mut out, b"");
        ssh_string(&mut out, b"sha512");
        ssh_string(&mut out, &[9u8; 83]);
        out
    }

    #[test]
    fn value_round_trips_and_tolerates_folding() {
        let sig = Signature {
            scheme: Scheme::Ssh,
            blob: fake_sshsig("countersign"),
        };
        let v = sig.to_value();
        assert_eq!(Signature::parse_value(&v).unwrap(), sig);
        let folded = format!("{} {}", &v[..40], &v[40..]);
        assert_eq!(Signature::parse_value(&folded).unwrap(), sig);
        let info = sig.ssh_info().unwrap();
        assert_eq!(info.namespace, "countersign");
        assert_eq!(info.key_type, "ssh-ed25519");
        let armor = sig.to_ssh_armor();
        assert_eq!(Signature::from_ssh_armor(&armor).unwrap(), sig);
    }

    #[test]
    fn garbled_values_are_refused_with_a_reason() {
        let v = Signature {
            scheme: Scheme::Ssh,
            blob: fake_sshsig("countersign"),
        }
        .to_value();
        let garbled = v.replacen('A', "*", 1).replacen("ssh U1NI", "ssh U1N*", 1);
        let err = Signature::parse_value(&garbled).unwrap_err().to_string();
        assert!(err.contains("base64"), "{err}");
        let truncated = &v[..v.len() - 8];
        assert!(Signature::parse_value(truncated).is_err());
        assert!(Signature::parse_value("x509 AAAA").is_err());
        assert!(Signature::parse_value("ssh").is_err());
        let not_sshsig = format!("ssh {}", STANDARD.encode(b"hello world!"));
        assert!(Signature::parse_value(&not_sshsig)
            .unwrap_err()
            .to_string()
            .contains("magic"));
    }

    #[test]
    fn pgp_armor_headers_and_checksum_are_dropped() {
        let armor = "-----BEGIN PGP SIGNATURE-----\nComment: x\n\naGVsbG8=\n=abcd\n-----END PGP SIGNATURE-----\n";
        assert_eq!(Signature::from_pgp_armor(armor).unwrap().blob, b"hello");
    }
}
