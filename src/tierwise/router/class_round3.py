"""Team-written requests for the class corpus, round 3 of issue 12: agents, RAG in the system
prompt, and requests in other languages.

Written for the three failure modes the blind set's aggregates showed (nothing here was
copied from an acceptance set):

* **Agents.** An agent about to take an irreversible action (its tools write, delete, send,
  pay, deploy, migrate, restart, cancel, disable, revoke...; the task asks for that action,
  in its first turn or mid-loop) is ``high_stakes_agent``. The same agents asked to look
  something up (search, get, list, read), even with the risky tools offered, are
  ``agent_step``. Tools carry descriptions, as real tool configs do, in snake_case and
  camelCase.
* **RAG with the documents in the system prompt**: a knowledge base, retrieved passages or
  a policy pasted into the system prompt, and a short question in the user turn, is
  ``rag_qa``.
* **One forced tool** (``toolChoice`` names it): structured output, ``extract`` or
  ``classify``, not an agent step.
* **Other languages**: wordings in German, French, Spanish, Portuguese, Italian, Dutch,
  Japanese and Chinese for the classes whose evidence is otherwise English n-grams.

Each scenario and wording is its own template id, so held-out-template evaluation
(:func:`tierwise.router.class_train.grouped_predictions`) measures new scenarios.
"""

# ruff: noqa: E501 - wordings, tool specs and documents are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_draws import distinct

__all__ = ["AGENTS", "FOREIGN_BANKS", "RAG_SYSTEM_DOCS", "round3_rows"]

Tool = tuple[str, str]  # name, description
Request = dict[str, Any]


def _tool_config(tools: list[Tool]) -> dict[str, Any]:
    return {
        "tools": [
            {
                "toolSpec": {
                    "name": name,
                    "description": description,
                    "inputSchema": {"json": {"type": "object"}},
                }
            }
            for name, description in tools
        ]
    }


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [{"text": text}]}


