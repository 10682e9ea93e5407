//! `rexroute debug ini`: the loaded document as sections and entries with locations.

use super::Document;
use std::fmt;

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.sections {
            writeln!(f, "[{}]", s.name)?;
            for e in &s.entries {
                let loc = self.sources.location(e.span);
                let via = e.via.map(|v| format!(" (via {})", self.sources.location(v))).unwrap_or_default();
                writeln!(f, "  {}={}    ; {}{}", e.key, e.value, loc, via)?;
            }
        }
        for n in &self.notes {
            writeln!(f, "; note {}: {}", self.sources.location(n.span()), n)?;
        }
        Ok(())
    }
}
