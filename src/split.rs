//! Splits JSON text into the raw text of an object's fields or an array's
//! items, without building a tree. A scenario's events and accounts (a
//! million of them, say) are each parsed only when their turn comes.
//!
//! Only the outer structure is checked here (braces, commas, colons, string
//! escapes); each slice is parsed, and so fully validated, by `serde_json`
//! when it is used.

/// Position and why, for text that is not the JSON expected.
pub type Split<T> = Result<T, String>;

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

fn expected<T>(b: &[u8], i: usize, what: &str) -> Split<T> {
    match b.get(i) {
        None => Err(format!("expected {what}, found the end of the text")),
        Some(_) => Err(format!("expected {what} at byte {i}")),
    }
}

/// `i` is at an opening quote; returns the index after the closing one.
fn skip_string(b: &[u8], mut i: usize) -> Split<usize> {
    i += 1;
    loop {
        match b.get(i) {
            Some(b'\\') => i += 2,
            Some(b'"') => return Ok(i + 1),
            Some(_) => i += 1,
            None => return Err("a string is not closed".into()),
        }
    }
}

/// `i` is at the first byte of a value; returns the index after it.
fn skip_value(b: &[u8], mut i: usize) -> Split<usize> {
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while let Some(&c) = b.get(i) {
                match c {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Ok(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Err("an object or array is not closed".into())
        }
        Some(_) => {
            let start = i;
            while !matches!(
                b.get(i),
                None | Some(b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r')
            ) {
                i += 1;
            }
            if i == start {
                expected(b, i, "a value")
            } else {
                Ok(i)
            }
        }
        None => expected(b, i, "a value"),
    }
}

fn finish(b: &[u8], i: usize) -> Split<()> {
    let i = skip_ws(b, i);
    if i == b.len() {
        Ok(())
    } else {
        Err(format!("unexpected text after the end at byte {i}"))
    }
}

/// How deeply any JSON the core reads may nest. SPEC's deepest shape (a class's settings in a
/// scenario) nests 7 levels; the bound keeps parsing in a small, fixed stack (wasm has 1 MiB).
pub const MAX_DEPTH: usize = 64;

/// Refuses text whose arrays and objects nest deeper than [`MAX_DEPTH`], without parsing it
/// (a loop, not recursion, so hostile nesting costs nothing but one pass).
pub fn depth_within(text: &str) -> Split<()> {
    let b = text.as_bytes();
    let (mut i, mut depth) = (0usize, 0usize);
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                i = skip_string(b, i)?;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH} levels at byte {i}"));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// `serde_json`'s tree of `text`, after [`depth_within`].
pub fn value(text: &str) -> Split<serde_json::Value> {
    depth_within(text)?;
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// A key's text without quotes, escapes decoded.
fn key(raw: &str) -> Split<String> {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
    if !inner.contains('\\') {
        return Ok(inner.to_string());
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(format!("{raw} is not a valid JSON string")),
    }
}

/// The fields of a JSON object: key and raw value text, in document order.
pub fn object(text: &str) -> Split<Vec<(String, &str)>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err("expected a JSON object".into());
    }
    i = skip_ws(b, i + 1);
    let mut fields = Vec::new();
    if b.get(i) == Some(&b'}') {
        finish(b, i + 1)?;
        return Ok(fields);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return expected(b, i, "a field name");
        }
        let end = skip_string(b, i)?;
        let name = key(text.get(i..end).unwrap_or_default())?;
        i = skip_ws(b, end);
        if b.get(i) != Some(&b':') {
            return expected(b, i, "`:`");
        }
        i = skip_ws(b, i + 1);
        let end = skip_value(b, i)?;
        fields.push((name, text.get(i..end).unwrap_or_default()));
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => {
                finish(b, i + 1)?;
                return Ok(fields);
            }
            _ => return expected(b, i, "`,` or `}`"),
        }
    }
}

/// The items of a JSON array, as raw text.
pub fn array(text: &str) -> Split<Vec<&str>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return Err("expected a JSON array".into());
    }
    i = skip_ws(b, i + 1);
    let mut items = Vec::new();
    if b.get(i) == Some(&b']') {
        finish(b, i + 1)?;
        return Ok(items);
    }
    loop {
        let end = skip_value(b, i)?;
        items.push(text.get(i..end).unwrap_or_default());
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => {
                finish(b, i + 1)?;
                return Ok(items);
            }
            _ => return expected(b, i, "`,` or `]`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_objects_and_arrays_at_the_top_level_only() {
        let fields =
            object(r#" {"a": [1, {"b": "}"}], "c\"d": "x\"y", "e" :null} "#).expect("object");
        assert_eq!(
            fields,
            vec![
                ("a".to_string(), r#"[1, {"b": "}"}]"#),
                ("c\"d".to_string(), r#""x\"y""#),
                ("e".to_string(), "null"),
            ]
        );
        assert_eq!(
            array(r#"[ {"op":"x"} ,2,"s", [] ]"#).expect("array"),
            vec![r#"{"op":"x"}"#, "2", r#""s""#, "[]"]
        );
        assert_eq!(array("[]").expect("empty"), Vec::<&str>::new());
        assert_eq!(object("{}").expect("empty"), vec![]);
    }

    #[test]
    fn nesting_is_bounded_without_recursion() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(depth_within(&deep)
            .expect_err("deep")
            .contains("nested deeper"));
        assert!(value(&deep).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(value(&ok).is_ok());
        // Brackets inside strings do not count.
        assert!(depth_within(&format!("\"{}\"", "[".repeat(1000))).is_ok());
    }

    #[test]
    fn refuses_broken_structure() {
        for text in [
            "",
            "[",
            "{",
            r#"{"a" 1}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":1,}"#,
            "[1 2]",
            "[1,]",
            r#"{"a":"x}"#,
            "{} x",
            "[1]]",
            "[",
            r#"{a:1}"#,
        ] {
            assert!(object(text).is_err() || array(text).is_err(), "{text}");
            if text.starts_with('{') {
                assert!(object(text).is_err(), "{text}");
            }
            if text.starts_with('[') {
                assert!(array(text).is_err(), "{text}");
            }
        }
    }
}
