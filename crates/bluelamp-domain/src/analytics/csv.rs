//! CSV exports of dashboard tables, safe to open in a spreadsheet.
//!
//! Exports end up in Excel on force laptops. Post text and hashtags come from
//! the public (replies, quoted posts), so a cell such as `=HYPERLINK(...)` or
//! `@SUM(...)` would otherwise run as a formula when the analyst opens the file
//! ("CSV injection"). Such cells get a leading apostrophe, which spreadsheets
//! read as "this is text". Plain negative numbers are left alone so the export
//! still adds up.

/// Characters that make a spreadsheet treat a cell as a formula.
fn starts_like_formula(field: &str) -> bool {
    matches!(
        field.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// Whether the whole field is an ordinary finite number such as "-3" or
/// "+12.5". Rust's float parser also accepts "inf" and "NaN"; those are not
/// figures anyone exported, so they are neutralised like any other text.
fn is_number(field: &str) -> bool {
    field.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Appends one field: neutralised if it could run as a formula, then quoted
/// (with quotes doubled) if it holds a comma, quote or line break.
fn push_field(out: &mut String, field: &str) {
    let neutralise = starts_like_formula(field) && !is_number(field);
    let quote = field.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if neutralise {
        out.push('\'');
    }
    for c in field.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

fn push_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, field.as_ref());
    }
    out.push_str("\r\n");
}

/// A CSV document (RFC 4180: CRLF after every record, including the last) with
/// a header record and then `rows`. No header record is written when `headers`
/// is empty. Rows are written as given; a short row is not padded, because the
/// caller knows better than this function what a missing cell means.
pub fn write(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    if !headers.is_empty() {
        push_record(&mut out, headers);
    }
    for row in rows {
        push_record(&mut out, row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn plain_fields_are_written_as_is_with_crlf() {
        let csv = write(
            &["date", "posts"],
            &[row(&["2026-03-01", "12"]), row(&["2026-03-02", "0"])],
        );
        assert_eq!(csv, "date,posts\r\n2026-03-01,12\r\n2026-03-02,0\r\n");
    }

    #[test]
    fn fields_with_separators_are_quoted() {
        let csv = write(
            &[],
            &[row(&["a,b", "say \"hi\"", "two\nlines", "cr\r", "plain"])],
        );
        assert_eq!(
            csv,
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",plain\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        let csv = write(
            &["=cmd"],
            &[row(&[
                "=1+1",
                "+44 20 7946 0000",
                "-x",
                "@SUM(A1)",
                "\tx",
                "\rx",
            ])],
        );
        assert_eq!(
            csv,
            "'=cmd\r\n'=1+1,'+44 20 7946 0000,'-x,'@SUM(A1),'\tx,\"'\rx\"\r\n"
        );
    }

    #[test]
    fn numbers_starting_with_a_sign_stay_numbers() {
        let csv = write(&[], &[row(&["-3", "-12.5", "+7", "-1e3", "-inf", "-NaN"])]);
        assert_eq!(csv, "-3,-12.5,+7,-1e3,'-inf,'-NaN\r\n");
    }

    #[test]
    fn neutralised_fields_are_still_quoted_when_needed() {
        let csv = write(&[], &[row(&["=HYPERLINK(\"http://x\",\"y\")"])]);
        assert_eq!(csv, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");
    }

    #[test]
    fn empty_inputs_and_fields() {
        assert_eq!(write(&[], &[]), "");
        assert_eq!(write(&["only"], &[]), "only\r\n");
        assert_eq!(
            write(&["a", "b"], &[row(&["", ""]), vec![]]),
            "a,b\r\n,\r\n\r\n"
        );
    }

    #[test]
    fn unicode_passes_through() {
        let csv = write(&["tag"], &[row(&["#Diogelwch", "Dŵr, tân"])]);
        assert_eq!(csv, "tag\r\n#Diogelwch,\"Dŵr, tân\"\r\n");
    }
}
