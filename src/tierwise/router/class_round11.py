"""Team-written requests for the class corpus, round 11 of issue 12: agents told to change
state in verbs that no list in the router holds, and the same agents asked to look.

After round 9, an instruction to an agent with risky tools is read as an action only when
its verb is on a list (``_ACTION_VERBS``, ``_ACTION``, the tool words of
``core/tool_risk``); "Promote build 5521 to production?" is read as only looking. Adding
the missed verbs to a list is tuning on the rows that missed. These rows test whatever
replaces the lists, on agents, tools, domains and verbs that no earlier round used: a
feature-flag service, an internal package registry, storage lifecycle and snapshots, an HR
system, an internal certificate authority, a helpdesk's bulk operations, mobile app-store
releases and a loyalty-points ledger. The verbs that ask for the change (flip, ramp,
retire, yank, deprecate, re-tag, expire, shred, dismiss, freeze, strike, invalidate,
distrust, reissue, resolve, bulk-close, discard, halt, pull, release, zero out, forfeit,
claw back; bascule, schalte ... frei, freischalten, markiere, despublicas, abräumen,
ripulisci, freistellen, dá baixa, zieh ... zurück, revoca, schließ, chiudi, stopzetten,
lança, streich, zet ... op nul) were checked against every list in ``core/signals.py`` and
``core/tool_risk.py`` before they were written (none is on one) and against the act rows of
rounds 8 and 9 (none is used there). They are put as imperatives, questions and verb-last
questions, in English, German, French, Spanish, Portuguese, Italian and Dutch, first turn
and mid-loop (``high_stakes_agent``). The read-only asks use the same tools: questions,
noun-led status questions ("legacy_pricing still evaluated anywhere?", "Spam wave over?")
and a few imperatives (``agent_step``). Half of the agents reach the change through a
general tool (an ``*_api`` tool, a CLI runner), half through a domain tool whose name and
description use an unlisted verb ("Yank, deprecate or re-tag versions ...", "Credit, debit
or expire points ..."). Nothing was copied from an acceptance set; the rows were written
before any router change of round 11 and are not used to develop it.

Each agent and class is its own template id (``r11-agent-<id>-<class>``).
"""

# ruff: noqa: E501 - wordings and tool specs are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import agent_rows

__all__ = ["AGENTS_R11", "round11_rows"]