# Each agent: system prompts, tools (read-only and risky), a read call with its result, the
# tasks that ask for an irreversible action, and read-only tasks.
AGENTS: list[dict[str, Any]] = [
    {
        "id": "sql",
        "systems": [
            "You are a database operations agent with read-write access to the production Postgres cluster.",
            "You help the data team run SQL. Changes are committed immediately.",
        ],
        "tools": [
            ("execute_sql", "Execute a SQL statement against the production database."),
            ("describe_table", "Show the columns and indexes of a table."),
            ("list_tables", "List the tables in a schema."),
        ],
        "read": (
            "describe_table",
            {"table": "sessions"},
            {"columns": ["id", "user_id", "last_seen"], "rows_estimate": 18200000},
        ),
        "act": [
            "Run this on prod: DELETE FROM sessions WHERE last_seen < now() - interval '90 days';",
            "Drop the tmp_import_2023 table, nobody uses it anymore.",
            "Truncate events_staging before tonight's load.",
            "UPDATE accounts SET plan = 'free' WHERE trial_ends < now(); go ahead and execute it.",
            "Remove the duplicate rows from customers, keep the newest per email.",
        ],
        "read_only": [
            "How many rows are in the orders table?",
            "Which tables have a customer_id column?",
            "Show me the schema of the invoices table.",
        ],
    },
    {
        "id": "payments",
        "systems": [
            "You are the treasury assistant for Vantage Freight. Transfers are final once submitted.",
            "You operate the company's bank accounts through the tools below.",
        ],
        "tools": [
            ("get_balance", "Current balance of a company account."),
            ("list_transactions", "List transactions on an account for a date range."),
            ("createTransfer", "Send money from a company account to an IBAN."),
            ("issue_refund", "Refund a card payment in full or in part."),
        ],
        "read": ("get_balance", {"account": "ops-eur"}, {"balance": 182400.55, "currency": "EUR"}),
        "act": [
            "Wire $40,000 to Acme GmbH for invoice 7781, IBAN DE89 3704 0044 0532 0130 00.",
            "Refund order 5521 in full, the customer never received it.",
            "Pay the freelancer's March invoice: 3,200 EUR to Lena Vogt.",
            "Transfer 150k from the reserve to the payroll account before Friday.",
        ],
        "read_only": [
            "What's the balance on the ops account?",
            "List last week's incoming payments over 10k.",
            "Did the refund for order 5521 already go out?",
        ],
    },
    {
        "id": "k8s",
        "systems": [
            "You are an SRE agent for the production Kubernetes clusters.",
            "You can inspect and change workloads in the prod-eu cluster.",
        ],
        "tools": [
            ("get_pods", "List pods and their status in a namespace."),
            ("get_logs", "Fetch recent logs of a pod."),
            ("restart_deployment", "Restart all pods of a deployment."),
            ("delete_namespace", "Delete a namespace and everything in it."),
            ("rollback_release", "Roll a Helm release back to an earlier revision."),
        ],
        "read": (
            "get_pods",
            {"namespace": "checkout"},
            {"pods": [{"name": "checkout-7d9", "status": "Running", "restarts": 14}]},
        ),
        "act": [
            "Restart the checkout deployment in prod, it's leaking memory again.",
            "Delete the preview-1234 namespace, the PR was merged.",
            "Roll back payments-api to the previous release, error rate is spiking.",
            "Kill the stuck migration job and rerun it.",
        ],
        "read_only": [
            "Why is the checkout pod crashlooping? Check the logs.",
            "How many pods are running in the search namespace?",
            "What version of payments-api is deployed right now?",
        ],
    },
    {
        "id": "crm_email",
        "systems": [
            "You are the sales team's email assistant. Emails go out from sales@fernleaf.com.",
            "You manage customer communication for Fernleaf using the CRM and mail tools.",
        ],
        "tools": [
            ("search_contacts", "Search CRM contacts by name, company or tag."),
            ("get_thread", "Read an email thread."),
            ("sendEmail", "Send an email to one or more recipients."),
        ],
        "read": ("search_contacts", {"tag": "customers-eu"}, {"count": 2312}),
        "act": [
            "Send the price increase notice to all 2,300 customers tagged customers-eu.",
            "Email Dana the signed contract and cc legal.",
            "Reply to Marco's thread saying we accept the 12% discount and send it.",
        ],
        "read_only": [
            "Find the last thread with Dana about pricing and tell me what she asked.",
            "How many contacts do we have at Quarry Labs?",
            "Summarize what Marco wrote in his last email.",
        ],
    },
    {
        "id": "iam",
        "systems": [
            "You are the IT identity agent. Account changes apply across all company systems.",
            "You administer Okta and Google Workspace for the company.",
        ],
        "tools": [
            ("get_user", "Look up a user's profile and status."),
            ("list_groups", "List the groups a user belongs to."),
            ("disable_user", "Disable a user account in the identity provider."),
            ("revoke_sessions", "Revoke all active sessions and tokens of a user."),
            ("remove_from_group", "Remove a user from a group."),
        ],
        "read": (
            "get_user",
            {"user": "j.doe"},
            {"status": "active", "groups": 9, "last_login": "2025-06-01"},
        ),
        "act": [
            "Disable j.doe's account and revoke all sessions, she left the company today.",
            "Remove the contractors group from the admin role everywhere.",
            "Offboard Tom Reyes effective immediately.",
        ],
        "read_only": [
            "Which groups is j.doe in?",
            "When did Tom Reyes last log in?",
            "Is the account of a.kim active?",
        ],
    },
    {
        "id": "git_deploy",
        "systems": [
            "You are the release agent. You can merge pull requests and deploy to production.",
            "You are a coding agent with push rights to the main branch.",
        ],
        "tools": [
            ("git_log", "Show recent commits."),
            ("read_file", "Read a file from the repository."),
            ("merge_pull_request", "Merge a pull request into its base branch."),
            ("deploy", "Deploy a commit to an environment (staging or production)."),
        ],
        "read": (
            "git_log",
            {"n": 3},
            {"commits": ["a1f fix tax rounding", "b2e bump deps", "c3d add retry"]},
        ),
        "act": [
            "Merge PR 412 and deploy it to production.",
            "Ship the hotfix to prod now, customers are blocked.",
            "Force-push the rebased branch to main.",
        ],
        "read_only": [
            "What changed in the last three commits?",
            "Read src/billing/tax.py and explain the rounding.",
            "Which PRs are waiting for review?",
        ],
    },
    {
        "id": "subscriptions",
        "systems": [
            "You are a billing support agent for Orbit Telecom.",
            "You handle account changes for business customers.",
        ],
        "tools": [
            ("get_customer", "Customer account, plan and contract dates."),
            (
                "cancel_subscription",
                "Cancel a subscription; the customer loses access at period end.",
            ),
            ("applyCredit", "Apply an account credit to the next invoice."),
            ("charge_card", "Charge the card on file."),
        ],
        "read": (
            "get_customer",
            {"id": "globex"},
            {"plan": "business", "renews": "2025-09-30", "seats": 140},
        ),
        "act": [
            "Cancel Globex's subscription effective today and don't renew.",
            "Charge the customer the 480 USD overage from last month.",
            "Apply a 500 USD credit to Initech's account and close the ticket.",
        ],
        "read_only": [
            "When does Globex's contract renew?",
            "How many seats does Initech have?",
            "What plan is customer 88120 on?",
        ],
    },
    {
        "id": "storage",
        "systems": [
            "You manage the company's S3 buckets.",
            "You are a cloud cost agent for the AWS accounts.",
        ],
        "tools": [
            ("list_objects", "List objects in a bucket with sizes."),
            ("bucket_stats", "Total size and object count of a bucket."),
            ("delete_objects", "Permanently delete objects from a bucket."),
        ],
        "read": ("bucket_stats", {"bucket": "logs-2022"}, {"objects": 1840022, "size_gb": 912}),
        "act": [
            "Empty the logs-2022 bucket, we don't need those logs.",
            "Delete every object older than 180 days in the exports bucket.",
            "Purge the old backups under backups/2021/.",
        ],
        "read_only": [
            "How big is the logs-2022 bucket?",
            "List the ten largest objects in the exports bucket.",
            "Which buckets have more than a million objects?",
        ],
    },
    {
        "id": "publishing",
        "systems": [
            "You run the company's social media accounts.",
            "You are the content ops agent for our blog and social channels.",
        ],
        "tools": [
            ("get_drafts", "List drafts and scheduled posts."),
            ("publish_post", "Publish a post to LinkedIn and X immediately."),
            ("unpublish_article", "Take a published blog article offline."),
        ],
        "read": (
            "get_drafts",
            {"week": "next"},
            {"drafts": ["Launch announcement", "Hiring post"]},
        ),
        "act": [
            "Publish the launch announcement on LinkedIn and X now.",
            "Take the pricing article offline, it has the wrong numbers.",
            "Post the hiring update to all channels.",
        ],
        "read_only": [
            "Which drafts are scheduled for next week?",
            "Show me the text of the launch announcement draft.",
        ],
    },
    {
        "id": "foreign_ops",
        "systems": [
            "Du bist ein Operations-Agent mit Schreibzugriff auf die Produktionsdatenbank.",
            "Eres un agente de operaciones con acceso a la base de datos de producción.",
            "Tu es un agent d'exploitation avec accès en écriture à la production.",
        ],
        "tools": [
            ("run_query", "Execute SQL on the production database (read-write)."),
            ("list_tables", "List tables."),
            ("send_notification", "Send a push notification to all users."),
        ],
        "read": ("list_tables", {}, {"tables": ["orders", "users", "test_orders"]}),
        "act": [
            "Lösche alle Testbestellungen aus der Produktionsdatenbank.",
            "Borra las cuentas de prueba de la base de datos de producción.",
            "Supprime la table test_orders en production.",
            "Envía una notificación a todos los usuarios: el servicio estará caído esta noche.",
            "Exclua os pedidos duplicados da tabela orders em produção.",
        ],
        "read_only": [
            "Wie viele Zeilen hat die Tabelle orders?",
            "¿Cuántos usuarios se registraron ayer?",
            "Quelles tables contiennent une colonne email ?",
        ],
    },
]


