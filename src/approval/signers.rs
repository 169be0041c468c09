//! The trusted lists of who may countersign, parsed strictly: an SSH allowed-signers file (the
//! ALLOWED SIGNERS format of ssh-keygen(1)), SSH revocation lists (a KRL or a list of public
//! keys, as git's `gpg.ssh.revocationFile`), and the OpenPGP signers list
//! (`PRINCIPAL FINGERPRINT` lines, `revoked FINGERPRINT` lines).
//!
//! Every line is parsed up front and a line that cannot be parsed is an error naming the file
//! and the line: ssh-keygen itself stops at the first line that matches, so a broken line after
//! it would otherwise go unnoticed until the day it mattered, and a skipped line in a list of
//! revocations is a revocation that silently does not happen.

use anyhow::{anyhow, bail, Result};

use super::signature::{ssh_fingerprint, SshPublicKey};

/// A signer list's bytes and where they came from (`<ref>:<path>`, or a path given on the
/// command line), for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedFile {
    pub origin: String,
    pub bytes: Vec<u8>,
}

impl TrustedFile {
    pub fn new(origin: impl Into<String>, bytes: impl Into<Vec<u8>>) -> TrustedFile {
        TrustedFile {
            origin: origin.into(),
            bytes: bytes.into(),
        }
    }

    fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.bytes).map_err(|e| anyhow!("{} is not UTF-8: {e}", self.origin))
    }
}

/// A principal that is a pattern (`*`, `?`) or a negation (`!`) rather than a name.
pub fn is_pattern(principal: &str) -> bool {
    principal.contains(['*', '?']) || principal.starts_with('!')
}

/// OpenSSH's `match_pattern`: `*` any run, `?` any one character; here case-insensitive, as
/// email addresses are compared.
fn wildmatch(pattern: &[u8], s: &[u8]) -> bool {
    match pattern.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| wildmatch(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && wildmatch(rest, &s[1..]),
        Some((c, rest)) => s
            .split_first()
            .is_some_and(|(d, tail)| c.eq_ignore_ascii_case(d) && wildmatch(rest, tail)),
    }
}

/// OpenSSH's `match_pattern_list`: a negated pattern that matches wins, else any pattern.
pub fn pattern_list_matches(patterns: &[String], s: &str) -> bool {
    let mut hit = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(neg) if wildmatch(neg.as_bytes(), s.as_bytes()) => return false,
            Some(_) => {}
            None => hit |= wildmatch(p.as_bytes(), s.as_bytes()),
        }
    }
    hit
}

/// A `valid-after`/`valid-before` value: as written, and in seconds since the epoch (read as
/// UTC; ssh-keygen reads a value without `Z` as local time, so the seconds only pick the
/// message, ssh-keygen decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTime {
    pub text: String,
    pub secs: i64,
}

/// One key line of an allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedLine {
    /// 1-based line number in the file.
    pub number: usize,
    /// The line as written, for handing exactly this line to ssh-keygen.
    pub text: String,
    /// The principals field split at commas (names or patterns).
    pub principals: Vec<String>,
    pub cert_authority: bool,
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<LineTime>,
    pub valid_before: Option<LineTime>,
    pub key: SshPublicKey,
}

impl AllowedLine {
    /// The principal as written when it names `email` literally (case-insensitive).
    pub fn literal(&self, email: &str) -> Option<&str> {
        self.principals
            .iter()
            .find(|p| !is_pattern(p) && p.eq_ignore_ascii_case(email))
            .map(String::as_str)
    }

    /// The first positive pattern of the line that matches `email`.
    pub fn pattern_for(&self, email: &str) -> Option<&str> {
        self.principals
            .iter()
            .filter(|p| is_pattern(p) && !p.starts_with('!'))
            .find(|p| wildmatch(p.as_bytes(), email.as_bytes()))
            .map(String::as_str)
    }

    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .as_ref()
            .is_none_or(|n| pattern_list_matches(n, namespace))
    }
}

/// A parsed allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigners {
    pub origin: String,
    pub lines: Vec<AllowedLine>,
}

/// Which lines of the file may vouch for a signature, and the principal to ask ssh-keygen for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch<'a> {
    pub principal: String,
    pub lines: Vec<&'a AllowedLine>,
}

