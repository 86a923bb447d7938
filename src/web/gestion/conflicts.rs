use crate::http::Response;
use crate::store::accounts::Principal;
use crate::web::visit::Visit;
pub async fn handle(visit: &Visit<'_>, _user: &Principal) -> Response {
    crate::web::page::not_found(visit)
}
pub async fn csv(visit: &Visit<'_>) -> Response {
    crate::web::page::not_found(visit)
}
pub async fn availability(visit: &Visit<'_>) -> Response {
    crate::web::page::not_found(visit)
}
