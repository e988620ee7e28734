//! The HTML shell of each page: the bundle's stylesheet and script (versioned URLs under
//! the page's prefix) and the page, prefix and component as `data-` attributes the script
//! reads.

use crate::assets::asset_version;

/// A page of the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// The query editor with table and graph (`/graph`).
    Graph,
    /// The querier's endpoints (`/stores`).
    Stores,
    /// The bucket's blocks on a timeline (`/blocks`).
    Blocks,
}

impl Page {
    /// The page's name, as in its path.
    pub fn name(self) -> &'static str {
        match self {
            Page::Graph => "graph",
            Page::Stores => "stores",
            Page::Blocks => "blocks",
        }
    }

    /// The bundle the page runs.
    fn bundle(self) -> &'static str {
        match self {
            Page::Graph | Page::Stores => "query",
            Page::Blocks => "bucket",
        }
    }
}

/// The component serving a page (its navigation differs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// `mnemos query`.
    Query,
    /// `mnemos tools bucket web`.
    Bucket,
    /// `mnemos compact`.
    Compact,
}

impl Component {
    fn name(self) -> &'static str {
        match self {
            Component::Query => "query",
            Component::Bucket => "bucket",
            Component::Compact => "compact",
        }
    }
}

/// What a page's script starts from besides its page and prefix.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageDefaults {
    /// The querier's `--query.partial-response`: the initial state of "Use partial
    /// response".
    pub partial_response: bool,
}

/// The HTML of `page`, its links under `prefix` (a path without a trailing slash, or `""`).
pub(crate) fn render(
    page: Page,
    component: Component,
    prefix: &str,
    defaults: PageDefaults,
) -> String {
    let prefix = escape(prefix);
    let bundle = page.bundle();
    let css = asset_version(&format!("{bundle}.css"));
    let js = asset_version(&format!("{bundle}.js"));
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>mnemos</title>\
<link rel=\"icon\" href=\"data:,\">\
<link rel=\"stylesheet\" href=\"{prefix}/static/{bundle}.css?v={css}\"></head>\
<body data-page=\"{page}\" data-prefix=\"{prefix}\" data-component=\"{component}\" \
data-partial-response=\"{partial}\">\
<div id=\"app\"></div><script src=\"{prefix}/static/{bundle}.js?v={js}\"></script></body></html>\n",
        page = page.name(),
        component = component.name(),
        partial = defaults.partial_response,
    )
}

/// `s` safe inside a double-quoted attribute.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_links_the_versioned_bundle_under_the_prefix() {
        let html = render(
            Page::Stores,
            Component::Query,
            "/mnemos",
            PageDefaults::default(),
        );
        let v = asset_version("query.js");
        assert!(html.contains(&format!("src=\"/mnemos/static/query.js?v={v}\"")));
        assert!(html.contains("data-page=\"stores\" data-prefix=\"/mnemos\""));
        let html = render(
            Page::Blocks,
            Component::Compact,
            "",
            PageDefaults::default(),
        );
        assert!(html.contains("href=\"/static/bucket.css?v="));
        assert!(html.contains("data-component=\"compact\""));
    }

    #[test]
    fn a_prefix_cannot_break_out_of_its_attribute() {
        let html = render(
            Page::Graph,
            Component::Query,
            "/a\"><script>x</script>",
            PageDefaults::default(),
        );
        assert!(!html.contains("<script>x"));
        assert!(html.contains("/a&quot;&gt;&lt;script&gt;"));
    }
}
