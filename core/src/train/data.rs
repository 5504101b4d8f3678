//! Data sets of the Train lab: the 8x8 digits, four two-dimensional generators, a user CSV, and
//! the standardization and stratified split every task goes through.
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
//! **Two-dimensional tasks** ([`Shape2d`]), in the spirit of TensorFlow Playground's
//! classification generators (src/dataset.ts of github.com/tensorflow/playground), written anew:
//! two classes, class 1 is the Playground's positive (+1) class and class 0 its negative one.
//! Randomness comes from lab_core's [`Rng`] stream `(data_seed, STREAM_DATA)` (see
//! [`crate::train::STREAM_DATA`]), consumed in the order the points are generated.
//!
//! **User CSV** ([`parse_csv`]): see its documentation for the accepted format and the limits.

use crate::rng::Rng;
use crate::train::STREAM_DATA;
use std::collections::BTreeMap;
use std::fmt;

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
// Two-dimensional generators.

/// The two-dimensional tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape2d {
    /// Two interleaved spirals (1.75 turns, radius 0..5), noise added uniformly in +-noise.
    Spiral,
    /// A disc of radius 2.5 (class 1) inside a ring of radii 3.5..5 (class 0).
    Circle,
    /// The four quadrants of [-5, 5]^2 (points pushed 0.3 away from the axes); class 1 where
    /// x1 x2 >= 0.
    Xor,
    /// Two Gaussian blobs centred at (2, 2) (class 1) and (-2, -2) (class 0).
    Gauss,
}

/// Points per two-dimensional data set.
pub const POINTS_2D: usize = 500;
/// The largest noise level of the two-dimensional tasks.
pub const MAX_NOISE: f64 = 0.5;

impl Shape2d {
    pub const ALL: [Shape2d; 4] = [
        Shape2d::Spiral,
        Shape2d::Circle,
        Shape2d::Xor,
        Shape2d::Gauss,
    ];

