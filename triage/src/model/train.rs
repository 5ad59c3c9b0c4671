//! A small, deterministic trainer: one-vs-rest logistic regression over sparse binary features, by stochastic
//! gradient descent with L2 regularisation. Std-only, shared with `build.rs`.
//!
//! Why not a crate: linfa-logistic and smartcore fit dense `ndarray` matrices (6,000 messages × 100,000 n-gram
//! features would not fit, and they would add ndarray, argmin and their build time to every build of the
//! workspace), and neither is deterministic across thread counts by contract. Sparse SGD is a few dozen lines,
//! fixed-seed and single-threaded, so the same corpus always gives the same weights.

use super::corpus::{is_on, Rng};
use super::heads::{self, HEADS};

/// Training settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub epochs: usize,
    /// Initial learning rate; it decays as `eta0 / (1 + eta0 * lambda * t)`.
    pub eta0: f32,
    /// L2 regularisation strength.
    pub lambda: f32,
    pub seed: u64,
    /// Loss weight of a positive example, per head: rare labels (legal, fraud, handoff) would otherwise be
    /// learned as "never".
    pub positive_weight: [f32; HEADS],
}

/// Trained weights: `weights[feature * HEADS + head]` and one bias per head.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Weights {
    pub weights: Vec<f32>,
    pub bias: [f32; HEADS],
}

/// One training row: indices of its features (dense, `< n_features`) and its targets.
pub(crate) type Row = (Vec<u32>, u16);

