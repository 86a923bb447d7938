//! Byte-level preparation of an untrusted body, before any parser sees it.
//!
//! Unfolding happens on bytes because some producers fold in the middle of a
//! multi-byte UTF-8 character; decoding the lines separately would corrupt it.
//! The same single pass enforces the line length and nesting limits and records,
//! for every component (numbered in BEGIN order, as calcard numbers them), the
//! physical line of each property so that error messages can point at a line.

use super::rules::check_raw_rrule;
use super::{IcalError, Limits};

/// The unfolded, decoded text and where each property came from.
pub(crate) struct Decoded {
    pub text: String,
    pub lines: LineMap,
}

/// Physical line numbers (1-based) of component BEGINs and of their properties.
#[derive(Default)]
pub(crate) struct LineMap {
    comps: Vec<CompLines>,
}

struct CompLines {
    begin: usize,
    props: Vec<(Box<str>, usize)>,
}

impl LineMap {
    /// Line of the BEGIN of component number `comp` (0 is the VCALENDAR).
    pub fn begin(&self, comp: usize) -> Option<usize> {
        self.comps.get(comp).map(|c| c.begin)
    }

    /// Line of the `nth` (0-based) property called `name` in component `comp`.
    pub fn prop(&self, comp: usize, name: &str, nth: usize) -> Option<usize> {
        self.comps
            .get(comp)?
            .props
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .nth(nth)
            .map(|(_, line)| *line)
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Property names longer than this are not worth remembering for messages.
const MAX_NAME: usize = 64;

pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, IcalError> {
    if bytes.len() > limits.max_bytes {
        return Err(IcalError::TooLarge(format!(
            "the calendar object is {} bytes, the limit is {} bytes",
            bytes.len(),
            limits.max_bytes
        )));
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(IcalError::InvalidData(
            "the calendar object is empty".into(),
        ));
    }
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Err(IcalError::InvalidData(
            "UTF-16 bodies are not supported, send UTF-8".into(),
        ));
    }

    let mut scanner = Scanner::new(limits.max_depth);
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    unfold(body, &mut out, |out, start, lineno| {
        if out.len() - start > limits.max_line_len {
            return Err(IcalError::TooLarge(format!(
                "line {lineno}: longer than {} bytes after unfolding",
                limits.max_line_len
            )));
        }
        end_line(&mut scanner, out, start, lineno)
    })?;
    let lines = scanner.finish()?;
    let (text, _) = into_text(out);
    Ok(Decoded { text, lines })
}

/// What a stored body decodes to: its text, and the charset it was in.
pub enum StoredText<'a> {
    /// Valid UTF-8 as stored (the common case), borrowed: still folded,
    /// line ends as the client sent them.
    Utf8(&'a str),
    /// Not UTF-8 as stored (a fold cut a character, or another charset):
    /// unfolded at byte level and decoded as intake decodes it, one logical
    /// line per `\n`.
    Unfolded { text: String, charset: Charset },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Windows1252,
}

impl StoredText<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            StoredText::Utf8(text) => text,
            StoredText::Unfolded { text, .. } => text,
        }
    }

    pub fn charset(&self) -> Charset {
        match self {
            StoredText::Utf8(_) => Charset::Utf8,
            StoredText::Unfolded { charset, .. } => *charset,
        }
    }
}

/// Decodes a body that [`decode`] accepted, for everything that reads stored
/// objects: the same unfolding and charset choice, without the checks. Valid
/// UTF-8 is borrowed; removing folds (ASCII) cannot make it invalid, so it
/// decodes the same way unfolded or not.
pub fn stored_text(bytes: &[u8]) -> StoredText<'_> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(body) {
        return StoredText::Utf8(text);
    }
    let mut out = Vec::with_capacity(body.len());
    let unfolded: Result<(), std::convert::Infallible> = unfold(body, &mut out, |_, _, _| Ok(()));
    let Ok(()) = unfolded;
    let (text, charset) = into_text(out);
    StoredText::Unfolded { text, charset }
}

