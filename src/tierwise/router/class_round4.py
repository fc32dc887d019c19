"""Team-written requests for the class corpus, round 4 of issue 12: agents that act in words a
verb list does not hold, and agents that only look while risky tools are offered.

Round 3's held-out agents left two confusions: read-only requests mid-loop with risky tools
offered called ``high_stakes_agent``, and actions said with a particle or an object
("empty the bucket", "take the article offline") called ``agent_step``. These agents are
new scenarios (new tools, systems and wordings; nothing copied from an acceptance set):
each asks for irreversible actions phrased with particles and objects ("shut ... down",
"close the account", "issue a refund", "wipe", "purge") and read-only things ("show",
"list", "check", "what is", "find"), in the first turn and mid-loop after a read call.
Each agent and class is its own template id (``r4-agent-<id>-<class>``).
"""

# ruff: noqa: E501 - wordings and tool specs are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import agent_rows

__all__ = ["AGENTS_R4", "round4_rows"]

AGENTS_R4: list[dict[str, Any]] = [
    {
        "id": "cms",
        "systems": [
            "You are the newsroom's CMS assistant. Changes go live on the public site at once.",
            "You help editors manage articles on thedailyledger.com.",
        ],
        "tools": [
            ("search_articles", "Find articles by headline, author or tag."),
            ("get_article", "Return an article's text, status and revision history."),
            (
                "set_article_status",
                "Set an article's status: live, draft or withdrawn (removes it from the site).",
            ),
            ("delete_revision", "Permanently remove a revision of an article."),
        ],
        "read": (
            "search_articles",
            {"tag": "elections"},
            {"hits": [{"id": 991, "headline": "Turnout at record high", "status": "live"}]},
        ),
        "act": [
            "Take the turnout story offline until legal has looked at it.",
            "Pull the sponsored piece from yesterday offline, the client cancelled.",
            "Get rid of the old draft revisions on article 991.",
            "Withdraw article 1204 and replace it with a correction notice.",
        ],
        "read_only": [
            "Show me the revision history of article 991.",
            "Which election articles went live this week?",
            "Find every article by M. Osei that mentions the budget.",
            "What is the status of the turnout story?",
        ],
    },
    {
        "id": "cloud_vm",
        "systems": [
            "You are the infrastructure agent for the analytics team's GCP project.",
            "You manage compute instances and disks in the prod project on behalf of the platform team.",
        ],
        "tools": [
            ("list_instances", "List VM instances with zone, machine type and state."),
            ("instance_metrics", "CPU and memory usage of an instance over the last day."),
            ("stop_instance", "Power off a VM instance."),
            ("delete_disk", "Delete a persistent disk. Snapshots are not kept."),
        ],
        "read": (
            "list_instances",
            {"zone": "europe-west1-b"},
            {"instances": [{"name": "etl-old-2", "state": "RUNNING", "cpu_avg": 0.01}]},
        ),
        "act": [
            "Shut etl-old-2 down, it has been idle for a month.",
            "Turn off every instance in europe-west1-b that nobody has touched since June.",
            "Wipe the scratch disk attached to etl-old-2.",
            "Nuke the test cluster VMs, we're done with the load test.",
        ],
        "read_only": [
            "List the instances that have been idle for more than a week.",
            "Check how much memory etl-old-2 used yesterday.",
            "What machine type is the reporting VM?",
            "Is anything still running in us-central1?",
        ],
    },
    {
        "id": "bank_support",
        "systems": [
            "You are a back-office agent for Northwind Bank's customer operations.",
            "You act on customer accounts for the support desk. Actions are logged and final.",
        ],
        "tools": [
            ("lookup_account", "Account holder, balance, status and recent activity."),
            ("closeAccount", "Close a customer account and pay out the remaining balance."),
            ("createRefund", "Create a refund for a card transaction."),
            ("freeze_card", "Block a card immediately."),
        ],
        "read": (
            "lookup_account",
            {"iban": "GB33BUKB20201555555555"},
            {"holder": "R. Patel", "balance": 1240.5, "status": "open"},
        ),
        "act": [
            "Close R. Patel's savings account and move the balance to her current account.",
            "Issue a refund of 89.99 for the duplicate charge on 3 March.",
            "The customer's card was stolen, block it right away.",
            "Please close out the joint account, both holders signed the form.",
        ],
        "read_only": [
            "Show me the last ten transactions on R. Patel's account.",
            "What is the balance of account GB33BUKB20201555555555?",
            "Check whether the refund from last week was already credited.",
            "Find accounts opened this month with a negative balance.",
        ],
    },
    {
        "id": "object_store",
        "systems": [
            "You are the storage housekeeping agent for the media team's object storage.",
            "You look after the MinIO buckets that hold raw footage and exports.",
        ],
        "tools": [
            ("bucket_usage", "Size and object count per bucket."),
            ("list_prefix", "List objects under a prefix with size and age."),
            ("remove_objects", "Remove objects matching a prefix. There is no recycle bin."),
        ],
        "read": ("bucket_usage", {"bucket": "raw-footage"}, {"objects": 55210, "size_tb": 41.2}),
        "act": [
            "Empty the raw-footage bucket, the project archive is on tape now.",
            "Clear out everything under exports/tmp/.",
            "Purge the renders older than 90 days.",
            "Wipe the test-uploads bucket before the audit.",
        ],
        "read_only": [
            "How much space does raw-footage take?",
            "List what is under exports/tmp/ and how old it is.",
            "Show me the biggest prefixes in the renders bucket.",
            "Which bucket grew the most last month?",
        ],
    },
    {
        "id": "saas_admin",
        "systems": [
            "You are the workspace admin agent for Kestrel's Slack and Notion.",
            "You administer the company's collaboration tools for IT.",
        ],
        "tools": [
            ("find_member", "Find a workspace member by name or email."),
            ("list_channels", "List channels with member counts and last activity."),
            ("archive_channel", "Archive a channel; members lose access to its history."),
            ("deactivate_member", "Deactivate a member and remove them from all channels."),
        ],
        "read": (
            "list_channels",
            {"inactive_days": 180},
            {"channels": ["#proj-zephyr", "#old-sales"]},
        ),
        "act": [
            "Archive #proj-zephyr and #old-sales, they've been dead for half a year.",
            "Deactivate the three contractors whose contracts ended Friday.",
            "Kick everyone outside the finance team out of #payroll.",
            "Shut down the guest workspace we made for the offsite.",
        ],
        "read_only": [
            "Find the member with the email p.lund@kestrel.io.",
            "List channels nobody has posted in since spring.",
            "Who are the admins of #payroll?",
            "Check if the contractors still have access to #eng.",
        ],
    },
    {
        "id": "ecommerce_ops",
        "systems": [
            "You are the order operations agent for a Shopify store selling outdoor gear.",
            "You handle orders and listings for Ridgeway Outfitters.",
        ],
        "tools": [
            ("get_order", "Order details, payment and fulfilment status."),
            ("search_products", "Search the product catalog."),
            ("refund_order", "Refund an order to the original payment method."),
            ("set_listing_visibility", "Show or hide a product listing on the storefront."),
        ],
        "read": (
            "get_order",
            {"id": "RW-20931"},
            {"status": "delivered", "total": 212.0, "paid": True},
        ),
        "act": [
            "Issue a full refund on RW-20931, the tent arrived torn.",
            "Take the recalled stove listing down from the store.",
            "Give the customer their money back for the missing sleeping bag.",
            "Hide every listing from the discontinued Alpine line.",
        ],
        "read_only": [
            "What is the fulfilment status of RW-20931?",
            "Show me the orders that shipped late last week.",
            "Find products tagged winter that are out of stock.",
            "Did RW-20931 get paid by card or PayPal?",
        ],
    },
    {
        "id": "ci_runner",
        "systems": [
            "You are the CI/CD agent for the monorepo. Production deploys run on your command.",
            "You operate GitHub Actions and the deploy pipeline for the web team.",
        ],
        "tools": [
            ("list_workflow_runs", "Recent workflow runs with status and duration."),
            ("get_run_logs", "Logs of a workflow run."),
            ("trigger_workflow", "Start a workflow (e.g. deploy-prod) on a ref."),
            ("delete_branch", "Delete a remote branch."),
        ],
        "read": (
            "list_workflow_runs",
            {"branch": "main"},
            {"runs": [{"id": 7712, "name": "deploy-prod", "status": "failure"}]},
        ),
        "act": [
            "Kick off deploy-prod on tag v4.12.0.",
            "Clean up all the merged feature branches older than a month.",
            "Roll prod back to v4.11.3 via the deploy workflow.",
            "Get rid of the stale release/2023 branches.",
        ],
        "read_only": [
            "Why did run 7712 fail? Look at the logs.",
            "Show the last five deploy-prod runs and how long they took.",
            "Which workflows are failing on main?",
            "Check if v4.12.0 passed the integration tests.",
        ],
    },
    {
        "id": "marketing_mail",
        "systems": [
            "You are the lifecycle marketing agent. Campaigns go to real subscribers.",
            "You run email campaigns in Mailchimp for the growth team.",
        ],
        "tools": [
            ("list_campaigns", "Campaigns with status, audience and schedule."),
            ("campaign_report", "Opens, clicks and unsubscribes of a sent campaign."),
            ("send_campaign", "Send a campaign to its audience now."),
            ("delete_audience_segment", "Delete a segment from the audience."),
        ],
        "read": (
            "list_campaigns",
            {"status": "draft"},
            {"campaigns": [{"name": "Spring sale", "audience": 48200}]},
        ),
        "act": [
            "Blast the spring sale email out to the full list now.",
            "Fire off the re-engagement campaign to everyone inactive for 90 days.",
            "Drop the 'beta testers 2022' segment, it's obsolete.",
            "Push the newsletter out tonight instead of tomorrow.",
        ],
        "read_only": [
            "What was the open rate of last month's newsletter?",
            "Show me the campaigns scheduled for next week.",
            "How many people unsubscribed after the spring sale email?",
            "Find the draft that mentions free shipping.",
        ],
    },
]


def round4_rows(seed: int = 44) -> Iterator[dict[str, Any]]:
    """All round-4 rows (deterministic)."""
    yield from agent_rows(random.Random(seed), AGENTS_R4, "r4")