AGENTS_R11: list[dict[str, Any]] = [
    {
        "id": "flags",
        "systems": [
            "You manage feature flags for the Quillpad web and mobile apps. Flag changes reach every client within seconds.",
            "You are the release assistant for the growth team.",
        ],
        "tools": [
            (
                "flags_api",
                "Call the feature-flag service's admin API with a method, a path and a JSON body.",
            ),
            ("get_flag", "Targeting rules and rollout percentage of one flag."),
            ("flag_audit_log", "Who changed which flag, and when."),
        ],
        "read": (
            "get_flag",
            {"key": "new_checkout"},
            {"rollout_percent": 25, "environments": ["prod", "staging"], "owner": "growth"},
        ),
        "act": [
            "Flip new_checkout to 100% for every customer.",
            "Ramp search_v2 up to all EU traffic?",
            "Retire the legacy_pricing flag in every environment?",
            "Dark_mode für alle Nutzer freischalten?",
            "Bascule le flag new_checkout à 100 % ?",
        ],
        "read_only": [
            "Is new_checkout at 100% yet?",
            "Who flipped search_v2 last?",
            "Which flags haven't changed in six months?",
            "Welcher Anteil der Nutzer sieht dark_mode gerade?",
            "legacy_pricing still evaluated anywhere?",
        ],
    },
    {
        "id": "registry",
        "systems": [
            "You administer Acme's internal npm registry. Builds across the company resolve packages from it.",
            "You help the platform team look after shared packages.",
        ],
        "tools": [
            (
                "registry_admin",
                "Yank, deprecate or re-tag versions of a package on the internal registry.",
            ),
            ("package_info", "Versions, dist-tags and download counts of a package."),
            ("dependents", "Projects that depend on a package version."),
        ],
        "read": (
            "package_info",
            {"name": "@acme/ui"},
            {"latest": "4.2.0", "versions": 61, "weekly_downloads": 18240},
        ),
        "act": [
            "Yank @acme/ui 4.2.0 from the registry?",
            "Deprecate every 3.x release of acme-auth.",
            "Re-tag latest back to 4.1.3 for @acme/ui?",
            "Markiere alle 3.x-Versionen von acme-auth als veraltet?",
            "¿Despublicas la 4.2.0 de @acme/ui?",
        ],
        "read_only": [
            "How many downloads did @acme/ui 4.2.0 get this week?",
            "Which projects still depend on acme-auth 3.x?",
            "Is 4.1.3 still tagged latest?",
            "Quelles versions d'acme-auth sont dépréciées ?",
            "4.2.0 yanked already?",
        ],
    },
    {
        "id": "storage",
        "systems": [
            "You look after Northwind Media's object storage and snapshots. Expired objects and shredded backups are gone for good.",
            "You are the storage operations assistant.",
        ],
        "tools": [
            ("storage_cli", "Run a storage CLI command (gsutil, rclone) and return its output."),
            ("bucket_stats", "Size, object count and lifecycle rules of a bucket."),
            ("list_snapshots", "Snapshots of a volume or cluster with their dates."),
        ],
        "read": (
            "bucket_stats",
            {"bucket": "media-raw"},
            {"size_tb": 41.7, "objects": 9120433, "lifecycle_rules": 0},
        ),
        "act": [
            "Expire every object older than 30 days in media-raw.",
            "Shred the backups of the closed Lisbon office?",
            "Downgrade all of media-raw to the coldest storage class tonight?",
            "Die Snapshots vom alten Cluster abräumen?",
            "Ripulisci il bucket dei log di test?",
        ],
        "read_only": [
            "How much is stored in media-raw?",
            "When does the oldest snapshot of db-main expire?",
            "Which buckets have no lifecycle rule?",
            "¿Cuántos snapshots guardamos del clúster viejo?",
            "Versioning enabled on media-raw?",
        ],
    },
    {
        "id": "hris",
        "systems": [
            "You act on the HR system of Brightline Logistics. Changes to contracts and pay are sent to payroll the same night.",
            "You assist the people operations team.",
        ],
        "tools": [
            ("hr_api", "Call the HR system's API (method, path, body)."),
            ("get_employee", "Contract, manager and leave balance of one employee."),
            ("org_chart", "Reports of a manager."),
        ],
        "read": (
            "get_employee",
            {"name": "Carla Mendes"},
            {"status": "active", "manager": "R. Silva", "notice_period_days": 30},
        ),
        "act": [
            "Dismiss Carla Mendes effective today?",
            "Freeze salaries for the Porto office starting this month.",
            "Strike the November bonus for everyone on the night shift?",
            "Herrn Krüger zum Monatsende freistellen?",
            "Dá baixa da Ana Costa no sistema hoje?",
        ],
        "read_only": [
            "How many people report to Carla Mendes?",
            "What's Jonas Weber's notice period?",
            "Who approved the November bonuses?",
            "Wie viele Urlaubstage hat Herr Krüger noch?",
            "Ana Costa still on payroll?",
        ],
    },
    {
        "id": "pki",
        "systems": [
            "You operate the company's internal certificate authority. Services reject a certificate the moment it is invalidated.",
            "You help the security team with certificates.",
        ],
        "tools": [
            ("ca_admin", "Issue, renew and invalidate certificates on the internal CA."),
            ("list_certs", "Certificates by host, issuer and expiry."),
            ("cert_details", "Subject, SANs, issuer and validity of one certificate."),
        ],
        "read": (
            "cert_details",
            {"host": "vpn-gw-2"},
            {"issuer": "Acme Internal CA G2", "not_after": "2027-01-14", "status": "valid"},
        ),
        "act": [
            "Invalidate every cert issued to build-agent-7?",
            "Distrust the old intermediate CA across the fleet.",
            "Reissue the wildcard cert with a 90-day lifetime and swap it in on the edge?",
            "Zieh das Zertifikat von vpn-gw-2 zurück?",
            "¿Revocas el certificado de vpn-gw-2?",
        ],
        "read_only": [
            "When does the wildcard cert expire?",
            "Which certs were issued to build-agent-7?",
            "Is vpn-gw-2's cert still valid?",
            "¿Quién emitió el certificado de vpn-gw-2?",
            "Intermediate CA still trusted on the fleet?",
        ],
    },
    {
        "id": "helpdesk",
        "systems": [
            "You run bulk operations on Fernway's helpdesk. Customers are notified of every status change.",
            "You are the support operations assistant.",
        ],
        "tools": [
            ("bulk_tickets", "Close, resolve or reassign many tickets at once."),
            ("search_tickets", "Find tickets by queue, tag, age or customer."),
            ("ticket_stats", "Counts per queue and agent."),
        ],
        "read": (
            "search_tickets",
            {"tag": "spam-wave"},
            {"count": 3412, "oldest": "2026-11-28"},
        ),
        "act": [
            "Resolve all 3,400 spam-wave tickets and suppress the replies.",
            "Bulk-close everything older than 60 days in the billing queue?",
            "Discard the 212 drafts in the macros folder?",
            "Schließ alle offenen Tickets von Kunde 4471?",
            "Chiudi tutti i ticket della coda spam?",
        ],
        "read_only": [
            "How many tickets are in the billing queue?",
            "Which agent has the most open tickets?",
            "Are the spam-wave tickets still coming in?",
            "Combien de tickets ont plus de 60 jours ?",
            "Spam wave over?",
        ],
    },
    {
        "id": "app_release",
        "systems": [
            "You handle mobile releases of the Pebble banking app. What is released reaches customers' phones within the hour.",
            "You are the mobile release assistant.",
        ],
        "tools": [
            ("store_api", "Call the App Store Connect and Google Play Console APIs."),
            ("release_status", "Phase, percentage and review state of a release."),
            ("crash_stats", "Crash-free sessions per version."),
        ],
        "read": (
            "release_status",
            {"version": "3.8.0"},
            {"android_percent": 20, "ios_phase": 3, "review": "approved"},
        ),
        "act": [
            "Halt the 3.8.0 rollout on Android?",
            "Pull 3.8.0 from the App Store.",
            "Release 3.8.1 to 100% of iOS users now?",
            "De uitrol van 3.8.0 stopzetten?",
            "Lança a 3.8.1 para todos os utilizadores?",
        ],
        "read_only": [
            "What's the crash rate of 3.8.0?",
            "How far along is the Android rollout?",
            "Is 3.8.1 approved by Apple yet?",
            "Quante recensioni negative ha la 3.8.0?",
            "3.8.0 live on iOS?",
        ],
    },
    {
        "id": "loyalty",
        "systems": [
            "You manage the Harbor Coffee loyalty programme. Points removed from a member cannot be restored.",
            "You help the loyalty team with member accounts.",
        ],
        "tools": [
            ("points_ledger", "Credit, debit or expire points on member accounts."),
            ("member_info", "Points balance and history of one member."),
            ("points_report", "Points issued and redeemed per campaign."),
        ],
        "read": (
            "member_info",
            {"member": 77120},
            {"points": 12850, "flags": ["fraud_review"], "tier": "gold"},
        ),
        "act": [
            "Zero out the points of every account flagged for fraud?",
            "Forfeit all unused 2024 points tonight.",
            "Claw back the double bonus we gave out on Black Friday?",
            "Streich die Punkte aller gesperrten Konten?",
            "Zet de punten van alle inactieve leden op nul?",
        ],
        "read_only": [
            "How many points does member 77120 have?",
            "Which members got the double bonus?",
            "When do the 2024 points lapse?",
            "¿Cuántos miembros tienen más de 10.000 puntos?",
            "Fraud-flagged accounts still earning points?",
        ],
    },
]


def round11_rows(seed: int = 111) -> Iterator[dict[str, Any]]:
    """All round-11 rows (deterministic)."""
    yield from agent_rows(random.Random(seed), AGENTS_R11, "r11")