/// Unfolds `body` at byte level into `out`: CRLF, LF or a lone CR end a
/// physical line, and one followed by a space or tab is a fold, removed with
/// that blank. Logical lines are ended by `\n`; `line_end(out, start,
/// lineno)` sees each one (from `start` in `out`, first physical line
/// `lineno`) before its `\n`, and may rewrite it.
pub(super) fn unfold<E>(
    body: &[u8],
    out: &mut Vec<u8>,
    mut line_end: impl FnMut(&mut Vec<u8>, usize, usize) -> Result<(), E>,
) -> Result<(), E> {
    let mut line_start = out.len(); // offset in `out` of the current logical line
    let mut logical_line = 1; // physical line where the current logical line began
    let mut physical_line = 1;
    let mut i = 0;
    while let Some(&byte) = body.get(i) {
        if byte == b'\r' || byte == b'\n' {
            let width = if byte == b'\r' && body.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            i += width;
            physical_line += 1;
            if matches!(body.get(i), Some(b' ' | b'\t')) {
                i += 1;
                continue;
            }
            line_end(out, line_start, logical_line)?;
            out.push(b'\n');
            line_start = out.len();
            logical_line = physical_line;
            continue;
        }
        out.push(byte);
        i += 1;
    }
    line_end(out, line_start, logical_line)
}

/// UTF-8 when the unfolded bytes are UTF-8, else Windows-1252.
pub(super) fn into_text(unfolded: Vec<u8>) -> (String, Charset) {
    match String::from_utf8(unfolded) {
        Ok(text) => (text, Charset::Utf8),
        Err(err) => (windows_1252(err.as_bytes()), Charset::Windows1252),
    }
}

/// Scans the logical line that starts at `start` in `out`, and rewrites a BEGIN
/// or END line in canonical form: calcard would otherwise read "BEGIN:VEVENT "
/// (trailing blank) as an unknown component, or "BEGIN;X=1:VEVENT" as a property.
fn end_line(
    scanner: &mut Scanner,
    out: &mut Vec<u8>,
    start: usize,
    lineno: usize,
) -> Result<(), IcalError> {
    if let Some(canonical) = scanner.line(out.get(start..).unwrap_or_default(), lineno)? {
        out.truncate(start);
        out.extend_from_slice(&canonical);
    }
    Ok(())
}

/// Checks structure line by line: the body starts with BEGIN:VCALENDAR, BEGIN and
/// END pair up, nesting stays shallow and nothing follows the END:VCALENDAR.
struct Scanner {
    max_depth: usize,
    stack: Vec<Vec<u8>>,
    /// Component numbers of the open components, parallel to `stack`.
    open: Vec<usize>,
    map: LineMap,
    started: bool,
    closed: bool,
}

impl Scanner {
    fn new(max_depth: usize) -> Self {
        Scanner {
            max_depth,
            stack: Vec::new(),
            open: Vec::new(),
            map: LineMap::default(),
            started: false,
            closed: false,
        }
    }

    /// Returns the canonical form of a BEGIN or END line.
    fn line(&mut self, line: &[u8], lineno: usize) -> Result<Option<Vec<u8>>, IcalError> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let name_end = line
            .iter()
            .position(|&b| b == b':' || b == b';')
            .unwrap_or(line.len());
        let name = line.get(..name_end).unwrap_or_default().trim_ascii();
        let value = value_of(line).trim_ascii();
        let is_begin = name.eq_ignore_ascii_case(b"BEGIN");
        let is_end = name.eq_ignore_ascii_case(b"END");

        if self.closed {
            if is_begin && value.eq_ignore_ascii_case(b"VCALENDAR") {
                return Err(IcalError::InvalidObject(format!(
                    "line {lineno}: a calendar object resource must contain exactly one VCALENDAR"
                )));
            }
            return Err(IcalError::InvalidData(format!(
                "line {lineno}: content after END:VCALENDAR"
            )));
        }
        if !self.started {
            if !(is_begin && value.eq_ignore_ascii_case(b"VCALENDAR")) {
                return Err(IcalError::InvalidData(format!(
                    "line {lineno}: the body must start with BEGIN:VCALENDAR"
                )));
            }
            self.started = true;
        }

