//! WebCrypto from Rust, for what the runtime does far faster than wasm: PBKDF2.
//! Reached through `globalThis.crypto.subtle` dynamically, so no extra web-sys features.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn subtle() -> Result<Object, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    Ok(Reflect::get(&crypto, &"subtle".into())?.unchecked_into())
}

async fn call(method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let subtle = subtle()?;
    let f: js_sys::Function = Reflect::get(&subtle, &method.into())?.unchecked_into();
    let promise = f.apply(&subtle, &args.iter().collect::<Array>())?;
    JsFuture::from(js_sys::Promise::from(promise)).await
}

/// PBKDF2-HMAC-SHA256, 32 bytes. workerd caps `iterations` at 100,000.
pub async fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<[u8; 32], String> {
    let key = call(
        "importKey",
        &[
            "raw".into(),
            Uint8Array::from(password).into(),
            "PBKDF2".into(),
            false.into(),
            Array::of1(&"deriveBits".into()).into(),
        ],
    )
    .await
    .map_err(|e| format!("importKey: {e:?}"))?;
    let params = Object::new();
    for (k, v) in [
        ("name", JsValue::from("PBKDF2")),
        ("hash", "SHA-256".into()),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", iterations.into()),
    ] {
        Reflect::set(&params, &k.into(), &v).map_err(|e| format!("{e:?}"))?;
    }
    let bits = call("deriveBits", &[params.into(), key, 256.into()])
        .await
        .map_err(|e| format!("deriveBits: {e:?}"))?;
    let bytes = Uint8Array::new(&bits).to_vec();
    bytes
        .try_into()
        .map_err(|_| "deriveBits returned the wrong length".to_string())
}
