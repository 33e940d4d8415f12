//! No module cycle inside `src/tui/` (issue 11.3): at every level, the modules of a folder
//! must not depend on each other in a circle. A file's dependencies are read with `syn`
//! from its `use` items and every path it names (`super::x::f()`, `crate::tui::x::T`);
//! `#[cfg(test)]` code is left out. What a module takes from its parent's own file (a type
//! defined in `mod.rs`) is not a dependency on a sibling.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// A module's path under `src/tui` (`["inspector", "filter"]`) and its file.
fn modules(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            if name.starts_with("tests") {
                continue;
            }
            let mut p = prefix.to_vec();
            if name != "mod" {
                p.push(name);
            }
            out.push((p, path));
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Every path a file names, as absolute module paths under `tui` when it is one.
struct Paths {
    /// The module the file is.
    me: Vec<String>,
    /// Module paths named, absolute under `tui`.
    found: BTreeSet<Vec<String>>,
}

impl Paths {
    fn resolve(&mut self, segments: &[String]) {
        let mut base: Vec<String> = self.me.clone();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") if rest.get(1).map(String::as_str) == Some("tui") => {
                base.clear();
                rest = &rest[2..];
            }
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop();
                    rest = &rest[1..];
                }
            }
            Some("self") => rest = &rest[1..],
            _ => return,
        }
        let mut path = base;
        path.extend(rest.iter().cloned());
        self.found.insert(path);
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.resolve(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.resolve(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.resolve(&prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.resolve(&segments);
        syn::visit::visit_path(self, p);
    }
}

fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Tarjan's strongly connected components; a component of two or more is a cycle.
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        for w in t.g.get(v).into_iter().flatten() {
            if !t.index.contains_key(w.as_str()) {
                visit(t, w);
                let l = t.low[w.as_str()].min(t.low[v]);
                t.low.insert(v, l);
            } else if t.stack.contains(&w.as_str()) {
                let l = t.index[w.as_str()].min(t.low[v]);
                t.low.insert(v, l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_module_cycle_inside_tui() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut mods = Vec::new();
    modules(&root, &[], &mut mods);
    let known: BTreeSet<Vec<String>> = mods.iter().map(|(m, _)| m.clone()).collect();
    // Per folder: its direct children and the edges between them.
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (me, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // `super` is the parent of the module (of the folder, for a mod.rs), `self` the module.
        let mut paths = Paths {
            me: me.clone(),
            found: BTreeSet::new(),
        };
        paths.visit_file(&ast);
        for target in paths.found {
            // The longest known module the path starts with.
            let Some(dep) = (1..=target.len())
                .rev()
                .map(|n| target[..n].to_vec())
                .find(|p| known.contains(p))
            else {
                continue;
            };
            // At each shared folder, an edge between the two children that lead to them.
            let common = me.iter().zip(&dep).take_while(|(a, b)| a == b).count();
            if common < me.len() && common < dep.len() {
                let folder = me[..common].to_vec();
                graphs
                    .entry(folder)
                    .or_default()
                    .entry(me[common].clone())
                    .or_default()
                    .insert(dep[common].clone());
            }
        }
    }
    let mut found = Vec::new();
    for (folder, graph) in &graphs {
        for c in cycles(graph) {
            let edges: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    graph[a]
                        .iter()
                        .filter(|b| c.contains(b))
                        .map(move |b| format!("{a} → {b}"))
                })
                .collect();
            found.push(format!(
                "tui/{}: {}\n  {}",
                folder.join("/"),
                c.join(" ⇄ "),
                edges.join("\n  ")
            ));
        }
    }
    assert!(
        graphs.contains_key(&Vec::new()),
        "no dependency found at all: the scan is broken"
    );
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}
