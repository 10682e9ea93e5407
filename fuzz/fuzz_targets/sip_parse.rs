//! SIP messages from any bytes: no panic; what parses prints back and frames the same.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rexroute::fuzzing::sip_parse(data));
