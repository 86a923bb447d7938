use crate::http::Response;
use crate::web::visit::Visit;
pub async fn page(visit: &Visit<'_>) -> Response {
    crate::web::page::not_found(visit)
}
