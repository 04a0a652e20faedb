//! What the endpoint answers: S3's success forms and XML errors.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use policy_runtime::verify::{Accepted, Rejection};

/// The header naming, in words, why a form was refused.
pub(crate) const REASON_HEADER: &str = "x-post-policy-reason";

/// A refusal: S3's status, code and message, and the reason in words.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) reason: String,
    pub(crate) field: Option<String>,
    pub(crate) condition: Option<String>,
    /// The request body was not read to its end: close the connection.
    pub(crate) close: bool,
}

impl Refusal {
    pub(crate) fn new(status: StatusCode, code: &str, message: &str, reason: String) -> Refusal {
        Refusal {
            status,
            code: code.into(),
            message: message.into(),
            reason,
            field: None,
            condition: None,
            close: false,
        }
    }

    /// The body is not multipart/form-data S3 could read.
    pub(crate) fn malformed(reason: String) -> Refusal {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
            reason,
        )
    }

    pub(crate) fn internal(what: &str, error: &std::io::Error) -> Refusal {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
            format!("{what}: {error}"),
        )
    }
}

impl From<Rejection> for Refusal {
    fn from(r: Rejection) -> Refusal {
        Refusal {
            status: StatusCode::from_u16(r.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            code: r.code().as_str().into(),
            message: r.s3_message(),
            reason: r.to_string(),
            field: r.field().map(str::to_string),
            condition: r.condition().map(ToString::to_string),
            close: false,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Reason>{}</Reason>",
            escape(&self.code),
            escape(&self.message),
            escape(&self.reason)
        );
        if let Some(field) = &self.field {
            xml.push_str(&format!("<Field>{}</Field>", escape(field)));
        }
        if let Some(condition) = &self.condition {
            xml.push_str(&format!("<Condition>{}</Condition>", escape(condition)));
        }
        xml.push_str("</Error>");
        let mut response = (self.status, xml).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        headers.insert(
            HeaderName::from_static(REASON_HEADER),
            header_text(&self.reason),
        );
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// S3's answer to an accepted upload: a 303 to the redirect, else the
/// `success_action_status` (201 with the XML `PostResponse`).
pub(crate) fn stored(accepted: &Accepted, etag: &str, host: &str) -> Response {
    let location = format!(
        "http://{host}/{}/{}",
        encode(&accepted.bucket, true),
        encode(&accepted.key, false)
    );
    if let Some(redirect) = &accepted.redirect {
        let separator = if redirect.contains('?') { '&' } else { '?' };
        let target = format!(
            "{redirect}{separator}bucket={}&key={}&etag={}",
            encode(&accepted.bucket, true),
            encode(&accepted.key, true),
            encode(etag, true)
        );
        let mut response = StatusCode::SEE_OTHER.into_response();
        response
            .headers_mut()
            .insert(header::LOCATION, header_text(&target));
        response
            .headers_mut()
            .insert(header::ETAG, header_text(etag));
        return response;
    }
    let status =
        StatusCode::from_u16(accepted.success_action_status).unwrap_or(StatusCode::NO_CONTENT);
    let mut response = if status == StatusCode::CREATED {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
            escape(&location),
            escape(&accepted.bucket),
            escape(&accepted.key),
            escape(etag)
        );
        let mut r = (status, xml).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        r
    } else {
        status.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, header_text(etag));
    headers.insert(header::LOCATION, header_text(&location));
    response
}

/// Text escaped for XML content.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {
                out.push_str(&format!("&#x{:x};", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes all but unreserved characters (and `/` unless
/// `slash`).
pub(crate) fn encode(s: &str, slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !slash) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Any text as a header value: visible ASCII kept, the rest escaped as
/// `\u{..}`.
pub(crate) fn header_text(s: &str) -> HeaderValue {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ' ' || c.is_ascii_graphic() {
            out.push(c);
        } else {
            out.push_str(&c.escape_unicode().to_string());
        }
    }
    HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_escapes_what_headers_cannot_carry() {
        assert_eq!(
            header_text("a é\n\"b\"").to_str().unwrap(),
            "a \\u{e9}\\u{a}\"b\""
        );
    }

    #[test]
    fn encode_keeps_unreserved_bytes_only() {
        assert_eq!(encode("a b/é\"", false), "a%20b/%C3%A9%22");
        assert_eq!(encode("a/b", true), "a%2Fb");
    }
}
