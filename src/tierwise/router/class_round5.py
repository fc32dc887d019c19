"""Team-written requests for the class corpus, round 5 of issue 12: Opus-class work that looks
like something cheaper, and cheap work buried in long material.

The blind set's aggregates (only aggregates were read) named the largest misses: analysis and
planning routed to Sonnet because the request looked like content writing ("write a ...
plan/memo/proposal"), like extraction (the analysis comes with a table of data) or like a
calculation (a trade-off stated with numbers); synthesis of several pasted sources read as
content writing, extraction or a summary; agents whose next action is irreversible read as an
ordinary agent step; and terse extraction or short-form requests over long material routed to
Sonnet. Nothing here was copied from an acceptance set: the materials and wordings are new.

Each wording is its own template id (``r5-<kind>-<class>-<i>``) and is drawn over several
materials and request shapes (user turn alone, instruction in the system prompt and material in
the user turn, a persona system prompt, after an earlier exchange), so held-out-template
evaluation measures new wordings. Every material is asked about by the expensive class and by
cheaper classes (read one figure, convert, summarise one source), so the ask, not the
material, decides the class.
"""

# ruff: noqa: E501 - wordings, tables, sources and tool specs are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_draws import distinct
from tierwise.router.class_round3 import _text, _tool_config, agent_rows

__all__ = ["AGENTS_R5", "SOURCE_SETS", "TABLES", "round5_rows"]

Request = dict[str, Any]

# --- materials ----------------------------------------------------------------------------

TABLES: list[str] = [
    "| region | Q1 revenue | Q2 revenue | Q3 revenue | churn Q3 | CAC |\n|---|---|---|---|---|---|\n| NA | 4.1M | 4.3M | 4.2M | 2.1% | $1,840 |\n| EMEA | 2.6M | 2.9M | 3.3M | 3.8% | $2,310 |\n| APAC | 0.9M | 1.1M | 1.0M | 6.2% | $2,950 |\n| LATAM | 0.4M | 0.5M | 0.7M | 4.4% | $1,120 |",
    "vendor,annual_price_eur,uptime_sla,support_hours,contract_years,exit_fee_eur,migration_weeks\nNorthwind Cloud,182000,99.95,24/7,3,40000,10\nBlueRiver Hosting,149000,99.9,business hours,1,0,14\nKestrel Data,201000,99.99,24/7,5,95000,6",
    "Site        Sq m    Rent/yr (EUR)   Orders/day   Pick cost/order   Lease ends\nLyon        18,000  1,260,000       3,900        1.84              2026-03\nLille       11,500    690,000       4,200        1.31              2029-09\nToulouse     9,000    510,000       1,100        2.42              2025-12\nNantes      14,000    780,000       2,600        1.57              2028-06",
    "variant | visitors | signups | conv | avg first order | refund rate | p-value vs control\ncontrol | 48,210 | 1,832 | 3.80% | $61.20 | 4.1% | -\nB (free shipping) | 47,955 | 2,110 | 4.40% | $54.90 | 4.3% | 0.002\nC (10% off) | 48,390 | 2,264 | 4.68% | $49.70 | 6.8% | <0.001",
    "team, headcount_jan, hires, leavers, open_roles, median_tenure_yrs, engagement_score\nPlatform, 34, 6, 9, 5, 2.1, 61\nPayments, 22, 2, 1, 1, 3.4, 78\nMobile, 18, 5, 6, 3, 1.6, 58\nData, 15, 4, 2, 2, 2.8, 72\nSupport, 41, 12, 15, 6, 1.2, 55",
    "Service      Jul      Aug      Sep      Oct\nEC2          61,200   63,900   71,400   88,150\nRDS          22,300   22,100   22,900   23,400\nS3            8,100    8,400    9,050   13,700\nData transfer 4,900   5,300    9,800   17,200\nCloudWatch    1,200    1,350    3,900    6,100\nTotal        97,700  101,050  117,050  148,550",
    "Filiale | Umsatz 2023 | Umsatz 2024 | Personal (FTE) | Miete/Monat | Kundenzufriedenheit\nHamburg | 2,4 Mio | 2,1 Mio | 14 | 38.000 | 4,1\nKöln | 1,8 Mio | 1,9 Mio | 11 | 22.000 | 4,5\nLeipzig | 0,9 Mio | 1,2 Mio | 7 | 9.500 | 4,6\nMünchen | 3,1 Mio | 2,7 Mio | 19 | 61.000 | 3,9",
]

