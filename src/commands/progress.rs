//! A progress bar on stderr while the facts are built. Only on a terminal, only for runs long
//! enough to need one (it appears after `DELAY`), and never in tests or pipes (their stderr is
//! not a terminal). Facts only counts (`facts::Progress`); drawing is done here.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::facts::{self, BuildOptions, FactGraph, Input, Progress};

/// A run shorter than this never shows a bar.
const DELAY: Duration = Duration::from_millis(400);

/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(80);

/// Builds the facts; when `show` and stderr is a terminal, draws how many files are parsed.
pub(crate) fn build(root: &Path, options: BuildOptions, show: bool) -> FactGraph {
    let input = facts::scan(root, &options);
    let (graph, pending) = build_from(root, input, options, show);
    if let Some(p) = pending {
        p.save(&graph);
    }
    graph
}

/// [`build`] from a scan already made, leaving the resolution snapshot to write to the caller
/// (see [`facts::build_deferred`]).
pub(crate) fn build_from(
    root: &Path,
    input: Input,
    mut options: BuildOptions,
    show: bool,
) -> (FactGraph, Option<facts::PendingSnapshot>) {
    if !show || !std::io::stderr().is_terminal() {
        return facts::build_deferred(root, input, &options);
    }
    let progress = Arc::new(Progress::default());
    options.progress = Some(Arc::clone(&progress));
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let drawer = s.spawn(|| draw(&progress, &done));
        let built = facts::build_deferred(root, input, &options);
        done.store(true, Ordering::Relaxed);
        drawer.thread().unpark();
        built
    })
}

fn draw(progress: &Progress, done: &AtomicBool) {
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    while !done.load(Ordering::Relaxed) {
        std::thread::park_timeout(TICK);
        if done.load(Ordering::Relaxed) {
            break;
        }
        if bar.is_none() && started.elapsed() >= DELAY {
            bar = Some(new_bar());
        }
        if let Some(bar) = &bar {
            let files = progress.files.load(Ordering::Relaxed);
            if files > 0 {
                bar.set_length(files as u64);
            }
            bar.set_position(progress.parsed.load(Ordering::Relaxed) as u64);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} parsing {pos}/{len} files {wide_bar} {eta}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(TICK);
    bar
}