impl Config {
    /// The settings the embedded model is trained with. Positive examples of the rare heads (urgent, handoff,
    /// legal, fraud) weigh `sqrt(negatives / positives)`, at most 3, so they are learned at all.
    pub(crate) fn for_rows(rows: &[Row]) -> Config {
        let mut positive_weight = [1f32; HEADS];
        // Categories and tones are common enough; weighting them only trades precision for recall.
        for (h, w) in positive_weight
            .iter_mut()
            .enumerate()
            .skip(heads::URGENT)
            .take(4)
        {
            let pos = rows.iter().filter(|(_, t)| is_on(*t, h)).count().max(1) as f32;
            let neg = (rows.len() as f32 - pos).max(1.0);
            *w = (neg / pos).sqrt().clamp(1.0, 3.0);
        }
        Config {
            epochs: 12,
            eta0: 0.5,
            lambda: 1e-5,
            seed: 0x5eed,
            positive_weight,
        }
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Trains on `rows`, visiting them in a seeded shuffled order each epoch.
pub(crate) fn train(rows: &[Row], n_features: usize, config: &Config) -> Weights {
    let mut w = vec![0f32; n_features * HEADS];
    let mut bias = [0f32; HEADS];
    // Weight decay is applied lazily: the true weights are `scale * w`, so each step touches only the
    // example's own features.
    let mut scale = 1f32;
    let mut rng = Rng::new(config.seed);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut t = 0f32;
    let mut z = [0f32; HEADS];
    let mut g = [0f32; HEADS];
    // The weights after each epoch of the second half are averaged: SGD's last step depends on the last few
    // examples it saw, the average much less, so small corpus edits move the model less.
    let mut average = vec![0f32; w.len()];
    let mut bias_average = [0f32; HEADS];
    let averaged_from = config.epochs / 2;
    for epoch in 0..config.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for &r in &order {
            let (features, targets) = &rows[r];
            if features.is_empty() {
                continue;
            }
            let eta = config.eta0 / (1.0 + config.eta0 * config.lambda * t);
            t += 1.0;
            let value = 1.0 / (features.len() as f32).sqrt();
            z.copy_from_slice(&bias);
            for &f in features {
                let row = &w[f as usize * HEADS..][..HEADS];
                for h in 0..HEADS {
                    z[h] += scale * value * row[h];
                }
            }
            for h in 0..HEADS {
                let y = is_on(*targets, h);
                let weight = if y { config.positive_weight[h] } else { 1.0 };
                g[h] = (sigmoid(z[h]) - f32::from(u8::from(y))) * weight;
                bias[h] -= eta * g[h];
            }
            scale *= 1.0 - eta * config.lambda;
            let step = eta * value / scale;
            for &f in features {
                let row = &mut w[f as usize * HEADS..][..HEADS];
                for h in 0..HEADS {
                    row[h] -= step * g[h];
                }
            }
            if scale < 1e-6 {
                w.iter_mut().for_each(|x| *x *= scale);
                scale = 1.0;
            }
        }
        if epoch >= averaged_from {
            average
                .iter_mut()
                .zip(&w)
                .for_each(|(a, x)| *a += scale * x);
            bias_average
                .iter_mut()
                .zip(&bias)
                .for_each(|(a, b)| *a += b);
        }
    }
    let n = (config.epochs - averaged_from).max(1) as f32;
    average.iter_mut().for_each(|a| *a /= n);
    bias_average.iter_mut().for_each(|a| *a /= n);
    Weights {
        weights: average,
        bias: bias_average,
    }
}

impl Weights {
    /// Scores of one row, as probabilities per head.
    #[cfg_attr(not(test), allow(dead_code))] // the unit tests check what was learned
    pub(crate) fn predict(&self, features: &[u32]) -> [f32; HEADS] {
        let mut z = self.bias;
        if !features.is_empty() {
            let value = 1.0 / (features.len() as f32).sqrt();
            for &f in features {
                for (h, zh) in z.iter_mut().enumerate() {
                    *zh += value * self.weights[f as usize * HEADS + h];
                }
            }
        }
        z.map(sigmoid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::heads;

    fn config() -> Config {
        Config {
            epochs: 30,
            eta0: 0.5,
            lambda: 1e-4,
            seed: 42,
            positive_weight: [1.0; HEADS],
        }
    }

    /// Feature 0 means "orders", feature 1 "billing", feature 2 is noise on every row.
    fn rows() -> Vec<Row> {
        let orders = 1 << heads::ORDERS;
        let billing = 1 << 2;
        (0..40)
            .map(|i| {
                if i % 2 == 0 {
                    (vec![0, 2], orders)
                } else {
                    (vec![1, 2], billing)
                }
            })
            .collect()
    }

    #[test]
    fn learns_separable_heads() {
        let w = train(&rows(), 3, &config());
        let p = w.predict(&[0, 2]);
        assert!(p[heads::ORDERS] > 0.8 && p[2] < 0.2, "{p:?}");
        let p = w.predict(&[1, 2]);
        assert!(p[2] > 0.8 && p[heads::ORDERS] < 0.2, "{p:?}");
        // A head never on in training stays low everywhere.
        assert!(w.predict(&[2])[heads::LEGAL] < 0.1);
    }

    #[test]
    fn is_deterministic() {
        assert_eq!(train(&rows(), 3, &config()), train(&rows(), 3, &config()));
        let mut other = config();
        other.seed = 7;
        assert_ne!(train(&rows(), 3, &config()), train(&rows(), 3, &other));
    }

    #[test]
    fn rare_heads_weigh_more_up_to_a_cap() {
        let mut data = rows();
        data.push((vec![0], (1 << heads::ORDERS) | (1 << heads::LEGAL)));
        let c = Config::for_rows(&data);
        assert_eq!(c.positive_weight[heads::LEGAL], 3.0, "1 in 41 is capped");
        assert_eq!(
            c.positive_weight[heads::ORDERS],
            1.0,
            "categories are not weighted"
        );
    }

    #[test]
    fn positive_weight_raises_a_rare_head() {
        let mut data = rows();
        data.push((vec![0, 2], (1 << heads::ORDERS) | (1 << heads::LEGAL)));
        let plain = train(&data, 3, &config()).predict(&[0, 2])[heads::LEGAL];
        let mut weighted = config();
        weighted.positive_weight[heads::LEGAL] = 10.0;
        let raised = train(&data, 3, &weighted).predict(&[0, 2])[heads::LEGAL];
        assert!(raised > plain, "{raised} > {plain}");
    }
}
