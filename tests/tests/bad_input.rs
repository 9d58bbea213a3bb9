//! Bad patch input, one case per row: each is refused with a one-line reason (with its position where
//! there is one), nothing panics, and time and memory stay bounded (the huge and deeply nested files are
//! refused by a stated limit, not by running out of stack or memory).

use std::path::Path;

use ferrule_engine::compile::validate::{MAX_CONNECTIONS, MAX_MODULATIONS, MAX_NODES};
use ferrule_engine::{CompileSettings, PatchSource, compile};

/// The first line of what `ferrule check` prints for `text`, or `None` when it compiles.
fn first_line(text: &str) -> Option<String> {
    let source = PatchSource { path: "p.ron".into(), text: text.into() };
    let diagnostics = compile(&source, &CompileSettings::default()).err()?;
    let rendered = diagnostics.to_string();
    Some(rendered.lines().next().unwrap_or_default().to_string())
}

/// `count` sine nodes in an otherwise valid patch.
fn many_nodes(count: usize) -> String {
    let mut text = String::from("(version: 1, nodes: {\n");
    for i in 0..count {
        text.push_str(&format!("  \"n{i}\": (kind: \"sine\"),\n"));
    }
    text.push_str("}, output: Mono(\"n0.out\"))");
    text
}

#[test]
fn bad_patch_text_gets_a_one_line_reason_with_its_position() {
    let garbage: String = {
        // Printable junk with brackets and quotes, the kind a mangled file holds.
        const JUNK: &[u8] = b"(){}[]:,\"'#/*0123456789abcdefXYZ \n\t\\.";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        (0..4096)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                JUNK[(seed % JUNK.len() as u64) as usize] as char
            })
            .collect()
    };
    let cases: [(&str, String, &str); 9] = [
        ("empty", String::new(), "p.ron:1:1: error: the file is empty"),
        ("whitespace only", "  \n\n ".into(), "p.ron:1:1: error: the file is empty"),
        ("garbage", garbage, "p.ron:1:"),
        ("binary as text", "\u{0}\u{1}\u{7f}\u{fffd}ELF\u{2}".into(), "p.ron:1:1: error: "),
        (
            "unknown version",
            "(version: 7, nodes: { \"o\": (kind: \"sine\") }, output: Mono(\"o\"))".into(),
            "p.ron:1:11: error: this file is written for patch version 7; this build reads version 1",
        ),
        (
            "deeply nested",
            format!("(version: 1, nodes: {{ \"o\": (kind: \"sine\", params: {{ \"level\": {}", "[(".repeat(50_000)),
            "p.ron:1:122: error: brackets are nested more than 128 deep",
        ),
        ("deeply nested lists", "[".repeat(100_000), "p.ron:1:1: error: expected opening `(`"),
        (
            "deeply nested value",
            format!(
                "(version: 1, nodes: {{ \"o\": (kind: \"sine\", params: {{ \"level\": {}1{} }}) }})",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            "p.ron:1:122: error: brackets are nested more than 128 deep",
        ),
        ("truncated", "(version: 1, nodes: { \"o\": (kind: \"si".into(), "p.ron:1:35: error: expected end of string"),
    ];
    for (name, text, expected) in &cases {
        let line = std::panic::catch_unwind(|| first_line(text))
            .unwrap_or_else(|_| panic!("{name}: compile panicked"))
            .unwrap_or_else(|| panic!("{name}: compiled"));
        eprintln!("{name}: {line}");
        assert!(line.starts_with(expected), "{name}: {line}");
        assert!(line.len() < 200, "{name}: one short line: {line}");
    }
}

#[test]
fn a_patch_with_100_000_nodes_is_refused_by_the_node_limit() {
    let line = first_line(&many_nodes(100_000)).expect("refused");
    assert_eq!(
        line,
        format!("p.ron:1:14: error: a patch has at most {MAX_NODES} nodes and effects (this one has 100000)")
    );
}

#[test]
fn a_patch_at_the_node_limit_still_compiles() {
    assert_eq!(first_line(&many_nodes(MAX_NODES)), None);
    let line = first_line(&many_nodes(MAX_NODES + 1)).expect("refused");
    assert!(line.contains(&format!("at most {MAX_NODES} nodes")), "{line}");
}

#[test]
fn too_many_connections_or_routes_are_refused_by_their_limits() {
    let wires = "(\"o.out\", \"a.in\"),".repeat(MAX_CONNECTIONS + 1);
    let text = format!(
        "(version: 1, nodes: {{ \"o\": (kind: \"sine\"), \"a\": (kind: \"vca\") }}, connections: [{wires}], output: Mono(\"a\"))"
    );
    let line = first_line(&text).expect("refused");
    assert!(
        line.ends_with(&format!(
            "error: a patch has at most {MAX_CONNECTIONS} connections and feedback wires (this one has {})",
            MAX_CONNECTIONS + 1
        )),
        "{line}"
    );
    let routes = "(from: \"velocity\", to: \"a.gain\", depth: 0.1),".repeat(MAX_MODULATIONS + 1);
    let text = format!(
        "(version: 1, nodes: {{ \"o\": (kind: \"sine\"), \"a\": (kind: \"vca\") }}, modulations: [{routes}], output: Mono(\"a\"))"
    );
    let line = first_line(&text).expect("refused");
    assert!(line.contains(&format!("at most {MAX_MODULATIONS} modulation routes")), "{line}");
}

