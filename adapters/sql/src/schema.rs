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

diesel::table! {
    /// Cases per account and state, kept by triggers (migration 000016).
    case_counts (account_id, state) {
        account_id -> Text,
        state -> SmallInt,
        n -> BigInt,
    }
}

diesel::joinable!(case_activities -> cases (case_id));
diesel::joinable!(attachments -> cases (case_id));
diesel::joinable!(case_watchers -> cases (case_id));
diesel::joinable!(write_keys -> cases (case_id));
diesel::joinable!(user_entitlements -> accounts (account_id));
diesel::table! {
    operators (user_id) {
        user_id -> BigInt,
    }
}

diesel::joinable!(user_entitlements -> users (user_id));
diesel::joinable!(operators -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    operators,
    locations,
    products,
    contacts,
    users,
    user_entitlements,
    case_types,
    support_case_types,
    case_categories,
    cases,
    case_counts,
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
        entry_key -> Nullable<Text>,
    }
}

diesel::table! {
    operator_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        access_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    user_credentials (user_id) {
        user_id -> BigInt,
        password_hash -> Text,
        status -> Text,
        password_changed_at -> Timestamp,
    }
}

diesel::table! {
    user_factors (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        provider -> Text,
        status -> Text,
        detail -> Nullable<Text>,
        enrolled_at -> Timestamp,
    }
}

diesel::table! {
    account_team (account_id, position) {
        account_id -> Text,
        position -> Integer,
        role -> Text,
        name -> Text,
        email -> Text,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    recovery_tokens (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        kind -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    access_requests (id) {
        id -> BigInt,
        name -> Text,
        phone -> Text,
        email -> Text,
        account_name -> Text,
        account_number -> Text,
        service_address -> Text,
        description -> Text,
        case_number -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(user_credentials -> users (user_id));
diesel::joinable!(user_factors -> users (user_id));
diesel::joinable!(recovery_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    user_credentials,
    user_factors,
    recovery_tokens,
);
diesel::allow_tables_to_appear_in_same_query!(user_entitlements, user_credentials);

diesel::table! {
    billing_accounts (account_id) {
        account_id -> Text,
        address -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        phone -> Text,
        notification_email -> Text,
    }
}

diesel::table! {
    invoices (id) {
        id -> BigInt,
        account_id -> Text,
        number -> Text,
        invoice_date -> Date,
        due_date -> Date,
        currency -> Text,
        previous_minor -> BigInt,
        payments_minor -> BigInt,
        adjustments_minor -> BigInt,
        late_fee_minor -> BigInt,
        current_minor -> BigInt,
        total_due_minor -> BigInt,
    }
}

diesel::table! {
    invoice_charges (id) {
        id -> BigInt,
        invoice_id -> BigInt,
        position -> Integer,
        category -> Text,
        description -> Text,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    usage_records (id) {
        id -> BigInt,
        account_id -> Text,
        invoice_id -> Nullable<BigInt>,
        started_at -> Timestamp,
        from_number -> Text,
        to_number -> Text,
        duration_secs -> Integer,
        kind -> Text,
        currency -> Text,
        charge_minor -> BigInt,
    }
}

diesel::joinable!(invoice_charges -> invoices (invoice_id));
diesel::joinable!(usage_records -> invoices (invoice_id));
diesel::allow_tables_to_appear_in_same_query!(invoices, invoice_charges, usage_records);

diesel::table! {
    status_components (id) {
        id -> BigInt,
        name -> Text,
        group_name -> Nullable<Text>,
        status -> Text,
        description -> Nullable<Text>,
        position -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    status_incidents (id) {
        id -> BigInt,
        name -> Text,
        status -> Text,
        impact -> Text,
        component_ids -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    status_incident_updates (id) {
        id -> BigInt,
        incident_id -> BigInt,
        status -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(status_incident_updates -> status_incidents (incident_id));
diesel::allow_tables_to_appear_in_same_query!(status_incidents, status_incident_updates);

diesel::table! {
    tollfree_numbers (id) {
        id -> BigInt,
        account_id -> Text,
        number -> Text,
        ring_to -> Text,
        network -> Text,
        changeable_online -> Bool,
        state -> Text,
        same_state_required -> Bool,
        status -> Text,
    }
}

diesel::table! {
    tollfree_change_requests (id) {
        id -> BigInt,
        account_id -> Text,
        status -> Text,
        case_id -> Nullable<BigInt>,
        case_number -> Text,
        created_by -> Text,
        created_by_subject -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Text>,
        case_ref -> Nullable<Text>,
    }
}

diesel::table! {
    tollfree_change_lines (request_id, position) {
        request_id -> BigInt,
        position -> Integer,
        number -> Text,
        old_ring_to -> Text,
        new_ring_to -> Text,
        old_network -> Text,
        new_network -> Text,
        rate_micros -> BigInt,
        rate_changes -> Bool,
    }
}

diesel::joinable!(tollfree_change_lines -> tollfree_change_requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(
    tollfree_numbers,
    tollfree_change_requests,
    tollfree_change_lines
);

diesel::table! {
    resource_categories (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        position -> Integer,
    }
}

diesel::table! {
    resources (id) {
        id -> BigInt,
        category_id -> BigInt,
        title -> Text,
        description -> Text,
        url -> Text,
        download -> Bool,
        position -> Integer,
    }
}

diesel::table! {
    resource_products (resource_id, product_name) {
        resource_id -> BigInt,
        product_name -> Text,
    }
}

diesel::table! {
    portal_apps (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        url -> Text,
        position -> Integer,
    }
}

diesel::table! {
    portal_app_products (app_id, product_name) {
        app_id -> BigInt,
        product_name -> Text,
    }
}

diesel::table! {
    services (id) {
        id -> BigInt,
        account_id -> Text,
        location_id -> BigInt,
        product_id -> Nullable<BigInt>,
        name -> Text,
        kind -> Text,
        status -> Text,
        circuit_id -> Nullable<Text>,
        phone_numbers -> Text,
        started_on -> Nullable<Date>,
        search_text -> Text,
    }
}

diesel::table! {
    assets (id) {
        id -> BigInt,
        account_id -> Text,
        location_id -> BigInt,
        service_id -> Nullable<BigInt>,
        name -> Text,
        kind -> Text,
        manufacturer -> Text,
        model -> Text,
        serial -> Text,
        status -> Text,
        search_text -> Text,
    }
}

diesel::joinable!(resources -> resource_categories (category_id));
diesel::joinable!(resource_products -> resources (resource_id));
diesel::joinable!(portal_app_products -> portal_apps (app_id));
diesel::allow_tables_to_appear_in_same_query!(resource_categories, resources, resource_products);
diesel::allow_tables_to_appear_in_same_query!(portal_apps, portal_app_products);

diesel::table! {
    ledger_writes (backend, kind, actor_user_id, idem_key) {
        backend -> Text,
        kind -> Text,
        actor_user_id -> Text,
        idem_key -> Text,
        fingerprint -> Text,
        record_id -> Nullable<Text>,
        claimed_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ledger_authors (backend, record_id) {
        backend -> Text,
        record_id -> Text,
        author -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    ledger_activities (id) {
        id -> BigInt,
        backend -> Text,
        case_id -> Text,
        kind -> Text,
        author -> Text,
        body -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    ledger_deliveries (source, digest) {
        source -> Text,
        digest -> Text,
        received_at -> Timestamp,
    }
}