        if is_begin {
            if value.is_empty() || value.len() > MAX_NAME {
                return Err(IcalError::InvalidData(format!(
                    "line {lineno}: BEGIN needs a component name"
                )));
            }
            if self.stack.len() >= self.max_depth {
                return Err(IcalError::InvalidData(format!(
                    "line {lineno}: components are nested more than {} levels deep",
                    self.max_depth
                )));
            }
            self.stack.push(value.to_ascii_uppercase());
            self.open.push(self.map.comps.len());
            self.map.comps.push(CompLines {
                begin: lineno,
                props: Vec::new(),
            });
        } else if is_end {
            let top = self.stack.pop().unwrap_or_default();
            self.open.pop();
            if !top.eq_ignore_ascii_case(value) {
                return Err(IcalError::InvalidData(format!(
                    "line {lineno}: END:{} does not match BEGIN:{}",
                    String::from_utf8_lossy(value),
                    String::from_utf8_lossy(&top)
                )));
            }
            if self.stack.is_empty() {
                self.closed = true;
            }
        } else {
            if name.eq_ignore_ascii_case(b"RRULE") || name.eq_ignore_ascii_case(b"EXRULE") {
                check_raw_rrule(value)
                    .map_err(|msg| IcalError::InvalidData(format!("line {lineno}: RRULE {msg}")))?;
            }
            let comp = self.open.last().and_then(|&c| self.map.comps.get_mut(c));
            if let (Some(comp), true) = (comp, name.len() <= MAX_NAME) {
                let name = String::from_utf8_lossy(name).to_ascii_uppercase();
                comp.props.push((name.into_boxed_str(), lineno));
            }
            return Ok(None);
        }
        let keyword: &[u8] = if is_begin { b"BEGIN:" } else { b"END:" };
        Ok(Some([keyword, &value.to_ascii_uppercase()].concat()))
    }

    fn finish(self) -> Result<LineMap, IcalError> {
        if let Some(top) = self.stack.last() {
            return Err(IcalError::InvalidData(format!(
                "missing END:{} at the end of the body",
                String::from_utf8_lossy(top)
            )));
        }
        Ok(self.map)
    }
}

/// The value part of a content line: after the first colon outside quotes.
fn value_of(line: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return line.get(i + 1..).unwrap_or_default(),
            _ => {}
        }
    }
    &[]
}

/// Windows-1252, the usual encoding of non-UTF-8 calendars (old Outlook exports).
fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}',
        '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}',
        '\u{178}',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH
                .get(usize::from(b - 0x80))
                .copied()
                .unwrap_or('\u{FFFD}'),
            _ => char::from(b),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{stored_text, Charset, StoredText};

    #[test]
    fn stored_bodies_decode_as_intake_decodes_them() {
        let utf8 = "\u{FEFF}SUMMARY:F\u{EA}te\r\n".as_bytes();
        assert!(matches!(
            stored_text(utf8),
            StoredText::Utf8("SUMMARY:F\u{EA}te\r\n")
        ));

        // The fold cuts "ê" (C3 AA) in two: invalid until unfolded.
        let split = stored_text(b"SUMMARY:F\xC3\r\n \xAAte\r\nUID:1");
        assert_eq!(split.as_str(), "SUMMARY:F\u{EA}te\nUID:1");
        assert_eq!(split.charset(), Charset::Utf8);

        let legacy = stored_text(b"SUMMARY:C\xE9r\xE9monie des v\x9Cux\r\n (0 \x80)\r\n");
        assert_eq!(
            legacy.as_str(),
            "SUMMARY:C\u{E9}r\u{E9}monie des v\u{153}ux(0 \u{20AC})\n"
        );
        assert_eq!(legacy.charset(), Charset::Windows1252);
    }
}
