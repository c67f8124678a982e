-- The demo domain lives in its own schema, never in public: a database shared with an
-- application keeps its own tables of these names untouched. (Edited in place: before
-- 0016 this file created the tables in public; 0016 moves them for such databases.)
CREATE SCHEMA IF NOT EXISTS lgops_demo;
SET LOCAL search_path TO lgops_demo, public;

-- Tables the database adapter queries (seeded here) and the saga's side-effect tables.
-- Append-only: change the schema with a new file.

-- ---------------------------------------------------------------- catalogue
CREATE TABLE products (
    sku          text          PRIMARY KEY,
    name         text          NOT NULL,
    category     text          NOT NULL,
    price        numeric(10,2) NOT NULL CHECK (price >= 0),
    weight_kg    numeric(6,2)  NOT NULL CHECK (weight_kg > 0),
    description  text          NOT NULL
);

INSERT INTO products (sku, name, category, price, weight_kg, description) VALUES
    ('SENS-100', 'Soil moisture sensor', 'sensors', 24.90, 0.12,
     'Capacitive soil moisture probe with a 3 m cable; reports every 10 minutes.'),
    ('SENS-200', 'Outdoor weather station', 'sensors', 189.00, 2.40,
     'Temperature, humidity, wind and rain gauge; solar powered; LoRa uplink.'),
    ('SENS-210', 'Rain gauge add-on', 'sensors', 39.50, 0.60,
     'Tipping-bucket rain gauge for the outdoor weather station, 0.2 mm resolution.'),
    ('GATE-300', 'LoRa gateway', 'networking', 249.00, 0.90,
     'Eight-channel LoRa gateway with Ethernet and LTE fallback.'),
    ('GATE-310', 'Gateway mounting kit', 'networking', 19.00, 0.70,
     'Pole and wall mounting brackets for the LoRa gateway.'),
    ('PLAN-BAS', 'Basic data plan (monthly)', 'subscriptions', 9.00, 0.01,
     'Up to 10 devices, 30 days of history, email alerts.'),
    ('PLAN-PRO', 'Pro data plan (monthly)', 'subscriptions', 49.00, 0.01,
     'Up to 200 devices, 2 years of history, API access, dashboards and exports.'),
    ('PLAN-ENT', 'Enterprise data plan (monthly)', 'subscriptions', 399.00, 0.01,
     'Unlimited devices, SSO, audit log, 99.9% SLA, dedicated support manager.'),
    ('KIT-STA', 'Starter kit', 'bundles', 299.00, 3.10,
     'Gateway, weather station and three soil sensors with a year of the basic plan.'),
    ('BATT-010', 'Replacement battery pack', 'accessories', 14.50, 0.20,
     'Lithium thionyl chloride battery pack for sensors, 5 year life.'),
    ('CABL-020', 'Sensor extension cable', 'accessories', 7.90, 0.15,
     'Five metre waterproof extension cable for soil sensors.'),
    ('SRV-INST', 'On-site installation', 'services', 450.00, 0.01,
     'Half-day on-site installation and calibration by a field engineer.');

