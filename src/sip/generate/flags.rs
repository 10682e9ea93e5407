//! `xsip_flags`: Yate's `SIPMessage` flag bits, for peers that need a request shaped differently.

use crate::sip::transaction::Rport;

/// `xsip_flags`, read as Yate's `getIntValue(…, -1)` does: decimal, `0x` hex or
/// leading-`0` octal, the whole value one number. Anything else, or a negative
/// number, means "the engine's flags", which here are none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    /// No `rport` in the Via.
    pub const NOT_REQ_RPORT: u32 = 0x0001;
    /// No `Allow` header.
    pub const NOT_ADD_ALLOW: u32 = 0x0002;
    /// No `User-Agent` header.
    pub const NOT_ADD_AGENT: u32 = 0x0004;
    /// `rport` after `branch` in the Via.
    pub const RPORT_AFTER_BRANCH: u32 = 0x0008;
    /// Concerns answers to received requests (an empty `rport` left unfilled):
    /// accepted, without effect on a generated request.
    pub const NOT_SET_RPORT: u32 = 0x0010;
    /// Concerns answers to received requests (no `received`): accepted, without
    /// effect on a generated request.
    pub const NOT_SET_RECEIVED: u32 = 0x0020;
    /// No `alias` Via parameter on TCP: we never add one, so accepted without effect.
    pub const NO_CONN_REUSE: u32 = 0x0040;

    /// The flags a message's `xsip_flags` value asks for.
    pub fn from_param(value: Option<&[u8]>) -> Flags {
        let n = crate::runtime::num::int_auto(value.unwrap_or_default(), -1);
        Flags(u32::try_from(n).unwrap_or(0))
    }

    /// Whether `bit` is set.
    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// Where the Via's `rport` goes; `NotReqRport` wins over `RportAfterBranch`.
    pub fn rport(self) -> Rport {
        if self.has(Self::NOT_REQ_RPORT) {
            Rport::Omit
        } else if self.has(Self::RPORT_AFTER_BRANCH) {
            Rport::AfterBranch
        } else {
            Rport::BeforeBranch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_as_yate_integers() {
        let f = |s: &str| Flags::from_param(Some(s.as_bytes()));
        assert_eq!(f("9"), Flags(9));
        assert_eq!(f("0x0c"), Flags(12));
        assert_eq!(f("010"), Flags(8), "a leading 0 is octal, as strtol reads it");
        assert_eq!(f(" 1"), Flags(1), "leading blanks are skipped");
        for unusable in ["", "1 ", "x", "-1", "-8", "0x", "99999999999"] {
            assert_eq!(f(unusable), Flags(0), "{unusable:?}");
        }
        assert_eq!(Flags::from_param(None), Flags(0));
    }

    #[test]
    fn rport_placement() {
        assert_eq!(Flags(0).rport(), Rport::BeforeBranch);
        assert_eq!(Flags(Flags::RPORT_AFTER_BRANCH).rport(), Rport::AfterBranch);
        assert_eq!(Flags(Flags::NOT_REQ_RPORT).rport(), Rport::Omit);
        assert_eq!(Flags(Flags::NOT_REQ_RPORT | Flags::RPORT_AFTER_BRANCH).rport(), Rport::Omit);
        assert_eq!(Flags(0x70).rport(), Rport::BeforeBranch, "the received-side bits change nothing here");
    }
}
