//! Percentiles that can be kept in rollups and merged.
//!
//! Method: **nearest rank**. For `n` sorted values, the p-th percentile is the `k`-th smallest with
//! `k = ceil(p / 100 × n)` (at least 1). It is always one of the values, never an interpolation.
//!
//! A [`Sketch`] keeps values exactly while it holds at most [`EXACT_CAP`] of them, so small groups (and the
//! hand-computed tests) get exact percentiles. Beyond that it keeps counts in fixed log-scale bins: bin `i`
//! holds `(γ^(i-1), γ^i]` with γ = 1.02 and answers with `2γ^i / (γ + 1)`, so a percentile from bins is within
//! **±0.9901 %** ([`RELATIVE_ERROR`] = `(γ-1)/(γ+1)`) of the true nearest-rank value, clamped to the observed min and max. Zero has its
//! own count. Values are whole seconds; merging adds counts, and the result (exact or binned) depends only on the
//! merged values, not on the order of merges.

/// Values kept exactly up to this many; a bucket of an hour rarely has more.
pub const EXACT_CAP: usize = 64;
const GAMMA: f64 = 1.02;
/// The largest relative error of a percentile once values are binned: (γ-1)/(γ+1) = 0.990 %.
pub const RELATIVE_ERROR: f64 = (GAMMA - 1.0) / (GAMMA + 1.0);

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sketch {
    count: u64,
    min: u64,
    max: u64,
    repr: Repr,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Repr {
    Exact(Vec<u64>),
    /// `zeros` and `(bin index, count)` sorted by index.
    Bins {
        zeros: u64,
        bins: Vec<(u16, u64)>,
    },
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Exact(Vec::new())
    }
}

fn bin(v: u64) -> u16 {
    // v ≥ 1; u64::MAX lands in bin 2241, well inside u16.
    ((v as f64).ln() / GAMMA.ln()).ceil().max(0.0) as u16
}

fn bin_value(i: u16) -> f64 {
    2.0 * GAMMA.powi(i32::from(i)) / (GAMMA + 1.0)
}

/// `k = ceil(p/100 × n)`, in 1..=n. Integer arithmetic on hundredths of a percent, so p90 of 10 values is
/// exactly rank 9, not 10 through a rounding error.
pub fn nearest_rank(p: f64, n: u64) -> u64 {
    let bp = (p * 100.0).round().clamp(0.0, 10_000.0) as u128;
    let k = (bp * u128::from(n)).div_ceil(10_000) as u64;
    k.clamp(1, n.max(1))
}

/// Nearest-rank percentile of sorted values.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    Some(sorted[nearest_rank(p, sorted.len() as u64) as usize - 1])
}

impl Sketch {
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds a value; negative ones (clock skew between systems) count as 0.
    pub fn add(&mut self, value: i64) {
        let v = value.max(0) as u64;
        self.min = if self.count == 0 { v } else { self.min.min(v) };
        self.max = self.max.max(v);
        self.count += 1;
        match &mut self.repr {
            Repr::Exact(values) => {
                values.push(v);
                if values.len() > EXACT_CAP {
                    self.repr = to_bins(values);
                }
            }
            Repr::Bins { zeros, bins } => add_bin(zeros, bins, v, 1),
        }
    }

    pub fn merge(&mut self, other: &Sketch) {
        if other.count == 0 {
            return;
        }
        self.min = if self.count == 0 {
            other.min
        } else {
            self.min.min(other.min)
        };
        self.max = self.max.max(other.max);
        self.count += other.count;
        let mine = std::mem::take(&mut self.repr);
        self.repr = match (mine, &other.repr) {
            (Repr::Exact(mut a), Repr::Exact(b)) if a.len() + b.len() <= EXACT_CAP => {
                a.extend_from_slice(b);
                Repr::Exact(a)
            }
            (mine, theirs) => {
                let (mut zeros, mut bins) = into_bins(mine);
                match theirs {
                    Repr::Exact(values) => {
                        for &v in values {
                            add_bin(&mut zeros, &mut bins, v, 1);
                        }
                    }
                    Repr::Bins { zeros: z, bins: b } => {
                        zeros += z;
                        for &(i, c) in b {
                            insert_count(&mut bins, i, c);
                        }
                    }
                }
                Repr::Bins { zeros, bins }
            }
        };
    }

    /// Nearest-rank percentile (see the module docs for the error once values are binned).
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let k = nearest_rank(p, self.count);
        match &self.repr {
            Repr::Exact(values) => {
                let mut sorted = values.clone();
                sorted.sort_unstable();
                Some(sorted[k as usize - 1] as f64)
            }
            Repr::Bins { zeros, bins } => {
                if k <= *zeros {
                    return Some(0.0);
                }
                let mut seen = *zeros;
                for &(i, c) in bins {
                    seen += c;
                    if seen >= k {
                        return Some(bin_value(i).clamp(self.min as f64, self.max as f64));
                    }
                }
                Some(self.max as f64)
            }
        }
    }
}

