//! Loading a review: git → model → analyses. The first frame needs only the commits, the file
//! list and one file; everything else is read and analysed on a background thread that reports
//! through a channel, so the screen never waits on the size of the patch.

mod files;

pub use files::TreePair;

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::git::{Oid, Repository};
use anyhow::{Context, Result};

use crate::detect::{self, Detector};
use crate::git::{self, diff};
use crate::model::{Commit, FileChange};
use crate::policy::Policy;
use crate::risk::Engine;

/// The built-in rules, compiled on a thread of low priority that a review starts before it
/// reads the policy: the first frame does not need them, and on a small change compiling them,
/// and then the patterns its lines need, was most of the time to a complete analysis. Once
/// compiled, the thread scans the first screen's file ([`Prepared::warm`]), so the patterns that
/// file needs are compiled while the loader reads the rest.
pub struct Prepared {
    engine: Arc<OnceLock<Engine>>,
    warm: Option<Sender<FileChange>>,
}

impl Prepared {
    pub fn start() -> Prepared {
        let engine = Arc::new(OnceLock::new());
        let (tx, rx) = mpsc::channel::<FileChange>();
        let compiling = Arc::clone(&engine);
        let spawned = std::thread::Builder::new()
            .name("countersign-rules".into())
            .spawn(move || {
                yield_to_ui();
                let engine = compiling.get_or_init(Engine::builtin);
                for mut file in rx {
                    engine.scan_file(&mut file);
                }
            });
        Prepared {
            engine,
            warm: spawned.is_ok().then_some(tx),
        }
    }

    /// Has the rules' thread scan `file` once they are compiled, if `analysis` scans with
    /// them; the findings are dropped, the compiled patterns stay. Once per review.
    pub fn warm(&mut self, analysis: &Analysis, file: &FileChange) {
        if analysis.scan && Arc::ptr_eq(&analysis.engine, &self.engine) {
            if let Some(tx) = self.warm.take() {
                let _ = tx.send(file.clone());
            }
        }
    }
}

/// The analyses every hunk goes through, built once from the policy.
pub struct Analysis {
    pub detector: Detector,
    /// Compiling the rules takes milliseconds, as long as the whole first frame; the built-in
    /// ones (which cannot fail) are compiled on first use, or by a [`Prepared`] thread. A policy
    /// with its own rules is compiled at once, so its mistakes stop the command.
    engine: Arc<OnceLock<Engine>>,
    /// Another thread compiles the engine already ([`Prepared`]).
    prepared: bool,
    pub all: bool,
    /// The policy trusts `refs/notes/ai` when it calls hunks human-written.
    pub trust_notes: bool,
    /// Run the risk scan (verify does not need findings: what it checks is signed).
    pub scan: bool,
    /// A Terraform plan (`--plan FILE`): its destroys become findings on the hunks causing them.
    pub plan: Option<std::sync::Arc<crate::risk::terraform::TerraformPlan>>,
}

impl Analysis {
    pub fn new(policy: &Policy, all: bool) -> Result<Analysis> {
        Analysis::with_rules(policy, all, None)
    }

    /// [`new`](Analysis::new), taking the built-in rules from `prepared` when the policy scans
    /// with them alone.
    pub fn with_rules(policy: &Policy, all: bool, prepared: Option<&Prepared>) -> Result<Analysis> {
        let builtin = Engine::is_builtin_for(policy);
        let engine = match prepared {
            Some(p) if builtin => Arc::clone(&p.engine),
            _ => Arc::new(OnceLock::new()),
        };
        if !builtin {
            let compiled = Engine::new(policy).context("invalid risk rules in the policy")?;
            let _ = engine.set(compiled);
        }
        let detector =
            Detector::new(&policy.markers, all).context("invalid AI markers in the policy")?;
        Ok(Analysis {
            detector,
            prepared: prepared.is_some() && builtin,
            engine,
            all: all || policy.markers.all,
            trust_notes: policy.approval.trust_attribution_notes,
            scan: true,
            plan: None,
        })
    }

    /// The analyses `verify` needs: the change and its attribution, no risk scan (findings
    /// change nothing it judges, and a server hook has a time budget).
    pub fn without_scan(policy: &Policy) -> Result<Analysis> {
        Ok(Analysis {
            scan: false,
            ..Analysis::new(policy, false)?
        })
    }

