use crate::http::Response;
use crate::web::visit::Visit;
pub async fn handle(visit: &Visit<'_>, _tail: &str) -> Response {
    crate::web::page::not_found(visit)
}
