//! The name staff acknowledge a conflict by: `rule:id@rid:id@rid`, the
//! rule and each side's object id and recurrence (0 for none; the second
//! side is empty for a closed venue). Written and read only here.

use super::EventSide;
use std::fmt::Write;

pub fn format(rule: &str, a: &EventSide, b: Option<&EventSide>) -> String {
    let mut key = String::with_capacity(rule.len() + 48);
    let _ = write!(
        key,
        "{rule}:{}@{}:",
        a.object_id,
        a.recurrence_id.unwrap_or(0)
    );
    if let Some(b) = b {
        let _ = write!(key, "{}@{}", b.object_id, b.recurrence_id.unwrap_or(0));
    }
    key
}

/// The object ids a key names: the first side's, and the second's if any.
/// None for text that is not a key.
pub fn objects(key: &str) -> Option<(i64, Option<i64>)> {
    let mut sides = key.split(':').skip(1);
    let id = |side: &str| side.split('@').next()?.parse::<i64>().ok();
    let a = id(sides.next()?)?;
    let b = match sides.next()? {
        "" => None,
        side => Some(id(side)?),
    };
    sides.next().is_none().then_some((a, b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_name_their_objects() {
        assert_eq!(
            super::objects("same-venue:12@0:34@1700000000"),
            Some((12, Some(34)))
        );
        assert_eq!(super::objects("closed-venue:12@0:"), Some((12, None)));
        for bad in ["", "rule", "rule:x@0:", "rule:1@0", "rule:1@0:2@0:3@0"] {
            assert_eq!(super::objects(bad), None, "{bad}");
        }
    }
}
