//! The user CSV of the Train lab: [`parse_csv`], its limits and its errors. Re-exported from
//! [`crate::train::data`].

use crate::train::data::Dataset;
use std::collections::BTreeMap;
use std::fmt;

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
