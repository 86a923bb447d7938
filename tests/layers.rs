//! Lower layers never reach up: the iCalendar model (`ical`), the text
//! model and its queries (`query`) and the storage (`store`) are read, tested
//! and changed without the protocol, the feeds or the web pages. This reads
//! their sources and names every `crate::` path that goes the wrong way.

use std::path::Path;

/// What each lower layer must not use (besides itself).
const RULES: &[(&str, &[&str])] = &[
    (
        "src/ical",
        &[
            "api",
            "app",
            "auth",
            "cli",
            "conflicts",
            "dav",
            "feeds",
            "query",
            "server",
            "store",
            "web",
        ],
    ),
    (
        "src/query",
        &[
            "api",
            "app",
            "auth",
            "cli",
            "conflicts",
            "dav",
            "feeds",
            "server",
            "store",
            "web",
        ],
    ),
    (
        "src/store",
        &[
            "api",
            "app",
            "auth",
            "cli",
            "conflicts",
            "dav",
            "feeds",
            "server",
            "web",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules a line names through `crate::`, grouped imports included
/// (`use crate::{dav, store::x}`).
fn crate_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        let rest = &line[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            found.extend(inner.split(',').map(|item| {
                item.trim()
                    .split("::")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            }));
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

#[test]
fn lower_layers_do_not_use_upper_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wrong = Vec::new();
    for (dir, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&root.join(dir), &mut files);
        assert!(!files.is_empty(), "no sources under {dir}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for module in crate_modules(line) {
                    if forbidden.contains(&module.as_str()) {
                        wrong.push(format!(
                            "{}:{}: crate::{module}: {}",
                            file.strip_prefix(root).unwrap().display(),
                            number + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "lower layers reaching up (move the helper down, to the layer it belongs to):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_grouped_and_plain_paths() {
    assert_eq!(crate_modules("use crate::dav::props;"), ["dav"]);
    assert_eq!(
        crate_modules("use crate::{store::objects, web};"),
        ["store", "web"]
    );
    assert_eq!(
        crate_modules(".and_then(crate::dav::proppatch::timezone_id)"),
        ["dav"]
    );
}