# Labelled sources that partly disagree (studies, reports, interviews, analyst notes).
SOURCE_SETS: list[str] = [
    "Source 1 (internal survey, n=1,204 employees, May): 64% say hybrid work improved focus; 22% report weaker ties with their team.\nSource 2 (HR attrition data, 2022-2024): voluntary attrition fell from 14% to 9% after hybrid was introduced; it rose in teams with fewer than 1 office day a week.\nSource 3 (manager interviews, 18 managers): most say onboarding of juniors got harder; three say output rose.\nSource 4 (external study, Stanford 2024, 1,600 workers): hybrid had no effect on performance reviews and cut quitting by a third.",
    "Study A (RCT, 2019, 240 adults): 12 weeks of intermittent fasting, weight loss 4.1 kg vs 3.9 kg for calorie restriction, no significant difference.\nStudy B (observational, 2022, 18,000 adults): time-restricted eating under 8 hours linked to 91% higher cardiovascular death risk; abstract only, not peer reviewed.\nStudy C (meta-analysis, 2023, 27 trials): modest weight loss similar to continuous restriction; better adherence in 5 of 27 trials.\nStudy D (small trial, 2021, 50 adults): improved insulin sensitivity after 5 weeks.",
    "Analyst note, Berenberg (March): we expect European heat-pump demand to recover in H2 as subsidies restart; target price raised.\nReuters report (April): installations in Germany fell 48% year on year in Q1; two manufacturers announced short-time work.\nCompany call transcript (Q1): order intake up 12% sequentially, inventory in the channel still high, guidance kept.\nIndustry association data (April): sales of heat pumps across 14 EU countries down 21% in 2024, but up 8% in Poland and Italy.",
    "Interview 1 (ops lead, Acme Freight): 'We churned because onboarding took 11 weeks; the product itself was fine.'\nInterview 2 (CFO, Halden Retail): 'Price was never the issue. We could not get the SSO integration past our security review.'\nInterview 3 (IT manager, Brio Clinics): 'Your competitor had HIPAA paperwork ready; you needed two months.'\nSurvey of 86 lost deals (sales CRM): top stated reason price (41%), then missing integrations (27%), then timing (18%).\nSupport tickets from trial accounts (Q2): 38% of tickets mention SSO or SCIM setup.",
    "Incident report, network team: the outage began 14:02 UTC when a BGP session to the transit provider flapped; traffic recovered 14:41.\nIncident report, platform team: API error rate rose at 13:55 after the config push to the load balancers; rollback at 14:35 restored service.\nStatus page log: 'Investigating elevated errors' posted 14:10, 'Resolved' 14:50.\nCustomer ticket #88213: 'your API returned 502s from about 13:50'.",
    "Quelle 1 (Bundesnetzagentur, 2024): Der Ausbau von Glasfaser erreicht 36 % der Haushalte.\nQuelle 2 (Branchenverband BREKO): Nur 24 % der Haushalte mit Anschlussmöglichkeit buchen tatsächlich Glasfaser.\nQuelle 3 (Zeitungsbericht, Handelsblatt): Kommunen melden Verzögerungen von bis zu drei Jahren bei geförderten Projekten.\nQuelle 4 (Studie WIK, 2023): Bis 2030 sind 90 % Abdeckung nur mit doppelt so vielen Tiefbaukapazitäten erreichbar.",
]

