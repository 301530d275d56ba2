//! The browser half of a WebAuthn ceremony: the server's options (JSON, with
//! base64url strings where the browser wants bytes) go to
//! `navigator.credentials.create()` or `get()` (web-sys's credential API),
//! and the credential that comes back goes to the server as JSON again, in
//! the shape `webauthn-rs` reads.
//!
//! Only pages that use a key call this (the Two-Factor Auth page, the second
//! sign-in step, "Sign in with a passkey", the key check of the PIN and API
//! token forms), and the ceremony itself is a lazy chunk of its own, fetched
//! when a key is first used. On the server it is never called: a ceremony
//! needs the browser, and WebAuthn has no form post.

/// What the browser said, in words a person can act on.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Asks the browser for a new credential (`options`: the server's
/// `CreationChallengeResponse`); the answer as JSON.
pub async fn create(options: &str) -> Result<String, KeyError> {
    #[cfg(feature = "hydrate")]
    {
        browser::ceremony("create".to_owned(), options.to_owned()).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Err(needs_browser())
    }
}

/// Asks the browser to sign the server's challenge (`options`: its
/// `RequestChallengeResponse`); the answer as JSON.
pub async fn get(options: &str) -> Result<String, KeyError> {
    #[cfg(feature = "hydrate")]
    {
        browser::ceremony("get".to_owned(), options.to_owned()).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Err(needs_browser())
    }
}

/// Asks the browser to offer its passkeys for this site in the username
/// field's autofill (conditional mediation) and waits until the person
/// picks one: the answer to `options` as JSON. Call it only when
/// [`conditional_available`] said yes; a modal request (the button) makes
/// the browser drop it.
pub async fn get_conditional(options: &str) -> Result<String, KeyError> {
    #[cfg(feature = "hydrate")]
    {
        browser::ceremony("conditional".to_owned(), options.to_owned()).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Err(needs_browser())
    }
}

