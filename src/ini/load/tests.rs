use super::*;
use crate::ini::{load, MemFs};

fn doc(files: &[(&str, &str)]) -> Document {
    let mut fs = MemFs::default();
    for (p, t) in files {
        fs = fs.with(*p, t.as_bytes().to_vec());
    }
    load(Path::new(files[0].0), &LoadOptions::default(), &fs).unwrap_or_default()
}

fn keys(d: &Document, sect: &str) -> Vec<String> {
    d.section(sect).map(|s| s.entries.iter().map(|e| format!("{}={}", e.key, e.value)).collect()).unwrap_or_default()
}

#[test]
fn comments_hash_and_no_equals() {
    let d = doc(&[("/c/r.conf", "; c\n[default]\n  ; c2\n# 5=hash\n#noeq\n^5$=five\n")]);
    assert_eq!(keys(&d, "default"), ["# 5=hash", "#noeq=", "^5$=five"]);
}

#[test]
fn continuation_rules() {
    let d = doc(&[(
        "/c/r.conf",
        "[default]\n^1$=x \\\n   y\\\nz\n^4$=four\\ \n^3$=three \\\\\n^4$=four\nnoeq\\\n^5$=five\n",
    )]);
    assert_eq!(keys(&d, "default"), ["^1$=x yz", "^4$=four\\", "^3$=three \\^4$=four", "noeq\\=", "^5$=five"]);
}

#[test]
fn continuation_spans_map_back() {
    let text = "[d]\na=one \\\n  two\n";
    let d = doc(&[("/c/r.conf", text)]);
    let e = &d.sections[0].entries[0];
    assert_eq!(e.value, "one two");
    let s = e.value_span(4, 7);
    assert_eq!(&text[s.start as usize..s.end as usize], "two");
    let s = e.value_span(0, 3);
    assert_eq!(&text[s.start as usize..s.end as usize], "one");
}

#[test]
fn headers() {
    let d = doc(&[(
        "/c/r.conf",
        "^0=top\n[default]\n^1$=a\n[]\n^2$=b\n[${nosuch}]\n^3$=c\n[ other ]x\n^4$=d\n[abc\n^5$=e\n[default]\n^6$=f\n",
    )]);
    assert_eq!(keys(&d, "default"), ["^1$=a", "^2$=b", "^6$=f"]);
    assert_eq!(keys(&d, "other"), ["^4$=d", "^5$=e"]);
    assert!(matches!(d.notes[0], Note::NoSection { .. }));
    assert_eq!(d.notes.len(), 6, "{:?}", d.notes);
}

#[test]
fn enabled_regions() {
    let d = doc(&[(
        "/c/r.conf",
        "[default]\n[$enabled true]\n^1$=A\n[$enabled elseif true]\n^2$=B\n[other]\n[$enabled elseif true]\n^3$=C\n[$enabled else]\n^4$=D\n[$enabled $loaded regexroute]\n^5$=E\n[$enabled $not $loaded regexroute]\n^6$=F\n[$enabled]\n^7$=G\n",
    )]);
    assert_eq!(keys(&d, "default"), ["^1$=A", "^3$=C", "^5$=E", "^7$=G"]);
    assert!(d.section("other").is_none());
}

#[test]
fn includes_keep_includer_section() {
    let d = doc(&[
        ("/c/r.conf", "[default]\n^1$=one\n[$include inc.conf]\n^x$=outer\n[$include]\n.*=lit\n"),
        ("/c/inc.conf", "^x$=inner\n[incsect]\n^y$=y\n"),
    ]);
    assert_eq!(keys(&d, "default"), ["^1$=one", "^x$=inner", "^x$=outer"]);
    assert_eq!(keys(&d, "incsect"), ["^y$=y"]);
    assert_eq!(keys(&d, "$include"), [".*=lit"]);
}

#[test]
fn directory_include_sorted_and_filtered() {
    let d = doc(&[
        ("/c/r.conf", "[default]\n[$include sub]\n^6$=six\n"),
        ("/c/sub/b.conf", "^102$=b\n"),
        ("/c/sub/a.conf", "^100$=a\n[incsect]\n^101$=x\n"),
        ("/c/sub/c.conf.bak", "^103$=bak\n"),
        ("/c/sub/.hidden", "^104$=hid\n"),
    ]);
    assert_eq!(keys(&d, "default"), ["^100$=a", "^102$=b", "^6$=six"]);
}

#[test]
fn include_cycles_and_missing() {
    let d = doc(&[("/c/r.conf", "[default]\n[$include r.conf]\n[$include nope.conf]\n^1$=x\n")]);
    assert_eq!(keys(&d, "default"), ["^1$=x"]);
    assert!(matches!(d.notes[0], Note::IncludeCycle { .. }));
    assert!(matches!(d.notes[1], Note::IncludeMissing { .. }));
}

#[test]
fn section_includes_expand_late_and_detect_cycles() {
    let d = doc(&[(
        "/c/r.conf",
        "[default]\n^1$=one\n[$includesection common]\n^2$=two\n[common]\n^9$=c\n[$includesection default]\n",
    )]);
    assert_eq!(keys(&d, "default"), ["^1$=one", "^9$=c", "^2$=two"]);
    assert_eq!(keys(&d, "common"), ["^9$=c"]);
    assert!(d.notes.iter().any(|n| matches!(n, Note::SectionIncludeCycle { .. })));
}

#[test]
fn bom_and_crlf() {
    let d = doc(&[("/c/r.conf", "\u{feff}[default]\r\n^2$=two;a=x\\\r\n;b=y\r\n")]);
    assert_eq!(keys(&d, "default"), ["^2$=two;a=x;b=y"]);
}
