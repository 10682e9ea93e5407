//! Load, parse and lower to the IR: no panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::compile(data));
