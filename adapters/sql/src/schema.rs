//! Diesel's view of the tables; one definition serves SQLite and PostgreSQL
//! because it uses only types both have (see `migrations/`).

diesel::table! {
    accounts (id) {
        id -> Text,
        name -> Text,
    }
}

diesel::table! {
    locations (id) {
        id -> BigInt,
        account_id -> Text,
        customer_location_id -> Text,
        name -> Text,
        address -> Text,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        account_id -> Text,
        location_id -> Nullable<BigInt>,
        name -> Text,
    }
}

diesel::table! {
    contacts (id) {
        id -> BigInt,
        account_id -> Text,
        name -> Text,
        email -> Text,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
    }
}

diesel::table! {
    user_entitlements (user_id, account_id) {
        user_id -> BigInt,
        account_id -> Text,
        role -> Text,
    }
}

diesel::table! {
    case_types (code) {
        code -> Text,
        name -> Text,
        description -> Text,
        customer_creatable -> Bool,
        position -> Integer,
    }
}

diesel::table! {
    support_case_types (code) {
        code -> Text,
        case_type -> Text,
        name -> Text,
        position -> Integer,
    }
}

diesel::table! {
    case_categories (support_case_type, code) {
        support_case_type -> Text,
        code -> Text,
        name -> Text,
        position -> Integer,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        number -> Text,
        account_id -> Text,
        state -> SmallInt,
        priority -> SmallInt,
        title -> Text,
        description -> Text,
        case_type -> Text,
        support_case_type -> Text,
        category -> Text,
        location_id -> Nullable<BigInt>,
        location_not_listed -> Bool,
        product_id -> Nullable<BigInt>,
        product_not_listed -> Bool,
        contact_id -> Nullable<BigInt>,
        opened_by -> Text,
        opened_by_subject -> Text,
        opened_at -> Timestamp,
        updated_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Text>,
    }
}

diesel::table! {
    case_activities (id) {
        id -> BigInt,
        case_id -> BigInt,
        account_id -> Text,
        kind -> Text,
        author -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_watchers (case_id, email) {
        case_id -> BigInt,
        email -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        case_id -> BigInt,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachment_chunks (attachment_id, seq) {
        attachment_id -> BigInt,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    write_keys (actor_subject, kind, idempotency_key) {
        actor_subject -> Text,
        kind -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        case_id -> BigInt,
        record_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(case_activities -> cases (case_id));
diesel::joinable!(attachments -> cases (case_id));
diesel::joinable!(case_watchers -> cases (case_id));
diesel::joinable!(write_keys -> cases (case_id));
diesel::joinable!(user_entitlements -> accounts (account_id));
diesel::joinable!(user_entitlements -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    locations,
    products,
    contacts,
    users,
    user_entitlements,
    case_types,
    support_case_types,
    case_categories,
    cases,
    case_activities,
    case_watchers,
    attachments,
    attachment_chunks,
    write_keys,
);

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        user_id -> Text,
        issuer -> Text,
        client -> Nullable<Text>,
        operation -> Text,
        fields -> Text,
        targets -> Text,
        outcome -> Text,
    }
}
