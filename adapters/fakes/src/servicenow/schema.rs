//! The tables the fake holds and the kind of each field: which are
//! references (rendered as `{"link","value"}`), integers (compared as
//! numbers), journals (append-only, read back as "") and so on.

/// How a field's value behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain text (also glide_list, choice strings, booleans).
    Text,
    /// An integer stored as a string; compared as a number.
    Int,
    /// A reference to a row of the named table (the value is its sys_id).
    Ref(&'static str),
    /// A journal field: writes append a `sys_journal_field` row, reads give "".
    Journal,
}

/// One table: its name and fields in wire order.
pub(crate) struct TableDef {
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [(&'static str, Kind)],
}

use Kind::{Int, Journal, Ref, Text};

/// The system fields every table has (before the table's own fields).
pub(crate) const SYSTEM_FIELDS: &[(&str, Kind)] = &[
    ("sys_id", Text),
    ("sys_created_on", Text),
    ("sys_created_by", Text),
    ("sys_updated_on", Text),
    ("sys_updated_by", Text),
    ("sys_mod_count", Int),
];

const USER_FIELDS: &[(&str, Kind)] = &[
    ("user_name", Text),
    ("name", Text),
    ("first_name", Text),
    ("last_name", Text),
    ("email", Text),
    ("phone", Text),
    ("active", Text),
    ("sys_class_name", Text),
];

const CONTACT_FIELDS: &[(&str, Kind)] = &[
    ("user_name", Text),
    ("name", Text),
    ("first_name", Text),
    ("last_name", Text),
    ("email", Text),
    ("phone", Text),
    ("active", Text),
    ("sys_class_name", Text),
    ("account", Ref(ACCOUNT)),
];

/// `customer_account`.
pub(crate) const ACCOUNT: &str = "customer_account";
/// `cmn_location`.
pub(crate) const LOCATION: &str = "cmn_location";
/// `sn_install_base_item`.
pub(crate) const PRODUCT: &str = "sn_install_base_item";
/// `customer_contact`.
pub(crate) const CONTACT: &str = "customer_contact";
/// `sys_user`.
pub(crate) const USER: &str = "sys_user";
/// `sn_customerservice_case`.
pub(crate) const CASE: &str = "sn_customerservice_case";
/// `sys_choice`.
pub(crate) const CHOICE: &str = "sys_choice";
/// `sys_journal_field`.
pub(crate) const JOURNAL: &str = "sys_journal_field";
/// `sys_audit`.
pub(crate) const AUDIT: &str = "sys_audit";
/// `sys_attachment`.
pub(crate) const ATTACHMENT: &str = "sys_attachment";

/// Every table of the fake.
pub(crate) const TABLES: &[TableDef] = &[
    TableDef {
        name: ACCOUNT,
        fields: &[("number", Text), ("name", Text)],
    },
    TableDef {
        name: LOCATION,
        fields: &[
            ("name", Text),
            ("u_customer_location_id", Text),
            ("street", Text),
            ("city", Text),
            ("state", Text),
            ("zip", Text),
            ("company", Ref(ACCOUNT)),
        ],
    },
    TableDef {
        name: PRODUCT,
        fields: &[
            ("name", Text),
            ("account", Ref(ACCOUNT)),
            ("location", Ref(LOCATION)),
        ],
    },
    TableDef {
        name: USER,
        fields: USER_FIELDS,
    },
    TableDef {
        name: CONTACT,
        fields: CONTACT_FIELDS,
    },
    TableDef {
        name: CASE,
        fields: &[
            ("number", Text),
            ("account", Ref(ACCOUNT)),
            ("contact", Ref(CONTACT)),
            ("location", Ref(LOCATION)),
            ("install_base_item", Ref(PRODUCT)),
            ("state", Int),
            ("priority", Int),
            ("short_description", Text),
            ("description", Text),
            ("opened_at", Text),
            ("opened_by", Ref(USER)),
            ("resolved_at", Text),
            ("closed_at", Text),
            ("active", Text),
            ("watch_list", Text),
            ("correlation_id", Text),
            ("close_notes", Text),
            ("resolution_code", Text),
            ("u_case_type", Text),
            ("u_support_case_type", Text),
            ("category", Text),
            ("u_location_not_listed", Text),
            ("u_product_not_listed", Text),
            ("comments", Journal),
            ("work_notes", Journal),
        ],
    },
    TableDef {
        name: CHOICE,
        fields: &[
            ("name", Text),
            ("element", Text),
            ("value", Text),
            ("label", Text),
            ("sequence", Int),
            ("dependent_value", Text),
            ("inactive", Text),
            ("language", Text),
            ("hint", Text),
        ],
    },
    TableDef {
        name: JOURNAL,
        fields: &[
            ("element", Text),
            ("element_id", Text),
            ("name", Text),
            ("value", Text),
        ],
    },
    TableDef {
        name: AUDIT,
        fields: &[
            ("tablename", Text),
            ("documentkey", Text),
            ("fieldname", Text),
            ("oldvalue", Text),
            ("newvalue", Text),
            ("user", Text),
        ],
    },
    TableDef {
        name: ATTACHMENT,
        fields: &[
            ("file_name", Text),
            ("content_type", Text),
            ("size_bytes", Int),
            ("size_compressed", Int),
            ("compressed", Text),
            ("table_name", Text),
            ("table_sys_id", Text),
            ("hash", Text),
            ("sys_tags", Text),
            ("image_height", Text),
            ("image_width", Text),
            ("average_image_color", Text),
        ],
    },
];

/// The definition of `table`, if the fake has it.
pub(crate) fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().find(|t| t.name == name)
}

impl TableDef {
    /// Every field name, system fields first, in wire order.
    pub(crate) fn all_fields(&self) -> impl Iterator<Item = (&'static str, Kind)> {
        SYSTEM_FIELDS.iter().chain(self.fields.iter()).copied()
    }

    /// The kind of `field`, if the table has it.
    pub(crate) fn kind(&self, field: &str) -> Option<Kind> {
        self.all_fields().find(|(f, _)| *f == field).map(|(_, k)| k)
    }
}