#[test]
fn wrong_values_each_get_their_own_reason() {
    let cases = [
        (r#"(version: -1, nodes: {}, output: Mono("x"))"#, "p.ron:1:"),
        (r#"(version: 1, nodes: { "o": (kind: 3) }, output: Mono("o"))"#, "p.ron:1:"),
        (r#"(version: 1, nodes: { "o": (kind: "sine", params: { "level": "loud" }) }, output: Mono("o"))"#, "p.ron:1:"),
        (r#"(version: 1, nodes: { "o": (kind: "sine", params: { "level": 1e999 }) }, output: Mono("o"))"#, "p.ron:1:"),
        (r#"(version: 1, voice: (polyphony: 100000), nodes: { "o": (kind: "sine") }, output: Mono("o"))"#, "p.ron:1:"),
        (r#"(version: 1, voice: (polyphony: 99999999999999999999), nodes: {}, output: Mono("o"))"#, "p.ron:1:"),
        (r#"(version: 1, nodes: { "o": (kind: "sine") }, output: Stereo("o"))"#, "p.ron:1:"),
    ];
    for (text, expected) in cases {
        let line = first_line(text).unwrap_or_else(|| panic!("compiled: {text}"));
        assert!(line.starts_with(expected) && line.contains(": error: "), "{text}\n{line}");
    }
}

/// A scratch directory unique to this test process.
fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrule-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What reading `path` as a patch says, as the CLI and plugin print it.
fn read_error(path: &Path) -> String {
    match PatchSource::read(path) {
        Ok(_) => panic!("{}: read", path.display()),
        Err(e) => format!("{}: error: {e}", path.display()),
    }
}

#[test]
fn unreadable_files_get_a_one_line_reason() {
    let dir = scratch();
    let binary = dir.join("binary.ron");
    std::fs::write(&binary, b"(version: 1, \xff\xfe\x00\x80 nodes: {})").unwrap();
    assert!(
        read_error(&binary)
            .ends_with("error: the file is not UTF-8 text: byte 13 (line 1, column 14) is 0xff; save it as UTF-8"),
        "{}",
        read_error(&binary)
    );
    let line = read_error(&dir);
    assert!(line.contains("error: Is a directory"), "{line}");
    let line = read_error(&dir.join("missing.ron"));
    assert!(line.contains("error: No such file or directory"), "{line}");
    assert_eq!(line.lines().count(), 1);
}

#[cfg(unix)]
#[test]
fn a_file_without_read_permission_gets_a_one_line_reason() {
    use std::os::unix::fs::PermissionsExt;
    let path = scratch().join("locked.ron");
    std::fs::write(&path, ferrule_tests::patch::SINE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root (CI containers): permissions do not stop root, so there is nothing to test.
        eprintln!("skipped: this process can read a mode-000 file (running as root)");
        return;
    }
    let line = read_error(&path);
    assert!(line.ends_with("error: Permission denied (os error 13)"), "{line}");
}

#[test]
fn the_first_invalid_utf8_byte_is_named_by_offset_line_and_column() {
    let path = scratch().join("latin1.ron");
    // Line 3, after two multi-byte characters: the column counts characters, the offset bytes.
    let before = "(version: 1,\n  nodes: {\n  \"é—\": (kind: \"sine\", name: \"caf";
    std::fs::write(&path, [before.as_bytes(), b"\xe9\")"].concat()).unwrap();
    let line = read_error(&path);
    let offset = before.len();
    assert!(
        line.ends_with(&format!(
            "error: the file is not UTF-8 text: byte {offset} (line 3, column 34) is 0xe9; save it as UTF-8"
        )),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);
}

#[test]
fn a_patch_file_over_the_size_limit_is_refused_before_parsing() {
    use ferrule_engine::patch::MAX_PATCH_BYTES;
    let dir = scratch();
    // Just over the limit: refused with the file's size and the limit.
    let path = dir.join("big.ron");
    let mut text = many_nodes(10);
    text.push_str(&" ".repeat(MAX_PATCH_BYTES as usize + 1 - text.len()));
    std::fs::write(&path, &text).unwrap();
    assert_eq!(
        read_error(&path),
        format!(
            "{}: error: the file is {} bytes; a patch file may be at most 4 MiB ({MAX_PATCH_BYTES} bytes)",
            path.display(),
            MAX_PATCH_BYTES + 1
        )
    );
    // Exactly at the limit: read (and then judged by the compiler like any other text).
    text.pop();
    std::fs::write(&path, &text).unwrap();
    assert_eq!(PatchSource::read(&path).expect("at the limit").text.len() as u64, MAX_PATCH_BYTES);
    // A sparse 64 GiB file: refused after reading the limit, not by running out of memory.
    let huge = dir.join("huge.ron");
    let file = std::fs::File::create(&huge).unwrap();
    if file.set_len(64 << 30).is_err() {
        eprintln!("skipped the 64 GiB case: this file system has no sparse files");
        return;
    }
    assert_eq!(
        read_error(&huge),
        format!(
            "{}: error: the file is {} bytes; a patch file may be at most 4 MiB ({MAX_PATCH_BYTES} bytes)",
            huge.display(),
            64u64 << 30
        )
    );
    std::fs::remove_file(&huge).unwrap();
}

#[test]
fn the_100_000_node_file_fits_the_size_limit_and_gets_the_node_limit() {
    let path = scratch().join("nodes.ron");
    std::fs::write(&path, many_nodes(100_000)).unwrap();
    let source = PatchSource::read(&path).expect("2.8 MB is under the size limit");
    let Err(diagnostics) = compile(&source, &CompileSettings::default()) else { panic!("compiled") };
    let first = diagnostics.to_string().lines().next().unwrap().to_string();
    assert!(
        first.ends_with(&format!("error: a patch has at most {MAX_NODES} nodes and effects (this one has 100000)")),
        "{first}"
    );
}
