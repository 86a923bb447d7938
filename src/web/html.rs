//! The page frame and HTML escaping.

pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    crate::text::escape_markup(text)
}

/// Large, high-contrast text; the print style drops the form and prints
/// the days one after the other (the quarterly agenda).
const STYLE: &str = "body{font-family:system-ui,sans-serif;font-size:1.25rem;line-height:1.5;max-width:46rem;margin:0 auto;padding:1rem;color:#111;background:#fff}
a{color:#0645ad}h1{font-size:2rem}h2{font-size:1.5rem;border-bottom:2px solid #2e7d32;margin-top:2rem}h3{font-size:1.25rem;margin:.2rem 0}
ul{list-style:none;padding:0}.evenement{border-left:6px solid #2e7d32;padding:.5rem 1rem;margin:1rem 0;background:#f4f8f4}
.evenement p{margin:.2rem 0}.heure{font-weight:bold;margin:0}.etiquette{font-weight:bold}.annule{color:#b00020}.a-confirmer{font-style:italic;font-weight:normal;color:#8a4b00}
label{font-weight:bold}select,input,button{font-size:1.1rem;padding:.4rem}button,.bouton{background:#2e7d32;color:#fff;border:0;padding:.6rem 1.2rem;text-decoration:none;display:inline-block;border-radius:.3rem}
fieldset{border:2px solid #ccc}.abonnement{background:#eef;padding:1rem;margin:1rem 0}code{word-break:break-all}nav a{margin-right:1rem}
@media print{form,.abonnement,nav{display:none}body{font-size:11pt;max-width:none}.evenement{background:none;break-inside:avoid}h2{break-after:avoid}}";

pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><style>{STYLE}</style></head><body><header><nav><a href=\"/\">Agenda</a><a href=\"/associations\">Les organisateurs</a></nav><h1>{title}</h1></header><main>{body}</main></body></html>\n",
        title = escape(title)
    )
}
