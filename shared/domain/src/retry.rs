//! Full-jitter exponential backoff (the AWS Architecture Blog's "full jitter"): every retry of
//! a sibling invoke, a DynamoDB write or a source request waits a random time in
//! `[0, min(cap, base · 2^attempt)]`, so that retries from many containers do not align.

use std::time::Duration;

/// A retry policy: how many attempts in all, and the base and cap of the backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the first retry's upper bound.
    pub base: Duration,
    /// Largest upper bound of any wait.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { max_attempts: 4, base: Duration::from_millis(25), cap: Duration::from_secs(1) }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0 = the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let bound = self.base.saturating_mul(2u32.saturating_pow(retry.min(20))).min(self.cap);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_growing_bound_and_the_cap() {
        let b = Backoff { max_attempts: 10, base: Duration::from_millis(10), cap: Duration::from_millis(100) };
        for retry in 0..40 {
            let bound = Duration::from_millis(10 * 2u64.saturating_pow(retry.min(20))).min(Duration::from_millis(100));
            for _ in 0..50 {
                assert!(b.delay(retry) <= bound);
            }
        }
        // Jitter: the waits are not all the same.
        let waits: std::collections::HashSet<_> = (0..50).map(|_| b.delay(3)).collect();
        assert!(waits.len() > 1);
    }
}
