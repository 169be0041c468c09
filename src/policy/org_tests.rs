//! Roles, tiers and sign-off rules as the policy file writes them, and each mistake reported
//! with the line it is on.

use super::Policy;

const ORG: &str = r#"[people]
jane = ["jane@example.com", "jane.doe@example.com"]

[roles]
senior = ["jane", "raj@example.com"]
oncall = ["raj@example.com"]

[tiers]
order = ["agent", "junior", "mid", "senior", "staff"]
[tiers.members]
junior = ["kim@example.com"]
mid = ["sam@example.com"]
senior = ["jane", "raj@example.com"]
staff = ["li@example.com"]
"#;

fn err(text: &str) -> String {
    format!(
        "{:#}",
        Policy::parse(text, ".countersign.toml").unwrap_err()
    )
}

#[test]
fn people_roles_and_tiers_resolve() {
    let p = Policy::parse(ORG, "t").unwrap();
    let org = &p.approval.org;
    assert_eq!(org.person_of("Jane.Doe@example.com"), "jane");
    assert_eq!(org.person_of("raj@example.com"), "raj@example.com");
    assert!(org.has_role("jane.doe@example.com", "senior"));
    assert!(!org.has_role("sam@example.com", "senior"));
    assert_eq!(
        org.signer_tier("jane@example.com"),
        org.tier_index("senior")
    );
    assert_eq!(org.signer_tier("nobody@example.com"), None);
    let tier = |emails: &[&str], ai| {
        let e: Vec<String> = emails.iter().map(|s| s.to_string()).collect();
        org.tiers[org.author_tier(&e, ai).unwrap()].clone()
    };
    assert_eq!(tier(&["jane@example.com"], false), "senior");
    // The lowest of everyone named, an unlisted author at the lowest human tier, and an
    // AI-assisted change at the agent's tier whatever its author says.
    assert_eq!(tier(&["jane@example.com", "sam@example.com"], false), "mid");
    assert_eq!(
        tier(&["stranger@example.com", "li@example.com"], false),
        "junior"
    );
    assert_eq!(tier(&["li@example.com"], true), "agent");
}

#[test]
fn sign_off_rules_and_break_glass_resolve() {
    let text = format!(
        "{ORG}\n[[approval.sign_off]]\nauthors = [\"junior\", \"mid\"]\ntier = \"senior\"\n\n\
         [[approval.sign_off]]\npaths = [\"infra/**\"]\nrole = \"senior\"\nsigners = 2\n\n\
         [[approval.sign_off]]\nrisk = \"critical\"\ntier = \"staff\"\n\n\
         [approval.break_glass]\nroles = [\"oncall\"]\npaths = [\"**\"]\nwindow = \"4h\"\ncountersign_within = \"1d\"\n"
    );
    let p = Policy::parse(&text, "t").unwrap();
    let a = &p.approval;
    assert_eq!(a.sign_off.len(), 3);
    assert_eq!(a.sign_off[1].signers, 2);
    assert_eq!(a.sign_off[1].role.as_deref(), Some("senior"));
    assert!(a.needs_findings());
    let bg = a.break_glass.as_ref().unwrap();
    assert_eq!((bg.window, bg.countersign_within), (4 * 3600, Some(86_400)));
    assert_eq!(a.sign_off[0].who(&a.org), "of tier senior or above");
    assert_eq!(a.sign_off[2].who(&a.org), "of tier staff");
}

#[test]
fn a_role_that_names_no_signer_is_an_error_at_its_line() {
    let msg = err("[roles]\nsenior = []\n");
    assert!(msg.contains(".countersign.toml line 2"), "{msg}");
    assert!(msg.contains("role 'senior' names no signer"), "{msg}");
    let msg = err("[roles]\n\nsenior = [\n  \"jane\",\n]\n");
    assert!(
        msg.contains("line 4") && msg.contains("neither an e-mail nor a person"),
        "{msg}"
    );
}

#[test]
fn a_rule_naming_an_unknown_role_is_an_error_at_its_line() {
    let msg = err(&format!(
        "{ORG}\n[[approval.sign_off]]\npaths = [\"infra/**\"]\nrole = \"seniour\"\n"
    ));
    let line = ORG.lines().count() + 4;
    assert!(msg.contains(&format!("line {line}:")), "{msg}");
    assert!(msg.contains("role 'seniour'"), "{msg}");
    let msg = err(&format!(
        "{ORG}\n[approval.break_glass]\nroles = [\"sre\"]\npaths = [\"**\"]\nwindow = \"1h\"\n"
    ));
    assert!(
        msg.contains(&format!("line {}:", ORG.lines().count() + 3)),
        "{msg}"
    );
    let msg = err(&format!(
        "{ORG}\n[[approval.sign_off]]\ntier = \"principal\"\n"
    ));
    assert!(msg.contains("'principal' is not a tier"), "{msg}");
}

#[test]
fn duplicate_tiers_and_an_author_in_two_tiers_are_errors_at_their_line() {
    let msg = err("[tiers]\norder = [\"junior\", \"mid\",\n  \"junior\"]\n");
    assert!(
        msg.contains("line 3") && msg.contains("listed twice"),
        "{msg}"
    );
    let msg = err(
        "[tiers]\norder = [\"junior\", \"mid\"]\n[tiers.members]\njunior = [\"kim@example.com\"]\nmid = [\"sam@example.com\", \"KIM@example.com\"]\n",
    );
    assert!(
        msg.contains("line 5") && msg.contains("in two tiers (junior, mid)"),
        "{msg}"
    );
    let msg = err("[tiers]\norder = [\"junior\"]\n[tiers.members]\nsenior = [\"x@example.com\"]\n");
    assert!(
        msg.contains("line 4") && msg.contains("not in tiers.order"),
        "{msg}"
    );
}

#[test]
fn bad_break_glass_terms_are_errors() {
    let base = "[roles]\noncall = [\"raj@example.com\"]\n[approval.break_glass]\nroles = [\"oncall\"]\npaths = [\"**\"]\n";
    let msg = err(&format!("{base}window = \"soon\"\n"));
    assert!(
        msg.contains("line 6") && msg.contains("not a duration"),
        "{msg}"
    );
    let msg = err(&format!(
        "{base}window = \"1d\"\ncountersign_within = \"1h\"\n"
    ));
    assert!(
        msg.contains("line 7") && msg.contains("shorter than its window"),
        "{msg}"
    );
    let msg = err("[approval.break_glass]\nroles = [\"oncall\"]\npaths = [\"**\"]\n");
    assert!(msg.contains("window") || msg.contains("oncall"), "{msg}");
}
