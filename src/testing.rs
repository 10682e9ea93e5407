//! Helpers shared by unit tests.

/// A seeded generator of numbers below `n` (a 64-bit LCG): the same cases on every run.
pub(crate) fn seeded(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    }
}
