//! Peak memory of the test process over a span of work, from the kernel's own numbers: the
//! constant-memory tests (256 MiB uploads and downloads, a 1 GiB upload) stream far more than
//! their limit and check how far the peak resident set rose.

/// A measurement started by [`PeakRss::start`].
#[derive(Debug, Clone, Copy)]
pub struct PeakRss {
    before: u64,
}

impl PeakRss {
    /// Resets the kernel's record of this process's peak resident set (`VmHWM`) to the current
    /// resident set and notes it. `None` where `/proc/self/clear_refs` or `/proc/self/status` is
    /// not available (not Linux, or Linux before 4.0): callers skip the memory check there.
    pub fn start() -> Option<PeakRss> {
        // "5" resets VmHWM to the current RSS.
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
        Some(PeakRss {
            before: status_bytes("VmRSS:")?,
        })
    }

    /// The resident set when the measurement started, in bytes.
    pub fn before(&self) -> u64 {
        self.before
    }

    /// The peak resident set since [`PeakRss::start`], in bytes.
    pub fn peak(&self) -> Option<u64> {
        status_bytes("VmHWM:")
    }

    /// How far the peak rose above the resident set at the start, in bytes.
    pub fn growth(&self) -> Option<u64> {
        Some(self.peak()?.saturating_sub(self.before))
    }
}

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(name))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_allocation_shows_as_growth() {
        let Some(rss) = PeakRss::start() else {
            eprintln!("skipping: /proc/self/clear_refs is not available");
            return;
        };
        // Touch every page so that it is resident.
        let block = vec![1u8; 64 << 20];
        assert_eq!(std::hint::black_box(&block)[(64 << 20) - 1], 1);
        drop(block);
        let growth = rss.growth().unwrap();
        assert!(growth >= 60 << 20, "growth {growth}");
        assert!(rss.peak().unwrap() >= rss.before() + growth);
    }
}
