//! Load, parse, lower, compile the decision program and lint: no panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::compile(data));
