//! Data sets of the Train lab: the 8x8 digits, four two-dimensional generators, a user CSV, and
//! the standardization and stratified split every task goes through. This file holds the data set,
//! `digits.bin`, the standardization and the split; the generators and the CSV parser live in
//! sibling modules and are re-exported here.
//!
//! **Digits.** scikit-learn's bundled 8x8 handwritten digits: the UCI optdigits test set
//! (E. Alpaydin and C. Kaynak, 1998), CC BY 4.0, as bundled with scikit-learn. 1797 examples,
//! 64 integer features in 0..16 (an 8x8 image row by row), 10 classes. `static/digits.bin` is
//! written by `scripts/convert_digits.py`; its format is
//!
//! ```text
//! bytes 0..4  the magic b"DIG1"
//! bytes 4..   1797 records of 65 bytes: 64 pixel bytes (0..16, row-major 8x8), 1 label byte (0..9)
//! ```
//!
//! so exactly 4 + 1797 * 65 = 116,809 bytes; [`Dataset::from_digits_bin`] checks all of it.
//!
//! **Two-dimensional tasks** ([`Shape2d`], defined in `gen2d.rs`), in the spirit of TensorFlow
//! Playground's classification generators (src/dataset.ts of github.com/tensorflow/playground),
//! written anew: two classes, class 1 is the Playground's positive (+1) class and class 0 its
//! negative one. Randomness comes from lab_core's [`Rng`] stream `(data_seed, STREAM_DATA)` (see
//! [`crate::train::STREAM_DATA`]), consumed in the order the points are generated.
//!
//! **User CSV** ([`parse_csv`], defined in `csv.rs`): see its documentation for the accepted
//! format and the limits.

use crate::rng::Rng;
use std::fmt;

pub use crate::train::csv::{
    parse_csv, CsvError, CsvErrorKind, CSV_MAX_BYTES, CSV_MAX_CLASSES, CSV_MAX_FEATURES,
    CSV_MAX_ROWS,
};
pub use crate::train::gen2d::{
    circle, gauss, generate_2d, spiral, xor, Shape2d, MAX_NOISE, POINTS_2D,
};

/// A classification data set: `x` is n x d row-major, `y[i]` in 0..classes.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub x: Vec<f32>,
    pub y: Vec<u32>,
    pub n: usize,
    pub d: usize,
    pub classes: usize,
    /// The name of class k (digits "0".."9"; CSV: the label as written).
    pub class_names: Vec<String>,
}

/// Magic bytes at the start of `digits.bin`.
pub const DIGITS_MAGIC: &[u8; 4] = b"DIG1";
/// Examples in `digits.bin`.
pub const DIGITS_EXAMPLES: usize = 1797;
/// Pixels per digit (8 x 8).
pub const DIGITS_PIXELS: usize = 64;
/// The exact size of `digits.bin` in bytes.
pub const DIGITS_BIN_LEN: usize = 4 + DIGITS_EXAMPLES * (DIGITS_PIXELS + 1);

/// Why `digits.bin` was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataError {
    /// The first four bytes are not "DIG1".
    BadMagic,
    /// The file is not exactly [`DIGITS_BIN_LEN`] bytes long.
    BadLength { expected: usize, found: usize },
    /// A pixel above 16 (example and pixel 0-based).
    PixelOutOfRange {
        example: usize,
        pixel: usize,
        value: u8,
    },
    /// A label above 9 (example 0-based).
    LabelOutOfRange { example: usize, value: u8 },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::BadMagic => write!(f, "digits.bin: the file does not start with DIG1"),
            DataError::BadLength { expected, found } => {
                write!(f, "digits.bin: expected {expected} bytes, found {found}")
            }
            DataError::PixelOutOfRange {
                example,
                pixel,
                value,
            } => write!(
                f,
                "digits.bin: example {example}, pixel {pixel} is {value} (at most 16)"
            ),
            DataError::LabelOutOfRange { example, value } => {
                write!(
                    f,
                    "digits.bin: example {example} has label {value} (at most 9)"
                )
            }
        }
    }
}

impl std::error::Error for DataError {}

