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
    // The path split into its parts once, and matched against every glob at once.
    let candidate = GlobCandidate::new(path);
    let mut matching = Vec::new();
    spec.path_owners
        .matching(&spec.boundaries, &candidate, &mut matching);
    let mut best: Option<(usize, &Glob)> = None;
    let mut tie: Option<(usize, &Glob)> = None;
    let mut rest = matching.as_slice();
    while let Some(&(bi, _)) = rest.first() {
        let n = rest.iter().take_while(|(b, _)| *b == bi).count();
        let (mine, after) = rest.split_at(n);
        rest = after;
        // The boundary's most specific matching glob (the last of equals, as `max_by_key`).
        let Some(glob) = mine
            .iter()
            .filter_map(|&(_, gi)| spec.boundaries.get(bi)?.paths.get(gi))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::PathOwners;

    /// The owner as it was found before [`PathOwners`]: every glob of every boundary matched on
    /// its own, the most specific of a boundary's matching globs (the last of equals) kept.
    fn owner_one_by_one(spec: &Spec, path: &str) -> Result<Option<usize>, usize> {
        let candidate = GlobCandidate::new(path);
        let mut best: Option<(usize, &Glob)> = None;
        let mut tie = false;
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
                    tie = false;
                }
                Some((_, bg)) if glob.specificity == bg.specificity => tie = true,
                Some(_) => {}
            }
        }
        match best {
            Some((b, _)) if tie => Err(b),
            other => Ok(other.map(|(b, _)| b)),
        }
    }

    #[test]
    fn owners_found_as_one_set_are_the_owners_glob_by_glob() {
        let yaml = r#"
version: 1
system: { name: owners }
boundaries:
  api: { paths: ["src/api/**", "src/api.rs", "src/*/mod.rs"] }
  core: { paths: ["src/**", "src/core/{a,b}/*.rs"] }
  tests: { paths: ["tests/**", "**/tests.rs", "src/api/tests.rs"] }
  gen: { paths: ["src/gen/[a-m]*.rs", "src/gen/**"] }
  other: { paths: ["src/gen/**"] }
"#;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("owners.yaml");
        let mut spec = crate::spec::load_bytes(&path, yaml.as_bytes()).expect("valid spec");
        let paths = [
            "src/api/mod.rs",
            "src/api/deep/x.rs",
            "src/api.rs",
            "src/api/tests.rs",
            "src/core/a/x.rs",
            "src/core/c/x.rs",
            "src/core/mod.rs",
            "src/lib.rs",
            "src/tests.rs",
            "tests/it.rs",
            "tests/deep/tests.rs",
            "src/gen/alpha.rs",
            "src/gen/zeta.rs",
            "src/gen/sub/x.rs",
            "build.rs",
            "benches/b.rs",
        ];
        let by_set: Vec<_> = paths
            .iter()
            .map(|p| owner(&spec, p).map_err(|t| t.winner))
            .collect();
        let one_by_one: Vec<_> = paths.iter().map(|p| owner_one_by_one(&spec, p)).collect();
        assert_eq!(by_set, one_by_one);
        // Both ties and unowned paths occur, so the comparison covers every outcome.
        assert!(by_set.iter().any(Result::is_err));
        assert!(by_set.iter().any(|o| matches!(o, Ok(None))));
        // Without the set (it failed to build), the globs are matched one by one.
        spec.path_owners = PathOwners::default();
        let fallback: Vec<_> = paths
            .iter()
            .map(|p| owner(&spec, p).map_err(|t| t.winner))
            .collect();
        assert_eq!(fallback, one_by_one);
    }
}
