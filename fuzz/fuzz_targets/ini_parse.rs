//! The INI loader, with includes: no panic, spans cover their text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::ini_parse(data));
