-- Roles granted to identities; changes are audited by the service.
CREATE TABLE user_roles (
    actor       text        PRIMARY KEY,
    role        text        NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL
);
