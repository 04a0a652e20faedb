//! What the endpoint answers: S3's success forms and XML errors.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use policy_runtime::verify::{Accepted, Rejection};

/// The header naming, in words, why a form was refused.
pub(crate) const REASON_HEADER: &str = "x-post-policy-reason";

/// A refusal: S3's status, code and message, and the reason in words.
/// Boxed, so that a `Result` carrying one stays small.
#[derive(Debug)]
pub(crate) struct Refusal(Box<Details>);

#[derive(Debug)]
struct Details {
    status: StatusCode,
    code: String,
    message: String,
    reason: String,
    /// Further elements of the XML error, in order: the verifier's `Field`
    /// and `Condition`, or S3's `Method` and `ResourceType`.
    elements: Vec<(&'static str, String)>,
    /// The `Allow` header of a 405: the methods this endpoint serves there.
    allow: Option<&'static str>,
    /// The request body was not read to its end: close the connection.
    close: bool,
}

impl Refusal {
    pub(crate) fn new(status: StatusCode, code: &str, message: &str, reason: String) -> Refusal {
        Refusal(Box::new(Details {
            status,
            code: code.into(),
            message: message.into(),
            reason,
            elements: Vec::new(),
            allow: None,
            close: false,
        }))
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

    /// S3's 405 for a method its resource does not have (such as `POST` to
    /// an object without `?uploads`): with the `Method` and `ResourceType`
    /// (`SERVICE`, `BUCKET`, `OBJECT`) elements, and the methods this
    /// endpoint serves there in `Allow`.
    pub(crate) fn method_not_allowed(
        method: &str,
        resource_type: &'static str,
        allow: &'static str,
        reason: String,
    ) -> Refusal {
        let mut refusal = Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            reason,
        );
        refusal.0.elements = vec![
            ("Method", method.to_string()),
            ("ResourceType", resource_type.to_string()),
        ];
        refusal.0.allow = Some(allow);
        refusal
    }

    /// A POST whose body is not `multipart/form-data` at all: S3 answers 412
    /// `PreconditionFailed` naming the condition (not the
    /// `RequestIsNotMultiPartContent` of its error table).
    pub(crate) fn not_multipart(content_type: &str) -> Refusal {
        let mut refusal = Refusal::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            format!(
                "the request's Content-Type is {content_type:?}; a browser upload is \
                 multipart/form-data"
            ),
        );
        refusal.0.elements = vec![(
            "Condition",
            "Bucket POST must be of the enclosure-type multipart/form-data".to_string(),
        )];
        refusal
    }

    /// Closes the connection after the answer (the body was not read to its
    /// end) when `close`.
    pub(crate) fn close_connection(mut self, close: bool) -> Refusal {
        self.0.close = close;
        self
    }

    /// This refusal, after reading what is left of `body` (a bounded
    /// amount, [`crate::budget::drain`]): a client still sending sees the
    /// answer rather than a reset connection. The connection closes if more
    /// was left.
    pub(crate) async fn after_draining(self, body: &crate::budget::Shared) -> Refusal {
        let finished = crate::budget::drain(body).await;
        self.close_connection(!finished)
    }
}

impl From<Rejection> for Refusal {
    fn from(r: Rejection) -> Refusal {
        let mut refusal = Refusal::new(
            StatusCode::from_u16(r.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            r.code().as_str(),
            &r.s3_message(),
            r.to_string(),
        );
        if let Some(field) = r.field() {
            refusal.0.elements.push(("Field", field.to_string()));
        }
        if let Some(condition) = r.condition() {
            refusal
                .0
                .elements
                .push(("Condition", condition.to_string()));
        }
        refusal
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Details {
            status,
            code,
            message,
            reason,
            elements,
            allow,
            close,
        } = *self.0;
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Reason>{}</Reason>",
            escape(&code),
            escape(&message),
            escape(&reason)
        );
        for (name, value) in &elements {
            xml.push_str(&format!("<{name}>{}</{name}>", escape(value)));
        }
        xml.push_str("</Error>");
        let mut response = (status, xml).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        headers.insert(HeaderName::from_static(REASON_HEADER), header_text(&reason));
        if let Some(allow) = allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if close {
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
