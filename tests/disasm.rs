//! `debug program`'s listing of a small file, against its golden copy.

use rexroute::ini::{load_str, LoadOptions};

/// The listing names each step's kind (guards in one loop, a block chain walked by
/// its layout, a searched run) and what was packed; `REXROUTE_BLESS=1` rewrites it.
#[test]
fn program_listing_matches_golden() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/disasm");
    let Ok(text) = std::fs::read_to_string(dir.join("program.conf")) else { panic!("missing program.conf") };
    let doc = load_str("program.conf", &text, &LoadOptions::default());
    let ir = rexroute::ir::lower(&doc, &rexroute::syntax::parse(&doc));
    let listing = rexroute::program::compile(&ir).disasm(&ir);
    let golden = dir.join("program.golden");
    if std::env::var_os("REXROUTE_BLESS").is_some() {
        assert!(std::fs::write(&golden, &listing).is_ok(), "cannot write {}", golden.display());
    }
    let Ok(want) = std::fs::read_to_string(&golden) else { panic!("missing {}", golden.display()) };
    assert_eq!(listing, want, "debug program output changed; REXROUTE_BLESS=1 rewrites the golden file");
}
