"""Team-written requests for the class corpus, round 9 of issue 12: agents asked to act in
the form of a question, and the same agents asked genuine read-only questions.

Round 8 made a question that is not a polite request read as only looking, in any
language. A reviewer found the cost: an instruction put as a question ("Delete the stale
branches?", "Drop the old users table?") then reads as a read-only question, so a risky
tool is not counted and the step does not reach the high-stakes tier. These 8 agents are
new (tools, systems and wordings; nothing copied from an acceptance set), with the risky
tools of production work: a shell, SQL, a raw HTTP tool, a cloud API, file operations,
email campaigns, payments and an identity provider. Each is asked for irreversible steps
as a bare or terse question ("Wipe the staging bucket?", "ok so just nuke every merged
branch older than 90 days?", "On supprime la table users_old ?", "Die alten Branches
löschen?"), first turn or mid-loop (``high_stakes_agent``), and as many genuine read-only
questions with the same tools offered ("Which branches are stale?", "Is the users table
still used?", "Deploy done?", "Refund gone through for 88123?", "Läuft der Rollout von 5521
noch?"), which stay ``agent_step``. The verbs were chosen for realism, in and out of the
action list alike; no list in the router was written from them.

Each agent and class is its own template id (``r9-agent-<id>-<class>``), so evaluation held
out by template measures agents and wordings the model never saw.
"""

# ruff: noqa: E501 - wordings and tool specs are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import agent_rows

__all__ = ["AGENTS_R9", "round9_rows"]

