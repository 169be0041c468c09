//! What the sign confirmation says of one reviewer's signature, under sign-off rules.

use super::signoff::Outlook;
use crate::approval::digest::tests::{commit_with, text_file};
use crate::policy::Policy;

const POLICY: &str = r#"
[roles]
senior = ["jane@example.com", "raj@example.com"]
[[approval.sign_off]]
paths = ["infra/**"]
role = "senior"
signers = 2
"#;

fn outlook(email: &str) -> Outlook {
    Outlook {
        policy: Policy::parse(POLICY, "t").unwrap().approval,
        email: email.into(),
    }
}

#[test]
fn the_reviewer_is_told_whether_their_signature_is_enough() {
    let infra = commit_with(vec![text_file("infra/main.tf", 1, &[], &["x"])]);
    let said = outlook("jane@example.com").describe(std::slice::from_ref(&infra));
    assert!(
        said.contains("not enough on its own")
            && said.contains(
                "infra/main.tf needs 2 signers with role senior: has 1 (jane@example.com)"
            ),
        "{said}"
    );
    let said = outlook("sam@example.com").describe(std::slice::from_ref(&infra));
    assert!(
        said.contains("has 0; not counted: sam@example.com (not senior)"),
        "{said}"
    );
    let app = commit_with(vec![text_file("src/app.rs", 1, &[], &["x"])]);
    assert_eq!(
        outlook("sam@example.com").describe(&[app]),
        "Your signature is all the policy asks of these commits."
    );
}