    pub fn engine(&self) -> &Engine {
        self.engine.get_or_init(Engine::builtin)
    }

    /// The engine if it is compiled already, without waiting for it.
    fn engine_if_ready(&self) -> Option<&Engine> {
        self.engine.get()
    }

    /// Scans `file` when this analysis scans, marking it analysed.
    fn scan_file(&self, file: &mut FileChange) {
        if self.scan {
            self.engine().scan_file_with(file, self.plan.as_deref());
            file.analysed = true;
        }
    }

    /// Commit-level evidence, from the metadata alone.
    pub fn commit(&self, git: &Repository, oid: Oid) -> Result<Commit> {
        let mut commit = diff::commit_meta(git, oid)?;
        commit.evidence = self.detector.commit_evidence(&commit);
        Ok(commit)
    }

    /// Attributes and scans `files` as part of `commit`.
    pub fn files(
        &self,
        git: &Repository,
        commit: &mut Commit,
        files: Vec<FileChange>,
    ) -> Result<()> {
        self.attribute(git, commit, files)?;
        for file in &mut commit.files {
            self.scan_file(file);
        }
        Ok(())
    }

    /// Attributes `files` to AI or human as part of `commit`, without the risk scan.
    pub fn attribute(
        &self,
        git: &Repository,
        commit: &mut Commit,
        files: Vec<FileChange>,
    ) -> Result<()> {
        let oid = git::oid(&commit.id)?;
        let note = git::notes::read_note(git, git::notes::AI_NOTES, oid)?;
        self.attribute_with(commit, files, note);
        Ok(())
    }

    /// [`Analysis::attribute`] with the commit's `refs/notes/ai` note already read.
    fn attribute_with(&self, commit: &mut Commit, files: Vec<FileChange>, note: Option<String>) {
        // A note that does not parse is ignored rather than fatal: without line attribution
        // every hunk of an AI-assisted commit needs review, which errs on the safe side.
        let log = note.and_then(|note| detect::gitai::parse(&note).ok());
        commit.files = files;
        detect::attribute(commit, log.as_ref(), self.all, self.trust_notes);
    }
}

/// Reads and analyses a whole commit: metadata, evidence, every file's hunks (with rename
/// detection), their attribution and risk findings. Synchronous for its caller; two threads
/// read the files (`files.rs`).
pub fn full_commit(git: &Repository, analysis: &Analysis, oid: Oid) -> Result<Commit> {
    let mut out = None;
    full_commits(git, analysis, &[oid], |_, commit| {
        out = Some(commit);
        Ok(true)
    })?;
    out.with_context(|| format!("commit {oid} was not read"))
}

/// [`full_commit`] for each of `oids`, handed to `deliver` in order as each is complete (the
/// files of later commits are read meanwhile); `deliver` returns false to stop early.
pub fn full_commits(
    git: &Repository,
    analysis: &Analysis,
    oids: &[Oid],
    mut deliver: impl FnMut(usize, Commit) -> Result<bool>,
) -> Result<()> {
    let pairs = oids
        .iter()
        .map(|oid| {
            let (old, new) = diff::commit_trees(git, *oid)?;
            Ok(TreePair { old, new })
        })
        .collect::<Result<Vec<_>>>()?;
    // The notes ref resolved and its tree read once for every commit, not once per commit.
    let notes = git::notes::NotesTree::at_ref(git, git::notes::AI_NOTES)?;
    files::read_commits(git, analysis, &pairs, |index, files| {
        let mut commit = analysis.commit(git, oids[index])?;
        let note = notes.read(oids[index])?;
        analysis.attribute_with(&mut commit, files, note);
        commit.complete = true;
        deliver(index, commit)
    })
}

/// The files of the change from tree `old` (None: the empty tree) to tree `new`, read and
/// scanned as a commit's are (a branch's combined change, what a squash merge lands).
pub fn tree_change(
    git: &Repository,
    analysis: &Analysis,
    old: Option<Oid>,
    new: Oid,
) -> Result<Vec<FileChange>> {
    let mut out = Vec::new();
    files::read_commits(git, analysis, &[TreePair { old, new }], |_, files| {
        out = files;
        Ok(true)
    })?;
    Ok(out)
}

