//! Wire-faithful fakes of the external systems switchboard talks to, for
//! its tests and for trying the gateway without an instance.
//!
//! - [`faults`]: latency and faults injected into any fake (5xx bursts, 429
//!   with `Retry-After`, stalls, dropped connections).
//! - [`servicenow`]: the Table and Attachment APIs over a CSM dataset.
//! - [`okta`]: the Users, Factors and lifecycle management API.
//! - [`statuspage`]: a public status page (`summary.json`, `incidents.json`).
//! - [`demo`]: ServiceNow and Okta, with the demo dataset.

pub mod demo;
pub mod faults;
pub mod okta;
pub mod servicenow;
pub mod statuspage;
