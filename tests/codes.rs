//! Every code the source emits is in the codebook (src/codes.rs), and every code
//! listed there is emitted somewhere: the list cannot drift from the code.

use std::collections::BTreeSet;

/// String literals that the source passes as a code: `warn(path, "code", …)`,
/// `code: "code"`, `failed(source, "code", …)`, `PdfError::new("code", …)`,
/// `unreadable("code", …)`, the walker's `problem(…, "code", …)`, `=> ("code", …)` and
/// the column pass's `doubts.push((line, "code", …))`.
fn emitted() -> BTreeSet<String> {
    let re = regex::Regex::new(r#"(?:\bwarn\([^\n]*?, |code: |failed\([a-z_]+, |PdfError::new\(\s*|unreadable\(|problem\(&mut d, [^,]+, |=> \(|doubts\.push\(\([a-z_]+, )"([a-z_]+)""#).unwrap();
    let mut out = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                // Unit tests build records with made-up codes; only the code counts.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                out.extend(re.captures_iter(code).map(|c| c[1].to_string()));
            }
        }
    }
    out
}

#[test]
fn emitted_codes_and_the_codebook_agree() {
    let listed: BTreeSet<String> = piasheet::codes::WARNINGS
        .iter()
        .chain(piasheet::codes::FINDINGS)
        .chain(piasheet::codes::ERRORS)
        .map(|(c, _)| c.to_string())
        .collect();
    let emitted = emitted();
    // The walker's codes and a few of the batch's are written as constants elsewhere;
    // every one that the source emits must be listed.
    let unlisted: Vec<&String> = emitted.iter().filter(|c| !listed.contains(*c)).collect();
    assert!(unlisted.is_empty(), "emitted but not in src/codes.rs: {unlisted:?}");
    let never: Vec<&String> = listed.iter().filter(|c| !emitted.contains(*c)).collect();
    assert!(never.is_empty(), "in src/codes.rs but never emitted: {never:?}");
}
