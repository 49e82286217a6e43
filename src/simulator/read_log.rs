//! The log of answered reads: what a client asked for and how much it got, so tests and
//! benchmarks can check how a proxy polls.

use std::collections::VecDeque;

use serde::Serialize;

/// How many reads [`SimControl::reads`](super::SimControl::reads) keeps (the newest).
pub const READS_KEPT: usize = 10_000;

/// One `ReadPublisherLatestGlucoseValues` request answered with readings (a 200 with a JSON
/// array, possibly empty; faulted answers are not recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReadRecord {
    /// When it was answered, on the simulator's clock (epoch ms).
    pub at_ms: i64,
    /// The `minutes` asked for.
    pub minutes: i64,
    /// The `maxCount` asked for.
    pub max_count: i64,
    /// Records in the answer.
    pub records: usize,
    /// Length of the answer body in bytes.
    pub bytes: usize,
}

/// The newest reads, and the bytes of every read answer since the last reset.
#[derive(Debug, Default)]
pub(crate) struct ReadLog {
    reads: VecDeque<ReadRecord>,
    bytes: u64,
}

impl ReadLog {
    /// Records a read, forgetting the oldest beyond [`READS_KEPT`].
    pub fn push(&mut self, read: ReadRecord) {
        if self.reads.len() == READS_KEPT {
            self.reads.pop_front();
        }
        self.bytes += read.bytes as u64;
        self.reads.push_back(read);
    }

    /// The kept reads, oldest first.
    pub fn reads(&self) -> Vec<ReadRecord> {
        self.reads.iter().copied().collect()
    }

    /// Body bytes of every recorded read, including those no longer kept.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(at_ms: i64, bytes: usize) -> ReadRecord {
        ReadRecord {
            at_ms,
            minutes: 10,
            max_count: 1,
            records: 1,
            bytes,
        }
    }

    #[test]
    fn keeps_the_newest_reads_and_counts_every_byte() {
        let mut log = ReadLog::default();
        for i in 0..READS_KEPT as i64 + 5 {
            log.push(read(i, 100));
        }
        let reads = log.reads();
        assert_eq!(reads.len(), READS_KEPT);
        assert_eq!(reads[0].at_ms, 5);
        assert_eq!(reads[READS_KEPT - 1].at_ms, READS_KEPT as i64 + 4);
        assert_eq!(log.bytes(), (READS_KEPT as u64 + 5) * 100);
    }

    #[test]
    fn json_shape() {
        let json = serde_json::to_value(read(7, 3)).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"at_ms":7,"minutes":10,"max_count":1,"records":1,"bytes":3})
        );
    }
}
