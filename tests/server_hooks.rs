//! The server-side gate as a user meets it: real `git push` to a bare repository served by
//! `git daemon`, by `git http-backend` (smart HTTP, behind a minimal CGI server) and by
//! OpenSSH's sshd on 127.0.0.1, with the hook `countersign init --hook` installs. What the
//! pusher sees is what these tests assert.

#[path = "server_support/cgi.rs"]
mod cgi;
mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::signing::{allowed_text, approve_and_sign, keygen, reviewer, Reviewer};
use common::Fixture;

/// A server process killed when the test ends, however it ends.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Ends a server and everything it started: `git daemon` runs `git-daemon` as a child, which
/// killing `git` alone would leave listening after the test.
fn kill_group(child: &mut Child) {
    // SAFETY: killpg on the process group the server was started in (its own, see `start`).
    unsafe {
        libc::killpg(child.id() as libc::pid_t, libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A port nobody listens on right now (the kernel picks it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// Starts `make(port)` and waits, up to a deadline, until it accepts connections; another port
/// when the first was taken in between.
fn start(make: impl Fn(u16) -> Command, log: &Path) -> Server {
    for _ in 0..5 {
        let port = free_port();
        let err = std::fs::File::create(log).unwrap();
        let child = std::os::unix::process::CommandExt::process_group(&mut make(port), 0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("start the server");
        let mut server = Server {
            child,
            port,
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = server.child.try_wait() {
                break; // it exited: most likely the port was taken; try another
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_group(&mut server.child);
        eprintln!("server on port {port} did not come up: {}", server.log());
    }
    panic!(
        "no server came up: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// A bare repository `server.git` next to the fixture's clone, with `hook` installed by
/// `countersign init --hook`.
fn bare_repo(fx: &Fixture, hook: &str) -> PathBuf {
    let root = fx.dir.path().join("srv");
    std::fs::create_dir_all(&root).unwrap();
    let bare = root.join("server.git");
    let out = fx
        .command("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&bare)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = fx
        .command(common::bin().to_str().unwrap())
        .current_dir(&bare)
        .args(["init", "--hook", hook])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "installed {}",
            bare.join("hooks").join(hook).display()
        )),
        "{text}"
    );
    // A second install leaves the first alone and says so.
    let again = fx
        .command(common::bin().to_str().unwrap())
        .current_dir(&bare)
        .args(["init", "--hook", hook])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists; left as it is"));
    bare
}

fn git_daemon(fx: &Fixture, bare: &Path) -> Server {
    let root = bare.parent().unwrap().to_path_buf();
    start(
        |port| {
            let mut cmd = fx.command("git");
            cmd.arg("daemon")
                .arg("--reuseaddr")
                .arg("--listen=127.0.0.1")
                .arg(format!("--port={port}"))
                .arg("--export-all")
                .arg("--enable=receive-pack")
                .arg("--informative-errors")
                .arg(format!("--base-path={}", root.display()))
                .arg(&root);
            cmd
        },
        &fx.dir.path().join("daemon.log"),
    )
}

/// What a push printed and whether it went through.
struct Push {
    ok: bool,
    stderr: String,
}

fn push(fx: &Fixture, env: &[(&str, String)], args: &[&str]) -> Push {
    let out: Output = fx
        .command("git")
        .arg("push")
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    Push {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn server_ref(fx: &Fixture, bare: &Path, name: &str) -> Option<String> {
    let out = fx
        .command("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["rev-parse", "-q", "--verify", name])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A clone whose main holds the policy and Jane's key, pushed to `url` (the first push to an
/// empty repository is not checked: there is no policy on the server yet).
fn client(url: &str, env: &[(&str, String)]) -> (Fixture, Reviewer) {
    let fx = Fixture::new();
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    fx.write(".countersign/allowed_signers", allowed_text(&[&jane]))
        .write("svc.py", "A = 1\n\n\n\n\n\n\n\nB = 2\n")
        .commit("policy and service");
    fx.git(&["remote", "add", "origin", url]);
    let p = push(&fx, env, &["origin", "main"]);
    assert!(p.ok, "{}", p.stderr);
    assert!(
        p.stderr
            .contains("first push to an empty repository is not checked"),
        "{}",
        p.stderr
    );
    (fx, jane)
}

/// Same as `client`, but the fixture (and its keys) exist before the URL is known.
fn publish(fx: &Fixture, jane: &Reviewer, url: &str, env: &[(&str, String)]) {
    fx.write(".countersign/allowed_signers", allowed_text(&[jane]))
        .write("svc.py", "A = 1\n\n\n\n\n\n\n\nB = 2\n")
        .commit("policy and service");
    fx.git(&["remote", "add", "origin", url]);
    let p = push(fx, env, &["origin", "main"]);
    assert!(p.ok, "{}", p.stderr);
}

/// The push of `commit` to main was refused by the hook, with the reasons, and main stayed at
/// `main_at` on the server.
fn assert_refused(p: &Push, commit: &str, server: (&Fixture, &Path), main_at: &str) {
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains(&commit[..7]), "{}", p.stderr);
    for says in [
        "remote: countersign: refs/heads/main refused",
        "pre-receive hook declined",
    ] {
        assert!(p.stderr.contains(says), "{says:?} in {}", p.stderr);
    }
    assert_eq!(
        server_ref(server.0, server.1, "refs/heads/main").as_deref(),
        Some(main_at)
    );
}

fn ai_change(fx: &Fixture, value: &str) -> String {
    fx.write("svc.py", format!("A = {value}\n\n\n\n\n\n\n\nB = 2\n"));
    fx.commit_ai(&format!("Set A to {value}"))
}

#[test]
fn pre_receive_over_git_daemon_refuses_what_is_not_countersigned_and_lets_the_rest_land() {
    let setup = Fixture::new();
    let bare = bare_repo(&setup, "pre-receive");
    let daemon = git_daemon(&setup, &bare);
    let url = format!("git://127.0.0.1:{}/server.git", daemon.port);
    let (fx, jane) = client(&url, &[]);
    let main0 = fx.head();

    // An AI commit nobody countersigned: refused, with the reason per commit.
    let unsigned = ai_change(&fx, "10");
    let p = push(&fx, &[], &["origin", "main"]);
    assert_refused(&p, &unsigned, (&setup, &bare), &main0);
    assert!(
        p.stderr
            .contains("remote: countersign: checking refs/heads/main"),
        "{}",
        p.stderr
    );
    assert!(
        !p.stderr.contains("object not found"),
        "the quarantine is read: {}",
        p.stderr
    );
    eprintln!(
        "--- a refused push, as the pusher sees it ---\n{}",
        p.stderr
    );

    // Countersigned, the same change lands.
    approve_and_sign(&fx, &format!("{main0}..HEAD"), &jane);
    let p = push(&fx, &[], &["origin", "main"]);
    assert!(p.ok, "{}", p.stderr);
    let main1 = fx.head();
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main").as_deref(),
        Some(main1.as_str())
    );

    // An unprotected branch is not the gate's business.
    fx.git(&["checkout", "-q", "-b", "wip"]);
    let wip = ai_change(&fx, "11");
    let p = push(&fx, &[], &["origin", "wip"]);
    assert!(p.ok, "{}", p.stderr);
    assert!(!p.stderr.contains("checking"), "{}", p.stderr);

    // Tags are protected: one on a landed commit passes, one on an unsigned commit does not,
    // annotated or not.
    fx.git(&["tag", "v1", &main1]);
    fx.git(&["tag", "-a", "-m", "release", "v2", &wip]);
    let p = push(&fx, &[], &["origin", "v1"]);
    assert!(p.ok, "{}", p.stderr);
    let p = push(&fx, &[], &["origin", "v2"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains("refs/tags/v2 refused"), "{}", p.stderr);
    assert!(server_ref(&setup, &bare, "refs/tags/v2").is_none());

    // A force-push of an unsigned rewrite is judged like any update, and refused.
    fx.git(&["checkout", "-q", "main"]);
    fx.git(&["reset", "-q", "--hard", &main0]);
    ai_change(&fx, "12");
    let p = push(&fx, &[], &["--force", "origin", "main"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains("refs/heads/main refused"), "{}", p.stderr);
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main").as_deref(),
        Some(main1.as_str())
    );

    // Deleting the protected branch would let an unchecked one take its place: refused.
    let p = push(&fx, &[], &["origin", ":main"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(
        p.stderr
            .contains("refs/heads/main is protected: refusing to delete it"),
        "{}",
        p.stderr
    );
    // Deleting an unprotected one is fine.
    let p = push(&fx, &[], &["origin", ":wip"]);
    assert!(p.ok, "{}", p.stderr);

    // One bad ref refuses the whole push: the good tag does not land either.
    fx.git(&["tag", "v3", &main1]);
    let p = push(&fx, &[], &["origin", "v3", "v2"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(server_ref(&setup, &bare, "refs/tags/v3").is_none());
}

#[test]
fn pre_receive_over_smart_http_refuses_an_unsigned_push_and_takes_a_countersigned_one() {
    let setup = Fixture::new();
    let bare = bare_repo(&setup, "pre-receive");
    // Without an authenticated user, http-backend serves pushes only when the repository
    // says so.
    setup.git(&[
        "--git-dir",
        bare.to_str().unwrap(),
        "config",
        "http.receivepack",
        "true",
    ]);
    let http = cgi::serve(bare.parent().unwrap(), setup.env());
    let url = format!("http://127.0.0.1:{}/server.git", http.port);
    let (fx, jane) = client(&url, &[]);
    let main0 = fx.head();

    let unsigned = ai_change(&fx, "60");
    let p = push(&fx, &[], &["origin", "main"]);
    assert_refused(&p, &unsigned, (&setup, &bare), &main0);
    eprintln!(
        "--- a refused push over smart HTTP, as the pusher sees it ---\n{}",
        p.stderr
    );

    approve_and_sign(&fx, &format!("{main0}..HEAD"), &jane);
    let p = push(
        &fx,
        &[],
        &[
            "origin",
            "main",
            "refs/notes/countersign",
            "refs/countersign/*",
        ],
    );
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main"),
        Some(fx.head())
    );
}

#[test]
fn the_policy_comes_from_the_server_branch_not_from_the_push() {
    let setup = Fixture::new();
    let bare = bare_repo(&setup, "pre-receive");
    let daemon = git_daemon(&setup, &bare);
    let url = format!("git://127.0.0.1:{}/server.git", daemon.port);
    let (fx, _jane) = client(&url, &[]);
    let main0 = fx.head();

    // The agent adds its own key to the signer list and countersigns its own change.
    let agent = reviewer(&fx, "Eve Agent", "eve@example.com");
    fx.write(".countersign/allowed_signers", allowed_text(&[&agent]));
    fx.commit("Trust eve");
    ai_change(&fx, "13");
    approve_and_sign(&fx, &format!("{main0}..HEAD"), &agent);
    let p = push(&fx, &[], &["origin", "main"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains("policy-unchanged"), "{}", p.stderr);
    assert!(p.stderr.contains("eve@example.com"), "{}", p.stderr);
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main").as_deref(),
        Some(main0.as_str())
    );

    // A new protected branch (the server's own config says which) is judged against the
    // default branch, under its policy.
    let out = setup
        .command("git")
        .arg("--git-dir")
        .arg(&bare)
        .args(["config", "--add", "countersign.protect", "refs/heads/main"])
        .output()
        .unwrap();
    assert!(out.status.success());
    setup
        .command("git")
        .arg("--git-dir")
        .arg(&bare)
        .args([
            "config",
            "--add",
            "countersign.protect",
            "refs/heads/release/*",
        ])
        .output()
        .unwrap();
    let p = push(&fx, &[], &["origin", "HEAD:refs/heads/release/1"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(
        p.stderr.contains("refs/heads/release/1 refused"),
        "{}",
        p.stderr
    );
    // Tags are no longer protected under that config.
    fx.git(&["tag", "t1"]);
    let p = push(&fx, &[], &["origin", "t1"]);
    assert!(p.ok, "{}", p.stderr);
}

/// A branch of two AI commits, signed by `who` (each commit and the branch as a whole), then
/// squashed onto main as a forge does, under its own message: only the approvals store (by
/// the change's content) has an approval for the squash commit.
fn squash_signed_branch(fx: &Fixture, who: &Reviewer, a: &str, b: &str) -> String {
    let main = fx.head();
    fx.git(&["checkout", "-q", "-b", &format!("agent-{a}")]);
    fx.write("svc.py", format!("A = {a}\n\n\n\n\n\n\n\nB = 2\n"));
    fx.commit_ai("Tune A");
    fx.write("svc.py", format!("A = {a}\n\n\n\n\n\n\n\nB = {b}\n"));
    fx.commit_ai("Tune B");
    let said = approve_and_sign(fx, &format!("{main}..HEAD"), who);
    assert!(said.contains("and the branch as a whole"), "{said}");
    fx.git(&["checkout", "-q", "main"]);
    fx.git(&["merge", "-q", "--squash", &format!("agent-{a}")]);
    fx.commit_staged("Tune the service (#12)")
}

#[test]
fn approvals_pushed_with_the_branch_in_one_push_count_and_only_if_their_signer_is_trusted() {
    let setup = Fixture::new();
    let bare = bare_repo(&setup, "pre-receive");
    let daemon = git_daemon(&setup, &bare);
    let url = format!("git://127.0.0.1:{}/server.git", daemon.port);
    let (fx, jane) = client(&url, &[]);
    let main0 = fx.head();
    let squash = squash_signed_branch(&fx, &jane, "50", "51");

    // The squash commit alone: its approval is in the store, which is not on the server.
    let p = push(&fx, &[], &["origin", "main"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains(&squash[..7]), "{}", p.stderr);
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main").as_deref(),
        Some(main0.as_str())
    );

    // The line the docs and the review screen give, as one push: the hook counts the
    // approvals arriving with the branch.
    let p = push(
        &fx,
        &[],
        &[
            "origin",
            "main",
            "refs/notes/countersign",
            "refs/countersign/*",
        ],
    );
    assert!(p.ok, "{}", p.stderr);
    assert!(
        p.stderr
            .contains("remote: countersign: checking refs/heads/main"),
        "{}",
        p.stderr
    );
    assert_eq!(server_ref(&setup, &bare, "refs/heads/main"), Some(squash));
    assert!(server_ref(&setup, &bare, "refs/notes/countersign").is_some());
    eprintln!(
        "--- approvals pushed with the branch, as the pusher sees it ---\n{}",
        p.stderr
    );

    // The same, signed by someone the server's signer list does not name: the approvals
    // arrive, and are refused for who signed them.
    let main1 = fx.head();
    let eve = reviewer(&fx, "Eve Agent", "eve@example.com");
    let forged = squash_signed_branch(&fx, &eve, "52", "53");
    let p = push(
        &fx,
        &[],
        &[
            "origin",
            "main",
            "refs/notes/countersign",
            "refs/countersign/*",
        ],
    );
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains(&forged[..7]), "{}", p.stderr);
    assert!(
        p.stderr.contains("is not in the allowed signers file"),
        "{}",
        p.stderr
    );
    assert_eq!(server_ref(&setup, &bare, "refs/heads/main"), Some(main1));
    eprintln!(
        "--- approvals by an unlisted key pushed with the branch, refused ---\n{}",
        p.stderr
    );
}

#[test]
fn the_update_hook_refuses_only_the_failing_ref() {
    let setup = Fixture::new();
    let bare = bare_repo(&setup, "update");
    let daemon = git_daemon(&setup, &bare);
    let url = format!("git://127.0.0.1:{}/server.git", daemon.port);
    let (fx, jane) = client(&url, &[]);
    let main0 = fx.head();
    ai_change(&fx, "20");
    approve_and_sign(&fx, &format!("{main0}..HEAD"), &jane);
    let signed = fx.head();
    fx.git(&["checkout", "-q", "-b", "other", &main0]);
    let unsigned = ai_change(&fx, "21");
    fx.git(&["tag", "bad", &unsigned]);
    let p = push(&fx, &[], &["origin", "main", "bad"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains("refs/tags/bad refused"), "{}", p.stderr);
    assert!(p.stderr.contains("hook declined"), "{}", p.stderr);
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main").as_deref(),
        Some(signed.as_str())
    );
    assert!(server_ref(&setup, &bare, "refs/tags/bad").is_none());
}

/// sshd on a loopback port with a throw-away host key, and a user key that only it trusts.
struct Sshd {
    server: Server,
    env: Vec<(&'static str, String)>,
}

fn sshd(fx: &Fixture) -> Sshd {
    let dir = fx.dir.path().join("sshd");
    std::fs::create_dir_all(&dir).unwrap();
    let host_key = keygen(fx, "ssh_host_ed25519_key");
    let user_key = keygen(fx, "pusher_key");
    std::fs::copy(user_key.with_extension("pub"), dir.join("authorized_keys")).unwrap();
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let sshd = ["/usr/sbin/sshd", "/usr/local/sbin/sshd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("OpenSSH's sshd (Debian: openssh-server; .ci/run installs it)");
    // As root, sshd insists on its privilege-separation directory, which a container's
    // package install does not create (systemd would, at boot).
    if user == "root" {
        std::fs::create_dir_all("/run/sshd").unwrap();
    }
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "ListenAddress 127.0.0.1\nHostKey {host}\nPidFile none\nAuthorizedKeysFile {keys}\n\
             StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowUsers {user}\n\
             SetEnv GIT_CONFIG_NOSYSTEM=1 HOME={home} PATH={path}\n",
            host = host_key.display(),
            keys = dir.join("authorized_keys").display(),
            home = fx.home().display(),
            path = std::env::var("PATH").unwrap_or_default(),
        ),
    )
    .unwrap();
    let server = start(
        |port| {
            let mut cmd = Command::new(sshd);
            cmd.args(["-D", "-e", "-f"])
                .arg(&config)
                .arg("-p")
                .arg(port.to_string());
            cmd
        },
        &dir.join("sshd.log"),
    );
    // sshd accepts before it is ready to talk: wait for its banner, with a deadline.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut banner = [0u8; 4];
        let ready = TcpStream::connect(("127.0.0.1", server.port)).is_ok_and(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(2))).ok();
            s.read_exact(&mut banner).is_ok() && &banner == b"SSH-"
        });
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sshd never said hello: {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let host_pub = std::fs::read_to_string(host_key.with_extension("pub")).unwrap();
    let known_hosts = dir.join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} {}", server.port, host_pub),
    )
    .unwrap();
    let ssh = format!(
        "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile={} \
         -o StrictHostKeyChecking=yes -o User={user}",
        user_key.display(),
        known_hosts.display()
    );
    Sshd {
        server,
        env: vec![("GIT_SSH_COMMAND", ssh)],
    }
}

#[test]
fn pre_receive_over_sshd_refuses_an_unsigned_push_and_takes_a_countersigned_one() {
    let fx = Fixture::new();
    let bare = bare_repo(&fx, "pre-receive");
    let ssh = sshd(&fx);
    let url = format!("ssh://127.0.0.1:{}{}", ssh.server.port, bare.display());
    // The clone is the fixture's own repository: its keys and the server share one HOME.
    let jane = reviewer(&fx, "Jane Reviewer", "jane@example.com");
    publish(&fx, &jane, &url, &ssh.env);
    let main0 = fx.head();
    let unsigned = ai_change(&fx, "30");
    let p = push(&fx, &ssh.env, &["origin", "main"]);
    assert!(!p.ok, "{}\n{}", p.stderr, ssh.server.log());
    assert_refused(&p, &unsigned, (&fx, &bare), &main0);

    approve_and_sign(&fx, &format!("{main0}..HEAD"), &jane);
    let p = push(&fx, &ssh.env, &["origin", "main"]);
    assert!(p.ok, "{}\n{}", p.stderr, ssh.server.log());
    assert_eq!(server_ref(&fx, &bare, "refs/heads/main"), Some(fx.head()));
}

/// `n` commits on the current branch, one new file each, written by fast-import (a thousand
/// `git commit`s would take most of a minute).
fn many_commits(fx: &Fixture, n: usize) {
    let parent = fx.head();
    let mut stream = String::new();
    for i in 0..n {
        let message = format!("Add module {i}\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n");
        let content = format!("def f{i}():\n    return {i}\n");
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter Ada Agent <ada@example.com> {} +0000\ndata {}\n{message}",
            common::EPOCH + i as i64,
            message.len()
        ));
        if i == 0 {
            stream.push_str(&format!("from {parent}\n"));
        }
        stream.push_str(&format!(
            "M 100644 inline mods/m{i}.py\ndata {}\n{content}\n",
            content.len()
        ));
    }
    let mut child = fx
        .command("git")
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    fx.git(&["reset", "-q", "--hard", "main"]);
}

#[test]
fn a_push_of_a_thousand_countersigned_commits_lands_and_one_unsigned_among_them_does_not() {
    let setup = Fixture::new();
    let bare = bare_repo(&setup, "pre-receive");
    let daemon = git_daemon(&setup, &bare);
    let url = format!("git://127.0.0.1:{}/server.git", daemon.port);
    let (fx, jane) = client(&url, &[]);

    // One commit, for the baseline.
    let main0 = fx.head();
    ai_change(&fx, "40");
    approve_and_sign(&fx, &format!("{main0}..HEAD"), &jane);
    let t = Instant::now();
    let p = push(&fx, &[], &["origin", "main"]);
    let one = t.elapsed();
    assert!(p.ok, "{}", p.stderr);

    let main1 = fx.head();
    many_commits(&fx, 1000);
    let t = Instant::now();
    approve_and_sign(&fx, &format!("{main1}..HEAD"), &jane);
    let signing = t.elapsed();
    // The last one replaced by an unsigned commit: the push is refused, and says which.
    let signed_tip = fx.head();
    fx.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let unsigned = ai_change(&fx, "41");
    let t = Instant::now();
    let p = push(&fx, &[], &["origin", "main"]);
    let refused = t.elapsed();
    assert!(!p.ok, "{}", p.stderr);
    assert!(
        p.stderr.contains(&format!("FAILED {}", &unsigned[..10])),
        "{}",
        p.stderr
    );
    assert!(p.stderr.contains("999 verified, 1 failed"), "{}", p.stderr);
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main"),
        Some(main1.clone())
    );

    fx.git(&["reset", "-q", "--hard", &signed_tip]);
    let t = Instant::now();
    // With the review records and the store, as a reviewer pushes them.
    let p = push(
        &fx,
        &[],
        &[
            "origin",
            "main",
            "refs/notes/countersign",
            "refs/countersign/*",
        ],
    );
    let thousand = t.elapsed();
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(
        server_ref(&setup, &bare, "refs/heads/main"),
        Some(signed_tip)
    );
    eprintln!(
        "push with the pre-receive hook, over git daemon: 1 commit {one:.2?}; 1000 commits \
         {thousand:.2?} (refused at the last: {refused:.2?}); signing 1000: {signing:.2?}"
    );
}
