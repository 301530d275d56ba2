//! The import graph stays a house with stairs: no file of a crate imports,
//! through any chain, a file that imports it back (no circle), and the
//! domain's kernel imports no slice. Read from the code itself: every
//! `crate::`, `super::` and `self::` path of a file (in `use` trees and
//! inline) points at the file that defines the module it names. Test
//! modules (`#[cfg(test)] mod tests`) are left out: tests may reach
//! anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The domain's ground floors: what every slice stands on. None of them
/// may import a slice.
const KERNEL: &[&str] = &["actor", "change", "credentials", "deps", "error", "events", "lifetimes", "limits", "outbox", "sensitive", "support"];

/// One crate's files: module path (`["sessions", "devices"]`) → file, and
/// what each file hands on (`pub use`): name → the path it stands for.
struct Crate {
    files: BTreeMap<Vec<String>, PathBuf>,
    uses: BTreeMap<Vec<String>, Vec<Named>>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut files = BTreeMap::new();
        walk(src, src, &mut files);
        let uses = files
            .iter()
            .map(|(module, file)| (module.clone(), paths(&code_only(&std::fs::read_to_string(file).expect("read a source file")))))
            .collect();
        Crate { files, uses }
    }

    /// `path` as it is written in `module`, from the crate root; `None`
    /// for another crate's path.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let (head, rest) = path.split_first()?;
        let mut base: Vec<String> = match head.as_str() {
            "crate" => vec![],
            "self" => module.to_vec(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            // A child module, named from its parent without `self::`.
            child if self.files.contains_key(&[module, &[child.to_owned()]].concat()) => [module, &[child.to_owned()]].concat(),
            _ => return None,
        };
        let mut rest = rest.iter().peekable();
        while rest.peek().is_some_and(|s| *s == "super") {
            base.pop();
            rest.next();
        }
        base.extend(rest.cloned());
        Some(base)
    }

    /// The file that defines what `path` (from the crate root) names: the
    /// module's own file, or, for an item, the file of its module, followed
    /// through the `pub use` that hands it on.
    fn file_of(&self, path: &[String], depth: u8) -> Option<&PathBuf> {
        let n = (0..=path.len()).rev().find(|n| self.files.contains_key(&path[..*n]))?;
        let (module, item) = (&path[..n], &path[n..]);
        if let (Some(name), true) = (item.first(), depth < 8) {
            let handed_on = self.uses.get(module).into_iter().flatten().find(|u| u.public && &u.name == name);
            if let Some(target) = handed_on.and_then(|u| self.absolute(module, &u.path)) {
                let mut target = target;
                target.extend(item[1..].iter().cloned());
                if let Some(file) = self.file_of(&target, depth + 1) {
                    return Some(file);
                }
            }
        }
        self.files.get(module)
    }

    /// file → the files it imports.
    fn arrows(&self) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
        let mut arrows = BTreeMap::new();
        for (module, file) in &self.files {
            let mut to = BTreeSet::new();
            // A `pub use` hands a name on (a module's face): whoever uses
            // the name is drawn to the file that defines it, and the face
            // itself imports nothing by it.
            for named in self.uses.get(module).into_iter().flatten().filter(|u| !u.public) {
                if let Some(target) = self.absolute(module, &named.path).and_then(|p| self.file_of(&p, 0)) {
                    if target != file {
                        to.insert(target.clone());
                    }
                }
            }
            arrows.insert(file.clone(), to);
        }
        arrows
    }
}

fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<Vec<String>, PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            walk(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under the root");
            let mut module: Vec<String> = rel.iter().map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
            if module == ["main"] {
                // A binary's root beside the library: another crate.
                continue;
            }
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            files.insert(module, path);
        }
    }
}

/// The text without comments, string and char literals, and test-only
/// items (`#[cfg(test)]`).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                skip_quoted(&mut chars, '"');
                out.push_str("\"\"");
            }
            // A char literal ('"', '{'), not a lifetime ('a).
            '\'' if chars.clone().nth(1) == Some('\'') || (chars.peek() == Some(&'\\')) => {
                skip_quoted(&mut chars, '\'');
                out.push_str("' '");
            }
            _ => out.push(c),
        }
    }
    without_test_items(&out)
}

/// Steps over a quoted literal's text and its closing `quote`, escapes included.
fn skip_quoted(chars: &mut impl Iterator<Item = char>, quote: char) {
    let mut escaped = false;
    for c in chars {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, q) if q == quote => break,
            _ => escaped = false,
        }
    }
}

/// `code` without the items under `#[cfg(test)]` (up to their closing
/// brace, or their `;`).
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// One path a file names: in a `use` (handed on when `pub`), or inline.
#[derive(Debug, PartialEq)]
struct Named {
    public: bool,
    path: Vec<String>,
    /// What the file calls it (the last segment, or the `as` name).
    name: String,
}

