use crate::http::Response;
use crate::store::accounts::Principal;
use crate::web::visit::Visit;
pub async fn handle(visit: &Visit<'_>, _user: &Principal, _tail: &str) -> Response {
    crate::web::page::not_found(visit)
}