CREATE TABLE inventory (
    sku         text        PRIMARY KEY REFERENCES products (sku),
    on_hand     integer     NOT NULL CHECK (on_hand >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO inventory (sku, on_hand) VALUES
    ('SENS-100', 420), ('SENS-200', 35), ('SENS-210', 60), ('GATE-300', 18),
    ('GATE-310', 75), ('PLAN-BAS', 100000), ('PLAN-PRO', 100000), ('PLAN-ENT', 100000),
    ('KIT-STA', 12), ('BATT-010', 900), ('CABL-020', 300), ('SRV-INST', 4);

-- ---------------------------------------------------------------- customers and orders
CREATE TABLE customers (
    id           integer     PRIMARY KEY,
    name         text        NOT NULL,
    email        text        NOT NULL UNIQUE,
    company      text        NOT NULL,
    city         text        NOT NULL,
    tier         text        NOT NULL CHECK (tier IN ('free', 'standard', 'premium')),
    signup_date  date        NOT NULL
);

-- Deterministic seed: the same 240 customers in every database.
INSERT INTO customers (id, name, email, company, city, tier, signup_date)
SELECT g,
       f.first[1 + (g * 7) % 20] || ' ' || f.last[1 + (g * 13) % 20],
       lower(f.first[1 + (g * 7) % 20]) || '.' || lower(f.last[1 + (g * 13) % 20]) || g || '@example.com',
       f.company[1 + (g * 11) % 16],
       f.city[1 + (g * 5) % 8],
       CASE WHEN g % 9 = 0 THEN 'premium' WHEN g % 3 = 0 THEN 'free' ELSE 'standard' END,
       date '2019-01-01' + ((g * 97) % 1800)
FROM generate_series(1, 240) AS g,
     (SELECT ARRAY['Ada', 'Bruno', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines',
                   'Jonas', 'Kemi', 'Liam', 'Maya', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa',
                   'Sven', 'Tara'] AS first,
             ARRAY['Okafor', 'Lindqvist', 'Moreau', 'Patel', 'Garcia', 'Nakamura', 'Schmidt',
                   'Kowalski', 'Haddad', 'Olsen', 'Rossi', 'Chen', 'Dubois', 'Murphy', 'Silva',
                   'Novak', 'Yilmaz', 'Brown', 'Ivanova', 'Tanaka'] AS last,
             ARRAY['Greenfield Farms', 'Harbor Logistics', 'Northwind Orchards', 'Cascade Water',
                   'Bluebell Vineyards', 'Summit Facilities', 'Riverbend Golf', 'Urban Roofs',
                   'Pacific Nurseries', 'Metro Parks Dept', 'Ironwood Labs', 'Sunrise Dairy',
                   'Coastal Utilities', 'Alder School District', 'Redwood Estates', 'Prairie Co-op']
                 AS company,
             ARRAY['Seattle', 'San Francisco', 'London', 'New York', 'Tokyo', 'Sydney', 'Paris',
                   'Berlin'] AS city) AS f;

CREATE TABLE orders (
    id          integer       PRIMARY KEY,
    customer_id integer       NOT NULL REFERENCES customers (id),
    sku         text          NOT NULL REFERENCES products (sku),
    quantity    integer       NOT NULL CHECK (quantity > 0),
    amount      numeric(12,2) NOT NULL,
    status      text          NOT NULL CHECK (status IN ('delivered', 'shipped', 'returned', 'cancelled')),
    ordered_at  date          NOT NULL
);

-- 3,000 historical orders over 2023-2024, priced from the catalogue.
INSERT INTO orders (id, customer_id, sku, quantity, amount, status, ordered_at)
SELECT o.g, o.customer_id, o.sku, o.quantity, o.quantity * p.price, o.status, o.ordered_at
FROM (
    SELECT g,
           1 + (g * 37) % 240 AS customer_id,
           (ARRAY['SENS-100', 'SENS-100', 'SENS-100', 'SENS-200', 'SENS-210', 'GATE-300',
                  'GATE-310', 'PLAN-BAS', 'PLAN-PRO', 'PLAN-PRO', 'PLAN-ENT', 'KIT-STA',
                  'BATT-010', 'BATT-010', 'CABL-020', 'SRV-INST'])[1 + (g * 31) % 16] AS sku,
           1 + (g * 17) % 4 AS quantity,
           CASE WHEN g % 23 = 0 THEN 'returned' WHEN g % 41 = 0 THEN 'cancelled'
                WHEN g > 2900 THEN 'shipped' ELSE 'delivered' END AS status,
           date '2023-01-01' + ((g * 728) / 3000) + (g % 3) AS ordered_at
    FROM generate_series(1, 3000) AS g
) AS o JOIN products AS p ON p.sku = o.sku;

CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_ordered_at_idx ON orders (ordered_at);

-- ---------------------------------------------------------------- saga side effects
-- Every row is keyed by the run id (the LangGraph thread id) so that a step or a
-- compensation executed twice (a worker died after the write, before the checkpoint)
-- finds its row already there and changes nothing.

-- One row per completed step and per completed compensation: the idempotency ledger.
CREATE TABLE saga_steps (
    run_id        text        NOT NULL,
    step          text        NOT NULL,
    result        jsonb       NOT NULL,
    completed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, step)
);

CREATE TABLE saga_compensations (
    run_id        text        NOT NULL,
    step          text        NOT NULL,
    result        jsonb       NOT NULL,
    completed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, step)
);

CREATE TABLE accounts (
    id          bigserial   PRIMARY KEY,
    run_id      text        NOT NULL UNIQUE,
    email       text        NOT NULL,
    name        text        NOT NULL,
    status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz
);

-- A charge and its refund are two rows of a ledger, at most one of each per run.
CREATE TABLE payments (
    id          bigserial     PRIMARY KEY,
    run_id      text          NOT NULL,
    kind        text          NOT NULL CHECK (kind IN ('charge', 'refund')),
    account_id  bigint        NOT NULL REFERENCES accounts (id),
    amount      numeric(12,2) NOT NULL CHECK (amount >= 0),
    reference   text          NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (run_id, kind)
);

-- An email cannot be unsent: the compensation is a cancellation notice.
CREATE TABLE notifications (
    id          bigserial   PRIMARY KEY,
    run_id      text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('order_confirmation', 'order_cancellation')),
    recipient   text        NOT NULL,
    subject     text        NOT NULL,
    body        text        NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, kind)
);

-- Stock moves are a ledger too: the on_hand change is applied only when the move row is new.
CREATE TABLE inventory_movements (
    id          bigserial   PRIMARY KEY,
    run_id      text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('reserve', 'restore')),
    sku         text        NOT NULL REFERENCES inventory (sku),
    quantity    integer     NOT NULL CHECK (quantity > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, kind)
);

CREATE TABLE shipping_labels (
    id               bigserial   PRIMARY KEY,
    run_id           text        NOT NULL UNIQUE,
    account_id       bigint      NOT NULL REFERENCES accounts (id),
    carrier          text        NOT NULL,
    tracking_number  text        NOT NULL UNIQUE,
    weight_kg        numeric(8,2) NOT NULL,
    status           text        NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'voided')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    voided_at        timestamptz
);