LONG_DOCS: list[str] = [
    "From: Priya Natarajan <priya@halden-retail.com>\nTo: billing@tessellate.io\nSubject: Re: Re: Invoice INV-2024-0917 dispute\n\nHi team,\n\nFollowing up on our call last Thursday. As discussed, the invoice INV-2024-0917 dated 3 September lists 140 seats, but we had reduced to 118 seats on 21 August (see the attached admin log export). Our procurement system will not pay an invoice that does not match the PO (PO-55120), so I need a corrected invoice before the 30 September close.\n\nWhile you are at it, please also update the billing contact to accounts.payable@halden-retail.com and move the renewal date to 1 November as agreed with Marco in sales. The original contract reference is MSA-2021-044.\n\nWe are otherwise happy with the service, and our team in Rotterdam has started using the reporting module, which has saved them a lot of manual work each month.\n\nBest regards,\nPriya Natarajan\nHead of Procurement, Halden Retail B.V.\n+31 20 555 0192",
    "MASTER SERVICES AGREEMENT\n\nThis Master Services Agreement (the 'Agreement') is entered into on 14 February 2025 between Kestrel Data GmbH, Friedrichstraße 88, 10117 Berlin ('Provider') and Oakfield Analytics Ltd, 22 Harbour Street, Leeds LS1 4PR ('Customer').\n\n1. Term. The Agreement starts on 1 March 2025 and runs for 36 months, renewing automatically for 12-month periods unless either party gives 90 days' written notice.\n2. Fees. Customer pays EUR 16,750 per month, invoiced quarterly in advance, payable within 30 days.\n3. Service levels. Provider targets 99.95% monthly availability; credits of 5% per 0.1% shortfall, capped at 25% of the monthly fee.\n4. Liability. Each party's liability is capped at the fees paid in the 12 months before the claim.\n5. Governing law. The Agreement is governed by the laws of Germany; courts of Berlin have jurisdiction.\n\nSigned for Provider: Dr. Anja Weiss, Managing Director\nSigned for Customer: Tom Briggs, COO",
    "Release 4.12 is the biggest update of the year. The new offline mode lets field technicians complete work orders without a connection; changes sync automatically when the device is back online, and conflicts are shown side by side. We rebuilt the scheduling board so dispatchers can drag jobs between technicians and see travel time estimates from live traffic. Parts inventory now updates in real time across vans and the central warehouse, and low-stock alerts can be routed to a purchasing inbox. Admins get a new audit log with 13 months of retention and CSV export. Under the hood we moved to a new sync engine that cut battery use by about 30% in our tests on mid-range Android phones. Customers on the Enterprise plan also get SAML single sign-on and SCIM provisioning. The update rolls out to all customers over the next two weeks; no action is needed.",
    "Patient: 58-year-old male. Presented 09:40 on 12 March with chest tightness for 2 hours, radiating to the left arm. History: type 2 diabetes (metformin 1,000 mg twice daily), hypertension (ramipril 5 mg), smoker 20 pack-years. Vitals: BP 152/94, HR 98, SpO2 96% on room air. ECG: ST depression in V4-V6. Troponin I: 0.08 ng/mL at arrival, 0.31 ng/mL at 3 hours. Given aspirin 300 mg, ticagrelor 180 mg, GTN spray. Admitted to CCU; cardiology review booked for angiography on 13 March. Discharge contact: daughter, Leila Haddad, 07700 900412.",
]

# --- asks ---------------------------------------------------------------------------------
# {m}: the material. Per class, several independent wordings; each is a template.

TABLE_ASKS: dict[str, list[str]] = {
    "complex_analysis": [
        "{m}\n\nWe have budget to fix one of these next quarter. Which one should we prioritise and why? Weigh the upside against the risk and tell me what would change your recommendation.",
        "Here are our numbers:\n\n{m}\n\nWrite a plan for the next two quarters: where to invest, where to cut, what to watch, with the trade-offs spelled out.",
        "Draft a decision memo for the leadership team based on this data. It should lay out the options, the second-order effects and a recommendation.\n\n{m}",
        "{m}\n\nSomething in these numbers worries me but I can't say what. Dig in: what story do they tell, what are the likely causes, and what should we do about it?",
        "Put together a proposal for restructuring based on the table below, including sequencing, risks, and what we'd tell the affected teams.\n\n{m}",
        "Given this table, is it worth consolidating? Think through costs, disruption and the scenario where volumes grow 30%, then recommend.\n\n{m}",
        "Analiza estos datos y prepara una recomendación para el comité: opciones, riesgos, impacto a 12 meses.\n\n{m}",
        "Voici les chiffres. Rédige une note stratégique avec tes recommandations et les compromis à faire.\n\n{m}",
        "Bitte bewerte die Zahlen und entwickle eine Strategie für das nächste Jahr: Welche Optionen haben wir, was sind die Risiken, was empfiehlst du?\n\n{m}",
    ],
    "extract": [
        "{m}\n\nWhat's the figure in the second row, last column? Just the value.",
        "From the table below, return the name of each row and its first numeric value as JSON, nothing else.\n\n{m}",
        "Pull out the row labels only, one per line.\n\n{m}",
        "{m}\n\nwhich row has the highest value in the third column? answer with the row name",
    ],
    "transform": [
        "Convert this to a CSV with a header row:\n\n{m}",
        "{m}\n\nTurn that into a JSON array of objects, one per row.",
    ],
    "summarize": [
        "Summarise this table in three bullet points for a status update:\n\n{m}",
    ],
}