    /// Stable name ("spiral", "circle", "xor", "gauss").
    pub fn name(self) -> &'static str {
        match self {
            Shape2d::Spiral => "spiral",
            Shape2d::Circle => "circle",
            Shape2d::Xor => "xor",
            Shape2d::Gauss => "gauss",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Uniform in [a, b) from `rng`.
fn uniform(rng: &mut Rng, a: f64, b: f64) -> f64 {
    a + (b - a) * rng.uniform()
}

/// The two-dimensional data set `shape` with [`POINTS_2D`] points, `noise` clamped to
/// [0, [`MAX_NOISE`]], drawn from the stream `(data_seed, STREAM_DATA)`.
///
/// Definitions (u(a, b) is a uniform draw, drawn in the order written; n = 500):
/// - spiral: for class 1 then class 0 (angle offset 0 then pi), i = 0..n/2: r = 5 i/(n/2),
///   t = 1.75 * 2 pi i/(n/2) + offset, (r sin t + u(-1, 1) noise, r cos t + u(-1, 1) noise).
/// - circle: n/2 points with radius u(0, 2.5), n/2 with radius u(3.5, 5), angle u(0, 2 pi),
///   point (r sin a, r cos a); then noise offsets u(-5, 5) noise per coordinate, and the class is
///   1 where the *offset* point lies within 2.5 of the origin (the label is noisy, the point not).
/// - xor: n points, each coordinate u(-5, 5) moved 0.3 away from 0, noise offsets u(-5, 5) noise;
///   class 1 where the offset point has x1 x2 >= 0.
/// - gauss: n/2 points of class 1 around (2, 2), then n/2 of class 0 around (-2, -2), each
///   coordinate normal with variance 0.5 + 7 noise (0.5 at noise 0, 4 at noise 0.5).
pub fn generate_2d(shape: Shape2d, noise: f64, data_seed: u64) -> Dataset {
    let noise = if noise.is_finite() {
        noise.clamp(0.0, MAX_NOISE)
    } else {
        0.0
    };
    let mut rng = Rng::from_seed_and_id(data_seed, STREAM_DATA);
    let n = POINTS_2D;
    let half = n / 2;
    let mut points: Vec<(f64, f64, u32)> = Vec::with_capacity(n);
    match shape {
        Shape2d::Spiral => {
            for (label, offset) in [(1, 0.0), (0, std::f64::consts::PI)] {
                for i in 0..half {
                    let r = i as f64 / half as f64 * 5.0;
                    let t = 1.75 * i as f64 / half as f64 * std::f64::consts::TAU + offset;
                    let x1 = r * t.sin() + uniform(&mut rng, -1.0, 1.0) * noise;
                    let x2 = r * t.cos() + uniform(&mut rng, -1.0, 1.0) * noise;
                    points.push((x1, x2, label));
                }
            }
        }
        Shape2d::Circle => {
            let radius = 5.0;
            for (r_lo, r_hi) in [(0.0, radius * 0.5), (radius * 0.7, radius)] {
                for _ in 0..half {
                    let r = uniform(&mut rng, r_lo, r_hi);
                    let angle = uniform(&mut rng, 0.0, std::f64::consts::TAU);
                    let (x1, x2) = (r * angle.sin(), r * angle.cos());
                    let n1 = uniform(&mut rng, -radius, radius) * noise;
                    let n2 = uniform(&mut rng, -radius, radius) * noise;
                    let inside = ((x1 + n1).powi(2) + (x2 + n2).powi(2)).sqrt() < radius * 0.5;
                    points.push((x1, x2, u32::from(inside)));
                }
            }
        }
        Shape2d::Xor => {
            let pad = |v: f64| if v > 0.0 { v + 0.3 } else { v - 0.3 };
            for _ in 0..n {
                let x1 = pad(uniform(&mut rng, -5.0, 5.0));
                let x2 = pad(uniform(&mut rng, -5.0, 5.0));
                let n1 = uniform(&mut rng, -5.0, 5.0) * noise;
                let n2 = uniform(&mut rng, -5.0, 5.0) * noise;
                points.push((x1, x2, u32::from((x1 + n1) * (x2 + n2) >= 0.0)));
            }
        }
        Shape2d::Gauss => {
            let std = (0.5 + 7.0 * noise).sqrt();
            for (label, centre) in [(1, 2.0), (0, -2.0)] {
                for _ in 0..half {
                    let x1 = centre + std * rng.normal();
                    let x2 = centre + std * rng.normal();
                    points.push((x1, x2, label));
                }
            }
        }
    }
    Dataset {
        x: points
            .iter()
            .flat_map(|&(a, b, _)| [a as f32, b as f32])
            .collect(),
        y: points.iter().map(|p| p.2).collect(),
        n: points.len(),
        d: 2,
        classes: 2,
        class_names: vec!["0".into(), "1".into()],
    }
}

// ---------------------------------------------------------------------------------------------
// User CSV.

/// Files larger than this (bytes) are refused; the page checks the size before reading.
pub const CSV_MAX_BYTES: usize = 20 * 1024 * 1024;
/// At most this many data rows.
pub const CSV_MAX_ROWS: usize = 50_000;
/// At most this many feature columns.
pub const CSV_MAX_FEATURES: usize = 256;
/// At most this many classes.
pub const CSV_MAX_CLASSES: usize = 100;

/// What is wrong with a CSV file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvErrorKind {
    /// No header, or a header and no data rows.
    Empty,
    /// More than [`CSV_MAX_BYTES`] bytes.
    TooLarge { bytes: usize },
    /// The header has a single column: no feature besides the label.
    NoFeatures,
    /// The requested label column (1-based) does not exist.
    LabelColumnOutOfRange { column: usize, columns: usize },
    /// A row with a different number of fields than the header.
    RaggedRow { expected: usize, found: usize },
    /// A feature that is not a finite number.
    NotANumber { value: String },
    /// An empty field.
    MissingValue,
    /// More than [`CSV_MAX_ROWS`] data rows.
    TooManyRows,
    /// More than [`CSV_MAX_FEATURES`] features.
    TooManyFeatures { found: usize },
    /// More than [`CSV_MAX_CLASSES`] distinct labels.
    TooManyClasses { found: usize },
    /// Every row has the same label.
    OneClass,
}

/// A CSV error with the 1-based line (the header is line 1) and 1-based column it refers to,
/// where it refers to one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub kind: CsvErrorKind,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            _ => {}
        }
        match &self.kind {
            CsvErrorKind::Empty => write!(f, "the file has no header and data rows"),
            CsvErrorKind::TooLarge { bytes } => {
                write!(f, "the file has {bytes} bytes (at most {CSV_MAX_BYTES})")
            }
            CsvErrorKind::NoFeatures => write!(f, "only one column: no features besides the label"),
            CsvErrorKind::LabelColumnOutOfRange { column, columns } => write!(
                f,
                "label column {column} does not exist (the header has {columns} columns)"
            ),
            CsvErrorKind::RaggedRow { expected, found } => {
                write!(
                    f,
                    "expected {expected} fields like the header, found {found}"
                )
            }
            CsvErrorKind::NotANumber { value } => write!(f, "not a number: \"{value}\""),
            CsvErrorKind::MissingValue => write!(f, "missing value"),
            CsvErrorKind::TooManyRows => write!(f, "more than {CSV_MAX_ROWS} data rows"),
            CsvErrorKind::TooManyFeatures { found } => {
                write!(f, "{found} feature columns (at most {CSV_MAX_FEATURES})")
            }
            CsvErrorKind::TooManyClasses { found } => {
                write!(f, "{found} distinct labels (at most {CSV_MAX_CLASSES})")
            }
            CsvErrorKind::OneClass => write!(f, "every row has the same label: one class only"),
        }
    }
}

