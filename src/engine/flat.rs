//! Strict reading of the flat number lists the messages carry (a `Config`, training
//! settings): indices, whole numbers and single-precision values exactly as an encoder wrote
//! them, anything else an error naming the field.

/// The position of `v` in `all`, as the number an encoder writes.
pub fn index_of<T: PartialEq>(all: &[T], v: &T) -> f64 {
    all.iter().position(|x| x == v).unwrap_or(0) as f64
}

/// A whole number in [0, max] (not -0: an encoder never writes it).
pub fn whole(v: f64, max: f64, what: &str) -> Result<u64, String> {
    if v.is_finite() && v.is_sign_positive() && v.fract() == 0.0 && v <= max {
        Ok(v as u64)
    } else {
        Err(format!("{what}: {v} is not a whole number in [0, {max}]"))
    }
}

/// The entry of `all` at index `v`.
pub fn pick<T: Copy>(all: &[T], v: f64, what: &str) -> Result<T, String> {
    let i = whole(v, all.len().saturating_sub(1) as f64, what)?;
    Ok(all[i as usize])
}

/// An f32 that an encoder wrote: finite and exactly representable.
pub fn single(v: f64, what: &str) -> Result<f32, String> {
    let f = v as f32;
    if v.is_finite() && f64::from(f) == v {
        Ok(f)
    } else {
        Err(format!(
            "{what}: {v} is not a finite single-precision number"
        ))
    }
}
