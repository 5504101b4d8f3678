#!/usr/bin/env python3
"""Converts scikit-learn's bundled 8x8 digits (digits.csv.gz) into static/digits.bin.

Data: the UCI optdigits test set (E. Alpaydin and C. Kaynak, 1998), CC BY 4.0, as bundled with
scikit-learn (sklearn/datasets/data/digits.csv.gz). 1797 examples, 64 pixel values in 0..16 (an
8x8 image, row by row), a label 0..9 in the last column.

Getting the input (standard library only here; pip only downloads the wheel):

    pip download --no-deps -d /tmp/skl scikit-learn
    cd /tmp/skl && unzip -o *.whl 'sklearn/datasets/data/digits.csv.gz'
    python3 scripts/convert_digits.py /tmp/skl/sklearn/datasets/data/digits.csv.gz static/digits.bin

Output format (read by lab_core::train::Dataset::from_digits_bin, which checks all of it):

    bytes 0..4   the magic b"DIG1"
    bytes 4..    1797 records of 65 bytes each: 64 pixel bytes (0..16, row-major 8x8 image,
                 the csv's column order) followed by 1 label byte (0..9), in the csv's row order.

Total 4 + 1797 * 65 = 116,809 bytes. No other header fields: the record count is fixed.
"""

import gzip
import sys

MAGIC = b"DIG1"
EXAMPLES = 1797
PIXELS = 64


def convert(src, dst):
    out = bytearray(MAGIC)
    with gzip.open(src, "rt", encoding="ascii") as f:
        rows = [line.strip() for line in f if line.strip()]
    if len(rows) != EXAMPLES:
        raise SystemExit(f"expected {EXAMPLES} rows, found {len(rows)}")
    for number, row in enumerate(rows, start=1):
        values = [float(v) for v in row.split(",")]
        if len(values) != PIXELS + 1:
            raise SystemExit(f"line {number}: expected {PIXELS + 1} values, found {len(values)}")
        ints = [int(v) for v in values]
        if any(v != i for v, i in zip(values, ints)):
            raise SystemExit(f"line {number}: a value is not an integer")
        pixels, label = ints[:PIXELS], ints[PIXELS]
        if any(p < 0 or p > 16 for p in pixels):
            raise SystemExit(f"line {number}: a pixel outside 0..16")
        if label < 0 or label > 9:
            raise SystemExit(f"line {number}: a label outside 0..9")
        out += bytes(pixels) + bytes([label])
    with open(dst, "wb") as f:
        f.write(out)
    print(f"wrote {dst}: {len(out)} bytes, {EXAMPLES} examples")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: convert_digits.py digits.csv.gz static/digits.bin")
    convert(sys.argv[1], sys.argv[2])
