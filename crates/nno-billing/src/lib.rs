//! Billing's logic that needs no Worker: what each tier costs and includes
//! (`plans`), Stripe's webhook signatures (`signature`), the Stripe objects billing
//! reads (`stripe`), and what a subscription's state means for its platform
//! (`standing`). The billing Worker (services/billing) is the I/O around these.

pub mod metering;
pub mod plans;
pub mod signature;
pub mod standing;
pub mod stripe;