def _agent_request(
    agent: dict[str, Any], task: str, system: str, loop: bool, rng: random.Random
) -> Request:
    tools = list(agent["tools"])
    rng.shuffle(tools)
    request: Request = {
        "system": [{"text": system}],
        "toolConfig": _tool_config(tools),
        "messages": [_text("user", task)],
    }
    if loop:
        name, args, result = agent["read"]
        request["messages"] += [
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t1", "name": name, "input": args}}],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": result}]}}],
            },
        ]
    return request


def agent_rows(
    rng: random.Random, agents: list[dict[str, Any]] = AGENTS, round_id: str = "r3"
) -> Iterator[dict[str, Any]]:
    """Each agent is a template per class: its irreversible tasks (first turn and mid-loop)
    are ``high_stakes_agent``, its read-only tasks (risky tools offered all the same)
    ``agent_step``. Later rounds pass their own agents and round id."""
    for agent in agents:
        for cls, tasks in (("high_stakes_agent", agent["act"]), ("agent_step", agent["read_only"])):
            for task in tasks:
                for loop in (False, True):
                    system = rng.choice(agent["systems"])
                    yield {
                        "class": cls,
                        "template": f"{round_id}-agent-{agent['id']}-{cls}",
                        "source": "team-templates",
                        "request": _agent_request(agent, task, system, loop, rng),
                    }


