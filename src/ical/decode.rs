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
    let mut line_start = 0; // offset in `out` of the current logical line
    let mut logical_line = 1; // physical line where the current logical line began
    let mut physical_line = 1;
    let mut i = 0;
    while let Some(&byte) = body.get(i) {
        if byte == b'\r' || byte == b'\n' {
            // CRLF, LF or a lone CR all end a physical line.
            let width = if byte == b'\r' && body.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            i += width;
            physical_line += 1;
            if matches!(body.get(i), Some(b' ' | b'\t')) {
                // Folded: drop the line break and the one whitespace after it.
                i += 1;
                continue;
            }
            end_line(&mut scanner, &mut out, line_start, logical_line)?;
            out.push(b'\n');
            line_start = out.len();
            logical_line = physical_line;
            continue;
        }
        out.push(byte);
        i += 1;
        if out.len() - line_start > limits.max_line_len {
            return Err(IcalError::TooLarge(format!(
                "line {logical_line}: longer than {} bytes after unfolding",
                limits.max_line_len
            )));
        }
    }
    end_line(&mut scanner, &mut out, line_start, logical_line)?;
    let lines = scanner.finish()?;

    let text = match String::from_utf8(out) {
        Ok(text) => text,
        Err(err) => windows_1252(err.as_bytes()),
    };
    Ok(Decoded { text, lines })
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
