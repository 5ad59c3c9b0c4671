//! The model's byte format, written by `build.rs` and read in place by the crate (no copy, no parsing beyond
//! the header). Std-only, shared with `build.rs`.
//!
//! Layout, little-endian: `TRM1`, heads (u32), features (u32), bias (f32 × heads), scale (f32 × heads),
//! feature hashes sorted ascending (u32 × features), weights quantised per head (i16 × features × heads).

use super::heads::HEADS;

const MAGIC: &[u8; 4] = b"TRM1";

/// Encodes trained weights: `hashes[i]` is the feature hash of weight row `i`; rows are reordered by hash.
#[cfg_attr(not(test), allow(dead_code))] // build.rs writes the model; the crate only reads it
pub(crate) fn encode(hashes: &[u32], weights: &[f32], bias: &[f32; HEADS]) -> Vec<u8> {
    let n = hashes.len();
    assert_eq!(weights.len(), n * HEADS, "one row of weights per feature");
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by_key(|&i| hashes[i]);
    let mut scale = [0f32; HEADS];
    for (h, s) in scale.iter_mut().enumerate() {
        let max = (0..n)
            .map(|i| weights[i * HEADS + h].abs())
            .fold(0f32, f32::max);
        *s = if max > 0.0 {
            max / f32::from(i16::MAX)
        } else {
            1.0
        };
    }
    let mut out = Vec::with_capacity(12 + 8 * HEADS + n * (4 + 2 * HEADS));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(HEADS as u32).to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    bias.iter()
        .for_each(|b| out.extend_from_slice(&b.to_le_bytes()));
    scale
        .iter()
        .for_each(|s| out.extend_from_slice(&s.to_le_bytes()));
    order
        .iter()
        .for_each(|&i| out.extend_from_slice(&hashes[i].to_le_bytes()));
    for &i in &order {
        for h in 0..HEADS {
            let q = (weights[i * HEADS + h] / scale[h]).round() as i16;
            out.extend_from_slice(&q.to_le_bytes());
        }
    }
    out
}

/// A model read in place from its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    bytes: &'a [u8],
    n: usize,
    pub bias: [f32; HEADS],
    pub scale: [f32; HEADS],
    keys: usize,
    rows: usize,
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_bits(u32_at(bytes, at))
}

impl<'a> View<'a> {
    /// Checks the header and the length; `None` for anything that is not a model of this build's heads.
    pub(crate) fn new(bytes: &'a [u8]) -> Option<View<'a>> {
        if bytes.len() < 12 || &bytes[..4] != MAGIC || u32_at(bytes, 4) as usize != HEADS {
            return None;
        }
        let n = u32_at(bytes, 8) as usize;
        let keys = 12 + 8 * HEADS;
        let rows = keys + 4 * n;
        if bytes.len() != rows + 2 * HEADS * n {
            return None;
        }
        let mut bias = [0f32; HEADS];
        let mut scale = [0f32; HEADS];
        for h in 0..HEADS {
            bias[h] = f32_at(bytes, 12 + 4 * h);
            scale[h] = f32_at(bytes, 12 + 4 * (HEADS + h));
        }
        Some(View {
            bytes,
            n,
            bias,
            scale,
            keys,
            rows,
        })
    }

    /// Number of features the model knows.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn features(&self) -> usize {
        self.n
    }

    /// Row of feature `hash`, by binary search over the sorted hashes.
    pub(crate) fn row(&self, hash: u32) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let key = u32_at(self.bytes, self.keys + 4 * mid);
            match key.cmp(&hash) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Adds row `row`'s weights times `value` to `z`.
    pub(crate) fn add_row(&self, row: usize, value: f32, z: &mut [f32; HEADS]) {
        let at = self.rows + 2 * HEADS * row;
        for (h, zh) in z.iter_mut().enumerate() {
            let q = i16::from_le_bytes([self.bytes[at + 2 * h], self.bytes[at + 2 * h + 1]]);
            *zh += value * self.scale[h] * f32::from(q);
        }
    }

    /// Per-head logits of a message's features (the same normalisation as training: known features only).
    pub(crate) fn logits(&self, hashes: &[u32]) -> [f32; HEADS] {
        let rows: Vec<usize> = hashes.iter().filter_map(|&h| self.row(h)).collect();
        let mut z = self.bias;
        if !rows.is_empty() {
            let value = 1.0 / (rows.len() as f32).sqrt();
            rows.iter().for_each(|&r| self.add_row(r, value, &mut z));
        }
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_within_quantisation() {
        let hashes = [900u32, 5, 77];
        let mut weights = vec![0f32; 3 * HEADS];
        weights[0] = 2.0; // hash 900, head 0
        weights[HEADS] = -1.0; // hash 5, head 0
        weights[2 * HEADS + 3] = 0.5; // hash 77, head 3
        let bias = [0.25f32; HEADS];
        let bytes = encode(&hashes, &weights, &bias);
        let view = View::new(&bytes).expect("valid");
        assert_eq!(view.features(), 3);
        assert_eq!(view.row(5), Some(0));
        assert_eq!(view.row(900), Some(2));
        assert_eq!(view.row(6), None);
        let z = view.logits(&[900]);
        assert!(
            (z[0] - 2.25).abs() < 1e-3 && (z[3] - 0.25).abs() < 1e-6,
            "{z:?}"
        );
        let z = view.logits(&[5, 77, 12345]);
        let v = 1.0 / 2f32.sqrt();
        assert!((z[0] - (0.25 - v)).abs() < 1e-3 && (z[3] - (0.25 + 0.5 * v)).abs() < 1e-3);
        assert!(View::new(&bytes[..bytes.len() - 1]).is_none());
        assert!(View::new(b"nope").is_none());
    }
}
