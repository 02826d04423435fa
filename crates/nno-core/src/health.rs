//! Health reports: what `GET /health` answers on every service, and how the gateway
//! aggregates its upstreams.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Degraded,
    Down,
}

/// One check: a storage round trip, or an upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub latency_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub service: String,
    pub environment: String,
    pub status: Status,
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstreams: Vec<HealthReport>,
}

/// What anyone may see of a health report: the roll-up, without the checks, their
/// names (binding names) or latencies, or the upstreams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthSummary {
    pub status: Status,
    pub service: String,
    pub environment: String,
}

impl HealthReport {
    /// The roll-up for callers who may not see the details.
    pub fn summary(&self) -> HealthSummary {
        HealthSummary {
            status: self.status,
            service: self.service.clone(),
            environment: self.environment.clone(),
        }
    }

    /// Builds a report whose status follows its checks and upstreams: all ok is ok, any
    /// failure in an own check is down, any failed upstream is degraded.
    pub fn new(
        service: &str,
        environment: &str,
        checks: Vec<Check>,
        upstreams: Vec<HealthReport>,
    ) -> HealthReport {
        let status = if checks.iter().any(|c| c.status != Status::Ok) {
            Status::Down
        } else if upstreams.iter().any(|u| u.status != Status::Ok) {
            Status::Degraded
        } else {
            Status::Ok
        };
        HealthReport {
            service: service.to_string(),
            environment: environment.to_string(),
            status,
            checks,
            upstreams,
        }
    }

    /// 200 when fully healthy, 503 otherwise, so load balancers and scripts can rely on
    /// the status code alone.
    pub fn http_status(&self) -> u16 {
        if self.status == Status::Ok {
            200
        } else {
            503
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: Status) -> Check {
        Check {
            name: "d1".into(),
            status,
            latency_ms: 1.0,
            error: None,
        }
    }

    #[test]
    fn status_rolls_up() {
        let ok = HealthReport::new("iam", "local", vec![check(Status::Ok)], vec![]);
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(ok.http_status(), 200);
        let down = HealthReport::new("iam", "local", vec![check(Status::Down)], vec![]);
        assert_eq!(down.status, Status::Down);
        assert_eq!(down.http_status(), 503);
        let gw = HealthReport::new("gateway", "local", vec![check(Status::Ok)], vec![down, ok]);
        assert_eq!(gw.status, Status::Degraded);
        assert_eq!(gw.http_status(), 503);
    }

    #[test]
    fn the_summary_shows_the_roll_up_only() {
        let down = HealthReport::new("iam", "local", vec![check(Status::Down)], vec![]);
        let gw = HealthReport::new("gateway", "prod", vec![check(Status::Ok)], vec![down]);
        let v = serde_json::to_value(gw.summary()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"status": "degraded", "service": "gateway", "environment": "prod"})
        );
    }

    #[test]
    fn serialises_camel_case_and_omits_empty_fields() {
        let r = HealthReport::new("cli", "prod", vec![check(Status::Ok)], vec![]);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["checks"][0]["latencyMs"], 1.0);
        assert!(v.get("upstreams").is_none());
        assert!(v["checks"][0].get("error").is_none());
    }
}