# Knowledge in the system prompt, a question in the user turn.
RAG_SYSTEM_DOCS: list[dict[str, Any]] = [
    {
        "id": "returns",
        "system": 'You are the help assistant of an online shop.\n\n<documents>\n<document title="Returns">Items can be returned within 30 days of delivery if unused. Sale items are final sale.</document>\n<document title="Refunds">Refunds go to the original payment method within 5-7 business days after we receive the item.</document>\n<document title="Exchanges">Size exchanges are free; the new item ships when the return is scanned.</document>\n</documents>',
        "questions": [
            "I bought a jacket on sale 10 days ago, can I send it back?",
            "How long until I see my money after returning shoes?",
            "Can I swap my boots for a bigger size for free?",
        ],
    },
    {
        "id": "hr",
        "system": "Answer employee questions using the handbook sections below. If the handbook does not say, tell them to ask HR.\n\nSection 3.1 Working hours: core hours are 10:00-15:00; the rest is flexible.\nSection 3.4 Remote work: up to 3 remote days a week with manager approval.\nSection 5.2 Parental leave: 16 weeks fully paid for every parent.\nSection 6.1 Expenses: claims above 500 EUR need the budget owner's approval.",
        "questions": [
            "Can I work from home four days a week?",
            "how much parental leave do I get?",
            "Who needs to approve my 700 EUR conference ticket?",
        ],
    },
    {
        "id": "api_docs",
        "system": "You are the developer-docs assistant. Context retrieved from the docs:\n---\nRate limits: 100 requests per minute per API key; bursts up to 20 per second.\n---\nPagination: list endpoints return 50 items and a next_cursor field.\n---\nWebhooks are retried 5 times with exponential backoff over 24 hours.\n---\nAuthentication uses Bearer tokens that expire after 1 hour.",
        "questions": [
            "How do I get the second page of results from /v1/orders?",
            "My webhook endpoint was down for an hour. Will I lose events?",
            "why am I getting 401 after a while?",
        ],
    },
    {
        "id": "insurance",
        "system": "Knowledge base (retrieved for this conversation):\n### Policy KB-12: Water damage\nSudden leaks are covered; gradual leaks and seepage are not.\n### Policy KB-19: Deductible\nThe deductible is 250 EUR per claim, 500 EUR for storm damage.\n### Policy KB-23: Claims deadline\nClaims must be filed within 60 days of discovering the damage.\n\nAnswer the customer's question from the knowledge base and cite the KB number.",
        "questions": [
            "A pipe burst in my kitchen last week. Am I covered and what will I pay?",
            "Our roof was damaged in the storm 3 months ago, can I still claim?",
            "The bathroom wall has been damp for a year, is that covered?",
        ],
    },
    {
        "id": "product_specs",
        "system": "Product information for the X50 router (source: manual v2.3):\n[1] Wi-Fi 6, dual band, up to 64 devices.\n[2] Mesh mode pairs with up to 3 satellite units via the app.\n[3] Parental controls allow schedules per device.\n[4] Factory reset: hold the rear button for 10 seconds.\nUse only this information.",
        "questions": [
            "How many devices can connect at once?",
            "How do I reset it to factory settings?",
            "Can I block my kid's tablet after 9pm?",
        ],
    },
    {
        "id": "foreign",
        "system": "Tu es l'assistant du service client. Réponds uniquement à partir des extraits suivants.\nExtrait 1 : La livraison est gratuite dès 50 EUR d'achat.\nExtrait 2 : Les commandes passées avant 14h partent le jour même.\nExtrait 3 : Les retours sont acceptés sous 14 jours.",
        "questions": [
            "Si je commande à 15h, quand part mon colis ?",
            "La livraison est-elle gratuite pour 40 EUR ?",
            "Wie lange habe ich Zeit für eine Rücksendung?",
        ],
    },
]