impl Sketch {
    /// How many values are at most `limit` seconds: exact while values are kept; once binned, a bin counts when
    /// its upper bound γ^i is at most `limit`, so a bin straddling the limit is left out (a histogram edge is off
    /// by at most one bin, 2 %).
    pub fn count_at_most(&self, limit: u64) -> u64 {
        match &self.repr {
            Repr::Exact(values) => values.iter().filter(|&&v| v <= limit).count() as u64,
            Repr::Bins { zeros, bins } => {
                zeros
                    + bins
                        .iter()
                        .filter(|&&(i, _)| GAMMA.powi(i32::from(i)) <= limit as f64 + 1e-9)
                        .map(|&(_, c)| c)
                        .sum::<u64>()
            }
        }
    }
}

fn to_bins(values: &[u64]) -> Repr {
    let (mut zeros, mut bins) = (0, Vec::new());
    for &v in values {
        add_bin(&mut zeros, &mut bins, v, 1);
    }
    Repr::Bins { zeros, bins }
}

fn into_bins(repr: Repr) -> (u64, Vec<(u16, u64)>) {
    match repr {
        Repr::Exact(values) => match to_bins(&values) {
            Repr::Bins { zeros, bins } => (zeros, bins),
            Repr::Exact(_) => unreachable!("to_bins returns bins"),
        },
        Repr::Bins { zeros, bins } => (zeros, bins),
    }
}

fn add_bin(zeros: &mut u64, bins: &mut Vec<(u16, u64)>, v: u64, c: u64) {
    if v == 0 {
        *zeros += c;
    } else {
        insert_count(bins, bin(v), c);
    }
}

fn insert_count(bins: &mut Vec<(u16, u64)>, i: u16, c: u64) {
    match bins.binary_search_by_key(&i, |&(j, _)| j) {
        Ok(at) => bins[at].1 += c,
        Err(at) => bins.insert(at, (i, c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_by_hand() {
        // [300, 600, 1800]: p50 → rank ceil(1.5) = 2, p90 → ceil(2.7) = 3.
        let v = [300, 600, 1800];
        assert_eq!(percentile_sorted(&v, 50.0), Some(600));
        assert_eq!(percentile_sorted(&v, 90.0), Some(1800));
        // 1..=10: p90 is rank 9 exactly (no float drift to 10), p95 rank 10, p10 rank 1, p0 rank 1.
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile_sorted(&v, 90.0), Some(9));
        assert_eq!(percentile_sorted(&v, 95.0), Some(10));
        assert_eq!(percentile_sorted(&v, 10.0), Some(1));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1));
        assert_eq!(percentile_sorted(&[], 50.0), None);
        // 1..=100: p99 is 99, p50 is 50.
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&v, 99.0), Some(99));
        assert_eq!(percentile_sorted(&v, 50.0), Some(50));
    }

    #[test]
    fn small_sketches_are_exact() {
        let mut s = Sketch::default();
        for v in [1800, 300, 600] {
            s.add(v);
        }
        assert_eq!(s.percentile(50.0), Some(600.0));
        assert_eq!(s.percentile(99.0), Some(1800.0));
        s.add(-5);
        assert_eq!(s.percentile(1.0), Some(0.0), "negative values count as 0");
    }

    fn pseudo_random(n: usize) -> Vec<u64> {
        // A fixed LCG spread over 0..~1e6 s with a heavy tail: enough to exercise many bins, reproducibly.
        let mut x: u64 = 42;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                (u * u * u * 1_000_000.0) as u64
            })
            .collect()
    }

    #[test]
    fn binned_percentiles_stay_within_one_percent() {
        let values = pseudo_random(20_000);
        let mut s = Sketch::default();
        for &v in &values {
            s.add(v as i64);
        }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for p in [1.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0] {
            let exact = percentile_sorted(&sorted, p).expect("values") as f64;
            let approx = s.percentile(p).expect("values");
            let err = if exact == 0.0 {
                approx
            } else {
                (approx - exact).abs() / exact
            };
            assert!(
                err <= RELATIVE_ERROR + 1e-12,
                "p{p}: exact {exact}, sketch {approx}"
            );
        }
    }

    #[test]
    fn merging_equals_adding_everything_in_any_order() {
        let values = pseudo_random(1_000);
        let mut whole = Sketch::default();
        values.iter().for_each(|&v| whole.add(v as i64));
        // Split in uneven parts, some small enough to stay exact, and merge in two different orders.
        let parts: Vec<Sketch> = values
            .chunks(37)
            .map(|c| {
                let mut s = Sketch::default();
                c.iter().for_each(|&v| s.add(v as i64));
                s
            })
            .collect();
        let mut forward = Sketch::default();
        parts.iter().for_each(|p| forward.merge(p));
        let mut backward = Sketch::default();
        parts.iter().rev().for_each(|p| backward.merge(p));
        assert_eq!(forward.count(), 1_000);
        for p in [50.0, 90.0, 95.0, 99.0] {
            assert_eq!(forward.percentile(p), whole.percentile(p), "p{p}");
            assert_eq!(backward.percentile(p), whole.percentile(p), "p{p}");
        }
        // Two small exact sketches merge into an exact one.
        let (mut a, mut b) = (Sketch::default(), Sketch::default());
        a.add(10);
        b.add(20);
        b.add(30);
        a.merge(&b);
        assert_eq!(a.percentile(50.0), Some(20.0));
        assert_eq!(a.percentile(100.0), Some(30.0));
    }
}
