//! Parse, print, parse: the same rules (regex's ast_roundtrip).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::roundtrip(data));
