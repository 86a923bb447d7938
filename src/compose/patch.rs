//! Applying a form's changes to a stored calendar object by rewriting only
//! the content lines of the fields that changed. Every other byte stays:
//! alarms, attendees, X- properties and parameters, other components,
//! property order, folding, line endings. The series master gets the
//! changes and a new SEQUENCE, DTSTAMP and LAST-MODIFIED; an occurrence
//! changed on its own (RECURRENCE-ID) follows a change of title, place,
//! description, link or categories only where it still had the master's
//! old value (what it changed on purpose stays), and always follows a
//! change of public/private, since one private component keeps the whole
//! object out of public views.
//!
//! Bodies that are not UTF-8 (Windows-1252) are rewritten as UTF-8, the
//! only way to write what the form sends; their folds are lost then.

use super::build::{uses_zone, Field};
use super::{utc_stamp, EventDraft};
use crate::query::tree::fold_into;
use chrono::Datelike;

/// One logical content line: its bytes (folds and line end included).
#[derive(Debug)]
struct Line {
    start: usize,
    end: usize,
    /// Upper-cased property name (BEGIN/END included).
    name: String,
    /// Everything after the name, unfolded (parameters and value).
    rest: String,
    /// Index of the component holding it (for BEGIN/END: the component
    /// they open or close).
    component: usize,
}

#[derive(Debug)]
struct Comp {
    name: String,
    parent: Option<usize>,
    /// Line indexes of its BEGIN and END.
    begin: usize,
    end: usize,
}

struct Document {
    text: String,
    lines: Vec<Line>,
    comps: Vec<Comp>,
    newline: &'static str,
}

impl Document {
    fn parse(text: String) -> Document {
        let newline = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            Some(_) => "\n",
            None => "\r\n",
        };
        let bytes = text.as_bytes();
        let mut lines = Vec::new();
        let mut comps: Vec<Comp> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            // A logical line runs to a line end not followed by a blank.
            let start = at;
            let mut unfolded = String::new();
            loop {
                let line_end = text[at..]
                    .find('\n')
                    .map(|i| at + i + 1)
                    .unwrap_or(bytes.len());
                let content = text[at..line_end].trim_end_matches(['\r', '\n']);
                unfolded.push_str(if at == start { content } else { &content[1..] });
                at = line_end;
                if !matches!(bytes.get(at), Some(b' ' | b'\t')) {
                    break;
                }
            }
            let name_end = unfolded.find([';', ':']).unwrap_or(unfolded.len());
            let name = unfolded[..name_end].trim().to_ascii_uppercase();
            let rest = unfolded[name_end..].to_owned();
            let index = lines.len();
            let component = match name.as_str() {
                "BEGIN" => {
                    comps.push(Comp {
                        name: rest.trim_start_matches(':').trim().to_ascii_uppercase(),
                        parent: stack.last().copied(),
                        begin: index,
                        end: index,
                    });
                    stack.push(comps.len() - 1);
                    comps.len() - 1
                }
                "END" => match stack.pop() {
                    Some(c) => {
                        comps[c].end = index;
                        c
                    }
                    None => usize::MAX,
                },
                _ => stack.last().copied().unwrap_or(usize::MAX),
            };
            lines.push(Line {
                start,
                end: at,
                name,
                rest,
                component,
            });
        }
        Document {
            text,
            lines,
            comps,
            newline,
        }
    }

    /// The property lines directly in component `c` (not in its children).
    fn properties(&self, c: usize) -> impl Iterator<Item = (usize, &Line)> {
        let comp = &self.comps[c];
        (comp.begin + 1..comp.end)
            .map(move |i| (i, &self.lines[i]))
            .filter(move |(_, l)| l.component == c && l.name != "BEGIN" && l.name != "END")
    }

    /// Where new properties of `c` go: before its first sub-component, or
    /// before its END.
    fn insertion_point(&self, c: usize) -> usize {
        let comp = &self.comps[c];
        (comp.begin + 1..comp.end)
            .find(|&i| self.lines[i].name == "BEGIN")
            .unwrap_or(comp.end)
    }

    /// The values of the properties `names` in `c`, to compare components.
    fn values(&self, c: usize, names: &[&str]) -> Vec<String> {
        let mut values: Vec<String> = self
            .properties(c)
            .filter(|(_, l)| names.contains(&l.name.as_str()))
            .map(|(_, l)| format!("{}{}", l.name, l.rest))
            .collect();
        values.sort();
        values
    }

    fn folded(&self, lines: &[String]) -> String {
        let mut out = String::new();
        for line in lines {
            fold_into(&mut out, line);
        }
        if self.newline == "\n" {
            out = out.replace("\r\n", "\n");
        }
        out
    }
}