TRADEOFFS: dict[str, list[str]] = {
    "complex_analysis": [
        "We can hire 2 senior engineers at $185k each or 4 mid-level at $120k. Seniors would ramp in about 2 months, mid-levels in 5. The payments rewrite has to ship before the Q3 card-network deadline, and every month of delay costs us roughly $40k in fees. Which way should we go, and what would make you change your mind?",
        "Option A: keep the on-prem cluster, $310k/yr in hardware and 1.5 FTE of ops. Option B: move to managed Kubernetes, about $420k/yr but ops drops to 0.5 FTE and we get autoscaling for the holiday peak (traffic x4 for 6 weeks). Option C: a hybrid. Lay out the trade-offs over three years and recommend one.",
        "Our SaaS plan is $49/seat/month with 3.1% monthly churn. Sales wants to offer an annual plan at $39/seat paid upfront; finance worries about cash vs revenue. Assume annual-plan churn of 1%/month and that 35% of new customers pick it. Is this a good idea? Walk me through the scenarios, the risks, and your recommendation.",
        "We're choosing a cache for the product catalogue: Redis cluster (p99 2 ms, $9k/month, 2 engineers know it) vs CDN edge caching (p99 40 ms for 8% of requests that miss, $3k/month, invalidation is harder) vs both. Catalogue updates 50k times a day and stale prices cause refunds. Reason through the options and pick one.",
        "Should we refinance the €2.4M loan at 6.1% fixed for 7 years or take the variable offer at Euribor + 1.9% (Euribor is 3.4% now)? Our cash flow is seasonal and we plan to buy a second plant in 2027. Weigh the risks and tell me what you'd do.",
        "Wir überlegen, den Kundenservice auszulagern: intern kostet uns ein Ticket 7,80 €, der Dienstleister bietet 4,90 € bei 48 h statt 24 h Reaktionszeit. 22 % unserer Tickets sind von Großkunden. Lohnt sich das? Bitte Vor- und Nachteile abwägen und eine Empfehlung geben.",
        "On a 3 options pour la flotte : leasing à 540 €/mois par véhicule, achat à 31 000 € avec revente estimée à 40 % après 5 ans, ou location courte durée à 890 €/mois mais sans engagement. 60 véhicules, activité incertaine après 2026. Quelle option recommandes-tu et pourquoi ?",
    ],
    "math": [
        "If we hire 2 engineers at $185k each and 4 at $120k each, what is the total annual salary cost?",
        "A loan of €2.4M at 6.1% fixed over 7 years: what is the monthly payment?",
        "Our plan is $49/seat/month and a customer has 140 seats. What do they pay per year, and what is that after a 20% discount?",
        "Warehouse rent is 1,260,000 EUR a year for 18,000 sq m. What is the rent per sq m per month?",
        "With 3.1% monthly churn, what fraction of customers is left after 12 months?",
    ],
}

