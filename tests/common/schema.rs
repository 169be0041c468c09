//! The JSON Schema files of docs/schemas, and Python's jsonschema to check outputs against them
//! (`.ci/run` installs it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// docs/schemas/`name`.
pub fn schema(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schemas")
        .join(name)
}

/// The validator's complaints, empty when `doc` is valid.
pub fn validate(schema_file: &Path, doc: &[u8]) -> String {
    let mut child = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_json.py"))
        .arg(schema_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (with the jsonschema package: pip install jsonschema)");
    child.stdin.take().unwrap().write_all(doc).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1) && !text.is_empty(),
        "the validator did not run: {text}"
    );
    if out.status.success() {
        String::new()
    } else {
        text
    }
}
