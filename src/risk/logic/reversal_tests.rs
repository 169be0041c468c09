//! Tests of the reversed-fix checks (`reversal.rs`).

use super::*;
fn ids(path: &str, text: &str) -> Vec<&'static str> {
    crate::risk::logic::testutil::ids(scan, path, text)
}

#[test]
fn a_lowered_role_fires_and_a_raised_one_does_not() {
    let fired = ids(
        "api.go",
        "-\tm.Post(\"/mirror-sync\", reqRepoAdmin(), mirrorSync)\n+\tm.Post(\"/mirror-sync\", reqRepoWriter(), mirrorSync)\n",
    );
    assert_eq!(fired, ["security.privilege-lowered"]);
    assert!(ids(
        "api.go",
        "-\tm.Post(\"/mirror-sync\", reqRepoWriter(), mirrorSync)\n+\tm.Post(\"/mirror-sync\", reqRepoAdmin(), mirrorSync)\n"
    )
    .is_empty());
}

#[test]
fn a_safe_variant_replaced_by_its_plain_sibling_fires() {
    assert_eq!(
        ids(
            "deploy/haproxy.sh",
            "-      _secure_debug _cmd \"${_cmd}\"\n+      _debug _cmd \"${_cmd}\"\n"
        ),
        ["security.safe-variant-replaced"]
    );
    assert_eq!(
        ids(
            "load.py",
            "-    data = yaml.safe_load(stream)\n+    data = yaml.load(stream)\n"
        ),
        ["security.safe-variant-replaced"]
    );
    // The other way round is the fix; a name that only contains the word is no pair.
    assert!(ids(
        "deploy/haproxy.sh",
        "-      _debug _cmd \"${_cmd}\"\n+      _secure_debug _cmd \"${_cmd}\"\n"
    )
    .is_empty());
    assert!(ids("app.py", "-    x = unsafe_thing(a)\n+    x = thing(a)\n").is_empty());
}

#[test]
fn a_predictable_random_source_fires() {
    let fired = ids(
        "users/tokens.py",
        "-        return ''.join(secrets.choice(CHARS) for _ in range(n))\n+        return ''.join(random.choice(CHARS) for _ in range(n))\n",
    );
    assert_eq!(fired, ["security.csprng-replaced"]);
    let ruby = ids(
        "lib/osm.rb",
        "-    SecureRandom.urlsafe_base64(length)\n+    length.times do\n+      token += chars[(rand * chars.length).to_i].chr\n+    end\n",
    );
    assert_eq!(ruby, ["security.csprng-replaced"]);
    assert!(ids(
        "users/tokens.py",
        "-        return secrets.token_hex(16)\n+        return secrets.token_urlsafe(16)\n"
    )
    .is_empty());
}

#[test]
fn a_plain_comparison_in_place_of_a_constant_time_one_fires() {
    let fired = ids(
        "lib/password_hash.rb",
        "-      ActiveSupport::SecurityUtils.secure_compare(hash, Digest::MD5.hexdigest(candidate))\n+      hash == Digest::MD5.hexdigest(candidate)\n",
    );
    assert_eq!(fired, ["security.constant-time-removed"]);
    // A deprecated helper deleted whole, with nothing compared in its place.
    assert!(ids(
        "src/security.py",
        "-def safe_str_cmp(a: str, b: str) -> bool:\n-    return hmac.compare_digest(a, b)\n"
    )
    .is_empty());
}

#[test]
fn a_project_s_own_constant_time_helper_counts() {
    let go = "-\t\tok := crypto.ConstantTimeCmp(password, config.Password())\n-\t\tif !ok {\n+\t\tif password != config.Password() {\n";
    assert_eq!(
        ids("server/metrics.go", go),
        ["security.constant-time-removed"]
    );
}

#[test]
fn an_allow_list_turned_deny_list_fires() {
    let fired = ids(
        "plugins/common/common.go",
        "-\tr, _ := regexp.Compile(\"^[a-z0-9][a-z0-9.-]*$\")\n+\tr, _ := regexp.Compile(\"^[a-z0-9][^/:_A-Z]*$\")\n",
    );
    assert_eq!(fired, ["security.allow-list-loosened"]);
    // Narrowed the other way, or an allowed set widened: not a deny-list.
    assert!(ids(
        "common.go",
        "-\tr := regexp.MustCompile(\"^[^/:]*$\")\n+\tr := regexp.MustCompile(\"^[a-z0-9.-]*$\")\n"
    )
    .is_empty());
    assert!(ids(
        "common.go",
        "-\tr := regexp.MustCompile(\"^[a-z0-9.-]*$\")\n+\tr := regexp.MustCompile(\"^[a-z0-9._-]*$\")\n"
    )
    .is_empty());
}