PLAN_ASKS: dict[str, list[str]] = {
    "complex_analysis": [
        "Write a migration plan for moving our 14 self-managed Postgres databases (largest 3.2 TB, 9k writes/s at peak) to Aurora with no more than 5 minutes of downtime each. Cover sequencing, replication, cut-over, rollback and what could go wrong.",
        "Draft a memo to the board recommending whether we should exit the Brazilian market: revenue there is 6% of total but 19% of support cost, a local competitor just raised $80M, and our tax position is being audited. Weigh the options.",
        "Write a proposal for consolidating our three ticketing tools (Zendesk, Jira Service Management and an in-house tool) into one, with a cost comparison, migration risks, and a phased timeline.",
        "Put together a 90-day plan to bring the support backlog from 4,000 open tickets down to 500 with the current 12 agents, without hurting CSAT. Say what you would do first and why.",
        "Prepare a decision memo: build our own feature-flag service or buy one? We have 60 engineers, strict data-residency rules in the EU, and 3 flags incidents last year.",
        "Write up a disaster recovery strategy for our order platform (RPO 5 min, RTO 1 h) across two AWS regions, including failover testing and the cost of each option.",
        "Create a hiring plan for the data team for next year: we need to support 3 new product lines, the budget allows 6 hires, and two seniors may leave. Prioritise roles, sequence them, and cover the risks.",
        "Draft a pricing strategy proposal for moving from per-seat to usage-based pricing: who wins, who loses, how revenue shifts in the first year, and how to migrate existing customers.",
        "Schreib ein Konzept für die Umstellung unserer Lagerlogistik auf ein neues WMS bei laufendem Betrieb: Phasen, Risiken, Rückfallplan und Entscheidungspunkte.",
        "Escribe un plan para reducir en un 40% los costes de nube sin degradar la latencia: opciones, impacto, riesgos y orden de ejecución.",
        "移行計画を作成してください：オンプレミスの基幹システムをクラウドへ移す際のフェーズ、リスク、ロールバック手順、判断ポイントを含めて。",
    ],
    "content_writing": [
        "Write a memo to all staff announcing that the office will be closed on 24 and 31 December. Keep it friendly.",
        "Draft a short proposal email inviting Halden Retail to join our customer advisory board. Warm tone, three short paragraphs.",
        "Write a blog post about our team's move to a four-day week, written for our customers, upbeat.",
        "Write the welcome section of our employee handbook: who we are, our values, and a warm hello to new joiners.",
        "Schreib eine kurze Rundmail an das Team: Das Sommerfest findet am 12. Juli im Hof statt, bitte bis Freitag anmelden.",
        "Rédige un post LinkedIn pour annoncer notre nouvelle offre de formation, ton enthousiaste, 120 mots.",
    ],
}

SYNTHESIS_ASKS: dict[str, list[str]] = {
    "research_synthesis": [
        "{m}\n\nWhat do these sources tell us overall? Where do they disagree, which ones should we trust more, and what's the most defensible conclusion?",
        "I pasted everything we have below. Pull it together into one view for the steering group, noting where the evidence is weak or conflicting.\n\n{m}",
        "Write a briefing that weighs these sources against each other and gives a bottom line with a confidence level.\n\n{m}",
        "{m}\n\nBased on all of the above, what is really going on? Build the most likely explanation and say which pieces of evidence don't fit it.",
        "Here are notes from different places:\n{m}\n\nSynthesise them into a consolidated assessment with the open questions we still need to answer.",
        "Fasse die Belege unten nicht einfach zusammen, sondern gleiche sie ab: Wo widersprechen sie sich, welche sind belastbar, und was folgt daraus?\n\n{m}",
        "{m}\n\nCompara estas fuentes entre sí y redacta una conclusión equilibrada, indicando qué tan sólida es la evidencia.",
    ],
    "summarize": [
        "Summarise the second source in two sentences.\n\n{m}",
        "{m}\n\nGive me a one-paragraph summary of all this for my notes.",
    ],
    "extract": [
        "{m}\n\nList the name of each source with the number it reports, one per line. Nothing else.",
        "Which dates or years are mentioned in these notes? Return a JSON list.\n\n{m}",
    ],
    "rag_qa": [
        "{m}\n\nAccording to the sources above, what does the third one say happened?",
    ],
}

LONG_MATERIAL_ASKS: dict[str, list[str]] = {
    "extract": [
        "{m}\n\nreference number?",
        "Get me the dates from this, as a list.\n\n{m}",
        "{m}\n\nwho signed it / who sent it - just the name(s)",
        "{m}\n\nReturn JSON with keys name, organisation, amount (null if missing).",
        "Auszug bitte: Namen und Beträge aus dem Text unten, sonst nichts.\n\n{m}",
        "{m}\n\n抽出：日付と金額だけをリストで。",
    ],
    "short_form": [
        "{m}\n\nGive this a title.",
        "5 tags for this, comma separated:\n\n{m}",
        "{m}\n\nSubject line for forwarding this to the team?",
        "One-line description of the following for the changelog index:\n\n{m}",
        "{m}\n\nDonne-moi un titre court pour ce texte.",
    ],
    "summarize": [
        "{m}\n\nSummarise this for me in a short paragraph.",
    ],
    "document_analysis": [
        "{m}\n\nReview this carefully and tell me what stands out as unusual or risky, and why.",
    ],
}

_PERSONAS = [
    "You are a helpful assistant for the strategy and operations team.",
    "You are an internal assistant at Tessellate. Be direct and structured.",
    "You are a senior analyst. Answer in the user's language.",
    "Keep responses concise.",
]
_EARLIER = [
    ("Can you help me with something for work?", "Of course. What do you need?"),
    ("I'm preparing for a meeting tomorrow.", "Happy to help you get ready. What's on the agenda?"),
]


