//! Ids registry draws: platform ids (10 characters over `[a-z0-9]`) and row ids.

use nno_core::ids::PlatformId;
use nno_worker::runtime::{fill_random, random_array};

pub fn platform_id() -> String {
    PlatformId::generate(fill_random).as_str().to_string()
}

/// Rows other than platforms: 128 random bits, hex.
pub fn row_id() -> String {
    nno_core::encoding::hex(&random_array::<16>())
}