#[test]
fn a_weakened_setting_fires() {
    assert_eq!(
        ids(
            "charts/x/values.yaml",
            " controller:\n-  allowSnippetAnnotations: false\n+  allowSnippetAnnotations: true\n"
        ),
        ["security.setting-weakened"]
    );
    assert_eq!(
        ids(
            "config.go",
            "-\t\tStrictValidatePathType: true,\n+\t\tStrictValidatePathType: false, // TODO\n"
        ),
        ["security.setting-weakened"]
    );
    assert_eq!(
        ids(
            "values.yaml",
            "ingressRoute:\n  dashboard:\n    # -- Create an IngressRoute\n-    enabled: false\n+    enabled: true\n"
        ),
        ["security.setting-weakened"]
    );
    assert!(ids(
        "values.yaml",
        "  metrics:\n-    enabled: false\n+    enabled: true\n"
    )
    .is_empty());
    assert!(ids(
        "values.yaml",
        "-  enableAnnotationValidations: false\n+  enableAnnotationValidations: true\n"
    )
    .is_empty());
}

#[test]
fn a_default_that_opens_sign_up_trusts_a_proxy_or_drops_a_guard_fires() {
    let fires = [
        (
            "settings.py",
            "-    ALLOW_SIGNUP: bool = False\n+    ALLOW_SIGNUP: bool = True\n",
        ),
        (
            "data.yml",
            "   security:\n-      securityTrustProxy: false\n+      securityTrustProxy: true\n",
        ),
        (
            "values.yaml",
            "hub:\n  networkPolicy:\n-    enabled: true\n+    enabled: false\n",
        ),
    ];
    for (path, hunk) in fires {
        assert_eq!(ids(path, hunk), ["security.setting-weakened"], "{hunk}");
    }
    let quiet = [
        // The safe way round: sign-up closed, a guard switched on.
        (
            "settings.py",
            "-    ALLOW_SIGNUP: bool = True\n+    ALLOW_SIGNUP: bool = False\n",
        ),
        (
            "values.yaml",
            "hub:\n  networkPolicy:\n-    enabled: false\n+    enabled: true\n",
        ),
        // Turning off something that is not a guard.
        (
            "values.yaml",
            "  metrics:\n-    enabled: true\n+    enabled: false\n",
        ),
    ];
    for (path, hunk) in quiet {
        assert!(ids(path, hunk).is_empty(), "{hunk}");
    }
}

#[test]
fn a_secret_with_a_literal_default_fires() {
    let fired = ids(
        "settings.py",
        "+SECRET_KEY = os.getenv(\n+    \"PAPERLESS_SECRET_KEY\",\n+    \"e11fl1oa-*ytql8p)(06fbj4ukrlo+n7k&q5+$1md7i+mge=ee\",\n+)\n",
    );
    assert_eq!(fired, ["security.secret-default"]);
    // codetriage 40f8eaf5: Ruby's `ENV[…] ||` with a literal behind it.
    assert_eq!(
        ids(
            "config/initializers/secret_token.rb",
            "+App.config.secret_key_base = ENV['SECRET_KEY_BASE'] || 'ab37b1294efd8458ee5f186d1164e91bb234e123b8244fbc'\n"
        ),
        ["security.secret-default"]
    );
    assert!(ids(
        "settings.py",
        "+SECRET_KEY = os.getenv(\"APP_SECRET_KEY\", \"change-me-in-production-please\")\n"
    )
    .is_empty());
    assert!(ids(
        "settings.py",
        "+SECRET_KEY = os.getenv(\"APP_SECRET_KEY\")\n"
    )
    .is_empty());
}

#[test]
fn a_fast_seedable_rng_in_place_of_the_os_one_fires() {
    assert_eq!(
        ids(
            "server/src/tokens.rs",
            "-    use rand::{Rng, distributions::Alphanumeric, rngs::OsRng};\n-    let mut rng = OsRng;\n+    use rand::{Rng, SeedableRng, distributions::Alphanumeric, rngs::SmallRng};\n+    let mut rng = SmallRng::from_entropy();\n"
        ),
        ["security.csprng-replaced"]
    );
    assert!(ids(
        "server/src/tokens.rs",
        "-    let mut rng = OsRng;\n+    let mut rng = rand::rngs::OsRng;\n"
    )
    .is_empty());
}