def rag_system_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for doc in RAG_SYSTEM_DOCS:
        for question in doc["questions"]:
            for shape in range(2):
                messages = [_text("user", question)]
                if shape == 1:
                    messages = [
                        _text("user", "hi, quick question"),
                        _text("assistant", "Sure, what would you like to know?"),
                        *messages,
                    ]
                yield {
                    "class": "rag_qa",
                    "template": f"r3-rag-system-{doc['id']}",
                    "source": "team-templates",
                    "request": {"system": [{"text": doc["system"]}], "messages": messages},
                }


# Wordings in other languages; {msg} is filled from short material in the same language.
FOREIGN_MATERIAL = [
    "Die Lieferung kam zwei Tage zu spät und der Karton war beschädigt.",
    "Je n'arrive pas à me connecter depuis la mise à jour d'hier.",
    "El cobro aparece dos veces en mi tarjeta este mes.",
    "O aplicativo fecha sozinho quando abro a câmera.",
    "Il pacco è arrivato ma manca il caricatore.",
    "De factuur klopt niet: er staan 14 licenties op in plaats van 11.",
    "注文した商品がまだ届いていません。",
    "我的账户被锁定了，无法登录。",
]
FOREIGN_BANKS: dict[str, list[str]] = {
    "classify": [
        "Klassifiziere die folgende Nachricht als Beschwerde, Frage oder Lob. Antworte nur mit einem Wort.\n\n{msg}",
        "Classe ce message dans une des catégories : facturation, technique, livraison, autre. Réponds uniquement par la catégorie.\n\n{msg}",
        "¿El siguiente comentario es positivo, negativo o neutro? Responde con una sola palabra.\n{msg}",
        "Classifique o sentimento desta avaliação: positivo, negativo ou neutro. Apenas a etiqueta.\n{msg}",
        "Etichetta il messaggio con una di queste categorie: reclamo, domanda, complimento.\n{msg}",
        "次のメッセージを「苦情」「質問」「称賛」のいずれかに分類してください。ラベルのみ回答してください。\n{msg}",
        "请将以下消息分类为：投诉、咨询、表扬。只输出类别。\n{msg}",
        "Is dit bericht spam of geen spam? Antwoord met één woord.\n{msg}",
    ],
    "triage": [
        "Ordne dieses Ticket einem Team zu (Abrechnung, Technik, Logistik) und setze eine Priorität P1-P3.\n\n{msg}",
        "Attribue ce ticket à la bonne équipe (facturation, technique, logistique) avec une priorité haute, moyenne ou basse.\n{msg}",
        "Asigna esta incidencia al equipo correcto y marca la urgencia (alta/media/baja):\n{msg}",
        "この問い合わせをどのチームに回すべきか（請求、技術、配送）と優先度を答えてください。\n{msg}",
    ],
    "extract": [
        "Extrahiere Name, Datum und Betrag aus dieser Rechnung als JSON mit den Schlüsseln name, datum, betrag.\n\nRechnung Nr. 2291 vom 03.04.2025, Kunde: Hannah Weber, Gesamtbetrag 1.249,00 EUR",
        'Extrais le nom, la date et le montant de ce texte au format JSON {{"nom": ..., "date": ..., "montant": ...}}.\nFacture du 12 mai 2025 pour Claire Martin, total 89,90 EUR.',
        "Extrae todos los correos electrónicos y teléfonos del siguiente texto:\nContacto: Lucía Pérez, lucia.perez@ejemplo.es, +34 612 345 678; Diego Ramos, d.ramos@ejemplo.es",
        "Extraia o número do pedido e a data de entrega desta mensagem: Seu pedido 55120 será entregue em 14/06.",
        "次の文から日付と金額を抽出してJSONで返してください。\n2025年6月3日に12,800円を支払いました。",
        "从下面的文本中提取姓名、电话和地址，输出JSON。\n联系人：王芳，电话 138 0013 8000，地址：上海市浦东新区世纪大道100号",
    ],
    "transform": [
        "Wandle diese Liste in eine Markdown-Tabelle um:\nApfel - 1,20 EUR\nBirne - 0,90 EUR\nKiwi - 0,50 EUR",
        "Convertis ces dates au format AAAA-MM-JJ : 3 mars 2025, 17/04/2025, 1er juin 2025",
        "Convierte este CSV a JSON:\nnombre,edad\nAna,34\nLuis,29",
        "Converta os valores para euros com duas casas decimais: 12,5; 7; 103,456",
        "次のテキストをすべて大文字のスネークケースに変換してください: user id, created at, last login",
    ],
    "translate": [
        "Übersetze ins Englische: Die Besprechung wurde auf Donnerstag verschoben.",
        "Traduis en espagnol : Votre commande a été expédiée ce matin.",
        "Traduce al francés: El restaurante cierra los lunes.",
        "Traduza para o inglês: A reunião foi cancelada.",
        "次の文を英語に翻訳してください：会議は木曜日に延期されました。",
        "请把这句话翻译成英文：我们下周一发货。",
    ],
    "short_form": [
        "Schreib eine kurze, prägnante Betreffzeile für diese E-Mail:\n{msg}",
        "Propose un titre accrocheur pour un article sur le télétravail.",
        "Dame 5 etiquetas separadas por comas para este producto: botella de acero inoxidable de 750 ml, a prueba de fugas.",
        "Sugira um título curto para este texto: {msg}",
        "この記事に短いタイトルを付けてください：{msg}",
        "给这个产品写一句广告语：可折叠电动自行车",
    ],
    "chit_chat": [
        "Hallo! Wie geht's dir heute?",
        "Merci beaucoup pour ton aide !",
        "¡Hola! ¿Qué tal?",
        "Obrigado, ajudou muito!",
        "ありがとうございます！",
        "你好！",
    ],
    "summarize": [
        "Fasse diese Nachricht in einem Satz zusammen:\n{msg} {msg}",
        "Résume cet échange en trois points :\nA : {msg}\nB : {msg}",
        "Resume en dos frases el siguiente texto:\n{msg} {msg}",
        "以下の内容を3行で要約してください：\n{msg} {msg}",
    ],
    "support_reply": [
        "Schreibe eine freundliche Antwort an diesen Kunden und biete eine Lösung an:\n{msg}",
        "Rédige une réponse polie à ce client au nom du service client :\n{msg}",
        "Responde a este cliente con empatía y ofrece una solución:\n{msg}",
        "顧客への返信を丁寧に書いてください：\n{msg}",
    ],
    "content_writing": [
        "Schreibe einen Blogartikel über nachhaltiges Reisen, etwa 400 Wörter.",
        "Rédige une newsletter pour annoncer l'ouverture de notre nouvelle boutique à Lyon.",
        "Escribe una descripción de producto para una tienda de campaña para dos personas.",
        "写一篇关于远程办公优缺点的博客文章。",
    ],
    "general_qa": [
        "Warum ist der Himmel blau?",
        "Comment fonctionne un crédit immobilier à taux fixe ?",
        "¿Cuál es la diferencia entre el clima y el tiempo?",
        "なぜパンは時間が経つと固くなるのですか？",
    ],
    "math": [
        "Ein Zug fährt 240 km in 3 Stunden. Wie lange braucht er bei gleicher Geschwindigkeit für 400 km?",
        "Un magasin fait une remise de 15 % sur un article à 80 EUR, puis de 10 % sur le nouveau prix. Quel est le prix final ?",
        "Resuelve: 3x + 7 = 2x - 5",
        "一个长方形的周长是36厘米，长是宽的2倍。求面积。",
    ],
    "complex_analysis": [
        "Entwirf eine Architektur für ein Buchungssystem mit 10 Millionen Nutzern: Datenmodell, Skalierung, Ausfallsicherheit und Trade-offs.",
        "Élabore une stratégie de migration de notre monolithe vers des microservices sur 12 mois, sans interruption de service, avec les risques et le plan de retour arrière.",
        "Diseña un plan para expandir nuestra empresa a tres países nuevos: opciones, costes, riesgos y una recomendación.",
        "分布式事务在微服务中如何保证一致性？请比较Saga和两阶段提交，并给出我们订单系统的设计方案。",
    ],
    "proof": [
        "Beweise, dass die Wurzel aus 2 irrational ist.",
        "Démontre par récurrence que la somme des n premiers entiers impairs vaut n².",
        "Demuestra que hay infinitos números primos.",
        "証明してください：任意の整数nについて、n^3 - n は6で割り切れる。",
    ],
    "research_synthesis": [
        "Fasse die Ergebnisse dieser fünf Studien zusammen, die sich widersprechen, und ziehe ein Gesamtfazit:\nStudie 1: kein Effekt. Studie 2: +12 %. Studie 3: kein signifikanter Unterschied. Studie 4: +4 %. Studie 5: negativer Effekt.",
        "Synthétise ces rapports contradictoires et donne une conclusion avec un niveau de confiance :\nRapport A : la croissance accélère.\nRapport B : la demande stagne.\nRapport C : les coûts baissent de 30 %.\nRapport D : aucun changement.",
    ],
}


