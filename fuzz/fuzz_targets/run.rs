//! Compile a config and route messages through it: no panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::run(data));
