//! The rule-line parser on raw key/value entries: no panic, exact print-back.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::rule_parse(data));
