//! Spreadsheet exports (XLSX, for the layout software and the print shop):
//! one sheet, a bold header row kept in view, every cell text as shown.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// An XLSX file of one sheet named `title` (cut to Excel's 31 characters).
pub fn xlsx(
    title: &str,
    header: &[&str],
    rows: &[(String, Vec<String>)],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let name: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet.set_name(name)?;
    let bold = Format::new().set_bold();
    for (column, text) in header.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *text, &bold)?;
    }
    for (row, (_, fields)) in rows.iter().enumerate() {
        for (column, text) in fields.iter().enumerate() {
            sheet.write_string(row as u32 + 1, column as u16, text)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    workbook.save_to_buffer()
}
