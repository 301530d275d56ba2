//! JSON request bodies: `Content-Type: application/json` or 415; a body
//! that is not JSON at all is 400; a value of the wrong type, a missing
//! field or a field the resource does not have (every body type is
//! `deny_unknown_fields`) is 422 naming the field, found with
//! `serde_path_to_error`. Bodies over the API's limit are 413.

use super::problem::Problem;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use proto::ErrorCode;
use serde::de::DeserializeOwned;

/// A JSON body, read as the API reads every body.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let ct = req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !is_json(ct) {
            return Err(Problem::new(ErrorCode::UnsupportedMediaType, "Send the body as JSON, with Content-Type: application/json."));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                Problem::new(ErrorCode::BadRequest, "The request body could not be read.")
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

pub fn too_large() -> Problem {
    Problem::new(ErrorCode::PayloadTooLarge, format!("The request body is larger than the API accepts ({} KB).", crate::MAX_BODY_BYTES / 1024))
}

/// A body that could not be read: over the limit (413), or not arrived in
/// time or cut off (400).
pub fn unreadable_body(e: &axum::Error) -> Problem {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("length limit") {
            return too_large();
        }
        source = s.source();
    }
    Problem::new(ErrorCode::BadRequest, "The request body did not arrive completely, or not in time.")
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads `bytes` as a `T`, or says which field is wrong. Every body of
/// this API is a JSON object (an array or a bare value is refused, even
/// where serde would read a struct from an array), and a number with no
/// fraction is an integer wherever one is asked for (`86400.0` is
/// `86400`, as JSON Schema's `integer` says).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Err(Problem::new(ErrorCode::BadRequest, "The body is not valid JSON."));
    };
    if !value.is_object() {
        return Err(Problem::invalid(ErrorCode::InvalidInput, "body", "body: a JSON object is expected here."));
    }
    integral_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        refusal(&path, &e.into_inner().to_string())
    })
}

/// `2.0` becomes `2` (and `-3.0` `-3`), within `i64`; other numbers stay.
fn integral_numbers_as_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && (-9.0e15..=9.0e15).contains(f)) {
                // Exact: every integer of this size is a whole f64.
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// A deserializer's refusal at `path` as a 422 naming the field: serde
/// names a missing or unknown field in its message (`missing field
/// `name``), one level below the path it reached.
pub fn refusal(path: &str, message: &str) -> Problem {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|start| message.strip_prefix(start).and_then(|rest| rest.split('`').next()))
        .map(str::to_owned);
    let field = match (named, path) {
        (Some(name), "." | "") => name,
        // Some deserializers have already stepped into the field they refuse.
        (Some(name), at) if at == name || at.ends_with(&format!(".{name}")) => at.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_owned(),
        (None, p) => p.to_owned(),
    };
    // The message without serde's position suffix (" at line 1 column 9").
    let plain = message.split(" at line ").next().unwrap_or(message);
    let detail = if plain.starts_with("unknown field") {
        format!("{field}: there is no such field here.")
    } else if plain.starts_with("missing field") {
        format!("{field}: this field is required.")
    } else {
        format!("{field}: {plain}.")
    };
    Problem::invalid(ErrorCode::InvalidInput, field, detail)
}

/// The patterns the document gives for text the server takes exactly as
/// sent: no white space at either end (what `str::trim` would take off),
/// no control characters; names 1–80 characters, tags 1–32 without commas.
pub const NAME_PATTERN: &str = r"^[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0000-\u001f\u007f-\u009f](?:[^\u0000-\u001f\u007f-\u009f]{0,78}[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0000-\u001f\u007f-\u009f])?$";
pub const PHONE_PATTERN: &str = r"^\+[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}[.()-]*$";
pub const TAG_PATTERN: &str = r"^[^,\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0000-\u001f\u007f-\u009f](?:[^,\u0000-\u001f\u007f-\u009f]{0,30}[^,\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0000-\u001f\u007f-\u009f])?$";

/// The document's string types: text of a pattern, written once.
macro_rules! text_schema {
    ($(#[$doc:meta])* $name:ident, $pattern:expr, $min:expr, $max:expr) => {
        $(#[$doc])*
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .min_length($min)
                    .max_length($max)
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

text_schema!(
    /// A campaign's name: 1–80 characters, none of them a control character, no white space at either end.
    Name, NAME_PATTERN, Some(1), Some(80)
);
text_schema!(
    /// A phone number in E.164: `+`, then 8–15 digits (the first not 0), with spaces, dashes, dots and brackets between them if you like.
    Phone, PHONE_PATTERN, None, None
);
text_schema!(
    /// A tag: 1–32 characters, no commas, no control characters, no white space at either end.
    Tag, TAG_PATTERN, Some(1), Some(32)
);

/// Text is taken as sent: a value with white space at either end is
/// refused (422 naming `field`) rather than trimmed, so what the document
/// allows and what the server takes are the same.
pub fn untrimmed(field: &str, value: &str) -> Result<(), Problem> {
    match value.trim() == value {
        true => Ok(()),
        false => Err(Problem::invalid(ErrorCode::InvalidInput, field, format!("{field}: no spaces (or other white space) at either end."))),
    }
}

/// A query string, read like a body: an unknown parameter or a value of
/// the wrong type is 422 naming it.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            let mut p = refusal(&path, &message);
            if p.field.as_deref() == Some("body") {
                p.field = Some("query".into());
            }
            p
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
        count: u32,
        inner: Option<Inner>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        tags: Vec<String>,
    }

    fn field(body: &str) -> (ErrorCode, Option<String>) {
        let p = parse::<Thing>(body.as_bytes()).expect_err("refused");
        (p.code, p.field)
    }

    #[test]
    fn a_body_is_an_object_and_a_whole_number_is_an_integer_however_written() {
        let t = parse::<Thing>(br#"{"name": "a", "count": 7.0}"#).expect("7.0 is the integer 7");
        assert_eq!(t.count, 7);
        assert_eq!(field(r#"{"name": "a", "count": 7.5}"#), (ErrorCode::InvalidInput, Some("count".into())));
        assert_eq!(field(r#"["a", 7]"#), (ErrorCode::InvalidInput, Some("body".into())));
        assert_eq!(field("null"), (ErrorCode::InvalidInput, Some("body".into())));
        assert_eq!(field(r#"{"name": "a", "count": 7"#).0, ErrorCode::BadRequest);
    }

    #[test]
    fn each_refusal_names_its_field() {
        assert_eq!(field(r#"{"count": 1}"#), (ErrorCode::InvalidInput, Some("name".into())));
        assert_eq!(field(r#"{"name": "a", "count": "x"}"#), (ErrorCode::InvalidInput, Some("count".into())));
        assert_eq!(field(r#"{"name": "a", "count": 1, "colour": 2}"#), (ErrorCode::InvalidInput, Some("colour".into())));
        assert_eq!(field(r#"{"name": "a", "count": 1, "inner": {"tags": [1]}}"#), (ErrorCode::InvalidInput, Some("inner.tags[0]".into())));
        assert_eq!(field(r#"{"name": "a", "count": 1, "inner": {}}"#), (ErrorCode::InvalidInput, Some("inner.tags".into())));
        assert_eq!(field(r#"[1]"#).0, ErrorCode::InvalidInput);
        assert_eq!(field(r#"{"name": "#), (ErrorCode::BadRequest, None));
        assert!(parse::<Thing>(br#"{"name": "a", "count": 1}"#).is_ok());
    }

    #[test]
    fn json_and_json_suffixes_are_json() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