/// The commit as the first frame shows it: every file listed (without rename detection, which
/// would read every added and deleted blob), and only the first file's hunks read.
pub fn first_frame_commit(
    git: &Repository,
    analysis: &Analysis,
    mut commit: Commit,
) -> Result<Commit> {
    let oid = git::oid(&commit.id)?;
    let d = diff::diff_commit(git, oid)?;
    let mut files = diff::list_files(&d);
    if !files.is_empty() {
        files[0] = diff::load_file(&d, 0)?;
    }
    // Attribution only: the risk scan (and compiling its rules) is the loader's work, and the
    // screen does not let a hunk be decided before its file is scanned.
    analysis.attribute(git, &mut commit, files)?;
    Ok(commit)
}

/// What the background loader reports.
#[derive(Debug)]
pub enum LoadEvent {
    /// Commit `index` of the review, read and analysed in full; it replaces the first-frame one.
    Commit { index: usize, commit: Box<Commit> },
    /// How far along the loader is, in commits.
    Progress { done: usize, total: usize },
    /// Every commit is loaded and analysed.
    Done { elapsed: Duration },
    /// Loading failed; the message is one line for the status bar.
    Failed(String),
}

/// Reads and analyses `commits` (the review's, in order) on a background thread.
pub fn spawn(git_dir: PathBuf, commits: Vec<Oid>, analysis: Arc<Analysis>) -> Receiver<LoadEvent> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("countersign-loader".into())
        .spawn({
            let tx = tx.clone();
            move || {
                yield_to_ui();
                if let Err(e) = run(&git_dir, &commits, &analysis, &tx) {
                    let _ = tx.send(LoadEvent::Failed(crate::error::one_line(&e)));
                }
            }
        });
    if let Err(e) = spawned {
        let _ = tx.send(LoadEvent::Failed(format!("cannot start the loader: {e}")));
    }
    rx
}

/// Lowers this thread's priority (and that of the threads it starts, which inherit it): the
/// loader keeps both cores busy, and the screen's thread must still get one at once for the
/// first frame and for every key.
fn yield_to_ui() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only changes scheduling. On Linux, PRIO_PROCESS with id 0 applies to
    // the calling thread alone (elsewhere it would be the whole process, hence Linux only).
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

fn run(
    git_dir: &std::path::Path,
    commits: &[Oid],
    analysis: &Analysis,
    tx: &Sender<LoadEvent>,
) -> Result<()> {
    let started = Instant::now();
    let repo = git::repo::open_at(git_dir)?;
    std::thread::scope(|s| -> Result<()> {
        // The rules compile while the first files are read (unless a `Prepared` thread does
        // already); files read before they are ready wait for their scan.
        if analysis.scan && !analysis.prepared {
            s.spawn(|| analysis.engine());
        }
        // false: the UI went away (quit while loading), so stop quietly.
        full_commits(&repo.git, analysis, commits, |index, commit| {
            Ok(send_commit(tx, index, commit, commits.len()))
        })
    })?;
    let _ = tx.send(LoadEvent::Done {
        elapsed: started.elapsed(),
    });
    Ok(())
}

fn send_commit(tx: &Sender<LoadEvent>, index: usize, commit: Commit, total: usize) -> bool {
    let sent = tx.send(LoadEvent::Commit {
        index,
        commit: Box::new(commit),
    });
    if sent.is_err() {
        return false;
    }
    let _ = tx.send(LoadEvent::Progress {
        done: index + 1,
        total,
    });
    true
}

/// Who reviews, and what the policy asks of each commit: which commits of the default range
/// still need this reviewer.
pub struct Reviewing<'a> {
    pub approval: &'a crate::policy::Approval,
    /// The reviewer's e-mail (git's `user.email`), the identity their approval is made under.
    pub email: Option<String>,
}