/// Whether this browser offers passkeys in a field's autofill
/// (`PublicKeyCredential.isConditionalMediationAvailable()`, feature
/// detected). False on the server and where the browser does not say.
pub async fn conditional_available() -> bool {
    #[cfg(feature = "hydrate")]
    {
        browser::conditional_available().await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// Tells the browser's credential manager that the passkey `credential_id`
/// (base64url) is gone from this site, so it stops offering it (the Signal
/// API, where the browser has it; nothing where it does not).
pub fn signal_removed(credential_id: &str) {
    #[cfg(feature = "hydrate")]
    browser::signal_unknown(credential_id);
    #[cfg(not(feature = "hydrate"))]
    let _ = credential_id;
}

#[cfg(not(feature = "hydrate"))]
fn needs_browser() -> KeyError {
    KeyError("Security keys need a browser with JavaScript turned on.".to_owned())
}

/// Whether this browser can use security keys at all (`PublicKeyCredential`
/// exists: a secure context on a browser with WebAuthn). False on the server.
pub fn supported() -> bool {
    #[cfg(feature = "hydrate")]
    {
        browser::supported()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// Unpadded base64url, both ways (the WebAuthn JSON encoding of bytes).
mod b64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    /// Also takes standard base64 and padding, as some servers send it.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        let (mut n, mut bits) = (0u32, 0u32);
        for c in text.bytes().filter(|c| *c != b'=') {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' | b'+' => 62,
                b'_' | b'/' => 63,
                _ => return None,
            };
            n = n << 6 | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((n >> bits) as u8);
                n &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trips_every_length_and_matches_rfc_4648() {
            assert_eq!(encode(b"foobar"), "Zm9vYmFy");
            assert_eq!(encode(b"fo"), "Zm8");
            assert_eq!(encode(&[0xfb, 0xff]), "-_8");
            assert_eq!(decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
            assert_eq!(decode("+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
            assert_eq!(decode("a b"), None);
            for len in 0..40u8 {
                let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(97)).collect();
                assert_eq!(decode(&encode(&bytes)), Some(bytes));
            }
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{b64url, KeyError};
    use js_sys::{Array, ArrayBuffer, Function, Object, Reflect, Uint8Array, JSON};
    use leptos::prelude::window;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{
        AuthenticatorAssertionResponse, AuthenticatorAttestationResponse, CredentialCreationOptions, CredentialRequestOptions, PublicKeyCredential,
    };

    fn get(o: &JsValue, key: &str) -> JsValue {
        Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    fn set(o: &JsValue, key: &str, v: &JsValue) {
        let _ = Reflect::set(o, &JsValue::from_str(key), v);
    }

    fn malformed() -> KeyError {
        KeyError("The server's request for your key could not be read. Reload the page and try again.".to_owned())
    }

    /// `o[key]`, a base64url string, as the bytes the browser wants.
    fn to_bytes(o: &JsValue, key: &str) -> Result<(), KeyError> {
        if let Some(text) = get(o, key).as_string() {
            let bytes = b64url::decode(&text).ok_or_else(malformed)?;
            set(o, key, &Uint8Array::from(&bytes[..]).into());
        }
        Ok(())
    }

    fn encode(buffer: &ArrayBuffer) -> JsValue {
        JsValue::from_str(&b64url::encode(&Uint8Array::new(buffer).to_vec()))
    }

    pub fn supported() -> bool {
        Reflect::has(&window(), &JsValue::from_str("PublicKeyCredential")).unwrap_or(false)
            && !get(&window().navigator(), "credentials").is_undefined()
    }

    /// `PublicKeyCredential[name]` when it is a function of this browser.
    fn static_fn(name: &str) -> Option<(JsValue, Function)> {
        if !supported() {
            return None;
        }
        let pkc = get(&window(), "PublicKeyCredential");
        get(&pkc, name).dyn_into::<Function>().ok().map(|f| (pkc, f))
    }

    pub async fn conditional_available() -> bool {
        let Some((pkc, f)) = static_fn("isConditionalMediationAvailable") else { return false };
        match f.call0(&pkc).map(|p| p.dyn_into::<js_sys::Promise>()) {
            Ok(Ok(p)) => JsFuture::from(p).await.ok().and_then(|v| v.as_bool()).unwrap_or(false),
            _ => false,
        }
    }

    pub fn signal_unknown(credential_id: &str) {
        let Some((pkc, f)) = static_fn("signalUnknownCredential") else { return };
        let arg = Object::new();
        set(&arg, "rpId", &JsValue::from_str(&window().location().hostname().unwrap_or_default()));
        set(&arg, "credentialId", &JsValue::from_str(credential_id));
        // A promise nobody needs to wait for: a hint, never required.
        let _ = f.call1(&pkc, &arg);
    }

    /// What a refusal by the browser means for the person at the keyboard.
    fn said(e: JsValue, creating: bool) -> KeyError {
        let name = get(&e, "name").as_string().unwrap_or_default();
        KeyError(
            match name.as_str() {
                "NotAllowedError" | "AbortError" => {
                    "The key was not used, or the request was cancelled or timed out. Try again and touch your key when it blinks."
                }
                "InvalidStateError" if creating => "This security key is registered already.",
                "InvalidStateError" => "This key is not registered on your account. Try another key.",
                "NotSupportedError" => "This key or browser does not support what Warden asks for. Try another key.",
                "SecurityError" => {
                    "Your browser refused: this page's address is not the one Warden is configured with. Open Warden at its usual address."
                }
                _ => "Your browser could not use a security key here.",
            }
            .to_owned(),
        )
    }

    /// The server's options as the browser's: the byte fields decoded, and
    /// only `publicKey` handed on (no `mediation` or `signal` the server did
    /// not mean can ride along).
    fn request(options: &str, creating: bool) -> Result<Object, KeyError> {
        let o = JSON::parse(options).map_err(|_| malformed())?;
        let pk = get(&o, "publicKey");
        if !pk.is_object() {
            return Err(malformed());
        }
        to_bytes(&pk, "challenge")?;
        if creating {
            to_bytes(&get(&pk, "user"), "id")?;
        }
        for list in ["excludeCredentials", "allowCredentials"] {
            let list = get(&pk, list);
            if Array::is_array(&list) {
                for c in Array::from(&list).iter() {
                    to_bytes(&c, "id")?;
                }
            }
        }
        let request = Object::new();
        set(&request, "publicKey", &pk);
        Ok(request)
    }

    thread_local! {
        /// The `AbortController` of the pending autofill request, if any.
        static PENDING_AUTOFILL: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
    }

    /// `new AbortController()`, where the browser has it.
    fn abort_controller() -> Option<JsValue> {
        let ctor = get(&window(), "AbortController").dyn_into::<Function>().ok()?;
        Reflect::construct(&ctor, &Array::new()).ok()
    }

    /// Its own chunk (`#[lazy]`), fetched the first time a key is used:
    /// neither the main bundle nor the pages that offer a key carry it.
    #[leptos::lazy]
    pub async fn ceremony(verb: String, options: String) -> Result<String, KeyError> {
        if !supported() {
            return Err(KeyError(
                "This browser cannot use security keys or passkeys. Try a current Chrome, Edge, Firefox or Safari, or use a code.".to_owned(),
            ));
        }
        let creating = verb == "create";
        let request = request(&options, creating)?;
        // A browser holds one request at a time: a pending autofill request
        // (conditional mediation) would make the button's fail ("A request
        // is already pending"). The autofill request is made abortable, and
        // any other ceremony aborts it first.
        if verb == "conditional" {
            set(&request, "mediation", &JsValue::from_str("conditional"));
            if let Some(controller) = abort_controller() {
                set(&request, "signal", &get(&controller, "signal"));
                PENDING_AUTOFILL.with(|p| *p.borrow_mut() = Some(controller));
            }
        } else if let Some(controller) = PENDING_AUTOFILL.with(|p| p.borrow_mut().take()) {
            if let Ok(abort) = get(&controller, "abort").dyn_into::<Function>() {
                let _ = abort.call0(&controller);
            }
        }
        let credentials = window().navigator().credentials();
        let promise = if creating {
            credentials.create_with_options(request.unchecked_ref::<CredentialCreationOptions>())
        } else {
            credentials.get_with_options(request.unchecked_ref::<CredentialRequestOptions>())
        }
        .map_err(|e| said(e, creating))?;
        let credential: PublicKeyCredential =
            JsFuture::from(promise).await.map_err(|e| said(e, creating))?.dyn_into().map_err(|_| said(JsValue::NULL, creating))?;
        let response = credential.response();
        let answer = Object::new();
        set(&answer, "clientDataJSON", &encode(&response.client_data_json()));
        if creating {
            let attestation: &AuthenticatorAttestationResponse = response.unchecked_ref();
            set(&answer, "attestationObject", &encode(&attestation.attestation_object()));
            // Not in every browser, nor in web-sys yet: asked for by name.
            if let Ok(f) = get(attestation, "getTransports").dyn_into::<Function>() {
                set(&answer, "transports", &f.call0(attestation).unwrap_or(JsValue::UNDEFINED));
            }
        } else {
            let assertion: &AuthenticatorAssertionResponse = response.unchecked_ref();
            set(&answer, "authenticatorData", &encode(&assertion.authenticator_data()));
            set(&answer, "signature", &encode(&assertion.signature()));
            set(&answer, "userHandle", &assertion.user_handle().map_or(JsValue::NULL, |h| encode(&h)));
        }
        let out = Object::new();
        set(&out, "id", &JsValue::from_str(&credential.id()));
        set(&out, "rawId", &encode(&credential.raw_id()));
        set(&out, "type", &JsValue::from_str(&credential.type_()));
        set(&out, "response", &answer);
        set(&out, "extensions", &credential.get_client_extension_results());
        JSON::stringify(&out).ok().and_then(|s| s.as_string()).ok_or_else(malformed)
    }
}