def foreign_rows(rng: random.Random, draws: int = 4) -> Iterator[dict[str, Any]]:
    for cls, wordings in FOREIGN_BANKS.items():
        for i, wording in enumerate(wordings):
            draw = (_foreign(cls, wording, rng) for _ in range(draws))
            for request in distinct(draw):
                yield {
                    "class": cls,
                    "template": f"r3-foreign-{cls}-{i}",
                    "source": "team-templates",
                    "request": request,
                }


def _foreign(cls: str, wording: str, rng: random.Random) -> Request:
    text = wording.format(msg=rng.choice(FOREIGN_MATERIAL))
    place = rng.random()
    if place < 0.25 and "\n" in text and cls != "chit_chat":
        head, _, tail = text.partition("\n")
        return {"system": [{"text": head}], "messages": [_text("user", tail)]}
    if place < 0.4:
        return {
            "system": [{"text": "You are a helpful assistant."}],
            "messages": [_text("user", text)],
        }
    return {"messages": [_text("user", text)]}


# Structured output through one forced tool: the tool call is the answer's format, not an
# agent step.
FORCED_TOOL: list[tuple[str, str, str, str, list[str]]] = [
    (
        "extract",
        "record_invoice",
        "Store the invoice fields.",
        "Record this invoice with the record_invoice tool.",
        [
            "Invoice 2025-118 from Kestrel Supplies, dated 4 March 2025, total 1,240.00 EUR incl. VAT, due in 30 days.",
            "RECHNUNG Nr. 7741 - Datum 12.05.2025 - Betrag 389,90 EUR - Lieferant: Nordlicht GmbH",
            "Bill from Pinecrest Realty: June rent 2,150 USD, late fee 50 USD, account 88-1201.",
        ],
    ),
    (
        "extract",
        "save_contact",
        "Save a contact to the CRM.",
        "Pull the contact details out of the message and save them.",
        [
            "Hi, this is Mei Tanaka from Osaka Logistics, you can reach me at mei.t@osakalog.jp or +81 6 1234 5678.",
            "Regards, Olu Adeyemi | Head of Ops | Vantage Freight | olu@vantagefreight.com",
            "Bonjour, Claire Martin, service achats, 04 72 00 00 00, claire.martin@exemple.fr",
        ],
    ),
    (
        "classify",
        "set_category",
        "Set the ticket category (billing, technical, account, other).",
        "Categorize the ticket by calling set_category.",
        [
            "I was charged twice for May.",
            "The app crashes when I open settings.",
            "How do I change the email on my account?",
        ],
    ),
    (
        "classify",
        "label_sentiment",
        "Label sentiment: positive, negative or neutral.",
        "Call label_sentiment for the review.",
        [
            "Arrived broken and support never answered.",
            "Does what it says, nothing special.",
            "Best purchase this year, love it!",
        ],
    ),
]


def forced_tool_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for k, (cls, name, description, system, texts) in enumerate(FORCED_TOOL):
        for text in texts:
            request: Request = {
                "system": [{"text": system}],
                "messages": [_text("user", text)],
                "toolConfig": {
                    **_tool_config([(name, description)]),
                    "toolChoice": {"tool": {"name": name}},
                },
            }
            yield {
                "class": cls,
                "template": f"r3-forced-tool-{k}",
                "source": "team-templates",
                "request": request,
            }


def round3_rows(seed: int = 33) -> Iterator[dict[str, Any]]:
    """All round-3 rows (deterministic)."""
    rng = random.Random(seed)
    yield from agent_rows(rng)
    yield from rag_system_rows(rng)
    yield from foreign_rows(rng)
    yield from forced_tool_rows(rng)