def _shaped(text: str, rng: random.Random) -> Request:
    """``text`` in one of the shapes real requests take."""
    place = rng.random()
    if place < 0.2 and "\n\n" in text:
        head, _, tail = text.partition("\n\n")
        # The shorter part is the instruction: it goes to the system prompt.
        instruction, material = (head, tail) if len(head) < len(tail) else (tail, head)
        return {"system": [{"text": instruction}], "messages": [_text("user", material)]}
    if place < 0.45:
        return {"system": [{"text": rng.choice(_PERSONAS)}], "messages": [_text("user", text)]}
    if place < 0.6:
        q, a = rng.choice(_EARLIER)
        return {"messages": [_text("user", q), _text("assistant", a), _text("user", text)]}
    return {"messages": [_text("user", text)]}


def _asks_rows(
    kind: str, asks: dict[str, list[str]], materials: list[str], rng: random.Random, per: int
) -> Iterator[dict[str, Any]]:
    for cls, wordings in asks.items():
        for i, wording in enumerate(wordings):
            for m in rng.sample(materials, min(per, len(materials))):
                yield {
                    "class": cls,
                    "template": f"r5-{kind}-{cls}-{i}",
                    "source": "team-templates",
                    "request": _shaped(wording.format(m=m), rng),
                }


def _plain_rows(
    kind: str, asks: dict[str, list[str]], rng: random.Random, draws: int
) -> Iterator[dict[str, Any]]:
    for cls, wordings in asks.items():
        for i, wording in enumerate(wordings):
            for request in distinct(_shaped(wording, rng) for _ in range(draws)):
                yield {
                    "class": cls,
                    "template": f"r5-{kind}-{cls}-{i}",
                    "source": "team-templates",
                    "request": request,
                }


# --- agents whose next action is irreversible ------------------------------------------------