impl std::error::Error for CsvError {}

fn csv_error(line: Option<usize>, column: Option<usize>, kind: CsvErrorKind) -> CsvError {
    CsvError { line, column, kind }
}

/// One field: surrounding whitespace removed, then one pair of surrounding double quotes.
fn clean_field(field: &str) -> &str {
    let field = field.trim();
    if field.len() >= 2 && field.starts_with('"') && field.ends_with('"') {
        field[1..field.len() - 1].trim()
    } else {
        field
    }
}

/// Parses a user CSV into a [`Dataset`].
///
/// Format: comma-separated, the first non-blank line is a header (its names are not used
/// beyond counting columns), then one example per line; blank lines are skipped, "\r\n" line
/// ends are accepted, fields are trimmed and may be wrapped in one pair of double quotes (no
/// commas inside a field, no escaped quotes). `label_column` is 0-based; `None` means the last
/// column. Every other column is a feature and must be a finite number (Rust's f64 syntax,
/// e.g. `3`, `-0.5`, `1e-3`).
///
/// Labels: if every label parses as an integer, classes are the distinct integers in increasing
/// numeric order; otherwise the distinct strings in lexicographic (byte) order. Class k is the
/// k-th of that order and its name is the label as written (first spelling seen for integers
/// written differently, e.g. "01" and "1"). So the mapping does not depend on the row order.
///
/// Limits: [`CSV_MAX_BYTES`], [`CSV_MAX_ROWS`] data rows, [`CSV_MAX_FEATURES`] features,
/// 2..=[`CSV_MAX_CLASSES`] classes. Errors carry the 1-based line (header = line 1) and
/// 1-based column; the first error in reading order is reported.
pub fn parse_csv(text: &str, label_column: Option<usize>) -> Result<Dataset, CsvError> {
    if text.len() > CSV_MAX_BYTES {
        return Err(csv_error(
            None,
            None,
            CsvErrorKind::TooLarge { bytes: text.len() },
        ));
    }
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(csv_error(None, None, CsvErrorKind::Empty));
    };
    let columns = header.split(',').count();
    let label = label_column.unwrap_or(columns - 1);
    if label >= columns {
        return Err(csv_error(
            Some(header_line),
            None,
            CsvErrorKind::LabelColumnOutOfRange {
                column: label + 1,
                columns,
            },
        ));
    }
    if columns < 2 {
        return Err(csv_error(Some(header_line), None, CsvErrorKind::NoFeatures));
    }
    let d = columns - 1;
    if d > CSV_MAX_FEATURES {
        return Err(csv_error(
            Some(header_line),
            None,
            CsvErrorKind::TooManyFeatures { found: d },
        ));
    }
    let mut x = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let mut label_lines: Vec<usize> = Vec::new();
    for (line, row) in lines {
        if labels.len() == CSV_MAX_ROWS {
            return Err(csv_error(Some(line), None, CsvErrorKind::TooManyRows));
        }
        let fields: Vec<&str> = row.split(',').collect();
        if fields.len() != columns {
            return Err(csv_error(
                Some(line),
                None,
                CsvErrorKind::RaggedRow {
                    expected: columns,
                    found: fields.len(),
                },
            ));
        }
        for (c, raw) in fields.iter().enumerate() {
            let field = clean_field(raw);
            if field.is_empty() {
                return Err(csv_error(
                    Some(line),
                    Some(c + 1),
                    CsvErrorKind::MissingValue,
                ));
            }
            if c == label {
                labels.push(field.to_string());
            } else {
                match field.parse::<f64>() {
                    Ok(v) if v.is_finite() && (v as f32).is_finite() => x.push(v as f32),
                    _ => {
                        return Err(csv_error(
                            Some(line),
                            Some(c + 1),
                            CsvErrorKind::NotANumber {
                                value: field.to_string(),
                            },
                        ))
                    }
                }
            }
        }
        label_lines.push(line);
    }
    if labels.is_empty() {
        return Err(csv_error(None, None, CsvErrorKind::Empty));
    }
    // Class order: numeric if every label is an integer, else lexicographic.
    let integers: Option<Vec<i64>> = labels.iter().map(|l| l.parse::<i64>().ok()).collect();
    let (y, class_names): (Vec<u32>, Vec<String>) = match integers {
        Some(values) => {
            let mut names: BTreeMap<i64, String> = BTreeMap::new();
            for (v, l) in values.iter().zip(&labels) {
                names.entry(*v).or_insert_with(|| l.clone());
            }
            check_classes(names.len(), &label_lines)?;
            let index: BTreeMap<i64, u32> = names
                .keys()
                .enumerate()
                .map(|(k, &v)| (v, k as u32))
                .collect();
            (
                values.iter().map(|v| index[v]).collect(),
                names.into_values().collect(),
            )
        }
        None => {
            let mut names: BTreeMap<&str, u32> = BTreeMap::new();
            for l in &labels {
                names.insert(l.as_str(), 0);
            }
            check_classes(names.len(), &label_lines)?;
            for (k, v) in names.values_mut().enumerate() {
                *v = k as u32;
            }
            (
                labels.iter().map(|l| names[l.as_str()]).collect(),
                names.keys().map(|s| s.to_string()).collect(),
            )
        }
    };
    Ok(Dataset {
        x,
        n: y.len(),
        y,
        d,
        classes: class_names.len(),
        class_names,
    })
}

fn check_classes(found: usize, label_lines: &[usize]) -> Result<(), CsvError> {
    if found < 2 {
        return Err(csv_error(None, None, CsvErrorKind::OneClass));
    }
    if found > CSV_MAX_CLASSES {
        // The line where the (CSV_MAX_CLASSES + 1)-th class appears is not tracked by the
        // sorted maps; report the last data line, which the whole file has been read up to.
        return Err(csv_error(
            label_lines.last().copied(),
            None,
            CsvErrorKind::TooManyClasses { found },
        ));
    }
    Ok(())
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
