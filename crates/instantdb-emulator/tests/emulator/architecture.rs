//! `ARCHITECTURE.md` maps the crate: every source file must be listed in it, so a new module
//! cannot be added without saying what it is for.

use std::path::Path;

fn source_files(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, root, out);
        } else {
            let relative = path.strip_prefix(root).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn every_source_file_is_listed_in_the_architecture_notes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let notes = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut files = Vec::new();
    source_files(&root.join("src"), root, &mut files);
    assert!(files.len() > 20, "{files:?}");
    let missing: Vec<&String> = files
        .iter()
        .filter(|file| !notes.contains(&format!("`{file}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "list these in ARCHITECTURE.md's \"Where is the code?\": {missing:?}"
    );
}