AGENTS_R9: list[dict[str, Any]] = [
    {
        "id": "repo_admin",
        "systems": [
            "You maintain the Larkspur monorepo and its GitHub organisation. Deleted branches and force-pushes cannot be recovered from the server.",
            "You are the release engineering assistant.",
        ],
        "tools": [
            ("run_command", "Run a shell command in the repository checkout and return stdout."),
            ("github_api", "Call the GitHub REST API with a method, a path and a JSON body."),
            ("list_branches", "Branches with last commit date and merge status."),
        ],
        "read": (
            "list_branches",
            {"merged": True, "older_than_days": 90},
            {"branches": 143, "examples": ["feat/old-search", "fix/typo-2023"]},
        ),
        "act": [
            "Delete the stale branches?",
            "Force-push the rewritten history to main now?",
            "ok so just nuke every merged branch older than 90 days?",
            "Die alten Feature-Branches löschen?",
            "¿Borras las ramas fusionadas de 2023?",
        ],
        "read_only": [
            "Which branches are stale?",
            "Is feat/old-search merged into main?",
            "Did anyone push to main since yesterday?",
            "Welche Branches sind älter als 90 Tage?",
            "How many branches would a cleanup remove?",
        ],
    },
    {
        "id": "db_admin",
        "systems": [
            "You are the DBA assistant with a superuser connection to the production Postgres cluster. Statements autocommit.",
            "You help the data platform team run the production databases.",
        ],
        "tools": [
            ("run_sql", "Execute a SQL statement against the production database."),
            ("describe_table", "Columns, size and row count of a table."),
            ("table_usage", "Reads and writes per table over the last 30 days."),
        ],
        "read": (
            "table_usage",
            {"table": "users_old"},
            {"reads_30d": 0, "writes_30d": 0, "rows": 1840221},
        ),
        "act": [
            "Drop the old users table?",
            "Truncate audit_log_2022 then?",
            "Vacuum full and reindex the orders table right now?",
            "On supprime la table users_old ?",
            "Cancelliamo le righe di test dalla tabella ordini?",
        ],
        "read_only": [
            "Is the users table still used?",
            "How big is audit_log_2022?",
            "Anything still writing to users_old?",
            "¿Cuántas filas tiene la tabla de pedidos?",
            "Was the index on orders.created_at dropped last week?",
        ],
    },
    {
        "id": "cloud_ops",
        "systems": [
            "You operate Meridian's AWS accounts through the cloud API. Deleted buckets and terminated instances cannot be recovered.",
            "You are the cloud cost assistant.",
        ],
        "tools": [
            ("aws_api", "Call an AWS service API action with parameters."),
            ("cost_report", "Spend per service and tag."),
            ("list_resources", "Resources by type, tag and region."),
        ],
        "read": (
            "list_resources",
            {"type": "s3_bucket", "tag": "env=staging"},
            {"buckets": ["staging-assets", "staging-logs"], "size_gb": 2310},
        ),
        "act": [
            "Wipe the staging bucket?",
            "Terminate the idle GPU instances in us-east-1?",
            "Scale the batch cluster to zero for the weekend?",
            "Snapshot and then delete the orphaned EBS volumes?",
            "Apaga os buckets de staging?",
        ],
        "read_only": [
            "Did the deploy finish?",
            "Which instances have been idle for a week?",
            "Deploy finished on eu-west-1?",
            "Termination protection enabled on the prod instances?",
            "Quanto abbiamo speso su S3 il mese scorso?",
        ],
    },
    {
        "id": "payouts",
        "systems": [
            "You run payouts and refunds for Tidewater Marketplace. Payouts and refunds settle immediately and cannot be recalled.",
            "You assist the marketplace finance team.",
        ],
        "tools": [
            ("payments_api", "Create refunds, payouts and transfers."),
            ("send_email", "Send an email from finance@tidewater.example."),
            ("get_seller_balance", "Balance and pending payouts of one seller."),
        ],
        "read": (
            "get_seller_balance",
            {"seller": "S-2207"},
            {"available_eur": 12840.5, "pending": 3},
        ),
        "act": [
            "Pay out seller S-2207's full balance?",
            "Refund order 88123 in full?",
            "Send the overdue reminders to all 212 sellers?",
            "Move 5,000 EUR from the reserve into the operating account today?",
            "Überweise die 5.000 EUR an Verkäufer S-2207?",
        ],
        "read_only": [
            "Did the refund for order 88123 go through?",
            "Refund gone through for 88123?",
            "What's seller S-2207's available balance?",
            "Were the overdue reminders sent yesterday?",
            "¿Cuánto se pagó a los vendedores en octubre?",
        ],
    },
    {
        "id": "drive",
        "systems": [
            "You manage the design studio's shared drive. There is no trash: deleted and overwritten files are gone.",
            "You help the studio keep its file server tidy.",
        ],
        "tools": [
            ("list_dir", "List a directory with sizes and dates."),
            ("delete_path", "Delete a file or a directory tree."),
            ("move_path", "Move or rename a file or directory."),
            ("write_file", "Write content to a file, replacing it."),
        ],
        "read": (
            "list_dir",
            {"path": "/projects/2021"},
            {"entries": 418, "size_gb": 96},
        ),
        "act": [
            "Clear out /projects/2021?",
            "Overwrite brand/logo.svg with the new version?",
            "Move all of 2021 to the archive drive and delete the originals?",
            "Verwijder de map renders-oud?",
            "Svuota la cartella temp del progetto Aurora?",
        ],
        "read_only": [
            "How much space does /projects/2021 take?",
            "Is brand/logo.svg the latest version?",
            "Which folders haven't been opened this year?",
            "Wo liegen die Renderings vom Aurora-Projekt?",
            "Any duplicates in /projects/2021?",
        ],
    },
    {
        "id": "deploy_http",
        "systems": [
            "You drive deployments through the Harbor deploy API. A promote or a rollback reaches production at once.",
            "You are the on-call deploy assistant.",
        ],
        "tools": [
            (
                "http_request",
                "Send an HTTP request (method, URL, body) to the internal deploy API.",
            ),
            ("get_build", "Status and test results of a build."),
            ("list_releases", "Releases per environment."),
        ],
        "read": (
            "get_build",
            {"build": 5521},
            {"status": "passed", "tests": 1204, "env": "staging"},
        ),
        "act": [
            "Promote build 5521 to production?",
            "Roll back checkout-service to yesterday's release?",
            "Restart all the payment pods?",
            "¿Desplegamos la 5521 en producción?",
            "Relance le déploiement de la 5521 en prod ?",
        ],
        "read_only": [
            "Has build 5521 passed all its tests?",
            "Deploy done?",
            "What's running in production right now?",
            "Läuft der Rollout von 5521 noch?",
            "Which release did we roll back last Friday?",
        ],
    },
    {
        "id": "campaigns",
        "systems": [
            "You send customer email for Bluebird Insurance through the campaign tool. A sent campaign cannot be recalled.",
            "You are the customer communications assistant.",
        ],
        "tools": [
            ("send_campaign", "Send an email campaign to a segment."),
            ("segment_size", "Count of customers in a segment."),
            ("preview_campaign", "Render a campaign for one customer."),
        ],
        "read": (
            "segment_size",
            {"segment": "renewal-dec"},
            {"customers": 18422},
        ),
        "act": [
            "Send the December renewal email to the whole segment?",
            "Blast the price-change notice now?",
            "Email all policyholders about the outage?",
            "Envia a campanha de renovação hoje?",
            "Schick den Newsletter an alle Kunden raus?",
        ],
        "read_only": [
            "How many customers are in the renewal segment?",
            "Did the November newsletter go out?",
            "Was the outage notice already sent?",
            "Combien de clients ont ouvert la campagne de novembre ?",
            "Is the renewal email ready to send?",
        ],
    },
    {
        "id": "identity",
        "systems": [
            "You administer the company's identity provider. Deactivated accounts lose their data after 24 hours.",
            "You help IT security manage users, sessions and MFA.",
        ],
        "tools": [
            ("identity_api", "Call the identity provider's admin API (method, path, body)."),
            ("get_user", "Profile, status and groups of one user."),
            ("list_sessions", "Active sessions and tokens of a user."),
        ],
        "read": (
            "get_user",
            {"user": "j.weber"},
            {"status": "active", "groups": ["finance", "vpn"], "last_login": "2026-11-02"},
        ),
        "act": [
            "Deactivate Jonas Weber's account?",
            "Revoke all of Priya's sessions and tokens?",
            "Lock out the contractor accounts that expired in November?",
            "Disattivi l'account di Marco Bianchi?",
            "Reset MFA for the whole sales team?",
        ],
        "read_only": [
            "Is Jonas Weber's account still active?",
            "Which contractor accounts expired in November?",
            "Does Priya have any active sessions?",
            "¿Quién tiene acceso de administrador?",
            "When did Marco Bianchi last log in?",
        ],
    },
]


def round9_rows(seed: int = 99) -> Iterator[dict[str, Any]]:
    """All round-9 rows (deterministic)."""
    yield from agent_rows(random.Random(seed), AGENTS_R9, "r9")