/// Every path a file names in its `use` trees (expanded: `use crate::{a,
/// b::c as d}` gives `crate::a` and `crate::b::c`), and inline those that
/// start at `crate`, `super` or `self`. A module calling its own child
/// inline (`store::find(..)`) is the way down and draws no arrow.
fn paths(code: &str) -> Vec<Named> {
    let tokens = tokens(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "use" {
            let public = i > 0 && matches!(tokens[i - 1].as_str(), "pub" | ")");
            let end = tokens[i..].iter().position(|t| t == ";").map_or(tokens.len(), |p| i + p);
            use_tree(&tokens[i + 1..end], &[], public, &mut out);
            i = end;
        } else if matches!(tokens[i].as_str(), "crate" | "super" | "self") && tokens.get(i + 1).is_some_and(|t| t == "::") {
            let mut path = vec![tokens[i].clone()];
            let mut j = i + 1;
            while tokens.get(j).is_some_and(|t| t == "::") && tokens.get(j + 1).is_some_and(|t| is_ident(t)) {
                path.push(tokens[j + 1].clone());
                j += 2;
            }
            let name = path.last().cloned().unwrap_or_default();
            out.push(Named { public: false, path, name });
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn use_tree(tokens: &[String], prefix: &[String], public: bool, out: &mut Vec<Named>) {
    let mut path = prefix.to_vec();
    let mut alias = None;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t == "{" {
            let mut depth = 0;
            let mut start = i + 1;
            for j in i..tokens.len() {
                match tokens[j].as_str() {
                    "{" => depth += 1,
                    "}" | "," if depth == 1 => {
                        use_tree(&tokens[start..j], &path, public, out);
                        start = j + 1;
                        if tokens[j] == "}" {
                            break;
                        }
                    }
                    "}" => depth -= 1,
                    _ => {}
                }
            }
            return;
        } else if t == "as" {
            alias = tokens.get(i + 1).cloned();
            break;
        } else if is_ident(t) {
            path.push(t.clone());
        }
        i += 1;
    }
    if path.len() > prefix.len() {
        let name = alias.or_else(|| path.last().cloned()).unwrap_or_default();
        out.push(Named { public, path, name });
    }
}

fn is_ident(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

fn tokens(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_alphanumeric() || c == '_' {
            let mut word = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_alphanumeric() || **c == '_') {
                word.push(c);
                chars.next();
            }
            out.push(word);
        } else if c == ':' {
            chars.next();
            if chars.peek() == Some(&':') {
                chars.next();
                out.push("::".into());
            }
        } else if "{},;".contains(c) {
            out.push(c.to_string());
            chars.next();
        } else {
            chars.next();
        }
    }
    out
}

/// The circles of a graph: its strongly connected parts of two or more files.
fn circles(arrows: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    // Two files share a circle when each reaches the other.
    let reach = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(f) = todo.pop() {
            for t in arrows.get(&f).into_iter().flatten() {
                if seen.insert(t.clone()) {
                    todo.push(t.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&PathBuf, BTreeSet<PathBuf>> = arrows.keys().map(|f| (f, reach(f))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (f, r) in &reached {
        if done.contains(*f) || !r.contains(*f) {
            continue;
        }
        let circle: Vec<PathBuf> = r.iter().filter(|g| reached.get(g).is_some_and(|back| back.contains(*f))).cloned().collect();
        done.extend(circle.iter().cloned());
        out.push(circle);
    }
    out
}

fn src(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").join(krate).join("src")
}

fn assert_no_circle(krate: &str) {
    let found = circles(&Crate::read(&src(krate)).arrows());
    assert!(found.is_empty(), "{krate}: files that import each other, through a chain of imports: {found:#?}");
}

#[test]
fn the_domain_has_no_import_circle() {
    assert_no_circle("domain");
}

#[test]
fn the_app_the_server_and_the_wire_have_no_import_circle() {
    for krate in ["app", "server", "proto"] {
        assert_no_circle(krate);
    }
}

#[test]
fn the_kernel_imports_no_slice() {
    let domain = Crate::read(&src("domain"));
    let top = |f: &PathBuf| {
        f.strip_prefix(src("domain")).ok().and_then(|r| r.iter().next()).map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned())
    };
    let mut wrong = Vec::new();
    for (from, to) in domain.arrows() {
        let Some(floor) = top(&from).filter(|t| KERNEL.contains(&t.as_str())) else { continue };
        for t in to {
            let target = top(&t).unwrap_or_default();
            if !KERNEL.contains(&target.as_str()) && target != floor {
                wrong.push(format!("{} imports {}", from.display(), t.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "the kernel reaches up into a slice: {wrong:#?}");
}

#[test]
fn the_check_sees_a_circle_when_there_is_one() {
    // The reader itself: two files that import each other are one circle,
    // through a `use` tree, `super` and an inline path.
    let code = "use crate::{a::{X, b}, c as d};\nfn f() { super::super::e::g(); self::h::i(); }";
    let found: Vec<(Vec<String>, String)> = paths(&code_only(code)).into_iter().map(|n| (n.path, n.name)).collect();
    let want: Vec<(Vec<String>, String)> = [
        (&["crate", "a", "X"][..], "X"),
        (&["crate", "a", "b"], "b"),
        (&["crate", "c"], "d"),
        (&["super", "super", "e", "g"], "g"),
        (&["self", "h", "i"], "i"),
    ]
    .iter()
    .map(|(p, n)| (p.iter().map(|s| s.to_string()).collect(), n.to_string()))
    .collect();
    assert_eq!(found, want);
    let (a, b, c) = (PathBuf::from("a.rs"), PathBuf::from("b.rs"), PathBuf::from("c.rs"));
    let arrows = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone()])),
        (c.clone(), BTreeSet::from([a.clone()])),
    ]);
    assert_eq!(circles(&arrows), vec![vec![a, b]]);
}
