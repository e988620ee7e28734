//! Log lines in logfmt, as Thanos and Prometheus write them (`--log.format=logfmt`):
//! `ts=… level=info caller=… msg="…" key=value …`, values quoted when they need it, so
//! `| logfmt` in Loki and the like parse every field.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The logfmt event format.
pub struct Logfmt;

impl<S, N> FormatEvent<S, N> for Logfmt
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut ts = String::new();
        SystemTime.format_time(&mut Writer::new(&mut ts))?;
        let meta = event.metadata();
        write!(
            writer,
            "ts={ts} level={} caller={}",
            meta.level().as_str().to_ascii_lowercase(),
            meta.target()
        )?;
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(msg) = &fields.message {
            write!(writer, " msg=")?;
            write_value(&mut writer, msg)?;
        }
        writer.write_str(&fields.rest)?;
        writeln!(writer)
    }
}

/// An event's message and its other fields as ` key=value` pairs.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = Some(value);
            return;
        }
        let _ = write!(self.rest, " {}=", field.name());
        let _ = write_value(&mut self.rest, &value);
    }
}

/// A value as logfmt has it: bare when it is a plain token, else quoted with `"`, `\` and
/// line breaks escaped.
fn write_value(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '=' && c != '\\');
    if bare {
        return out.write_str(value);
    }
    out.write_char('"')?;
    for c in value.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_when_needed() {
        let q = |v: &str| {
            let mut s = String::new();
            write_value(&mut s, v).expect("write");
            s
        };
        assert_eq!(q("127.0.0.1:10901"), "127.0.0.1:10901");
        assert_eq!(q("two words"), "\"two words\"");
        assert_eq!(q(""), "\"\"");
        assert_eq!(q("a=b"), "\"a=b\"");
        assert_eq!(q("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
    }
}
