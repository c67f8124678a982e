-- The demo domain (adapters' tables, saga ledger and side effects, agent templates) in
-- schema lgops_demo. Databases migrated before this had them in public: move each one
-- there, unless lgops_demo already has it (databases created since, where 0002 / 0004
-- create them in lgops_demo and a public table of that name is the application's own).
CREATE SCHEMA IF NOT EXISTS lgops_demo;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'agent_template_outcomes', 'agent_template_stats',
        'products', 'inventory', 'customers', 'orders',
        'saga_steps', 'saga_compensations', 'accounts', 'payments',
        'notifications', 'inventory_movements', 'shipping_labels']
    LOOP
        IF to_regclass('lgops_demo.' || t) IS NULL AND to_regclass('public.' || t) IS NOT NULL THEN
            EXECUTE format('ALTER TABLE public.%I SET SCHEMA lgops_demo', t);
        END IF;
    END LOOP;
END
$$;
