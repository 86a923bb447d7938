//! A whole calendar file (an export from Google Calendar, Outlook...) cut
//! into calendar object resources: one per UID, holding that UID's
//! components (a series and its changed occurrences) and the VTIMEZONEs
//! they use, as a client would PUT them. Only the file's structure is
//! checked here (size, nesting, balanced BEGIN/END, line length): each
//! object is validated on its own when it is written, so that one bad
//! event does not refuse a whole export.

use super::decode::{into_text, unfold};
use super::{fold_into, PRODID};
use super::{IcalError, Limits};

/// One object cut from a file.
#[derive(Debug, Clone)]
pub struct Piece {
    pub uid: Option<String>,
    /// Its SUMMARY as written (escaped), to name it in reports.
    pub summary: Option<String>,
    /// A complete VCALENDAR, CRLF lines folded at 75 octets.
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Split {
    /// METHOD of the file, when it has one (PUBLISH for exports; REQUEST
    /// and others are scheduling messages, not calendars).
    pub method: Option<String>,
    pub pieces: Vec<Piece>,
}

/// One component at the top of a VCALENDAR, with its unfolded lines.
struct Block {
    name: String,
    lines: Vec<String>,
    /// Its own UID (or TZID for a VTIMEZONE).
    key: Option<String>,
}

fn name_and_value(line: &str) -> (String, &str) {
    let name_end = line.find([';', ':']).unwrap_or(line.len());
    let value = line.find(':').map(|i| &line[i + 1..]).unwrap_or_default();
    (line[..name_end].trim().to_ascii_uppercase(), value)
}

/// Cuts a calendar file into objects; the error says why the file as a
/// whole cannot be read (then nothing in it is used).
pub fn split(bytes: &[u8], limits: &Limits) -> Result<Split, IcalError> {
    if bytes.len() > limits.max_bytes {
        return Err(IcalError::TooLarge(format!(
            "the file is {} bytes, the limit is {} bytes",
            bytes.len(),
            limits.max_bytes
        )));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut unfolded = Vec::with_capacity(body.len());
    unfold(body, &mut unfolded, |out, start, lineno| {
        if out.len() - start > limits.max_line_len {
            return Err(IcalError::TooLarge(format!(
                "line {lineno}: longer than {} bytes after unfolding",
                limits.max_line_len
            )));
        }
        Ok(())
    })?;
    let (text, _) = into_text(unfolded);
    let mut method = None;
    let mut prodid = None;
    let mut calscale = None;
    let mut blocks: Vec<Block> = Vec::new();
    // Open components: names; `current` collects a top-level one.
    let mut stack: Vec<String> = Vec::new();
    let mut current: Option<Block> = None;
    let mut calendars = 0;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = name_and_value(line);
        let lineno = n + 1;
        match name.as_str() {
            "BEGIN" => {
                let component = value.trim().to_ascii_uppercase();
                if stack.is_empty() && component != "VCALENDAR" {
                    return Err(IcalError::InvalidData(format!(
                        "line {lineno}: the file must start with BEGIN:VCALENDAR"
                    )));
                }
                if stack.len() >= limits.max_depth {
                    return Err(IcalError::InvalidData(format!(
                        "line {lineno}: components are nested more than {} levels deep",
                        limits.max_depth
                    )));
                }
                if stack.len() == 1 {
                    current = Some(Block {
                        name: component.clone(),
                        lines: Vec::new(),
                        key: None,
                    });
                }
                if stack.is_empty() {
                    calendars += 1;
                }
                stack.push(component);
            }
            "END" => {
                let component = value.trim().to_ascii_uppercase();
                if stack.pop().as_deref() != Some(component.as_str()) {
                    return Err(IcalError::InvalidData(format!(
                        "line {lineno}: END:{component} closes nothing open"
                    )));
                }
                if stack.len() == 1 {
                    if let Some(mut block) = current.take() {
                        block.lines.push(format!("END:{component}"));
                        blocks.push(block);
                    }
                    continue;
                }
            }
            _ if stack.is_empty() => {
                return Err(IcalError::InvalidData(format!(
                    "line {lineno}: the file must start with BEGIN:VCALENDAR"
                )))
            }
            _ if stack.len() == 1 => {
                let value = value.trim().to_owned();
                match name.as_str() {
                    "METHOD" => method = Some(value.to_ascii_uppercase()),
                    "PRODID" => prodid = Some(value),
                    "CALSCALE" => calscale = Some(value),
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        if let Some(block) = current.as_mut() {
            let key = match (block.name.as_str(), name.as_str()) {
                ("VTIMEZONE", "TZID") | (_, "UID") => stack.len() == 2,
                _ => false,
            };
            if key && block.key.is_none() {
                block.key = Some(value.trim().to_owned());
            }
            block.lines.push(match name.as_str() {
                "BEGIN" => format!("BEGIN:{}", value.trim().to_ascii_uppercase()),
                _ => line.to_owned(),
            });
        }
    }
    if !stack.is_empty() {
        return Err(IcalError::InvalidData(
            "the file ends before END:VCALENDAR (cut short?)".into(),
        ));
    }
    if calendars == 0 {
        return Err(IcalError::InvalidData("the file holds no VCALENDAR".into()));
    }
    let (zones, items): (Vec<Block>, Vec<Block>) =
        blocks.into_iter().partition(|b| b.name == "VTIMEZONE");
    // Components in file order, grouped by UID (first appearance).
    let mut groups: Vec<(Option<String>, Vec<Block>)> = Vec::new();
    for block in items {
        match groups
            .iter_mut()
            .find(|(uid, _)| uid.is_some() && *uid == block.key)
        {
            Some((_, members)) => members.push(block),
            None => groups.push((block.key.clone(), vec![block])),
        }
    }
    let header = {
        let mut out = String::new();
        fold_into(&mut out, "BEGIN:VCALENDAR");
        fold_into(&mut out, "VERSION:2.0");
        let prodid = prodid.unwrap_or_else(|| PRODID.to_owned());
        fold_into(&mut out, &format!("PRODID:{prodid}"));
        if let Some(scale) = calscale {
            fold_into(&mut out, &format!("CALSCALE:{scale}"));
        }
        out
    };
    let pieces = groups
        .into_iter()
        .map(|(uid, members)| {
            let mut body = header.clone();
            let uses = |tzid: &str| {
                let param = format!("TZID={tzid}");
                let quoted = format!("TZID=\"{tzid}\"");
                members
                    .iter()
                    .flat_map(|m| &m.lines)
                    .any(|l| l.contains(&param) || l.contains(&quoted))
            };
            for zone in &zones {
                if zone.key.as_deref().is_some_and(uses) {
                    for line in &zone.lines {
                        fold_into(&mut body, line);
                    }
                }
            }
            let mut summary = None;
            for member in &members {
                for line in &member.lines {
                    if summary.is_none() && name_and_value(line).0 == "SUMMARY" {
                        summary = Some(name_and_value(line).1.to_owned());
                    }
                    fold_into(&mut body, line);
                }
            }
            fold_into(&mut body, "END:VCALENDAR");
            Piece { uid, summary, body }
        })
        .collect();
    Ok(Split { method, pieces })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_becomes_one_object_per_uid_with_its_zones() {
        let file = "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Comité\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Paris:20270313T203000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Loto\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270313T100000Z\r\nSUMMARY:Marché\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID;TZID=Europe/Paris:20270320T203000\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Paris:20270321T203000\r\nSUMMARY:Loto\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let cut = split(file.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(cut.method.as_deref(), Some("PUBLISH"));
        assert_eq!(cut.pieces.len(), 2);
        let a = &cut.pieces[0];
        assert_eq!(a.uid.as_deref(), Some("a"));
        assert!(a.body.contains("BEGIN:VTIMEZONE"));
        assert_eq!(a.body.matches("BEGIN:VEVENT").count(), 2);
        assert!(!cut.pieces[1].body.contains("VTIMEZONE"));
        for piece in &cut.pieces {
            crate::ical::parse_object(
                piece.body.as_bytes(),
                chrono_tz::Europe::Paris,
                &Limits::default(),
            )
            .unwrap();
        }
        assert!(split(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", &Limits::default()).is_err());
        assert!(split(b"hello", &Limits::default()).is_err());
    }
}
