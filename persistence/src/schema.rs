// Written by hand to match migrations/; kept in the shape `diesel print-schema` produces.
diesel::table! {
    organizations (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Uuid>,
        principal_name -> Nullable<Text>,
        openness_deputy_name -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        principal_duties -> Nullable<Text>,
        openness_deputy_duties -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        password_hash -> Text,
        display_name -> Text,
        organization_id -> Nullable<Uuid>,
        roles -> Array<Text>,
        is_active -> Bool,
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        password_changed_at -> Timestamptz,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_clients (id) {
        id -> Uuid,
        name -> Text,
        secret_hash -> Text,
        scopes -> Array<Text>,
        organization_id -> Nullable<Uuid>,
        is_active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        occurred_at -> Timestamptz,
        actor_kind -> Text,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Uuid>,
        request_id -> Nullable<Text>,
        changed_fields -> Array<Text>,
        details -> Jsonb,
        chain_seq -> Nullable<Int8>,
        prev_hash -> Nullable<Bytea>,
        row_hash -> Nullable<Bytea>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Uuid,
        method -> Text,
        path -> Text,
        request_hash -> Text,
        response_status -> Nullable<Int2>,
        response_headers -> Nullable<Jsonb>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
        request_id -> Nullable<Text>,
        audit_watermark -> Nullable<Int8>,
    }
}

diesel::table! {
    rate_limit_counters (bucket, window_start) {
        bucket -> Text,
        window_start -> Timestamptz,
        hits -> Int4,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::table! {
    password_history (id) {
        id -> Int8,
        user_id -> Uuid,
        password_hash -> Text,
        replaced_at -> Timestamptz,
    }
}

diesel::joinable!(password_history -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(organizations, users, refresh_tokens, oauth_clients, audit_log);

diesel::table! {
    calendar_years (year) {
        year -> Int4,
        source -> Text,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        year -> Int4,
        kind -> Text,
        name -> Text,
    }
}

diesel::joinable!(calendar_days -> calendar_years (year));

diesel::table! {
    documents (id) {
        id -> Uuid,
        doc_number -> Nullable<Text>,
        title -> Text,
        body -> Text,
        issuing_org_id -> Uuid,
        county_id -> Nullable<Uuid>,
        issuing_authority -> Text,
        lead_drafting_org_id -> Uuid,
        drafting_org_ids -> Array<Uuid>,
        involved_org_ids -> Array<Uuid>,
        is_policy -> Bool,
        category -> Text,
        doc_kind -> Text,
        disclosure -> Nullable<Text>,
        disclosure_reason -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
        exemption -> Nullable<Text>,
        status -> Text,
        revision -> Int4,
        formed_on -> Nullable<Date>,
        publish_due_on -> Nullable<Date>,
        published_at -> Nullable<Timestamptz>,
        validity -> Text,
        validity_changed_on -> Nullable<Date>,
        validity_reason -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        publish_due_provisional -> Bool,
        publish_clock_from -> Nullable<Date>,
    }
}

diesel::table! {
    document_returns (id) {
        id -> Uuid,
        document_id -> Uuid,
        automatic -> Bool,
        codes -> Array<Text>,
        reasons -> Nullable<Text>,
        returned_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    document_reviews (id) {
        id -> Uuid,
        document_id -> Uuid,
        kind -> Text,
        passed -> Bool,
        comment -> Nullable<Text>,
        revision -> Int4,
        reviewer_id -> Uuid,
        organization_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    document_confirmations (document_id, organization_id) {
        document_id -> Uuid,
        organization_id -> Uuid,
        confirmed_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    experts (id) {
        id -> Uuid,
        name -> Text,
        field -> Text,
        affiliation -> Nullable<Text>,
        is_active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        county_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    interpretations (id) {
        id -> Uuid,
        document_id -> Uuid,
        stage -> Text,
        status -> Text,
        responsible_org_id -> Uuid,
        title -> Text,
        forms -> Array<Text>,
        plan -> Jsonb,
        background_basis -> Nullable<Text>,
        objectives -> Nullable<Text>,
        main_content -> Nullable<Text>,
        scope -> Nullable<Text>,
        standards -> Nullable<Text>,
        notes -> Nullable<Text>,
        key_terms -> Nullable<Text>,
        benefits -> Nullable<Text>,
        changes -> Nullable<Text>,
        interpreter_user_id -> Nullable<Uuid>,
        expert_ids -> Array<Uuid>,
        effect_evaluation -> Nullable<Text>,
        signed_by -> Nullable<Uuid>,
        signed_at -> Nullable<Timestamptz>,
        published_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        secrecy_reviewed_by -> Nullable<Uuid>,
        secrecy_reviewed_at -> Nullable<Timestamptz>,
        secrecy_review_passed -> Nullable<Bool>,
    }
}

diesel::table! {
    breaches (id) {
        id -> Uuid,
        kind -> Text,
        organization_id -> Nullable<Uuid>,
        entity_type -> Text,
        entity_id -> Nullable<Uuid>,
        due_on -> Nullable<Date>,
        occurred_at -> Timestamptz,
        details -> Jsonb,
        recorded_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    unknown_login_attempts (username) {
        username -> Text,
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    attachments (id) {
        id -> Uuid,
        owner_type -> Text,
        owner_id -> Uuid,
        filename -> Text,
        media_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        storage_key -> Text,
        uploaded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// What the public page of a document shows besides its row (migration 2026-11-28-000100).
    /// Kept for every document, drafts included: read it only for a document selected as public.
    document_page_extras (document_id) {
        document_id -> Uuid,
        extras -> Nullable<Text>,
    }
}

diesel::table! {
    /// The public document list as PostgreSQL writes it (migration 2026-11-28-000130): one row per
    /// document published with a public attribute, kept by triggers on `documents`.
    public_document_list (id) {
        id -> Uuid,
        issuing_org_id -> Uuid,
        category -> Text,
        formed_year -> Nullable<Int4>,
        title -> Text,
        summary -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    documents,
    document_page_extras,
    interpretations,
    document_reviews,
    document_confirmations,
    document_returns,
    attachments
);

diesel::table! {
    local_holidays (day) {
        day -> Date,
        name -> Text,
        source -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    request_settings (singleton) {
        singleton -> Bool,
        fee_payment_working_days -> Int4,
        pause_while_fee_unpaid -> Bool,
        submissions_per_address_per_hour -> Int4,
        submissions_per_applicant_per_day -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    disclosure_requests (id) {
        id -> Uuid,
        tracking_code -> Text,
        query_token_hash -> Bytea,
        organization_id -> Uuid,
        applicant_type -> Text,
        applicant_name -> Text,
        identity_document_type -> Text,
        identity_number_sealed -> Bytea,
        identity_number_masked -> Text,
        applicant_key -> Text,
        phone_sealed -> Nullable<Bytea>,
        phone_masked -> Nullable<Text>,
        email_sealed -> Nullable<Bytea>,
        email_masked -> Nullable<Text>,
        address_sealed -> Nullable<Bytea>,
        description -> Text,
        document_number -> Nullable<Text>,
        information_form -> Text,
        delivery_method -> Text,
        channel -> Text,
        arrived_on -> Date,
        signed_for_on -> Nullable<Date>,
        confirmed_on -> Nullable<Date>,
        proxy_filled -> Bool,
        needs_assistance -> Bool,
        received_on -> Date,
        corrected_on -> Nullable<Date>,
        state -> Text,
        due_on -> Date,
        due_provisional -> Bool,
        correction_requested_on -> Nullable<Date>,
        correction_items -> Nullable<Array<Text>>,
        correction_deadline -> Nullable<Date>,
        extension_days -> Int4,
        extension_reason -> Nullable<Text>,
        extension_approved_by -> Nullable<Uuid>,
        extended_on -> Nullable<Date>,
        outcome -> Nullable<Text>,
        closed_on -> Nullable<Date>,
        archived_on -> Nullable<Date>,
        subject_key -> Text,
        group_id -> Uuid,
        registered_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    request_consultations (id) {
        id -> Uuid,
        request_id -> Uuid,
        party -> Text,
        party_name -> Text,
        sent_on -> Date,
        window_due_on -> Date,
        answered_on -> Nullable<Date>,
        opinion -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    request_fee_notices (request_id) {
        request_id -> Uuid,
        method -> Text,
        nth_request_this_month -> Int4,
        pages -> Nullable<Int4>,
        amount_fen -> Int8,
        notified_on -> Date,
        payment_due_on -> Date,
        payment_working_days -> Int4,
        pauses_clock -> Bool,
        paid_on -> Nullable<Date>,
        payment_reference -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    request_replies (request_id) {
        request_id -> Uuid,
        reply_text -> Text,
        legal_basis -> Nullable<Text>,
        responsible_agency_name -> Nullable<Text>,
        responsible_agency_contact -> Nullable<Text>,
        provided_document_ids -> Array<Uuid>,
        replied_on -> Date,
        replied_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    request_events (id) {
        id -> Int8,
        request_id -> Uuid,
        action -> Text,
        state_from -> Nullable<Text>,
        state_to -> Text,
        due_from -> Nullable<Date>,
        due_to -> Date,
        details -> Jsonb,
        actor_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(request_fee_notices -> disclosure_requests (request_id));

diesel::allow_tables_to_appear_in_same_query!(
    documents,
    disclosure_requests,
    request_consultations,
    request_fee_notices,
    request_replies,
    request_events
);

diesel::table! {
    personal_data_key_check (singleton) {
        singleton -> Bool,
        fingerprint -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    consultations (id) {
        id -> Uuid,
        organization_id -> Uuid,
        title -> Text,
        draft_text -> Text,
        document_id -> Nullable<Uuid>,
        meeting_topic -> Nullable<Text>,
        method -> Text,
        purpose -> Text,
        opens_at -> Timestamptz,
        closes_at -> Timestamptz,
        shorter_period_reason -> Nullable<Text>,
        channels -> Array<Text>,
        contact -> Text,
        status -> Text,
        closed_at -> Nullable<Timestamptz>,
        results_summary -> Nullable<Text>,
        results_published_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        early_close_reason -> Nullable<Text>,
    }
}

diesel::table! {
    consultation_clusters (id) {
        id -> Uuid,
        consultation_id -> Uuid,
        title -> Text,
        result -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    consultation_comments (id) {
        id -> Uuid,
        consultation_id -> Uuid,
        receipt_code -> Text,
        body -> Text,
        published_body -> Nullable<Text>,
        commenter_name -> Nullable<Text>,
        contact_sealed -> Nullable<Bytea>,
        clause_ref -> Nullable<Text>,
        hidden -> Bool,
        moderation_reason -> Nullable<Text>,
        cluster_id -> Nullable<Uuid>,
        result -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
        publish_name -> Bool,
        name_withheld -> Bool,
        clause_ref_withheld -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(consultations, consultation_clusters, consultation_comments);

diesel::table! {
    consultation_settings (singleton) {
        singleton -> Bool,
        results_working_days -> Int4,
        comments_per_address_per_hour -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    meetings (id) {
        id -> Uuid,
        organization_id -> Uuid,
        title -> Text,
        scheduled_at -> Timestamptz,
        status -> Text,
        approved_by -> Nullable<Uuid>,
        approved_at -> Nullable<Timestamptz>,
        held_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    meeting_topics (id) {
        id -> Uuid,
        meeting_id -> Uuid,
        position -> Int4,
        title -> Text,
        major_livelihood -> Bool,
        invitations -> Nullable<Jsonb>,
        openness -> Nullable<Text>,
        broadcast -> Array<Text>,
        confidential_reason -> Nullable<Text>,
        important_decision_draft -> Bool,
        consultation_id -> Nullable<Uuid>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(meetings, meeting_topics, consultations);

diesel::table! {
    participation_settings (singleton) {
        singleton -> Bool,
        message_reply_working_days -> Int4,
        messages_per_address_per_hour -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    public_messages (id) {
        id -> Uuid,
        organization_id -> Uuid,
        receipt_code -> Text,
        subject -> Text,
        body -> Text,
        sender_name -> Nullable<Text>,
        contact_sealed -> Nullable<Bytea>,
        publish_consent -> Bool,
        received_on -> Date,
        due_on -> Date,
        status -> Text,
        reply_text -> Nullable<Text>,
        replied_on -> Nullable<Date>,
        replied_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        published_subject -> Nullable<Text>,
        published_body -> Nullable<Text>,
        published_reply -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
        published_by -> Nullable<Uuid>,
        reply_working_days -> Int4,
    }
}

diesel::table! {
    open_days (id) {
        id -> Uuid,
        organization_id -> Uuid,
        title -> Text,
        description -> Text,
        location -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        registration_closes_at -> Timestamptz,
        capacity -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        version -> Int4,
        updated_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
        cancellation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    open_day_registrations (id) {
        id -> Uuid,
        open_day_id -> Uuid,
        receipt_code -> Text,
        name -> Text,
        contact_sealed -> Bytea,
        party_size -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    rectifications (id) {
        id -> Uuid,
        organization_id -> Uuid,
        source -> Text,
        source_id -> Uuid,
        finding_id -> Uuid,
        problem -> Text,
        owner_user_id -> Nullable<Uuid>,
        opened_on -> Date,
        deadline -> Date,
        evidence -> Nullable<Text>,
        submitted_on -> Nullable<Date>,
        reopen_reason -> Nullable<Text>,
        verified_on -> Nullable<Date>,
        status -> Text,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    websites (id) {
        id -> Uuid,
        organization_id -> Uuid,
        name -> Text,
        url -> Text,
        status -> Text,
        closure_reason -> Nullable<Text>,
        closed_on -> Nullable<Date>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    website_checks (id) {
        id -> Uuid,
        website_id -> Uuid,
        checked_on -> Date,
        notes -> Nullable<Text>,
        status_after -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    website_check_findings (id) {
        id -> Uuid,
        check_id -> Uuid,
        position -> Int4,
        kind -> Text,
        description -> Text,
        deadline -> Date,
        rectification_id -> Uuid,
    }
}

diesel::table! {
    spot_checks (id) {
        id -> Uuid,
        organization_id -> Uuid,
        sample_size -> Int4,
        status -> Text,
        notes -> Nullable<Text>,
        completed_on -> Nullable<Date>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    spot_check_samples (spot_check_id, document_id) {
        spot_check_id -> Uuid,
        document_id -> Uuid,
        position -> Int4,
    }
}

diesel::table! {
    spot_check_findings (id) {
        id -> Uuid,
        spot_check_id -> Uuid,
        document_id -> Uuid,
        problem -> Text,
        deadline -> Date,
        rectification_id -> Uuid,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reading_venues (id) {
        id -> Uuid,
        county_id -> Uuid,
        name -> Text,
        kind -> Text,
        address -> Text,
        opening_hours -> Text,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reading_venue_placements (id) {
        id -> Uuid,
        venue_id -> Uuid,
        document_id -> Uuid,
        placed_on -> Date,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(website_checks -> websites (website_id));
diesel::joinable!(website_check_findings -> website_checks (check_id));
diesel::joinable!(spot_check_samples -> documents (document_id));
diesel::joinable!(reading_venue_placements -> reading_venues (venue_id));
diesel::joinable!(reading_venue_placements -> documents (document_id));
diesel::allow_tables_to_appear_in_same_query!(
    rectifications,
    websites,
    website_checks,
    website_check_findings,
    spot_checks,
    spot_check_samples,
    spot_check_findings,
    reading_venues,
    reading_venue_placements,
    documents
);

diesel::table! {
    opinion_settings (singleton) {
        singleton -> Bool,
        release_hours -> Int4,
        press_conference_hours -> Int4,
        response_hours -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    opinion_incidents (id) {
        id -> Uuid,
        organization_id -> Uuid,
        source -> Text,
        source_link -> Nullable<Text>,
        summary -> Text,
        detected_at -> Timestamptz,
        focus -> Nullable<Text>,
        event_level -> Nullable<Text>,
        county_policy -> Bool,
        policy_department_id -> Nullable<Uuid>,
        involved_organization_ids -> Array<Uuid>,
        regions -> Array<Text>,
        lead_organization_id -> Nullable<Uuid>,
        higher_authority_id -> Nullable<Uuid>,
        responsibility_rule -> Text,
        responder_ids -> Array<Uuid>,
        escalated -> Bool,
        status -> Text,
        consultation_participants -> Nullable<Text>,
        consultation_minutes -> Nullable<Text>,
        consulted_at -> Nullable<Timestamptz>,
        handling_class -> Nullable<Text>,
        assessment_notes -> Nullable<Text>,
        assessed_at -> Nullable<Timestamptz>,
        responded_at -> Nullable<Timestamptz>,
        evaluation_notes -> Nullable<Text>,
        evaluated_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    opinion_clocks (incident_id, kind) {
        incident_id -> Uuid,
        kind -> Text,
        due_at -> Timestamptz,
        stopped_at -> Nullable<Timestamptz>,
        breach_recorded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    opinion_releases (id) {
        id -> Uuid,
        incident_id -> Uuid,
        kind -> Text,
        channel -> Text,
        title -> Text,
        content -> Text,
        released_at -> Timestamptz,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    opinion_referrals (id) {
        id -> Uuid,
        incident_id -> Uuid,
        authority -> Text,
        referred_at -> Timestamptz,
        reference -> Nullable<Text>,
        notes -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(opinion_clocks -> opinion_incidents (incident_id));
diesel::joinable!(opinion_releases -> opinion_incidents (incident_id));
diesel::allow_tables_to_appear_in_same_query!(opinion_incidents, opinion_clocks, opinion_releases, opinion_referrals);

diesel::table! {
    catalog_areas (id) {
        id -> Uuid,
        name -> Text,
        county_id -> Nullable<Uuid>,
        position -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    catalogs (id) {
        id -> Uuid,
        organization_id -> Uuid,
        title -> Text,
        draft_revision -> Int4,
        published_revision -> Nullable<Int4>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    catalog_items (id) {
        id -> Uuid,
        catalog_id -> Uuid,
        position -> Int4,
        area_id -> Uuid,
        item_level1 -> Text,
        item_level2 -> Nullable<Text>,
        content_elements -> Text,
        basis -> Text,
        time_limit -> Text,
        owner -> Text,
        channels -> Array<Text>,
        audience -> Text,
        mode -> Text,
        level -> Nullable<Text>,
        openness_category -> Text,
    }
}

diesel::table! {
    catalog_versions (id) {
        id -> Uuid,
        catalog_id -> Uuid,
        number -> Int4,
        item_count -> Int4,
        items -> Jsonb,
        published_by -> Nullable<Uuid>,
        published_at -> Timestamptz,
    }
}

diesel::joinable!(catalog_items -> catalog_areas (area_id));
diesel::joinable!(catalog_versions -> catalogs (catalog_id));
diesel::joinable!(catalogs -> organizations (organization_id));
diesel::allow_tables_to_appear_in_same_query!(catalog_areas, catalogs, catalog_items, catalog_versions, organizations);

diesel::table! {
    higher_documents (id) {
        id -> Uuid,
        county_id -> Uuid,
        issuer_level -> Text,
        issuer -> Text,
        title -> Text,
        doc_number -> Nullable<Text>,
        url -> Text,
        published_on -> Date,
        registered_on -> Date,
        repost_working_days -> Int4,
        due_on -> Date,
        registered_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    repost_obligations (id) {
        id -> Uuid,
        higher_document_id -> Uuid,
        organization_id -> Uuid,
        due_on -> Date,
        status -> Text,
        repost_url -> Nullable<Text>,
        reposted_on -> Nullable<Date>,
        recorded_by -> Nullable<Uuid>,
        recorded_at -> Nullable<Timestamptz>,
        version -> Int4,
    }
}

diesel::joinable!(repost_obligations -> higher_documents (higher_document_id));
diesel::joinable!(repost_obligations -> organizations (organization_id));
diesel::allow_tables_to_appear_in_same_query!(higher_documents, repost_obligations, organizations);

diesel::table! {
    self_inspections (id) {
        id -> Uuid,
        organization_id -> Uuid,
        year -> Int4,
        status -> Text,
        summary -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        submitted_by -> Nullable<Uuid>,
        submitted_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    self_inspection_items (id) {
        id -> Uuid,
        self_inspection_id -> Uuid,
        kind -> Text,
        document_id -> Nullable<Uuid>,
        disclosure_before -> Nullable<Text>,
        subject -> Text,
        request_count -> Int4,
        decision -> Nullable<Text>,
        reason -> Nullable<Text>,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        position -> Int4,
    }
}

diesel::joinable!(self_inspection_items -> self_inspections (self_inspection_id));
diesel::allow_tables_to_appear_in_same_query!(self_inspections, self_inspection_items, documents);

diesel::table! {
    breach_decisions (id) {
        id -> Uuid,
        breach_id -> Uuid,
        kind -> Text,
        decided_on -> Date,
        reason -> Text,
        referred_to -> Nullable<Text>,
        decided_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    annual_report_settings (singleton) {
        singleton -> Bool,
        township_due_month -> Int4,
        township_due_day -> Int4,
        version -> Int4,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    legal_challenges (id) {
        id -> Uuid,
        organization_id -> Uuid,
        kind -> Text,
        role -> Text,
        case_number -> Text,
        filed_on -> Date,
        summary -> Text,
        result -> Nullable<Text>,
        concluded_on -> Nullable<Date>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    annual_reports (id) {
        id -> Uuid,
        organization_id -> Uuid,
        year -> Int4,
        status -> Text,
        scope -> Text,
        overview -> Text,
        problems_and_improvements -> Text,
        other_matters -> Text,
        licensing_decisions -> Int8,
        penalty_decisions -> Int8,
        enforcement_decisions -> Int8,
        administrative_fees_fen -> Int8,
        computed -> Jsonb,
        computed_at -> Timestamptz,
        due_on -> Nullable<Date>,
        reviewed_by -> Nullable<Uuid>,
        reviewed_at -> Nullable<Timestamptz>,
        published_by -> Nullable<Uuid>,
        published_at -> Nullable<Timestamptz>,
        published_on -> Nullable<Date>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(breach_decisions -> breaches (breach_id));
diesel::joinable!(breaches -> organizations (organization_id));
diesel::joinable!(annual_reports -> organizations (organization_id));
diesel::joinable!(legal_challenges -> organizations (organization_id));
diesel::allow_tables_to_appear_in_same_query!(
    breaches,
    breach_decisions,
    organizations,
    annual_reports,
    legal_challenges
);

diesel::table! {
    work_priorities (id) {
        id -> Uuid,
        organization_id -> Uuid,
        year -> Int4,
        text -> Text,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    work_report_hearings (id) {
        id -> Uuid,
        organization_id -> Uuid,
        held_on -> Date,
        chaired_by -> Nullable<Text>,
        minutes -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    training_plans (id) {
        id -> Uuid,
        organization_id -> Uuid,
        year -> Int4,
        title -> Text,
        description -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    training_sessions (id) {
        id -> Uuid,
        plan_id -> Uuid,
        held_on -> Date,
        topic -> Text,
        trainer -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    training_attendance (session_id, user_id) {
        session_id -> Uuid,
        user_id -> Uuid,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(work_priorities -> organizations (organization_id));
diesel::joinable!(work_report_hearings -> organizations (organization_id));
diesel::joinable!(training_plans -> organizations (organization_id));
diesel::joinable!(training_sessions -> training_plans (plan_id));
diesel::joinable!(training_attendance -> training_sessions (session_id));
diesel::joinable!(training_attendance -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    work_priorities,
    work_report_hearings,
    training_plans,
    training_sessions,
    training_attendance,
    organizations
);
diesel::allow_tables_to_appear_in_same_query!(users, training_attendance);
diesel::allow_tables_to_appear_in_same_query!(users, training_sessions);
diesel::allow_tables_to_appear_in_same_query!(users, training_plans);

diesel::table! {
    evaluation_settings (singleton) {
        singleton -> Bool,
        openness_share_basis_points -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    evaluation_systems (id) {
        id -> Uuid,
        county_id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    evaluation_indicators (id) {
        id -> Uuid,
        system_id -> Uuid,
        parent_id -> Nullable<Uuid>,
        code -> Text,
        name -> Text,
        description -> Nullable<Text>,
        weight -> Int4,
        is_leaf -> Bool,
        position -> Int4,
    }
}

diesel::table! {
    evaluation_periods (id) {
        id -> Uuid,
        county_id -> Uuid,
        system_id -> Uuid,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    evaluation_scores (id) {
        id -> Uuid,
        period_id -> Uuid,
        organization_id -> Uuid,
        indicator_id -> Uuid,
        score -> Int4,
        source -> Text,
        evaluator -> Nullable<Text>,
        note -> Nullable<Text>,
        recorded_by -> Uuid,
        recorded_by_kind -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::joinable!(evaluation_indicators -> evaluation_systems (system_id));
diesel::joinable!(evaluation_periods -> evaluation_systems (system_id));
diesel::joinable!(evaluation_scores -> evaluation_periods (period_id));
diesel::joinable!(evaluation_scores -> evaluation_indicators (indicator_id));
diesel::allow_tables_to_appear_in_same_query!(
    evaluation_systems,
    evaluation_indicators,
    evaluation_periods,
    evaluation_scores,
    organizations
);

diesel::table! {
    outbox (seq) {
        seq -> Int8,
        entity_type -> Text,
        entity_id -> Uuid,
        event -> Text,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Uuid,
        client_id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        secret_sealed -> Bytea,
        is_active -> Bool,
        outbox_cursor -> Int8,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        subscription_id -> Uuid,
        outbox_seq -> Int8,
        event -> Text,
        status -> Text,
        attempts -> Int4,
        attempts_total -> Int4,
        next_attempt_at -> Timestamptz,
        claim_id -> Nullable<Uuid>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_attempts (delivery_id, number) {
        delivery_id -> Uuid,
        number -> Int4,
        started_at -> Timestamptz,
        duration_ms -> Int4,
        response_status -> Nullable<Int4>,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_deliveries -> outbox (outbox_seq));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(webhook_subscriptions, webhook_deliveries, webhook_attempts, outbox);
diesel::allow_tables_to_appear_in_same_query!(attachments, opinion_releases);
diesel::allow_tables_to_appear_in_same_query!(attachments, consultations);