impl AllowedSigners {
    pub fn parse(file: &TrustedFile) -> Result<AllowedSigners> {
        let text = file.text()?;
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parsed = parse_allowed_line(i + 1, line)
                .map_err(|e| anyhow!("{} line {}: {e:#}", file.origin, i + 1))?;
            lines.push(parsed);
        }
        Ok(AllowedSigners {
            origin: file.origin.clone(),
            lines,
        })
    }

    /// The lines that may vouch for `key` signing as `email`, or why none may. A plain key
    /// must be listed with `email` literally: a principal pattern would let any holder of the
    /// key sign as anyone it matches, the author included. A certificate must name `email`
    /// exactly among its own principals, and its CA must be a `cert-authority` line whose
    /// principals match `email` (there, a pattern is the point: the CA names the person).
    pub fn lines_for(&self, key: &SshPublicKey, email: &str) -> Result<LineMatch<'_>, String> {
        let fp = key.fingerprint();
        let Some(cert) = &key.certificate else {
            let listed: Vec<&AllowedLine> = self
                .lines
                .iter()
                .filter(|l| !l.cert_authority && l.key.blob == key.blob)
                .collect();
            if listed.is_empty() {
                return Err(format!(
                    "key {fp} is not in the allowed signers file ({})",
                    self.origin
                ));
            }
            let literal: Vec<&AllowedLine> = listed
                .iter()
                .copied()
                .filter(|l| l.literal(email).is_some())
                .collect();
            if let Some(principal) = literal.first().and_then(|l| l.literal(email)) {
                let principal = principal.to_string();
                let lines = literal
                    .into_iter()
                    .filter(|l| l.literal(email) == Some(principal.as_str()))
                    .collect();
                return Ok(LineMatch { principal, lines });
            }
            if let Some((line, pattern)) = listed
                .iter()
                .find_map(|l| l.pattern_for(email).map(|p| (l, p)))
            {
                return Err(format!(
                    "allowed_signers line {} uses a principal pattern ('{pattern}'): list each \
                     signer by name ({})",
                    line.number, self.origin
                ));
            }
            let names: Vec<&str> = listed
                .iter()
                .flat_map(|l| l.principals.iter().map(String::as_str))
                .collect();
            return Err(format!(
                "key {fp} is allowed for {}, not for {email}",
                names.join(", ")
            ));
        };
        let ca_fp = ssh_fingerprint(&cert.ca_key);
        let cas: Vec<&AllowedLine> = self
            .lines
            .iter()
            .filter(|l| l.cert_authority && l.key.blob == cert.ca_key)
            .collect();
        if cas.is_empty() {
            return Err(format!(
                "certificate '{}' for key {fp} is signed by CA {ca_fp}, which is not a \
                 cert-authority line in the allowed signers file ({})",
                cert.key_id, self.origin
            ));
        }
        if !cert.principals.iter().any(|p| p == email) {
            return Err(format!(
                "certificate '{}' for key {fp} is for {}, not for {email} (a certificate's \
                 principal must equal the claimed email exactly)",
                cert.key_id,
                if cert.principals.is_empty() {
                    "no principal".to_string()
                } else {
                    cert.principals.join(", ")
                }
            ));
        }
        let lines: Vec<&AllowedLine> = cas
            .iter()
            .copied()
            .filter(|l| pattern_list_matches(&l.principals, email))
            .collect();
        if lines.is_empty() {
            let names: Vec<String> = cas
                .iter()
                .map(|l| format!("line {}: {}", l.number, l.principals.join(",")))
                .collect();
            return Err(format!(
                "CA {ca_fp} may vouch only for {}, not for {email}",
                names.join("; ")
            ));
        }
        Ok(LineMatch {
            principal: email.to_string(),
            lines,
        })
    }
}

/// Splits off the next field: a `"…"` quoted field, or up to whitespace, where quotes inside
/// (an option's value) may hold spaces and `\"`.
fn next_field(s: &str) -> Result<(&str, &str)> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        let end = rest
            .find('"')
            .ok_or_else(|| anyhow!("unterminated quoted principals"))?;
        return Ok((&rest[..end], &rest[end + 1..]));
    }
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c.is_ascii_whitespace() && !quoted => return Ok((&s[..i], &s[i..])),
            _ => {}
        }
    }
    if quoted {
        bail!("unterminated quote");
    }
    Ok((s, ""))
}

