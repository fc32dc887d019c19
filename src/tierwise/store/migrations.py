"""Named, ordered schema migrations, recorded in ``_migrations`` as they are applied.

Append new migrations at the end; never edit or reorder applied ones. The SQL is kept to
what SQLite and PostgreSQL both accept so one list serves every store; the few types they
spell differently are ``{id_pk}``, ``{float}`` and ``{bigint}``, filled in per store.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: list[tuple[str, str]] = [
    (
        "m001_ledger",
        """
        CREATE TABLE ledger (
            id {id_pk},
            ts TEXT NOT NULL,
            request_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            tier TEXT,
            model_id TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cache_write_5m_tokens INTEGER NOT NULL,
            cache_write_1h_tokens INTEGER NOT NULL,
            cost_usd TEXT NOT NULL,
            latency_ms {float} NOT NULL,
            status TEXT NOT NULL,
            error_class TEXT,
            stop_reason TEXT,
            batch INTEGER NOT NULL DEFAULT 0,
            api_key_id TEXT,
            route TEXT,
            rejection_reason TEXT,
            metadata TEXT
        )
        """,
    ),
    (
        "m002_ledger_indexes",
        """
        CREATE INDEX ledger_ts ON ledger (ts);
        CREATE INDEX ledger_request ON ledger (request_id);
        CREATE INDEX ledger_key ON ledger (api_key_id)
        """,
    ),
    (
        "m003_api_keys",
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            salt TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            budget_pico {bigint},
            spent_pico {bigint} NOT NULL DEFAULT 0,
            rpm INTEGER,
            max_tier TEXT,
            admin INTEGER NOT NULL DEFAULT 0
        )
        """,
    ),
    (
        "m004_rate_windows",
        """
        CREATE TABLE rate_windows (
            key_id TEXT NOT NULL,
            minute {bigint} NOT NULL,
            hits INTEGER NOT NULL,
            PRIMARY KEY (key_id, minute)
        )
        """,
    ),
    (
        "m005_batches",
        """
        CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            input_path TEXT NOT NULL,
            record_count INTEGER NOT NULL
        );
        CREATE TABLE batch_jobs (
            job_arn TEXT PRIMARY KEY,
            batch_id TEXT NOT NULL,
            model_id TEXT NOT NULL,
            tier TEXT,
            output_uri TEXT NOT NULL,
            status TEXT NOT NULL,
            detail TEXT
        );
        CREATE TABLE batch_records (
            batch_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            custom_id TEXT NOT NULL,
            tier TEXT,
            model_id TEXT,
            mode TEXT NOT NULL,
            job_arn TEXT,
            state TEXT NOT NULL,
            reason TEXT,
            result TEXT,
            ledger_id {bigint},
            PRIMARY KEY (batch_id, position)
        )
        """,
    ),
    ("m006_key_policy", "ALTER TABLE api_keys ADD COLUMN policy TEXT"),
    (
        # Budgets as caps: each attempt reserves its worst case (reserved_pico) before it
        # runs and settles to its actual cost after; budget_period resets spent_pico at
        # each period_start. A reservation never settled expires (state 'expired', charged
        # at its worst case with an estimated ledger row, ledger_id) and is corrected if
        # its call settles after all.
        "m007_budget_reservations",
        """
        ALTER TABLE api_keys ADD COLUMN reserved_pico {bigint} NOT NULL DEFAULT 0;
        ALTER TABLE api_keys ADD COLUMN budget_period TEXT;
        ALTER TABLE api_keys ADD COLUMN period_start TEXT;
        CREATE TABLE reservations (
            id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL,
            request_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            amount_pico {bigint} NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            state TEXT NOT NULL,
            detail TEXT,
            ledger_id {bigint}
        );
        CREATE INDEX reservations_expiry ON reservations (state, expires_at)
        """,
    ),
    (
        "m008_captures",
        """
        CREATE TABLE captures (
            id {id_pk},
            ts TEXT NOT NULL,
            request_id TEXT NOT NULL,
            api_key_id TEXT,
            task_class TEXT,
            tier TEXT,
            model_id TEXT NOT NULL,
            route TEXT,
            request TEXT NOT NULL,
            answer TEXT NOT NULL,
            redactions INTEGER NOT NULL,
            truncated INTEGER NOT NULL DEFAULT 0,
            cost_usd TEXT NOT NULL
        );
        CREATE INDEX captures_ts ON captures (ts);
        CREATE INDEX captures_class ON captures (task_class)
        """,
    ),
    (
        # `tierwise keys create` refuses a name an active key has; its check alone let two
        # creates racing on PostgreSQL both pass. active_name is the name while the key is
        # active and was created under that rule (NULL once revoked, and for keys made
        # through the API, which may share names): unique, so the database refuses the
        # loser. Ledgers holding active duplicates already (made before the check) keep
        # them, NULL, rather than fail to migrate; every other active key's name is held.
        "m009_unique_active_key_names",
        """
        ALTER TABLE api_keys ADD COLUMN active_name TEXT;
        UPDATE api_keys SET active_name = name WHERE revoked_at IS NULL AND name NOT IN (
            SELECT name FROM api_keys WHERE revoked_at IS NULL GROUP BY name HAVING COUNT(*) > 1
        );
        CREATE UNIQUE INDEX api_keys_active_name ON api_keys (active_name)
        """,
    ),
]
