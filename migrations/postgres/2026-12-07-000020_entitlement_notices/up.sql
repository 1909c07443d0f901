-- Entitlement changes announced by the database itself: whoever changes
-- who may see which account (the gateway, an administrator's SQL, a
-- provisioning job), every replica hears which users to forget from its
-- cache of principals. The announcement travels like a replica's event
-- (adapters/sql/src/relay.rs): a row in bus_events, origin 'database', and
-- a NOTIFY on the schema's channel, both at commit. A statement touching
-- more than 1,000 users, and a TRUNCATE, announce "everyone".
--
-- The function runs with its owner's rights (the gateway's migrating
-- role), so roles that may change the tables but not bus_events still can.
CREATE SEQUENCE bus_events_database_seq;

CREATE FUNCTION switchboard_entitlements_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- The column naming the user in the changed table.
    user_column TEXT := TG_ARGV[0];
    changed TEXT[];
    body TEXT;
    event_id BIGINT;
    channel TEXT := left('switchboard_events:' || TG_TABLE_SCHEMA, 63);
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        body := '{"entitlements":{"users":null}}';
    ELSE
        IF TG_OP = 'INSERT' THEN
            EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM new_rows', user_column)
                INTO changed;
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM old_rows', user_column)
                INTO changed;
        ELSE
            EXECUTE format('SELECT array_agg(DISTINCT u) FROM ('
                'SELECT %1$I::text AS u FROM old_rows UNION SELECT %1$I::text FROM new_rows'
                ') AS both_sides', user_column)
                INTO changed;
        END IF;
        IF changed IS NULL THEN
            RETURN NULL;
        END IF;
        IF cardinality(changed) > 1000 THEN
            body := '{"entitlements":{"users":null}}';
        ELSE
            body := json_build_object('entitlements',
                json_build_object('users', to_json(changed)))::text;
        END IF;
    END IF;
    EXECUTE format(
        'INSERT INTO %I.bus_events (origin, seq, body) '
        'VALUES (''database'', nextval(%L), $1) RETURNING id',
        TG_TABLE_SCHEMA, quote_ident(TG_TABLE_SCHEMA) || '.bus_events_database_seq')
        INTO event_id USING body;
    PERFORM pg_notify(channel, CASE WHEN octet_length(body) <= 7900
        THEN event_id || ' database ' || body ELSE event_id || ' database' END);
    RETURN NULL;
END
$$;

-- Accounts and roles.
CREATE TRIGGER user_entitlements_inserted AFTER INSERT ON user_entitlements
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');
CREATE TRIGGER user_entitlements_updated AFTER UPDATE ON user_entitlements
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');
CREATE TRIGGER user_entitlements_deleted AFTER DELETE ON user_entitlements
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');
CREATE TRIGGER user_entitlements_truncated AFTER TRUNCATE ON user_entitlements
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');

-- Operator rights.
CREATE TRIGGER operators_inserted AFTER INSERT ON operators
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');
CREATE TRIGGER operators_updated AFTER UPDATE ON operators
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');
CREATE TRIGGER operators_deleted AFTER DELETE ON operators
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');
CREATE TRIGGER operators_truncated AFTER TRUNCATE ON operators
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('user_id');

-- The users themselves (an email or name changed, a user removed):
-- principals are cached by id and by email.
CREATE TRIGGER users_updated AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('id');
CREATE TRIGGER users_deleted AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_entitlements_changed('id');