fn parse_allowed_line(number: usize, line: &str) -> Result<AllowedLine> {
    if line.starts_with('@') {
        bail!(
            "'{}' is known_hosts syntax; in an allowed-signers file a CA is \
             '<principals> cert-authority <key>'",
            line.split_ascii_whitespace().next().unwrap_or(line)
        );
    }
    let (principals, rest) = next_field(line)?;
    let principals: Vec<String> = principals.split(',').map(str::to_string).collect();
    if principals.iter().any(String::is_empty) {
        bail!("empty principal");
    }
    let rest = rest.trim_start();
    if rest.is_empty() {
        bail!("no key after the principals");
    }
    // ssh-keygen's order: a key right after the principals, else options and then the key.
    let (options, key) = match SshPublicKey::parse_text(rest) {
        Ok(key) => ("", key),
        Err(direct) => {
            let (options, key_text) = next_field(rest)?;
            match SshPublicKey::parse_text(key_text.trim_start()) {
                Ok(key) => (options, key),
                // Neither reading works: the first one's reason is the likelier story.
                Err(_) => bail!("not a public key: {direct:#}"),
            }
        }
    };
    let mut out = AllowedLine {
        number,
        text: line.to_string(),
        principals,
        cert_authority: false,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key,
    };
    for option in split_options(options)? {
        let (name, value) = match option.split_once('=') {
            Some((n, v)) => (n, Some(dequote(v)?)),
            None => (option, None),
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("cert-authority", None) => out.cert_authority = true,
            ("namespaces", Some(v)) => {
                out.namespaces = Some(v.split(',').map(str::to_string).collect());
            }
            ("valid-after", Some(v)) => out.valid_after = Some(line_time(&v)?),
            ("valid-before", Some(v)) => out.valid_before = Some(line_time(&v)?),
            _ => bail!("unknown or malformed option '{option}'"),
        }
    }
    if out.cert_authority && out.key.certificate.is_some() {
        bail!("a cert-authority line must hold the CA's plain key, not a certificate");
    }
    Ok(out)
}

/// Comma-separated options, commas inside quotes kept.
fn split_options(s: &str) -> Result<Vec<&str>> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    if out.iter().any(|o| o.is_empty()) {
        bail!("empty option in '{s}'");
    }
    Ok(out)
}

/// An option value must be quoted, as ssh-keygen requires.
fn dequote(v: &str) -> Result<String> {
    let inner = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(|| anyhow!("option value {v} must be in double quotes"))?;
    Ok(inner.replace("\\\"", "\""))
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally ending in `Z`.
fn line_time(v: &str) -> Result<LineTime> {
    let digits = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    let bad = || anyhow!("'{v}' is not a time ssh-keygen reads (YYYYMMDD[HHMM[SS]][Z])");
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let padded = format!("{digits:0<14}");
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &padded[0..4],
        &padded[4..6],
        &padded[6..8],
        &padded[8..10],
        &padded[10..12],
        &padded[12..14]
    );
    let secs = crate::timefmt::parse_rfc3339(&iso).ok_or_else(bad)?;
    Ok(LineTime {
        text: v.to_string(),
        secs,
    })
}

/// One entry of an SSH public-key revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedKey {
    pub number: usize,
    pub key: SshPublicKey,
}

/// An SSH revocation list: a binary KRL (checked with `ssh-keygen -Q`) or public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationList {
    Krl {
        origin: String,
        bytes: Vec<u8>,
    },
    Keys {
        origin: String,
        keys: Vec<RevokedKey>,
    },
}

/// The first bytes of a binary KRL (PROTOCOL.krl).
const KRL_MAGIC: &[u8] = b"SSHKRL\n\0";

