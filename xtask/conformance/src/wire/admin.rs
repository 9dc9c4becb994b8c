//! The `admin` group of the wire suite: see `mod.rs`.

use instantdb_test_support::{Scenario, ScriptedServer};

use super::Outcome;

/// Replays one scenario if it belongs to this group.
pub(crate) async fn replay(scenario: &Scenario, server: &ScriptedServer) -> Outcome {
    let _ = (scenario, server);
    Outcome::NotMine
}
