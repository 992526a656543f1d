//! Contract: no function in signals-macros (tests and the fuzzer included)
//! is longer than 80 lines, counted from its `fn` line to its closing brace.
//! The macro crate is read by people checking what the expansion does; a
//! longer function is split by the piece it builds (issue 14).

use std::path::{Path, PathBuf};

const LIMIT: usize = 80;

/// One function: where it starts and how many lines it spans.
#[derive(Debug)]
struct Function {
    file: PathBuf,
    line: usize,
    name: String,
    lines: usize,
}

/// The name of the function a line declares, if it starts one
/// (`pub(crate) const async fn name`); `None` for anything else.
fn declared(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    if rest.starts_with("//") {
        return None;
    }
    if let Some(after) = rest.strip_prefix("pub") {
        rest = after.trim_start();
        if rest.starts_with('(') {
            rest = &rest[rest.find(')')? + 1..];
        }
        rest = rest.trim_start();
    }
    for qualifier in ["const ", "async ", "unsafe "] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest).trim_start();
    }
    let rest = rest.strip_prefix("fn ")?;
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// The braces of a line that are code: not in a comment, a string or a
/// character literal (a lifetime's quote is not a literal).
fn code_braces(line: &str) -> Vec<char> {
    let chars: Vec<char> = line.chars().collect();
    let mut braces = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '/' if chars.get(at + 1) == Some(&'/') => break,
            '"' => {
                at += 1;
                while at < chars.len() && chars[at] != '"' {
                    at += if chars[at] == '\\' { 2 } else { 1 };
                }
            }
            '\'' if chars.get(at + 2) == Some(&'\'') => at += 2,
            '\'' if chars.get(at + 1) == Some(&'\\') => {
                at += 2;
                while at < chars.len() && chars[at] != '\'' {
                    at += 1;
                }
            }
            c @ ('{' | '}' | ';') => braces.push(c),
            _ => {}
        }
        at += 1;
    }
    braces
}

/// Every function with a body in one file, nested ones included.
fn functions(file: &Path) -> Vec<Function> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = declared(line) else { continue };
        let mut depth = 0usize;
        let mut opened = false;
        'scan: for (offset, line) in lines[start..].iter().enumerate() {
            for c in code_braces(line) {
                match c {
                    '{' => (depth, opened) = (depth + 1, true),
                    '}' => depth -= 1,
                    // A declaration without a body (a trait method).
                    ';' if !opened => break 'scan,
                    _ => {}
                }
                if opened && depth == 0 {
                    found.push(Function {
                        file: file.to_owned(),
                        line: start + 1,
                        name: name.to_owned(),
                        lines: offset + 1,
                    });
                    break 'scan;
                }
            }
        }
    }
    found
}

fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn the_scanner_measures_functions() {
    assert_eq!(
        declared("    pub(crate) fn parse(input: &str) {"),
        Some("parse")
    );
    assert_eq!(declared("const fn new() -> Self {"), Some("new"));
    assert_eq!(declared("// fn commented() {}"), None);
    assert_eq!(declared("let fnord = 1;"), None);
    assert_eq!(code_braces("let s = \"{\"; let c = '}'; // {"), [';', ';']);
    assert_eq!(code_braces("fn f<'a>(x: &'a str) {"), ['{']);
    let own = functions(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/function_length.rs"));
    let this = own
        .iter()
        .find(|f| f.name == "the_scanner_measures_functions");
    assert!(this.is_some_and(|f| f.lines > 10), "{own:?}");
}

#[test]
fn no_function_exceeds_80_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("tests"), &mut files);
    let mut all: Vec<Function> = files.iter().flat_map(|file| functions(file)).collect();
    assert!(
        all.len() > 100,
        "the scan found only {} functions",
        all.len()
    );
    all.sort_by_key(|f| std::cmp::Reverse(f.lines));
    let long: Vec<String> = all
        .iter()
        .take_while(|f| f.lines > LIMIT)
        .map(|f| {
            format!(
                "{}:{} `{}`: {} lines",
                f.file.display(),
                f.line,
                f.name,
                f.lines
            )
        })
        .collect();
    assert!(
        long.is_empty(),
        "functions over {LIMIT} lines (split them by what they build):\n{}",
        long.join("\n")
    );
    let longest = &all[0];
    println!(
        "longest: {}:{} `{}`, {} lines",
        longest.file.display(),
        longest.line,
        longest.name,
        longest.lines
    );
}
