//! Independent jobs spread over the cores, the calling thread among them.
//!
//! Why not a pool: the jobs come in bursts (a commit's renamed files once its last file is in,
//! the signatures of its added and deleted files), each burst waits for its slowest job, and a
//! thread started for a burst of a few jobs costs more than it saves (on an idle core of a
//! virtual machine one was seen to wait up to 2 ms before it first ran), so a burst gets one
//! thread per `per_thread` jobs, at most one per core.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;

/// The cores worth using, at most four: beyond that the jobs here wait on each other's memory.
pub fn cores() -> usize {
    available().clamp(1, 4)
}

/// The cores this process may use, asked once: `available_parallelism` reads the cgroup's
/// quota from /proc and /sys each time (four system calls), and a long range asked once per
/// commit.
pub fn available() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `job(state, i)` for each `i` in `0..n`, the results in order. Each thread makes its own
/// state with `init` (a repository handle: libgit2's are not shared between threads). The first
/// error is returned once every thread has stopped.
pub fn map<S, R: Send>(
    n: usize,
    per_thread: usize,
    init: impl Fn() -> Result<S> + Sync,
    job: impl Fn(&mut S, usize) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = cores().min(n / per_thread.max(1)).max(1);
    let next = AtomicUsize::new(0);
    let run = || -> Result<Vec<(usize, R)>> {
        let mut state = init()?;
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return Ok(done);
            }
            done.push((i, job(&mut state, i)?));
        }
    };
    let parts = std::thread::scope(|s| -> Result<Vec<Vec<(usize, R)>>> {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(run)).collect();
        let mine = run();
        // Every helper is joined before any error is returned, so none outlives the call.
        let theirs: Vec<_> = helpers
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker thread panicked")))
            })
            .collect();
        std::iter::once(mine).chain(theirs).collect()
    })?;
    let mut slots: Vec<Option<R>> = (0..n).map(|_| None).collect();
    for (i, r) in parts.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots
        .into_iter()
        .map(|r| r.ok_or_else(|| anyhow::anyhow!("a job did not run")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_whatever_thread_ran_them() {
        let out = map(
            1000,
            10,
            || Ok(0usize),
            |count, i| {
                *count += 1;
                Ok(i * 2)
            },
        )
        .unwrap();
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert!(map(0, 1, || Ok(()), |_, i| Ok(i)).unwrap().is_empty());
    }

    #[test]
    fn an_error_of_any_job_or_of_a_thread_state_is_returned() {
        let err = map(
            100,
            1,
            || Ok(()),
            |_, i| {
                if i == 57 {
                    anyhow::bail!("job 57 failed")
                }
                Ok(i)
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "job 57 failed");
        let err = map(
            10,
            1,
            || -> Result<()> { anyhow::bail!("no state") },
            |_, i| Ok(i),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "no state");
    }
}
