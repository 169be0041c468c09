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
    /// The signing key's type as the signature carries it (`ssh-ed25519`,
    /// `sk-ssh-ed25519@openssh.com`, `ssh-ed25519-cert-v01@openssh.com`…).
    pub key_type: String,
    pub namespace: String,
    /// The fingerprint of the underlying public key as ssh-keygen prints it (`SHA256:…`): for
    /// a certificate, of the key it certifies, so that two certificates for one private key
    /// are one key.
    pub fingerprint: String,
    /// The signing key as the signature carries it (a certificate stays a certificate).
    pub key: SshPublicKey,
    /// For `sk-` keys: what the authenticator said about the signing (presence, verification).
    pub sk: Option<SkSignature>,
}

/// Flag bits of a FIDO (`sk-`) signature, from PROTOCOL.u2f.
pub const SK_USER_PRESENCE: u8 = 0x01;
pub const SK_USER_VERIFICATION: u8 = 0x04;

/// What a FIDO authenticator adds to an `sk-` signature: its flags byte and its counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkSignature {
    pub flags: u8,
    pub counter: u32,
}

impl SkSignature {
    /// Someone touched the authenticator for this signature.
    pub fn user_present(self) -> bool {
        self.flags & SK_USER_PRESENCE != 0
    }

    /// The authenticator also checked a PIN or biometric.
    pub fn user_verified(self) -> bool {
        self.flags & SK_USER_VERIFICATION != 0
    }
}

/// An OpenSSH public key blob (wire format), plain or a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    /// The type the blob names (a `*-cert-v01@openssh.com` type for a certificate).
    pub key_type: String,
    /// The whole blob as given.
    pub blob: Vec<u8>,
    /// The plain key type: the key type itself, or the type a certificate certifies.
    pub plain_type: String,
    /// The plain key, re-encoded as its plain type for a certificate: what fingerprints and
    /// revocation lists name.
    pub plain_blob: Vec<u8>,
    pub certificate: Option<SshCertificate>,
}

/// The parts of an OpenSSH certificate that decide who it vouches for (PROTOCOL.certkeys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshCertificate {
    pub serial: u64,
    pub key_id: String,
    pub principals: Vec<String>,
    pub valid_after: u64,
    pub valid_before: u64,
    /// The CA's public key blob.
    pub ca_key: Vec<u8>,
}

const CERT_SUFFIX: &str = "-cert-v01@openssh.com";

/// How many wire strings (mpints count as strings) make up the public part of a plain key of
/// this type, after its type string; `None` for a type this parser does not know.
fn key_fields(plain_type: &str) -> Option<usize> {
    Some(match plain_type {
        "ssh-ed25519" => 1,
        "ssh-rsa" | "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521" => 2,
        "sk-ssh-ed25519@openssh.com" => 2,
        "sk-ecdsa-sha2-nistp256@openssh.com" => 3,
        "ssh-dss" => 4,
        _ => return None,
    })
}

/// The plain type a certificate type certifies: `ssh-ed25519-cert-v01@openssh.com` →
/// `ssh-ed25519`, `sk-ssh-ed25519-cert-v01@openssh.com` → `sk-ssh-ed25519@openssh.com`.
fn plain_type_of_cert(cert_type: &str) -> Option<String> {
    let base = cert_type.strip_suffix(CERT_SUFFIX)?;
    Some(if base.starts_with("sk-") {
        format!("{base}@openssh.com")
    } else {
        base.to_string()
    })
}

/// `SHA256:` and the unpadded base64 of the blob's SHA-256, as ssh-keygen prints it.
pub fn ssh_fingerprint(plain_blob: &[u8]) -> String {
    format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(sha2::Sha256::digest(plain_blob))
    )
}

pub(super) fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