impl RevocationList {
    pub fn parse(file: &TrustedFile) -> Result<RevocationList> {
        if file.bytes.starts_with(KRL_MAGIC) {
            return Ok(RevocationList::Krl {
                origin: file.origin.clone(),
                bytes: file.bytes.clone(),
            });
        }
        let text = file.text()?;
        let mut keys = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = SshPublicKey::parse_text(line).map_err(|e| {
                anyhow!(
                    "{} line {}: not a public key (a revocation list holds a KRL or one public \
                     key per line): {e:#}",
                    file.origin,
                    i + 1
                )
            })?;
            keys.push(RevokedKey { number: i + 1, key });
        }
        Ok(RevocationList::Keys {
            origin: file.origin.clone(),
            keys,
        })
    }

    pub fn origin(&self) -> &str {
        match self {
            RevocationList::Krl { origin, .. } | RevocationList::Keys { origin, .. } => origin,
        }
    }

    /// For a list of keys: why `key` is revoked, if it is. As `ssh-keygen -r` compares a
    /// listed key with the signing key by their public parts alone, any entry for the same
    /// plain key revokes it, whether the entry or the signing key is a plain key or a
    /// certificate (one private key is one signer); a listed CA key revokes every certificate
    /// it signed.
    pub fn revokes(&self, key: &SshPublicKey) -> Option<String> {
        let RevocationList::Keys { origin, keys } = self else {
            return None;
        };
        let fp = key.fingerprint();
        keys.iter().find_map(|r| {
            let at = format!("{origin} line {}", r.number);
            if r.key.plain_blob == key.plain_blob {
                Some(if r.key.certificate.is_some() && r.key.blob == key.blob {
                    format!("certificate for key {fp} is revoked ({at})")
                } else {
                    format!("key {fp} is revoked ({at})")
                })
            } else {
                let cert = key.certificate.as_ref()?;
                (r.key.certificate.is_none() && r.key.plain_blob == cert.ca_key).then(|| {
                    format!(
                        "the CA {} that certified key {fp} is revoked ({at})",
                        ssh_fingerprint(&cert.ca_key)
                    )
                })
            }
        })
    }
}

/// One `PRINCIPAL FINGERPRINT` line of the OpenPGP signers list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPgpSigner {
    pub number: usize,
    pub principal: String,
    /// Upper-case hex, 40 (v4) or 64 (v5/v6) digits.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPgpSigners {
    pub origin: String,
    pub signers: Vec<OpenPgpSigner>,
    /// `revoked FINGERPRINT` lines: (line number, fingerprint).
    pub revoked: Vec<(usize, String)>,
}

impl OpenPgpSigners {
    pub fn parse(file: &TrustedFile) -> Result<OpenPgpSigners> {
        let text = file.text()?;
        let mut out = OpenPgpSigners {
            origin: file.origin.clone(),
            signers: Vec::new(),
            revoked: Vec::new(),
        };
        for (i, raw) in text.lines().enumerate() {
            let number = i + 1;
            let fields: Vec<&str> = raw
                .split_ascii_whitespace()
                .take_while(|f| !f.starts_with('#'))
                .collect();
            let err = |why: String| anyhow!("{} line {number}: {why}", file.origin);
            match fields.as_slice() {
                [] => {}
                [word, fpr] => {
                    let fingerprint = openpgp_fingerprint(fpr).map_err(|e| err(e.to_string()))?;
                    if word.eq_ignore_ascii_case("revoked") {
                        out.revoked.push((number, fingerprint));
                    } else if is_pattern(word) {
                        return Err(err(format!(
                            "principal pattern '{word}': list each signer by name"
                        )));
                    } else {
                        out.signers.push(OpenPgpSigner {
                            number,
                            principal: word.to_string(),
                            fingerprint,
                        });
                    }
                }
                _ => {
                    return Err(err(format!(
                        "expected 'PRINCIPAL FINGERPRINT' or 'revoked FINGERPRINT', found '{}'",
                        raw.trim()
                    )))
                }
            }
        }
        Ok(out)
    }

    /// The `revoked` line naming one of `fingerprints`, if any.
    pub fn revocation(&self, fingerprints: &[&str]) -> Option<usize> {
        self.revoked
            .iter()
            .find(|(_, f)| fingerprints.iter().any(|g| g.eq_ignore_ascii_case(f)))
            .map(|(n, _)| *n)
    }

    /// The principals `fingerprint` is listed for.
    pub fn principals_of(&self, fingerprint: &str) -> Vec<&OpenPgpSigner> {
        self.signers
            .iter()
            .filter(|s| s.fingerprint.eq_ignore_ascii_case(fingerprint))
            .collect()
    }
}

fn openpgp_fingerprint(s: &str) -> Result<String> {
    if (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_uppercase())
    } else {
        bail!("'{s}' is not an OpenPGP fingerprint (40 or 64 hex digits)")
    }
}

#[cfg(test)]
#[path = "signers_tests.rs"]
mod tests;
