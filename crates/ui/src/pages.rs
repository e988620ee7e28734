//! The UI's routes: each page's shell, the embedded assets (gzip when accepted; a year of
//! caching for versioned URLs, revalidation otherwise), the home redirect, and the route
//! prefix.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::assets::served;
use crate::blocks::BlocksView;
use crate::shell::{render, Component, Page, PageDefaults};
use crate::WebPrefix;

/// What the page handlers share.
struct Pages {
    prefix: WebPrefix,
    component: Component,
    home: Page,
    defaults: PageDefaults,
}

type Shared = State<Arc<Pages>>;

/// The querier's pages: `/` (to `/graph`), `/graph`, `/stores` and the assets.
pub fn query_pages(prefix: WebPrefix, defaults: PageDefaults) -> Router {
    let pages = Arc::new(Pages {
        prefix,
        component: Component::Query,
        home: Page::Graph,
        defaults,
    });
    Router::new()
        .route("/", get(home))
        .route(
            "/graph",
            get(|s: Shared, h: HeaderMap| page(s, h, Page::Graph)),
        )
        .route(
            "/stores",
            get(|s: Shared, h: HeaderMap| page(s, h, Page::Stores)),
        )
        .route("/static/{file}", get(asset))
        .with_state(pages)
}

/// The block viewer of `mnemos tools bucket web` and the compactor: `/` (to `/blocks`),
/// `/blocks`, the assets and `/api/v1/blocks` from `view`.
pub fn bucket_pages(prefix: WebPrefix, component: Component, view: BlocksView) -> Router {
    let pages = Arc::new(Pages {
        prefix,
        component,
        home: Page::Blocks,
        defaults: PageDefaults::default(),
    });
    Router::new()
        .route("/", get(home))
        .route(
            "/blocks",
            get(|s: Shared, h: HeaderMap| page(s, h, Page::Blocks)),
        )
        .route("/static/{file}", get(asset))
        .with_state(pages)
        .merge(view.router())
}

/// `routes` served under `prefix`'s route prefix, with `/` and the prefix with a trailing
/// slash redirecting to the prefix (as Thanos); unchanged without a route prefix.
pub fn with_route_prefix(prefix: &WebPrefix, routes: Router) -> Router {
    let route = prefix.route().to_string();
    if route.is_empty() {
        return routes;
    }
    let target = route.clone();
    let to_prefix = get(move || async move { redirect(&target) });
    Router::new()
        .route("/", to_prefix.clone())
        .route(&format!("{route}/"), to_prefix)
        .nest(&route, routes)
}

async fn home(State(pages): Shared, headers: HeaderMap) -> Response {
    let prefix = pages.prefix.for_request(&headers);
    redirect(&format!("{prefix}/{}", pages.home.name()))
}

fn redirect(to: &str) -> Response {
    match HeaderValue::try_from(to) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn page(State(pages): Shared, headers: HeaderMap, page: Page) -> Response {
    let prefix = pages.prefix.for_request(&headers);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        render(page, pages.component, &prefix, pages.defaults),
    )
        .into_response()
}

/// The `v` of an asset URL.
#[derive(serde::Deserialize)]
struct AssetQuery {
    v: Option<String>,
}

async fn asset(
    Path(file): Path<String>,
    Query(q): Query<AssetQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(a) = served(&file) else {
        return (StatusCode::NOT_FOUND, "no such asset\n").into_response();
    };
    let etag = format!("\"{}\"", a.version);
    let cache = if q.v.as_deref() == Some(a.version) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let common = [
        (header::CACHE_CONTROL, cache.to_string()),
        (header::ETAG, etag.clone()),
        (header::VARY, "Accept-Encoding".to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
    ];
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if not_modified {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let (body, gzip) = if accepts_gzip(&headers) {
        (a.gzip, true)
    } else {
        (a.bytes, false)
    };
    let mut resp = (
        common,
        [(header::CONTENT_TYPE, a.content_type.to_string())],
        body,
    )
        .into_response();
    if gzip {
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

/// Whether `Accept-Encoding` admits gzip (not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let q_zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get_path(app: &Router, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        app.clone()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("response")
    }

    fn header_of(r: &Response, name: header::HeaderName) -> &str {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn pages_redirects_and_assets_under_a_route_prefix() {
        let prefix = WebPrefix::new("/mnemos", "", "").expect("prefix");
        let app = with_route_prefix(
            &prefix,
            query_pages(prefix.clone(), PageDefaults::default()),
        );
        let r = get_path(&app, "/", &[]).await;
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(header_of(&r, header::LOCATION), "/mnemos");
        let r = get_path(&app, "/mnemos/", &[]).await;
        assert_eq!(header_of(&r, header::LOCATION), "/mnemos");
        let r = get_path(&app, "/mnemos", &[]).await;
        assert_eq!(header_of(&r, header::LOCATION), "/mnemos/graph");
        let r = get_path(&app, "/mnemos/graph", &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "no-cache");
        assert_eq!(
            get_path(&app, "/graph", &[]).await.status(),
            StatusCode::NOT_FOUND
        );

        let v = crate::asset_version("query.js");
        let r = get_path(&app, &format!("/mnemos/static/query.js?v={v}"), &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(header_of(&r, header::CACHE_CONTROL).contains("immutable"));
        assert_eq!(header_of(&r, header::CONTENT_ENCODING), "");
        let r = get_path(
            &app,
            "/mnemos/static/query.js?v=old",
            &[("accept-encoding", "br, gzip;q=0.8")],
        )
        .await;
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "no-cache");
        assert_eq!(header_of(&r, header::CONTENT_ENCODING), "gzip");
        let etag = format!("\"{v}\"");
        let r = get_path(&app, "/mnemos/static/query.js", &[("if-none-match", &etag)]).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let r = get_path(&app, "/mnemos/static/nope.js", &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn links_follow_the_external_prefix_and_the_prefix_header() {
        let prefix = WebPrefix::new("", "", "X-Forwarded-Prefix").expect("prefix");
        let app = query_pages(prefix, PageDefaults::default());
        let r = get_path(&app, "/", &[("x-forwarded-prefix", "/proxy")]).await;
        assert_eq!(header_of(&r, header::LOCATION), "/proxy/graph");
        let prefix = WebPrefix::new("", "/ext", "").expect("prefix");
        let app = with_route_prefix(
            &prefix,
            query_pages(prefix.clone(), PageDefaults::default()),
        );
        let r = get_path(&app, "/ext/stores", &[]).await;
        let body = axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .expect("body");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("data-prefix=\"/ext\""), "{html}");
    }

    #[test]
    fn gzip_acceptance() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, v.parse().expect("value"));
            accepts_gzip(&m)
        };
        assert!(h("gzip, deflate, br"));
        assert!(h("*"));
        assert!(!h("gzip;q=0"));
        assert!(!h("br"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
