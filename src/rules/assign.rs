//! Which boundary owns each file: the boundary whose `paths` glob matching the file is the
//! most specific. Two boundaries claiming a file with equally specific globs is a spec error,
//! reported at both globs.

use crate::facts::FactGraph;
use crate::spec::model::{Glob, GlobCandidate};
use crate::spec::{Spec, SpecError};

/// The boundary (index into `spec.boundaries`) of each file of the graph.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    pub boundary: Vec<Option<usize>>,
}

impl Assignment {
    /// The boundary of a file, if any claims it.
    pub fn of(&self, file: u32) -> Option<usize> {
        self.boundary.get(file as usize).copied().flatten()
    }
}

/// Assigns files to boundaries; every tie is reported.
pub fn assign(spec: &Spec, graph: &FactGraph) -> Result<Assignment, Vec<SpecError>> {
    let mut errors = Vec::new();
    let mut boundary = Vec::with_capacity(graph.files.len());
    // Every file against every boundary's globs (~150k matches on the large corpus: ~8 ms of
    // a one-file check on one thread), in parallel; the results in file order.
    let owners = crate::facts::par::map(graph.files.len(), graph.threads, |i| {
        owner(spec, &graph.files[i].path)
    });
    for owned in owners {
        match owned {
            Ok(b) => boundary.push(b),
            Err(e) => {
                errors.push(*e.error);
                boundary.push(Some(e.winner));
            }
        }
    }
    if errors.is_empty() {
        Ok(Assignment { boundary })
    } else {
        errors.sort_by_key(|e| e.span.start);
        errors.dedup_by(|a, b| a.span == b.span);
        Err(errors)
    }
}

/// Two boundaries claim a path with equally specific globs.
#[derive(Debug, Clone)]
pub struct Tie {
    /// The boundary found first (the one `assign` keeps).
    pub winner: usize,
    /// The spec error to report.
    pub error: Box<SpecError>,
}

/// The boundary that owns a path relative to the spec root (it need not exist): the one whose
/// matching `paths` glob is the most specific.
pub fn owner(spec: &Spec, path: &str) -> Result<Option<usize>, Tie> {
    let mut best: Option<(usize, &Glob)> = None;
    let mut tie: Option<(usize, &Glob)> = None;
    // The path split into its parts once, not once per glob.
    let candidate = GlobCandidate::new(path);
    for (bi, b) in spec.boundaries.iter().enumerate() {
        let Some(glob) = b
            .paths
            .iter()
            .filter(|g| g.matches(&candidate))
            .max_by_key(|g| g.specificity)
        else {
            continue;
        };
        match best {
            None => best = Some((bi, glob)),
            Some((_, bg)) if glob.specificity > bg.specificity => {
                best = Some((bi, glob));
                tie = None;
            }
            Some((_, bg)) if glob.specificity == bg.specificity => tie = Some((bi, glob)),
            Some(_) => {}
        }
    }
    match (best, tie) {
        (Some((b1, g1)), Some((b2, g2))) => Err(Tie {
            winner: b1,
            error: Box::new(tie_error(spec, path, b1, g1, b2, g2)),
        }),
        _ => Ok(best.map(|(b, _)| b)),
    }
}

fn tie_error(spec: &Spec, file: &str, b1: usize, g1: &Glob, b2: usize, g2: &Glob) -> SpecError {
    let n1 = &spec.boundaries[b1].name.value;
    let n2 = &spec.boundaries[b2].name.value;
    SpecError {
        code: "spec::ambiguous-boundary",
        message: format!(
            "`{file}` is claimed by boundaries `{n1}` and `{n2}` with equally specific globs"
        ),
        span: g2.span.clone(),
        label: format!("ties with `{}` of `{n1}`", g1.text),
        help: Some(
            "make one glob more specific (a longer literal prefix wins), or remove the overlap"
                .into(),
        ),
    }
}