impl SshPublicKey {
    /// Parses a public key blob; a certificate is taken apart so that its plain key, CA and
    /// principals are known. A plain key of a type not known here is kept whole.
    pub fn parse(blob: &[u8]) -> Result<SshPublicKey> {
        let truncated = || anyhow!("truncated or malformed SSH public key");
        let mut r = Reader(blob);
        let key_type = r.string().ok_or_else(truncated)?;
        let key_type = std::str::from_utf8(key_type)
            .map_err(|_| anyhow!("SSH key type is not text"))?
            .to_string();
        if key_type.is_empty() {
            bail!("SSH public key has an empty type");
        }
        let Some(plain_type) = plain_type_of_cert(&key_type) else {
            if let Some(n) = key_fields(&key_type) {
                for _ in 0..n {
                    r.string().ok_or_else(truncated)?;
                }
                if !r.0.is_empty() {
                    bail!("trailing bytes after the {key_type} public key");
                }
            }
            return Ok(SshPublicKey {
                plain_type: key_type.clone(),
                key_type,
                blob: blob.to_vec(),
                plain_blob: blob.to_vec(),
                certificate: None,
            });
        };
        let n = key_fields(&plain_type)
            .ok_or_else(|| anyhow!("unsupported SSH certificate type {key_type}"))?;
        r.string().ok_or_else(truncated)?; // nonce
        let mut plain_blob = Vec::new();
        ssh_string(&mut plain_blob, plain_type.as_bytes());
        for _ in 0..n {
            ssh_string(&mut plain_blob, r.string().ok_or_else(truncated)?);
        }
        let serial = r.u64().ok_or_else(truncated)?;
        r.u32().ok_or_else(truncated)?; // certificate type (user or host)
        let key_id = String::from_utf8_lossy(r.string().ok_or_else(truncated)?).into_owned();
        let mut packed = Reader(r.string().ok_or_else(truncated)?);
        let mut principals = Vec::new();
        while !packed.0.is_empty() {
            let p = packed.string().ok_or_else(truncated)?;
            principals.push(String::from_utf8_lossy(p).into_owned());
        }
        let valid_after = r.u64().ok_or_else(truncated)?;
        let valid_before = r.u64().ok_or_else(truncated)?;
        for _ in 0..3 {
            // critical options, extensions, reserved
            r.string().ok_or_else(truncated)?;
        }
        let ca_key = r.string().ok_or_else(truncated)?.to_vec();
        r.string().ok_or_else(truncated)?; // the CA's signature
        if !r.0.is_empty() {
            bail!("trailing bytes after the {key_type} certificate");
        }
        Ok(SshPublicKey {
            key_type,
            blob: blob.to_vec(),
            plain_type,
            plain_blob,
            certificate: Some(SshCertificate {
                serial,
                key_id,
                principals,
                valid_after,
                valid_before,
                ca_key,
            }),
        })
    }

    /// Parses the text form `<type> <base64> [comment]` (a `.pub` file's line).
    pub fn parse_text(line: &str) -> Result<SshPublicKey> {
        let mut parts = line.split_ascii_whitespace();
        let (Some(word), Some(b64)) = (parts.next(), parts.next()) else {
            bail!("expected '<key type> <base64 key>'");
        };
        let blob = STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| anyhow!("the {word} key is not valid base64"))?;
        let key = SshPublicKey::parse(&blob)?;
        if key.key_type != word {
            bail!(
                "the key says it is {} but the line says {word}",
                key.key_type
            );
        }
        Ok(key)
    }

    /// The underlying key's fingerprint (for a certificate, of the key it certifies).
    pub fn fingerprint(&self) -> String {
        ssh_fingerprint(&self.plain_blob)
    }

    /// The plain key in the one-line text form ssh-keygen reads.
    pub fn plain_text(&self) -> String {
        format!("{} {}", self.plain_type, STANDARD.encode(&self.plain_blob))
    }

    pub fn is_hardware(&self) -> bool {
        is_hardware_key_type(&self.plain_type)
    }
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

    /// Parses the SSHSIG envelope: magic, version, public key, namespace, and the signature
    /// blob's own framing (for `sk-` keys, the authenticator's flags and counter). Errors name
    /// what is wrong, so a garbled or foreign signature is reported precisely.
    pub fn ssh_info(&self) -> Result<SshSigInfo> {
        let truncated = || anyhow!("truncated SSH signature");
        let mut r = Reader(&self.blob);
        if r.take(6) != Some(b"SSHSIG".as_slice()) {
            bail!("not an SSH signature (no SSHSIG magic)");
        }
        let version = r.u32().ok_or_else(truncated)?;
        if version != 1 {
            bail!("unsupported SSH signature version {version}");
        }
        let key = r.string().ok_or_else(truncated)?;
        let namespace = r.string().ok_or_else(truncated)?;
        r.string().ok_or_else(truncated)?; // reserved
        r.string().ok_or_else(truncated)?; // hash algorithm
        let sig = r.string().ok_or_else(truncated)?;
        if !r.0.is_empty() {
            bail!("trailing bytes after the SSH signature");
        }
        let key = SshPublicKey::parse(key).context("the key in the SSH signature")?;
        let sk = if key.is_hardware() {
            Some(sk_signature(sig)?)
        } else {
            None
        };
        Ok(SshSigInfo {
            key_type: key.key_type.clone(),
            namespace: String::from_utf8_lossy(namespace).into_owned(),
            fingerprint: key.fingerprint(),
            key,
            sk,
        })
    }
}

/// The flags and counter after an `sk-` signature: `string type, string signature, byte
/// flags, uint32 counter` (PROTOCOL.u2f).
fn sk_signature(sig: &[u8]) -> Result<SkSignature> {
    let malformed = || anyhow!("malformed security-key (sk-) signature");
    let mut r = Reader(sig);
    let sig_type = r.string().ok_or_else(malformed)?;
    if !sig_type.starts_with(b"sk-") {
        bail!(
            "a security-key (sk-) key made a {} signature",
            String::from_utf8_lossy(sig_type)
        );
    }
    r.string().ok_or_else(malformed)?;
    let flags = r.take(1).ok_or_else(malformed)?[0];
    let counter = r.u32().ok_or_else(malformed)?;
    if !r.0.is_empty() {
        bail!("trailing bytes after the security-key signature");
    }
    Ok(SkSignature { flags, counter })
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
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(super) fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_be_bytes(a))
    }

    pub(super) fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

#[cfg(test)]
#[path = "signature_tests.rs"]
pub(crate) mod tests;
