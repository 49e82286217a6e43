//! `/pebble`: the compact summary watch faces and GlucoDataHandler read first.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::SgvEntry;

/// Nightscout's mg/dL per mmol/L, as its `/pebble` uses it.
const MG_DL_PER_MMOL_L: f64 = 18.01559;

/// Units of `/pebble` (`mg/dl` and `mmol/l` are read too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PebbleUnits {
    Mgdl,
    Mmol,
}

impl PebbleUnits {
    /// The `units` parameter as clients send it.
    pub fn parse(raw: &str) -> Option<PebbleUnits> {
        match raw {
            "mgdl" | "mg/dl" => Some(PebbleUnits::Mgdl),
            "mmol" | "mmol/l" => Some(PebbleUnits::Mmol),
            _ => None,
        }
    }
}

/// The `/pebble` document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Pebble {
    /// One element: `{"now": <epoch ms>}`.
    pub status: Vec<PebbleStatus>,
    /// Readings, newest first.
    pub bgs: Vec<PebbleBg>,
    /// Always empty: Share has no calibrations.
    pub cals: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PebbleStatus {
    /// Server time, epoch milliseconds.
    pub now: i64,
}

/// One reading on the watch face.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PebbleBg {
    /// Glucose as a string, in the requested units (`"142"`, or `"7.9"` with `units=mmol`).
    pub sgv: String,
    /// Trend number 0–9.
    pub trend: u8,
    /// Nightscout direction name.
    pub direction: String,
    /// Epoch milliseconds of the reading.
    pub datetime: i64,
    /// Change from the previous reading (first reading only), in the requested units; 0 when
    /// unknown. A number in mg/dL, a one-decimal string in mmol/L, as Nightscout sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<serde_json::Value>)]
    pub bgdelta: Option<serde_json::Value>,
}

/// Builds the document from entries (newest first).
pub fn render(entries: &[SgvEntry], units: PebbleUnits, now_ms: i64) -> Pebble {
    let mmol = units == PebbleUnits::Mmol;
    let bgs = entries
        .iter()
        .enumerate()
        .map(|(i, e)| PebbleBg {
            sgv: if mmol {
                format!("{:.1}", f64::from(e.sgv) / MG_DL_PER_MMOL_L)
            } else {
                e.sgv.to_string()
            },
            trend: e.trend,
            direction: e.direction.clone(),
            datetime: e.date,
            bgdelta: (i == 0).then(|| {
                if mmol {
                    serde_json::Value::from(format!("{:.1}", f64::from(e.delta) / MG_DL_PER_MMOL_L))
                } else {
                    serde_json::Value::from(e.delta)
                }
            }),
        })
        .collect();
    Pebble {
        status: vec![PebbleStatus { now: now_ms }],
        bgs,
        cals: Vec::new(),
    }
}