impl Dataset {
    /// Reads `digits.bin` (format in the module documentation), strictly: magic, exact length,
    /// every pixel <= 16 and every label <= 9. Features are the pixel values 0..16 as f32.
    pub fn from_digits_bin(bytes: &[u8]) -> Result<Dataset, DataError> {
        if bytes.len() < 4 || &bytes[..4] != DIGITS_MAGIC {
            return Err(DataError::BadMagic);
        }
        if bytes.len() != DIGITS_BIN_LEN {
            return Err(DataError::BadLength {
                expected: DIGITS_BIN_LEN,
                found: bytes.len(),
            });
        }
        let mut x = Vec::with_capacity(DIGITS_EXAMPLES * DIGITS_PIXELS);
        let mut y = Vec::with_capacity(DIGITS_EXAMPLES);
        for (example, record) in bytes[4..].chunks_exact(DIGITS_PIXELS + 1).enumerate() {
            for (pixel, &value) in record[..DIGITS_PIXELS].iter().enumerate() {
                if value > 16 {
                    return Err(DataError::PixelOutOfRange {
                        example,
                        pixel,
                        value,
                    });
                }
                x.push(f32::from(value));
            }
            let label = record[DIGITS_PIXELS];
            if label > 9 {
                return Err(DataError::LabelOutOfRange {
                    example,
                    value: label,
                });
            }
            y.push(u32::from(label));
        }
        Ok(Dataset {
            x,
            y,
            n: DIGITS_EXAMPLES,
            d: DIGITS_PIXELS,
            classes: 10,
            class_names: (0..10).map(|k| k.to_string()).collect(),
        })
    }

    /// Row i of x.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// Examples per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &label in &self.y {
            counts[label as usize] += 1;
        }
        counts
    }

    /// The data set restricted to the rows `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut x = Vec::with_capacity(indices.len() * self.d);
        for &i in indices {
            x.extend_from_slice(self.row(i));
        }
        Dataset {
            x,
            y: indices.iter().map(|&i| self.y[i]).collect(),
            n: indices.len(),
            d: self.d,
            classes: self.classes,
            class_names: self.class_names.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Standardization and the split.

/// Per-feature mean and standard deviation of a training set (population std, as
/// scikit-learn's StandardScaler).
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Mean and population std of each feature of `train` (accumulated in f64).
    pub fn fit(train: &Dataset) -> Standardizer {
        let (n, d) = (train.n.max(1) as f64, train.d);
        let mut mean = vec![0.0; d];
        for i in 0..train.n {
            for (m, &v) in mean.iter_mut().zip(train.row(i)) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; d];
        for i in 0..train.n {
            for ((s, &v), m) in var.iter_mut().zip(train.row(i)).zip(&mean) {
                *s += (f64::from(v) - m).powi(2);
            }
        }
        let std = var.iter().map(|s| (s / n).sqrt()).collect();
        Standardizer { mean, std }
    }

    /// (x - mean) / std for one value of feature j; a feature with std 0 maps to 0.
    pub fn transform_value(&self, j: usize, v: f64) -> f32 {
        if self.std[j] > 0.0 {
            ((v - self.mean[j]) / self.std[j]) as f32
        } else {
            0.0
        }
    }

    /// Standardizes `data` in place.
    pub fn apply(&self, data: &mut Dataset) {
        for row in data.x.chunks_exact_mut(data.d) {
            for (j, v) in row.iter_mut().enumerate() {
                *v = self.transform_value(j, f64::from(*v));
            }
        }
    }
}

/// Standardizes `train` and `test` with the training set's mean and std; returns them.
pub fn standardize(train: &mut Dataset, test: &mut Dataset) -> Standardizer {
    let s = Standardizer::fit(train);
    s.apply(train);
    s.apply(test);
    s
}

/// A uniform integer in 0..n (Lemire's multiply-shift without rejection: bias below n / 2^64).
pub(crate) fn below(rng: &mut Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// Fisher-Yates shuffle with [`below`].
pub(crate) fn shuffle(rng: &mut Rng, v: &mut [usize]) {
    for i in (1..v.len()).rev() {
        let j = below(rng, i + 1);
        v.swap(i, j);
    }
}

/// Fraction of each class that goes to the test set.
pub const TEST_FRACTION: f64 = 0.2;

/// Stratified seeded 80/20 split. For each class in turn (0, 1, ...), its example indices in
/// data order are shuffled (Fisher-Yates, stream `(seed, STREAM_SPLIT)`, one stream for all
/// classes) and the first round(0.2 n_c) go to the test set (so a class of one example stays in
/// training). Both parts keep the data's row order.
pub fn split(data: &Dataset, seed: u64) -> (Dataset, Dataset) {
    let mut rng = Rng::from_seed_and_id(seed, crate::train::STREAM_SPLIT);
    let mut train = Vec::new();
    let mut test = Vec::new();
    for class in 0..data.classes as u32 {
        let mut idx: Vec<usize> = (0..data.n).filter(|&i| data.y[i] == class).collect();
        shuffle(&mut rng, &mut idx);
        let n_test = (idx.len() as f64 * TEST_FRACTION).round() as usize;
        test.extend_from_slice(&idx[..n_test]);
        train.extend_from_slice(&idx[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (data.subset(&train), data.subset(&test))
}
