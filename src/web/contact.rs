//! An organiser's public contact as the directory, event and services
//! pages show it.

/// A stored field worth showing: trimmed, `None` when empty.
pub fn present(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A phone number as a `tel:` address takes it: its digits and `+`.
pub fn dial(phone: Option<&str>) -> String {
    phone
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}
