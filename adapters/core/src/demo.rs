//! The demo accounts, users and operators: who the guides and the README
//! sign in as. The SQL adapter's seed writes them; the fakes of ServiceNow
//! and Okta hold the same people, so every mode signs in the same way.

use crate::Role;

/// The password every demo user starts with (see the README).
pub const DEMO_PASSWORD: &str = "Portal-Demo-2026";

/// A user the README lists, with the role they have on which account.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Login email.
    pub email: &'static str,
    /// Display name.
    pub name: &'static str,
    /// (account id, role) pairs.
    pub entitlements: &'static [(&'static str, Role)],
}

/// The demo accounts every dataset starts with.
pub const DEMO_ACCOUNTS: [(&str, &str); 2] = [
    ("1234567890", "Harbor Freight Tools USA Inc."),
    ("2345678901", "Disney Springs Hospitality LLC"),
];

/// The demo users: every role, over two accounts.
pub const DEMO_USERS: [DemoUser; 7] = [
    DemoUser {
        email: "pat.primary@harborfreight.example",
        name: "Pat Primary",
        entitlements: &[("1234567890", Role::PrimaryAuthority)],
    },
    DemoUser {
        email: "alex.alternate@harborfreight.example",
        name: "Alex Alternate",
        entitlements: &[("1234567890", Role::AlternateAuthority)],
    },
    DemoUser {
        email: "bailey.billing@harborfreight.example",
        name: "Bailey Billing",
        entitlements: &[("1234567890", Role::Billing)],
    },
    DemoUser {
        email: "sam.standard@harborfreight.example",
        name: "Sam Standard",
        entitlements: &[("1234567890", Role::Standard)],
    },
    DemoUser {
        email: "dana.primary@disneysprings.example",
        name: "Dana Primary",
        entitlements: &[("2345678901", Role::PrimaryAuthority)],
    },
    DemoUser {
        email: "riley.standard@disneysprings.example",
        name: "Riley Standard",
        entitlements: &[("2345678901", Role::Standard)],
    },
    DemoUser {
        email: "morgan.multi@partner.example",
        name: "Morgan Multi",
        entitlements: &[
            ("1234567890", Role::AlternateAuthority),
            ("2345678901", Role::Billing),
        ],
    },
];

/// The demo operators: gateway staff with the OPERATOR role and no
/// customer account.
pub const DEMO_OPERATORS: [(&str, &str); 1] =
    [("olive.operator@switchboard.example", "Olive Operator")];