/// Replacements of line ranges, applied together at the end.
#[derive(Default)]
struct Edits {
    /// (first line, lines removed, text put there).
    list: Vec<(usize, usize, String)>,
}

impl Edits {
    /// Sets the properties `names` of component `c` to `lines`: the first
    /// existing one is replaced by them, the others removed; when there is
    /// none, they go where new properties go.
    fn set(&mut self, doc: &Document, c: usize, names: &[&str], lines: &[String]) {
        let found: Vec<usize> = doc
            .properties(c)
            .filter(|(_, l)| names.contains(&l.name.as_str()))
            .map(|(i, _)| i)
            .collect();
        let text = doc.folded(lines);
        match found.split_first() {
            Some((first, others)) => {
                self.list.push((*first, 1, text));
                for other in others {
                    self.list.push((*other, 1, String::new()));
                }
            }
            None if !lines.is_empty() => self.list.push((doc.insertion_point(c), 0, text)),
            None => {}
        }
    }

    fn apply(mut self, doc: &Document) -> String {
        // Insertions before a line come before its replacement.
        self.list
            .sort_by_key(|(line, removed, _)| (*line, *removed));
        let mut out = String::with_capacity(doc.text.len() + 256);
        let mut copied = 0; // byte offset in doc.text
        for (line, removed, text) in &self.list {
            let at = doc
                .lines
                .get(*line)
                .map(|l| l.start)
                .unwrap_or(doc.text.len());
            if at < copied {
                continue; // the same line edited twice: the first one wins
            }
            out.push_str(&doc.text[copied..at]);
            out.push_str(text);
            copied = if *removed > 0 {
                doc.lines[*line].end
            } else {
                at
            };
        }
        out.push_str(&doc.text[copied..]);
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchError {
    /// No VEVENT without RECURRENCE-ID at the top of the object.
    NoMaster,
}

/// `body` with the fields where `after` differs from `before` (the stored
/// event as the form read it) rewritten; `None` when nothing differs.
pub fn apply(
    body: &[u8],
    before: &EventDraft,
    after: &EventDraft,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<Option<Vec<u8>>, PatchError> {
    let changed: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| f.differs(before, after))
        .collect();
    if changed.is_empty() {
        return Ok(None);
    }
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let bom = body.starts_with(BOM);
    let text = crate::ical::stored_text(body).as_str().to_owned();
    let doc = Document::parse(text);
    let calendar = doc
        .comps
        .iter()
        .position(|c| c.name == "VCALENDAR" && c.parent.is_none());
    let events: Vec<usize> = (0..doc.comps.len())
        .filter(|&c| doc.comps[c].name == "VEVENT" && doc.comps[c].parent == calendar)
        .collect();
    let has_recurrence_id = |c: usize| doc.properties(c).any(|(_, l)| l.name == "RECURRENCE-ID");
    let master = *events
        .iter()
        .find(|&&c| !has_recurrence_id(c))
        .ok_or(PatchError::NoMaster)?;
    let overrides: Vec<usize> = events
        .iter()
        .copied()
        .filter(|&c| has_recurrence_id(c))
        .collect();
    let mut edits = Edits::default();
    let mut touched = vec![master];
    let mut written: Vec<String> = Vec::new();
    for field in changed {
        let names = field.properties();
        let lines = field.lines(after, tz);
        let master_values = doc.values(master, names);
        for &c in &overrides {
            let follows = match field {
                Field::Class => doc.values(c, names).iter().any(|v| !lines.contains(v)),
                Field::When | Field::Recurrence => false,
                _ => doc.values(c, names) == master_values,
            };
            if follows {
                edits.set(&doc, c, names, &lines);
                if !touched.contains(&c) {
                    touched.push(c);
                }
            }
        }
        edits.set(&doc, master, names, &lines);
        written.extend(lines);
    }
    let stamp = utc_stamp(now);
    for &c in &touched {
        let sequence = doc
            .properties(c)
            .find(|(_, l)| l.name == "SEQUENCE")
            .and_then(|(_, l)| l.rest.rsplit(':').next()?.trim().parse::<i64>().ok())
            .unwrap_or(0);
        edits.set(
            &doc,
            c,
            &["SEQUENCE"],
            &[format!("SEQUENCE:{}", sequence + 1)],
        );
        edits.set(&doc, c, &["DTSTAMP"], &[format!("DTSTAMP:{stamp}")]);
        edits.set(
            &doc,
            c,
            &["LAST-MODIFIED"],
            &[format!("LAST-MODIFIED:{stamp}")],
        );
    }
    // Times written in the territory's zone need its VTIMEZONE.
    let zone_known = doc.comps.iter().enumerate().any(|(c, comp)| {
        comp.name == "VTIMEZONE"
            && doc
                .properties(c)
                .any(|(_, l)| l.name == "TZID" && l.rest.trim_start_matches(':') == tz.name())
    });
    if uses_zone(&written, tz) && !zone_known {
        let mut zone = super::vtimezone::vtimezone(tz, after.when.first_day().year());
        if doc.newline == "\n" {
            zone = zone.replace("\r\n", "\n");
        }
        edits.list.push((doc.comps[master].begin, 0, zone));
    }
    let mut out = edits.apply(&doc).into_bytes();
    if bom {
        out.splice(0..0, BOM.iter().copied());
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::read::read;

    const APP_EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nBEGIN:VEVENT\r\nCREATED:20261101T080000Z\r\nUID:abc\r\nX-MOZ-GENERATION:3\r\nSUMMARY;LANGUAGE=fr:Loto\r\nORGANIZER;CN=\"Dupont; Jean\":mailto:jean@example.org\r\nATTENDEE;PARTSTAT=ACCEPTED;X-NUM-GUESTS=0:mailto:\r\n paul@example.org\r\nDTSTART:20270313T193000Z\r\nDTEND:20270313T220000Z\r\nDTSTAMP:20261101T080000Z\r\nSEQUENCE:2\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Rappel\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn only_the_changed_lines_move() {
        let tz = chrono_tz::Europe::Paris;
        let before = read(APP_EVENT.as_bytes(), tz).unwrap().draft;
        let mut after = before.clone();
        after.location = "Salle des fêtes, Arue".into();
        let patched = apply(APP_EVENT.as_bytes(), &before, &after, tz, 1_795_000_000)
            .unwrap()
            .unwrap();
        let patched = String::from_utf8(patched).unwrap();
        let expected = APP_EVENT
            .replace(
                "DTSTAMP:20261101T080000Z\r\nSEQUENCE:2\r\n",
                "DTSTAMP:20261118T110640Z\r\nSEQUENCE:3\r\n",
            )
            .replace(
                "BEGIN:VALARM",
                "LOCATION:Salle des fêtes\\, Arue\r\nLAST-MODIFIED:20261118T110640Z\r\nBEGIN:VALARM",
            );
        assert_eq!(patched, expected);
        assert_eq!(read(patched.as_bytes(), tz).unwrap().draft, after);
        // Nothing changed, nothing written.
        assert_eq!(
            apply(APP_EVENT.as_bytes(), &before, &before, tz, 0).unwrap(),
            None
        );
    }

    #[test]
    fn new_times_bring_the_zone_along() {
        let tz = chrono_tz::Europe::Paris;
        let lf = APP_EVENT.replace("\r\n", "\n");
        let before = read(lf.as_bytes(), tz).unwrap().draft;
        let mut after = before.clone();
        if let crate::compose::When::Timed { start, end } = &mut after.when {
            *start += chrono::Duration::hours(1);
            *end += chrono::Duration::hours(1);
        }
        let patched = apply(lf.as_bytes(), &before, &after, tz, 1_795_000_000)
            .unwrap()
            .unwrap();
        let patched = String::from_utf8(patched).unwrap();
        assert!(!patched.contains('\r'), "line ends kept: {patched}");
        assert!(
            patched.contains(
                "DTSTART;TZID=Europe/Paris:20270313T213000\nDTEND;TZID=Europe/Paris:20270314T000000\n"
            ),
            "{patched}"
        );
        assert!(
            patched.contains("BEGIN:VTIMEZONE\nTZID:Europe/Paris\n"),
            "{patched}"
        );
        let object =
            crate::ical::parse_object(patched.as_bytes(), tz, &crate::ical::Limits::default())
                .unwrap();
        assert_eq!(object.instances[0].start, 1_804_966_200 + 3600);
    }
}