AGENTS_R5: list[dict[str, Any]] = [
    {
        "id": "brokerage",
        "systems": [
            "You are the trading assistant for a family office. Orders you place are executed on the exchange.",
            "You help portfolio managers rebalance client accounts.",
        ],
        "tools": [
            (
                "get_positions",
                "Positions of an account with quantity, cost basis and market value.",
            ),
            ("get_quote", "Latest bid/ask for a ticker."),
            ("place_order", "Submit a market or limit order to buy or sell."),
            ("close_position", "Sell an entire position at market."),
        ],
        "read": (
            "get_positions",
            {"account": "FO-118"},
            {"positions": [{"ticker": "NVDA", "qty": 1200, "value": 1043000}]},
        ),
        "act": [
            "Sell half the NVDA position in FO-118 at market.",
            "Exit everything in the energy sleeve before the close.",
            "Buy 5,000 shares of VWRL for the Moreau account, limit 108.",
            "Liquidate the crypto ETF holdings across all client accounts.",
        ],
        "read_only": [
            "What's the unrealised gain on FO-118's NVDA position?",
            "Show me the bid/ask on VWRL.",
            "Which accounts hold more than 10% in a single stock?",
            "How much cash does the Moreau account have?",
        ],
    },
    {
        "id": "payroll",
        "systems": [
            "You are the payroll agent for a 300-person company. Runs you start pay employees the same day.",
            "You assist the people-ops team with payroll and employee records.",
        ],
        "tools": [
            ("list_employees", "Employees with department, salary and status."),
            ("payroll_preview", "Compute a payroll run without paying."),
            ("run_payroll", "Execute the payroll run and pay employees."),
            ("end_employment", "Terminate an employee record and revoke system access."),
        ],
        "read": (
            "payroll_preview",
            {"period": "2025-05"},
            {"gross_total": 2184000, "employees": 301, "warnings": 2},
        ),
        "act": [
            "Everything checks out, go ahead and run May payroll.",
            "Process the termination for Jonas Weber effective today.",
            "Pay out the bonuses to the sales team with this run.",
            "Lohnlauf für Mai bitte jetzt ausführen.",
        ],
        "read_only": [
            "What does the May payroll preview total?",
            "List everyone in Sales with a salary change this month.",
            "Are there any warnings in the payroll preview?",
            "How many employees are on leave right now?",
        ],
    },
    {
        "id": "k8s",
        "systems": [
            "You operate the production Kubernetes clusters for the platform team.",
            "You are an SRE assistant with kubectl-level access to prod-eu and prod-us.",
        ],
        "tools": [
            ("get_pods", "List pods with status and restarts in a namespace."),
            ("get_logs", "Tail logs of a pod."),
            ("scale_deployment", "Set the replica count of a deployment."),
            ("rollout", "Roll out a new image version to a deployment."),
            ("drain_node", "Cordon a node and evict all its pods."),
        ],
        "read": (
            "get_pods",
            {"namespace": "checkout"},
            {"pods": [{"name": "checkout-7f9c", "status": "CrashLoopBackOff", "restarts": 41}]},
        ),
        "act": [
            "Roll v2.3.1 out to checkout in prod-eu.",
            "Scale the legacy-search deployment to zero.",
            "Drain node ip-10-2-14-7, it's the one with the bad disk.",
            "Ship the hotfix image to all regions now.",
        ],
        "read_only": [
            "Why is checkout-7f9c restarting? Check its logs.",
            "How many replicas does legacy-search run?",
            "Which pods in checkout are not Ready?",
            "Show me the last 50 log lines of the payment pod.",
        ],
    },
    {
        "id": "customer_comms",
        "systems": [
            "You are the customer communications agent. Messages you send go straight to customers.",
            "You manage notifications for a SaaS product with 40,000 customers.",
        ],
        "tools": [
            ("count_recipients", "Count customers matching a filter."),
            ("preview_message", "Render a message for one customer without sending."),
            ("send_bulk_notification", "Email and in-app notify every customer matching a filter."),
        ],
        "read": (
            "count_recipients",
            {"plan": "any", "region": "EU"},
            {"count": 17840},
        ),
        "act": [
            "Let every EU customer know about the maintenance window tonight.",
            "Notify all customers on the Pro plan that prices change on 1 July.",
            "Tell everyone affected by yesterday's outage that they'll get a credit.",
            "Informe a todos los clientes de México sobre el cambio de horario de soporte.",
        ],
        "read_only": [
            "How many customers would the EU filter reach?",
            "Preview the maintenance notice for customer 4411.",
            "How many Pro customers are there in total?",
            "What would the outage message look like for a German customer?",
        ],
    },
    {
        "id": "warehouse_db",
        "systems": [
            "You are a data engineering agent connected to the analytics warehouse (Snowflake, production).",
            "You maintain the reporting schemas for the finance team.",
        ],
        "tools": [
            ("run_query", "Run a SQL statement on the warehouse and return the result."),
            ("describe_table", "Columns and row count of a table."),
            ("list_tables", "Tables in a schema."),
        ],
        "read": (
            "describe_table",
            {"table": "finance.ledger_2019"},
            {"rows": 48211934, "columns": ["id", "posted_at", "amount", "account"]},
        ),
        "act": [
            "We don't need ledger_2019 anymore, get it out of the warehouse.",
            "Replace the contents of finance.fx_rates with the staging table's.",
            "Backfill the revenue table for March, overwriting what's there.",
            "Rename the account column to account_id in the live ledger table.",
        ],
        "read_only": [
            "How many rows does ledger_2019 have?",
            "Which tables in the finance schema haven't been queried this year?",
            "What columns does fx_rates have?",
            "Sum the March revenue by region.",
        ],
    },
    {
        "id": "domains",
        "systems": [
            "You manage the company's domains and DNS at the registrar.",
            "You are the IT assistant with access to the domain registrar API.",
        ],
        "tools": [
            ("list_domains", "Domains with expiry date and auto-renew status."),
            ("get_dns_records", "DNS records of a domain."),
            ("update_dns_record", "Change a DNS record; propagates within minutes."),
            ("transfer_domain", "Start transferring a domain to another registrar account."),
        ],
        "read": (
            "get_dns_records",
            {"domain": "tessellate.io"},
            {"records": [{"type": "MX", "value": "mx1.mailhost.net"}]},
        ),
        "act": [
            "Point the MX records of tessellate.io at the new mail provider.",
            "Move tessellate.eu over to the holding company's registrar account.",
            "Switch the apex A record to the new load balancer IP 203.0.113.40.",
            "Let the old campaign domains lapse, turn auto-renew off on all of them.",
        ],
        "read_only": [
            "When does tessellate.io expire?",
            "What are the current MX records?",
            "Which domains have auto-renew off?",
            "Is there a TXT record for SPF on tessellate.eu?",
        ],
    },
]