impl<'a> Reviewing<'a> {
    /// The reviewer git's configuration names, under `policy`.
    pub fn of(git: &Repository, policy: &'a Policy) -> Reviewing<'a> {
        let email = git::signing_config::read(git)
            .ok()
            .and_then(|c| c.user_email)
            .filter(|e| !e.trim().is_empty());
        Reviewing {
            approval: &policy.approval,
            email,
        }
    }
}

/// The commits of `range` as the review shows them: metadata and commit-level evidence. A range
/// the reviewer named is reviewed whole; the default range keeps the AI-assisted commits that
/// still need this reviewer ([`still_needs`]).
pub fn select_commits(
    git: &Repository,
    range: &crate::git::range::Range,
    analysis: &Analysis,
    reviewing: &Reviewing,
) -> Result<Vec<Commit>> {
    let mut out = Vec::new();
    for oid in &range.commits {
        let mut commit = analysis.commit(git, *oid)?;
        if range.explicit || (commit.is_ai_assisted() && still_needs(git, &commit, reviewing)?) {
            commit.stale_approval = stale_approval(git, &commit);
            out.push(commit);
        }
    }
    Ok(out)
}

/// The newest approval in the commit's message whose change the commit no longer makes, and
/// the files where they differ (tree to tree: cheap, no blob is read). None when every
/// approval still covers it, or the approved trees are not here to compare.
fn stale_approval(git: &Repository, commit: &Commit) -> Option<crate::model::StaleApproval> {
    let sets = crate::approval::trailer::parse_approvals(&commit.message).sets;
    let base = commit.base_tree();
    let set = sets
        .iter()
        .rev()
        .find(|s| s.scope == crate::approval::Scope::Commit)?;
    let paths =
        git::landing::differing_paths(git, (&set.base_tree, &set.tree), (base, &commit.tree_id))
            .ok()?;
    (!paths.is_empty()).then(|| crate::model::StaleApproval {
        reviewer: set.reviewer.to_string(),
        time: set.time,
        paths,
    })
}

/// A commit still needs this reviewer unless they approved it already, or its approvals come
/// from as many distinct reviewers as the policy asks of the paths it changes (a second
/// reviewer of a two-signer change finds it in the default range). The trailers are read, not
/// verified: this only decides what the review opens on; `verify` is the check.
pub fn still_needs(git: &Repository, commit: &Commit, reviewing: &Reviewing) -> Result<bool> {
    // Only approvals that still cover the commit count: one the commit has moved away from
    // (a touched file changed since) brings it back for review.
    let base = commit.base_tree();
    let signed: std::collections::HashSet<String> =
        crate::approval::trailer::parse_approvals(&commit.message)
            .sets
            .iter()
            .filter(|s| {
                git::landing::differing_paths(git, (&s.base_tree, &s.tree), (base, &commit.tree_id))
                    .is_ok_and(|paths| paths.is_empty())
            })
            .map(|s| s.reviewer.email.to_ascii_lowercase())
            .collect();
    if signed.is_empty() {
        return Ok(true);
    }
    if reviewing
        .email
        .as_ref()
        .is_some_and(|me| signed.contains(&me.to_ascii_lowercase()))
    {
        return Ok(false);
    }
    let oid = git::oid(&commit.id)?;
    let files = diff::list_files(&diff::diff_commit(git, oid)?);
    let paths: Vec<&str> = files.iter().flat_map(FileChange::paths).collect();
    Ok(signed.len() < crate::approval::check::signers_needed(reviewing.approval, &paths)?)
}

/// Everything the first frame needs: the selected commits, the first one listed with its first
/// file read. Returns the review and the commits the background loader must still read.
pub fn first_frame(
    git: &Repository,
    range: &crate::git::range::Range,
    analysis: &Analysis,
    reviewing: &Reviewing,
) -> Result<(crate::model::Review, Vec<Oid>)> {
    let mut commits = select_commits(git, range, analysis, reviewing)?;
    if commits.is_empty() {
        return Err(crate::error::UserError::new(format!(
            "nothing to review in {}: no AI-assisted commits that still need your countersignature",
            range.spec
        ))
        .hint("name a commit to review it anyway, e.g. `countersign review HEAD`, or use --all")
        .into());
    }
    let oids = commits
        .iter()
        .map(|c| git::oid(&c.id))
        .collect::<Result<Vec<_>>>()?;
    let first = commits.remove(0);
    commits.insert(0, first_frame_commit(git, analysis, first)?);
    Ok((
        crate::model::Review {
            range: range.spec.clone(),
            commits,
            plan_summary: None,
        },
        oids,
    ))
}
