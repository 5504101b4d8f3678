//! The Train lab's data: digits.bin validation, the 2-D generators, standardization, the
//! stratified split and the CSV parser's errors.

use lab_core::train::data::{DIGITS_BIN_LEN, POINTS_2D};
use lab_core::train::{
    generate_2d, parse_csv, split, standardize, CsvErrorKind, DataError, Dataset, Shape2d,
    CSV_MAX_BYTES, CSV_MAX_FEATURES, CSV_MAX_ROWS,
};

const DIGITS: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../static/digits.bin"));

fn digits() -> Dataset {
    Dataset::from_digits_bin(DIGITS).expect("digits.bin is valid")
}

#[test]
fn digits_bin_reads_and_validates() {
    let d = digits();
    assert_eq!((d.n, d.d, d.classes), (1797, 64, 10));
    assert_eq!(d.x.len(), 1797 * 64);
    assert_eq!(d.class_names[3], "3");
    // Class counts of scikit-learn's load_digits (np.bincount(load_digits().target)).
    assert_eq!(
        d.class_counts(),
        vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    // The first image of load_digits (a 0): its first row of pixels is 0 0 5 13 9 1 0 0.
    assert_eq!(&d.x[..8], &[0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]);
    assert_eq!(d.y[0], 0);
    assert!(d.x.iter().all(|&v| (0.0..=16.0).contains(&v)));

    let mut bad = DIGITS.to_vec();
    bad[0] = b'X';
    assert_eq!(Dataset::from_digits_bin(&bad), Err(DataError::BadMagic));
    assert_eq!(Dataset::from_digits_bin(b"DI"), Err(DataError::BadMagic));
    assert_eq!(
        Dataset::from_digits_bin(&DIGITS[..DIGITS_BIN_LEN - 1]),
        Err(DataError::BadLength {
            expected: DIGITS_BIN_LEN,
            found: DIGITS_BIN_LEN - 1
        })
    );
    let mut bad = DIGITS.to_vec();
    bad[4 + 65 * 2 + 10] = 17;
    assert_eq!(
        Dataset::from_digits_bin(&bad),
        Err(DataError::PixelOutOfRange {
            example: 2,
            pixel: 10,
            value: 17
        })
    );
    let mut bad = DIGITS.to_vec();
    bad[4 + 65 * 5 + 64] = 10;
    assert_eq!(
        Dataset::from_digits_bin(&bad),
        Err(DataError::LabelOutOfRange {
            example: 5,
            value: 10
        })
    );
}

#[test]
fn split_is_stratified_and_seeded() {
    let d = digits();
    let (train, test) = split(&d, 7);
    assert_eq!(train.n + test.n, d.n);
    let (ct, cs, cd) = (train.class_counts(), test.class_counts(), d.class_counts());
    for k in 0..10 {
        assert_eq!(ct[k] + cs[k], cd[k]);
        // Each class keeps its 20% share up to rounding: within one example.
        let share = 0.2 * cd[k] as f64;
        assert!(
            (cs[k] as f64 - share).abs() <= 1.0,
            "class {k}: {} vs {share}",
            cs[k]
        );
    }
    // Disjoint and complete: every example appears once (compare the multisets of rows).
    let mut all: Vec<Vec<u32>> = (0..train.n)
        .map(|i| train.row(i).iter().map(|v| v.to_bits()).collect())
        .chain((0..test.n).map(|i| test.row(i).iter().map(|v| v.to_bits()).collect()))
        .collect();
    let mut orig: Vec<Vec<u32>> = (0..d.n)
        .map(|i| d.row(i).iter().map(|v| v.to_bits()).collect())
        .collect();
    all.sort();
    orig.sort();
    assert_eq!(all, orig);
    // Same seed, same split; another seed, another split.
    assert_eq!(split(&d, 7), (train.clone(), test.clone()));
    let (_, test8) = split(&d, 8);
    assert_ne!(test8, test);
    // Tiny classes: 2-D data with a class of 3 examples keeps round(0.6) = 1 in the test set.
    let small = Dataset {
        x: (0..20).map(|v| v as f32).collect(),
        y: vec![0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
        n: 10,
        d: 2,
        classes: 2,
        class_names: vec!["a".into(), "b".into()],
    };
    let (_, t) = split(&small, 1);
    assert_eq!(t.class_counts(), vec![1, 1]);
}

#[test]
fn standardize_uses_training_statistics() {
    let d = digits();
    let (mut train, mut test) = split(&d, 3);
    let raw_test = test.clone();
    let s = standardize(&mut train, &mut test);
    for j in 0..64 {
        let col: Vec<f64> = (0..train.n).map(|i| f64::from(train.row(i)[j])).collect();
        let mean = col.iter().sum::<f64>() / col.len() as f64;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64;
        assert!(mean.abs() < 1e-5, "feature {j}: mean {mean}");
        if s.std[j] > 0.0 {
            assert!((var - 1.0).abs() < 1e-4, "feature {j}: var {var}");
        } else {
            // A constant feature (e.g. pixel 0 of every digit) stays 0, in both sets.
            assert!(col.iter().all(|&v| v == 0.0));
            assert!((0..test.n).all(|i| test.row(i)[j] == 0.0));
        }
    }
    assert_eq!(s.std[0], 0.0, "pixel 0 is always blank");
    // The test set uses the training mean and std, not its own.
    let j = 20;
    let i = 4;
    let expected = (f64::from(raw_test.row(i)[j]) - s.mean[j]) / s.std[j];
    assert!((f64::from(test.row(i)[j]) - expected).abs() < 1e-5);
}

#[test]
fn two_d_generators() {
    for shape in Shape2d::ALL {
        for noise in [0.0, 0.25, 0.5] {
            let a = generate_2d(shape, noise, 11);
            assert_eq!((a.n, a.d, a.classes), (POINTS_2D, 2, 2));
            assert_eq!(a, generate_2d(shape, noise, 11), "seeded");
            if !(shape == Shape2d::Spiral && noise == 0.0) {
                // (A noiseless spiral draws nothing.)
                assert_ne!(a, generate_2d(shape, noise, 12), "another seed");
            }
            assert!(a.x.iter().all(|v| v.is_finite()));
            let counts = a.class_counts();
            assert!(
                counts[0] > 100 && counts[1] > 100,
                "{shape:?} {noise}: {counts:?}"
            );
        }
        assert_eq!(Shape2d::from_name(shape.name()), Some(shape));
    }
    // Without noise the labels follow the definitions exactly.
    let xor = generate_2d(Shape2d::Xor, 0.0, 1);
    for i in 0..xor.n {
        let (a, b) = (xor.row(i)[0], xor.row(i)[1]);
        assert!(a.abs() >= 0.3 && b.abs() >= 0.3);
        assert_eq!(xor.y[i], u32::from(a * b >= 0.0));
    }
    let circle = generate_2d(Shape2d::Circle, 0.0, 1);
    for i in 0..circle.n {
        let r = (circle.row(i)[0].powi(2) + circle.row(i)[1].powi(2)).sqrt();
        assert_eq!(circle.y[i], u32::from(r < 2.5));
    }
    assert_eq!(
        generate_2d(Shape2d::Spiral, 0.0, 1).class_counts(),
        vec![250, 250]
    );
    assert_eq!(
        generate_2d(Shape2d::Gauss, 0.3, 1).class_counts(),
        vec![250, 250]
    );
}

fn err(text: &str, label: Option<usize>) -> (Option<usize>, Option<usize>, CsvErrorKind) {
    let e = parse_csv(text, label).expect_err("should fail");
    assert!(!e.to_string().is_empty());
    (e.line, e.column, e.kind)
}

#[test]
fn csv_parses_good_files() {
    let d = parse_csv("a,b,label\n1,2,cat\n3,4.5,dog\r\n\n-1e-1,\"7\",cat\n", None).unwrap();
    assert_eq!((d.n, d.d, d.classes), (3, 2, 2));
    assert_eq!(d.x, vec![1.0, 2.0, 3.0, 4.5, -0.1, 7.0]);
    assert_eq!(d.class_names, vec!["cat", "dog"]);
    assert_eq!(d.y, vec![0, 1, 0]);
    // Integer labels sort numerically (10 after 9), whatever the row order.
    let d = parse_csv("y,x\n10,1\n9,2\n-3,3\n9,4\n", Some(0)).unwrap();
    assert_eq!(d.class_names, vec!["-3", "9", "10"]);
    assert_eq!(d.y, vec![2, 1, 0, 1]);
    assert_eq!(d.x, vec![1.0, 2.0, 3.0, 4.0]);
    // String labels sort lexicographically.
    let d = parse_csv("x,y\n1,b\n2,B\n3,a\n", None).unwrap();
    assert_eq!(d.class_names, vec!["B", "a", "b"]);
    assert_eq!(d.y, vec![2, 0, 1]);
}

#[test]
fn csv_errors_name_line_and_column() {
    use CsvErrorKind::*;
    assert_eq!(err("", None), (None, None, Empty));
    assert_eq!(err("\n\n", None), (None, None, Empty));
    assert_eq!(err("a,b,c\n", None), (None, None, Empty));
    assert_eq!(err("label\n1\n2\n", None), (Some(1), None, NoFeatures));
    assert_eq!(
        err("a,b\n1,2\n", Some(2)),
        (
            Some(1),
            None,
            LabelColumnOutOfRange {
                column: 3,
                columns: 2
            }
        )
    );
    assert_eq!(
        err("a,b,c\n1,2,0\n1,2,x\n3,abc,1\n", None),
        (
            Some(4),
            Some(2),
            NotANumber {
                value: "abc".into()
            }
        )
    );
    assert_eq!(
        err("a,b,c\n1,2,0\n3,NaN,1\n", None),
        (
            Some(3),
            Some(2),
            NotANumber {
                value: "NaN".into()
            }
        )
    );
    assert_eq!(
        err("a,b,c\n1,2,0\n1e999,2,1\n", None),
        (
            Some(3),
            Some(1),
            NotANumber {
                value: "1e999".into()
            }
        )
    );
    assert_eq!(
        err("a,b,c\n1,2,0\n1, ,1\n", None),
        (Some(3), Some(2), MissingValue)
    );
    assert_eq!(
        err("a,b,c\n1,2,0\n1,2,\n", None),
        (Some(3), Some(3), MissingValue)
    );
    // Blank lines still count for line numbers.
    assert_eq!(
        err("a,b,c\n\n1,2,0\n1,2\n", None),
        (
            Some(4),
            None,
            RaggedRow {
                expected: 3,
                found: 2
            }
        )
    );
    assert_eq!(
        err("a,b,c\n1,2,0,4\n", None),
        (
            Some(2),
            None,
            RaggedRow {
                expected: 3,
                found: 4
            }
        )
    );
    assert_eq!(err("a,b\n1,7\n2,7\n", None), (None, None, OneClass));
    // Too many features: 257 feature columns and a label.
    let header = vec!["f"; CSV_MAX_FEATURES + 2].join(",");
    assert_eq!(
        err(&format!("{header}\n"), None),
        (
            Some(1),
            None,
            TooManyFeatures {
                found: CSV_MAX_FEATURES + 1
            }
        )
    );
    // Too many classes: 101 distinct labels.
    let mut text = String::from("x,y\n");
    for k in 0..101 {
        text.push_str(&format!("{k},c{k}\n"));
    }
    assert_eq!(
        err(&text, None),
        (Some(102), None, TooManyClasses { found: 101 })
    );
    // Too many rows: the 50,001st data row (line 50,002) is refused.
    let mut text = String::from("x,y\n");
    for k in 0..=CSV_MAX_ROWS {
        text.push_str(if k % 2 == 0 { "1,0\n" } else { "2,1\n" });
    }
    assert_eq!(
        err(&text, None),
        (Some(CSV_MAX_ROWS + 2), None, TooManyRows)
    );
    // Too large.
    let big = "x".repeat(CSV_MAX_BYTES + 1);
    assert_eq!(
        err(&big, None),
        (
            None,
            None,
            TooLarge {
                bytes: CSV_MAX_BYTES + 1
            }
        )
    );
    // The message names the place.
    let e = parse_csv("a,b,c\n1,2,0\n3,abc,1\n", None).unwrap_err();
    assert_eq!(e.to_string(), "line 3, column 2: not a number: \"abc\"");
}
