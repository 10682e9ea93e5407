//! Route messages through a config on both engines: no panic, the same results.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::run(data));