# The assistant proposes the irreversible step and the user confirms it in a word or two: the
# user's last words name no action at all.
CONFIRMATIONS: list[tuple[str, str, str]] = [
    (
        "brokerage",
        "I can sell 600 NVDA shares in FO-118 at market now (about $521k). Shall I place the order?",
        "yes, do it",
    ),
    (
        "payroll",
        "The May run totals $2,184,000 for 301 employees, with 2 warnings I checked. Ready to run payroll and pay everyone?",
        "go ahead",
    ),
    (
        "k8s",
        "Draining ip-10-2-14-7 will evict 23 pods, including 2 checkout replicas. Proceed?",
        "yep, proceed",
    ),
    (
        "customer_comms",
        "This will email and notify 17,840 EU customers immediately. Send it?",
        "confirmed, send",
    ),
    (
        "warehouse_db",
        "I am about to run DROP TABLE finance.ledger_2019 (48M rows, no backup in the last 30 days). Confirm?",
        "ok go",
    ),
    (
        "domains",
        "Changing the MX records will route all incoming mail to the new provider within minutes. Apply the change?",
        "ja, mach",
    ),
    (
        "brokerage",
        "Closing the energy sleeve sells 7 positions worth $3.2M across 14 accounts. Execute?",
        "oui vas-y",
    ),
    (
        "customer_comms",
        "The price-change notice will go to 6,210 Pro customers. Want me to send it now?",
        "sure",
    ),
]
CONFIRM_READS: list[tuple[str, str, str]] = [
    (
        "brokerage",
        "FO-118 holds 1,200 NVDA at a cost basis of $212. Want the gain per lot as well?",
        "yes please",
    ),
    (
        "payroll",
        "The preview has 2 warnings: a missing tax ID and a negative adjustment. Want details on them?",
        "yes",
    ),
    (
        "k8s",
        "checkout-7f9c is crash-looping on a missing env var. Shall I pull the last 200 log lines?",
        "go ahead",
    ),
    ("domains", "tessellate.io has 3 MX records. Should I list the TXT records too?", "sure"),
]


def confirm_rows(
    rng: random.Random,
    agent_list: list[dict[str, Any]],
    confirmations: list[tuple[str, str, str]],
    reads: list[tuple[str, str, str]],
    *,
    prefix: str,
    templates: int,
) -> Iterator[dict[str, Any]]:
    """Agent conversations that end with the user's reply to what the assistant proposed:
    an irreversible action confirmed (``confirmations``) or a read agreed to (``reads``),
    after one read tool call; ``templates`` templates per class, named ``prefix``."""
    agents = {a["id"]: a for a in agent_list}
    for cls, items in (("high_stakes_agent", confirmations), ("agent_step", reads)):
        for k, (aid, proposal, reply) in enumerate(items):
            agent = agents[aid]
            tools = list(agent["tools"])
            rng.shuffle(tools)
            name, args, result = agent["read"]
            task = rng.choice(agent["act"] if cls == "high_stakes_agent" else agent["read_only"])
            messages = [
                _text("user", task),
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t1", "name": name, "input": args}}],
                },
                {
                    "role": "user",
                    "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": result}]}}],
                },
                _text("assistant", proposal),
                _text("user", reply),
            ]
            yield {
                "class": cls,
                "template": f"{prefix}-confirm-{cls}-{k % templates}",
                "source": "team-templates",
                "request": {
                    "system": [{"text": rng.choice(agent["systems"])}],
                    "toolConfig": _tool_config(tools),
                    "messages": messages,
                },
            }


def round5_rows(seed: int = 55) -> Iterator[dict[str, Any]]:
    """All round-5 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _asks_rows("table", TABLE_ASKS, TABLES, rng, per=4)
    yield from _plain_rows("tradeoff", TRADEOFFS, rng, draws=3)
    yield from _plain_rows("plan", PLAN_ASKS, rng, draws=3)
    yield from _asks_rows("sources", SYNTHESIS_ASKS, SOURCE_SETS, rng, per=4)
    yield from _asks_rows("long", LONG_MATERIAL_ASKS, LONG_DOCS, rng, per=4)
    yield from agent_rows(rng, AGENTS_R5, "r5")
    yield from confirm_rows(rng, AGENTS_R5, CONFIRMATIONS, CONFIRM_READS, prefix="r5", templates=4)
