//! Thanos' URL prefix flags: `--web.route-prefix` (where the API and UI are served),
//! `--web.external-prefix` (what links and redirects in the UI start with, for a reverse
//! proxy that strips a path) and `--web.prefix-header` (a header the proxy sets to that
//! path, per request).

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderName};

use crate::Error;

/// The prefixes of one component.
#[derive(Clone, Debug, Default)]
pub struct WebPrefix {
    route: String,
    external: String,
    header: Option<HeaderName>,
}

impl WebPrefix {
    /// The prefixes from the three flags' values (`""` when not given). The route prefix
    /// defaults to the external prefix's path, as in Thanos.
    pub fn new(route: &str, external: &str, header: &str) -> Result<Self, Error> {
        let external = normalise_external(external)?;
        let route = if route.is_empty() {
            path_of(&external).to_string()
        } else {
            normalise_path("--web.route-prefix", route)?
        };
        let header = if header.is_empty() {
            None
        } else {
            Some(HeaderName::try_from(header).map_err(|_| Error::Prefix {
                flag: "--web.prefix-header",
                value: header.to_string(),
                why: "not an HTTP header name",
            })?)
        };
        Ok(Self {
            route,
            external,
            header,
        })
    }

    /// Where the API and the UI are served: `""` or a path like `/mnemos`.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// Whether the external prefix's path differs from the route prefix (the UI then
    /// works only behind a proxy that maps one to the other; Thanos warns too).
    pub fn mismatched(&self) -> bool {
        !self.external.is_empty() && path_of(&self.external) != self.route
    }

    /// What the UI's links start with for `headers`' request: the external prefix, else
    /// the prefix header's value when it is a plain path, else the route prefix.
    pub fn for_request(&self, headers: &HeaderMap) -> Cow<'_, str> {
        if !self.external.is_empty() {
            return Cow::Borrowed(&self.external);
        }
        if let Some(name) = &self.header {
            if let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) {
                match normalise_path("--web.prefix-header", value) {
                    Ok(p) => return Cow::Owned(p),
                    Err(e) => tracing::debug!(error = %e, "prefix header ignored"),
                }
            }
        }
        Cow::Borrowed(&self.route)
    }
}

/// The path of an external prefix (itself when it is a path).
fn path_of(external: &str) -> &str {
    match external.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => external,
    }
}

/// `/a/b` from `a/b/`, `/a/b`, `/a/b/`; `""` from `""` and `/`. Only characters a path
/// segment may hold unescaped are allowed.
fn normalise_path(flag: &'static str, value: &str) -> Result<String, Error> {
    let bad = |why| Error::Prefix {
        flag,
        value: value.to_string(),
        why,
    };
    let trimmed = value.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~/%!$&'()*+,;=:@".contains(c))
    {
        return Err(bad("a path may hold only URL path characters"));
    }
    if trimmed
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(bad("empty, '.' and '..' path segments are not allowed"));
    }
    Ok(format!("/{trimmed}"))
}

/// An external prefix: a path, or an `http(s)://host[:port][/path]` URL, without a
/// trailing slash.
fn normalise_external(value: &str) -> Result<String, Error> {
    let flag = "--web.external-prefix";
    match value.split_once("://") {
        None => normalise_path(flag, value),
        Some((scheme, rest)) => {
            let bad = |why| Error::Prefix {
                flag,
                value: value.to_string(),
                why,
            };
            if scheme != "http" && scheme != "https" {
                return Err(bad("only http and https URLs"));
            }
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if host.is_empty()
                || !host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
            {
                return Err(bad("the URL needs a plain host[:port]"));
            }
            Ok(format!("{scheme}://{host}{}", normalise_path(flag, path)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_prefix_defaults_to_the_external_prefix_path() {
        let p = WebPrefix::new("", "/mnemos/", "").expect("prefix");
        assert_eq!(p.route(), "/mnemos");
        assert!(!p.mismatched());
        let p = WebPrefix::new("", "https://example.com:8443/x/y/", "").expect("prefix");
        assert_eq!(p.route(), "/x/y");
        assert_eq!(
            p.for_request(&HeaderMap::new()),
            "https://example.com:8443/x/y"
        );
        let p = WebPrefix::new("/", "", "").expect("prefix");
        assert_eq!(p.route(), "");
        let p = WebPrefix::new("inner", "/outer", "").expect("prefix");
        assert!(p.mismatched());
        assert_eq!(p.for_request(&HeaderMap::new()), "/outer");
    }

    #[test]
    fn bad_prefixes_are_refused() {
        for (route, external) in [
            ("/a b", ""),
            ("/a/../b", ""),
            ("", "ftp://x/y"),
            ("", "http:///y"),
            ("/a\"b", ""),
            ("", "/a?b"),
        ] {
            assert!(
                WebPrefix::new(route, external, "").is_err(),
                "{route} {external}"
            );
        }
        assert!(WebPrefix::new("", "", "bad header").is_err());
    }

    #[test]
    fn the_prefix_header_is_used_only_when_it_is_a_plain_path() {
        let p = WebPrefix::new("", "", "X-Forwarded-Prefix").expect("prefix");
        let mut h = HeaderMap::new();
        assert_eq!(p.for_request(&h), "");
        h.insert("x-forwarded-prefix", "/proxied/".parse().expect("value"));
        assert_eq!(p.for_request(&h), "/proxied");
        h.insert(
            "x-forwarded-prefix",
            "//evil.example".parse().expect("value"),
        );
        assert_eq!(p.for_request(&h), "/evil.example");
        h.insert("x-forwarded-prefix", "/a\"><b".parse().expect("value"));
        assert_eq!(p.for_request(&h), "");
    }
}
