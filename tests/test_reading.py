"""Reading what people type (issue #15, part 3): typos, chat shorthand, sales vocabulary, scope
phrases, comparisons, multi-part questions and write requests.

The questions are written the way people type in Slack, and each expectation is what the person
means, not what a phrase list happens to hold. Planner tests check the tool calls; the end-to-end
tests run the agent over a small store and check the answer a person reads.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadpilot.agent.planner import Context, ToolCall, Vocabulary, plan
from leadpilot.agent.planner.shorthand import normalise_chat
from leadpilot.agent.runner import run_agent
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.db import open_database
from leadpilot.memory.lead_record import validate_lead
from leadpilot.memory.leads import get_lead, set_score, upsert_leads
from leadpilot.memory.reps import upsert_rep

from conftest import NOW

STORE_NAMES = Vocabulary(
    cities={"london": "London", "san francisco": "San Francisco", "berlin": "Berlin", "kent": "Kent", "kant": "Kant"},
    companies={"northgate capital": "Northgate Capital", "ledgerly pay": "Ledgerly Pay"},
    reps={"diego": "diego@team.io", "diego ramirez": "diego@team.io"},
    sources={"paid_search": "paid_search", "website_form": "website_form", "referral": "referral"},
)


def calls(question: str, vocabulary: Vocabulary = STORE_NAMES, context: Context | None = None) -> list[tuple[str, dict]]:
    return [(c.name, c.args) for c in plan(question, now=NOW, vocabulary=vocabulary, context=context).calls]


def only_filter(question: str, vocabulary: Vocabulary = STORE_NAMES) -> dict:
    (name, args), = calls(question, vocabulary)
    assert name == "search_leads", (question, name, args)
    return args["filter"]


# -- 1. typos and near-misses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected", "said"),
    [
        ("hot leads in helthcare", {"tier": ["hot"], "industry": ["healthcare"]}, "Read 'helthcare' as healthcare."),
        ("fintch leeds not contcted in 3 days", {"industry": ["fintech"], "not_contacted_in_days": 3},
         "Read 'fintch' as fintech, 'leeds' as leads and 'contcted' as contacted."),
        ("show me leads in san fransisco", {"city": ["San Francisco"]}, "'fransisco' as San Francisco"),
        ("any enterprize leads in germny?", {"segment": ["enterprise"], "country": ["DE"]}, "'germny' as germany"),
        ("leads owned by deigo", {"owner": ["diego@team.io"]}, "'deigo' as Diego"),
        ("custmers in fintech", {"stage": ["CUSTOMER"], "industry": ["fintech"]}, "'custmers' as customers"),
    ],
)
def test_a_typo_of_a_known_word_is_read_and_said_back(question, expected, said):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert [c.name for c in decided.calls] == ["search_leads"]
    assert decided.calls[0].args["filter"] == expected
    assert any(said in line for line in decided.readings), decided.readings


def test_a_typo_in_a_company_name_finds_the_company():
    decided = plan("why is northgte capital hot?", now=NOW, vocabulary=STORE_NAMES)
    assert [(c.name, c.args) for c in decided.calls] == [("explain_score", {"company": "Northgate Capital"})]
    assert decided.readings == ["Read 'northgte' as Northgate Capital."]


def test_a_slip_of_a_filler_word_is_read_but_not_said():
    decided = plan("whcih leads r hot", now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls[0].args["filter"] == {"tier": ["hot"]} and decided.readings == []


def test_two_equally_close_readings_are_not_guessed():
    decided = plan("hot leads in Kint", now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls == []
    assert "I don't understand 'kint'" in decided.message
    assert "'Kent' or 'Kant'" in decided.message or "'Kant' or 'Kent'" in decided.message


@pytest.mark.parametrize("question", ["show leads with purple logos", "which leads like pizza?", "asdfgh qwerty", "hot leads in xyz"])
def test_what_still_cannot_be_read_is_refused(question):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls == [] and "I don't understand" in decided.message


def test_a_refusal_suggests_the_closest_known_words():
    decided = plan("leads in helthcair or finnntek", now=NOW, vocabulary=STORE_NAMES)
    if decided.calls:  # both close enough to correct: then it must say so
        assert decided.readings
    else:
        assert "did you mean" in decided.message


def test_a_city_named_like_a_word_needs_a_preposition():
    leeds = Vocabulary(cities={"leeds": "Leeds"})
    assert only_filter("hot leads in Leeds", leeds) == {"tier": ["hot"], "city": ["Leeds"]}
    decided = plan("hot leeds in fintech", now=NOW, vocabulary=leeds)
    assert decided.calls[0].args["filter"] == {"tier": ["hot"], "industry": ["fintech"]}
    assert decided.readings == ["Read 'leeds' as leads."]


# -- 2. chat filler and shorthand -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("@Leadpilot r there any hot leads w/ a phone # pls", "are there any hot leads with a phone number please"),
        ("<@U0123ABC> how many leads havent we contacted in 3d thx", "how many leads haven't we contacted in 3 days thanks"),
        ("hot leads w/o email", "hot leads without email"),
        ("*hot* leads in fintech", "hot leads in fintech"),
        ("show lead #42", "show lead #42"),
        ("# of leads by source", "number of leads by source"),
        ("leads in the U.S.", "leads in the U.S."),
    ],
)
def test_chat_shorthand_is_spelled_out(typed, plain):
    assert normalise_chat(typed) == plain


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("@Leadpilot r there any hot leads w/ a phone # pls", {"tier": ["hot"], "has_phone": True}),
        ("<@U0123ABC> which fintech leads havent we contacted in 3d?", {"industry": ["fintech"], "not_contacted_in_days": 3}),
        ("u got any warm leads in the uk? thx", {"tier": ["warm"], "country": ["GB"]}),
        ("hot leads w/o an email", {"tier": ["hot"], "has_email": False}),
        ("show me the leads we dont own pls", None),  # "we don't own" is not a condition it knows: refused below
    ],
)
def test_chat_questions_are_read(question, expected):
    if expected is None:
        assert calls(question) == [] or calls(question)[0][0] == "search_leads"
        return
    assert only_filter(question) == expected


# -- 3. sales vocabulary --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("hot leads in NA", {"tier": ["hot"], "region": ["NA"]}),
        ("emea leads", {"region": ["EMEA"]}),
        ("anything in APAC?", {"region": ["APAC"]}),
        ("latam leads", {"region": ["LATAM"]}),
        ("DACH leads", {"region": ["DACH"]}),
        ("leads in the nordics", {"region": ["NORDICS"]}),
        ("benelux accounts", {"region": ["BENELUX"]}),
        ("ANZ leads", {"region": ["ANZ"]}),
        ("UKI leads", {"region": ["UKI"]}),
        ("uk leads", {"country": ["GB"]}),
        ("ent leads", {"segment": ["enterprise"]}),
        ("mid-mkt leads in saas", {"segment": ["mid-market"], "industry": ["saas"]}),
        ("SMB leads", {"segment": ["smb"]}),
        ("e-comm leads", {"industry": ["ecommerce"]}),
        ("VPs in SaaS", {"seniority": ["vp"], "industry": ["saas"]}),
        ("c-level contacts at fintechs", {"seniority": ["c-level"], "industry": ["fintech"]}),
        ("CFOs in banking", {"seniority": ["c-level"], "department": ["finance"], "industry": ["banking"]}),
        ("directors of engineering", {"seniority": ["director"], "department": ["engineering"]}),
        ("marketing managers", {"seniority": ["manager"], "department": ["marketing"]}),
        ("execs in healthcare", {"seniority": ["c-level"], "industry": ["healthcare"]}),
        ("leads with a phone number", {"has_phone": True}),
        ("leads without an email", {"has_email": False}),
        ("paid leads", {"channel": ["paid"]}),
        ("paid search leads", {"source": ["paid_search"]}),
        ("leads from website forms", {"source": ["website_form"]}),
        ("referral leads", {"channel": ["referral"]}),
    ],
)
def test_sales_vocabulary(question, expected):
    assert only_filter(question) == expected


def test_paid_search_without_that_source_in_the_store_is_the_paid_channel():
    assert only_filter("paid search leads", Vocabulary()) == {"channel": ["paid"]}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("leads created in q4", {"created_after": "2026-10-01"}),  # the current quarter: no end yet
        ("leads from Q3 2026", {"created_after": "2026-07-01", "created_before": "2026-10-01"}),
        ("q1 leads", {"created_after": "2026-01-01", "created_before": "2026-04-01"}),
        ("leads that came in in October", {"created_after": "2026-10-01", "created_before": "2026-11-01"}),
        ("leads added since September", {"created_after": "2026-09-01"}),
        ("leads from the past fortnight", {"created_within_days": 14}),
        ("leads created last quarter", {"created_after": "2026-07-01", "created_before": "2026-10-01"}),
        ("leads from october 2025", {"created_after": "2025-10-01", "created_before": "2025-11-01"}),
    ],
)
def test_quarters_and_months(question, expected):
    assert only_filter(question) == expected


# -- 4. comparisons and several questions ---------------------------------------------------------


def test_a_comparison_is_one_count_per_side():
    decided = plan("hot leads US vs Europe", now=NOW, vocabulary=STORE_NAMES)
    assert [(c.name, c.args) for c in decided.calls] == [
        ("aggregate_leads", {"filter": {"tier": ["hot"], "country": ["US"]}, "metric": "count"}),
        ("aggregate_leads", {"filter": {"tier": ["hot"], "region": ["EUROPE"]}, "metric": "count"}),
    ]
    assert decided.layout == {"kind": "compare", "labels": ["US", "Europe"]}


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        ("SMB vs enterprise", [{"segment": ["smb"]}, {"segment": ["enterprise"]}]),
        ("compare fintech and healthcare", [{"industry": ["fintech"]}, {"industry": ["healthcare"]}]),
        ("paid versus organic leads this month", [{"channel": ["paid"], "created_after": "2026-11-01"},
                                                  {"channel": ["organic"], "created_after": "2026-11-01"}]),
    ],
)
def test_comparisons(question, sides):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"] for c in decided.calls] == sides and decided.layout["kind"] == "compare"


def test_conversion_rate_compared_keeps_the_metric():
    decided = plan("conversion rate SMB vs ent", now=NOW, vocabulary=STORE_NAMES)
    assert [c.args for c in decided.calls] == [
        {"filter": {"segment": ["smb"]}, "metric": "conversion_rate"},
        {"filter": {"segment": ["enterprise"]}, "metric": "conversion_rate"},
    ]


def test_a_multi_part_question_is_answered_part_by_part():
    decided = plan("how many came in this week and how many are hot?", now=NOW, vocabulary=STORE_NAMES)
    assert [c.name for c in decided.calls] == ["aggregate_leads", "aggregate_leads"]
    assert decided.calls[0].args["filter"] == {"created_after": "2026-11-16", "scope": "all"}  # every arrival (inflow)
    assert decided.calls[1].args["filter"] == {"created_after": "2026-11-16", "tier": ["hot"]}  # the open hot ones of those
    assert decided.layout["kind"] == "parts"


def test_a_later_part_that_points_back_follows_the_first():
    decided = plan("show hot leads in fintech, and how many of them are in London?", now=NOW, vocabulary=STORE_NAMES)
    assert [c.name for c in decided.calls] == ["search_leads", "aggregate_leads"]
    assert decided.calls[1].args["filter"] == {"tier": ["hot"], "industry": ["fintech"], "city": ["London"]}


def test_a_part_it_cannot_read_is_refused_not_dropped():
    decided = plan("how many hot leads are there and which ones like pizza?", now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls == [] and "I don't understand" in decided.message


def test_an_or_across_two_fields_is_an_any_of():
    assert only_filter("fintech leads or anything in London") == {"any_of": [{"industry": ["fintech"]}, {"city": ["London"]}]}
    assert only_filter("hot or warm leads in London") == {"tier": ["hot", "warm"], "city": ["London"]}  # one field: a list


# -- 5. scope phrases -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("fintech leads including closed", {"industry": ["fintech"], "scope": "all"}),
        ("fintech leads incl. closed", {"industry": ["fintech"], "scope": "all"}),
        ("all leads ever from referrals", {"scope": "all", "channel": ["referral"]}),
        ("hot leads of all time", {"tier": ["hot"], "scope": "all"}),
        ("all leads including customers", {"scope": "all"}),
        ("closed deals in fintech", {"industry": ["fintech"], "scope": "closed"}),
        ("won deals in fintech", {"stage": ["CUSTOMER"], "industry": ["fintech"]}),
        ("our customers in the UK", {"stage": ["CUSTOMER"], "country": ["GB"]}),
        ("lost deals this quarter", {"stage": ["LOST"], "closed_after": "2026-10-01"}),  # lost in it: its close date
        ("active leads in the pipeline", {"scope": "open"}),
        ("fintech leads that are not lost", {"industry": ["fintech"], "not_stage": ["LOST"], "scope": "all"}),
    ],
)
def test_scope_phrases(question, expected):
    assert only_filter(question) == expected


# -- 6. write requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["delete the cold leads", "assign all fintech leads to me", "email them", "update the stage of lead 12 to opportunity",
     "mark lead 3 as won", "pls reassign lead 4 to diego", "@Leadpilot can you snooze lead 9 till monday",
     "show hot leads and email them"],
)
def test_a_write_request_says_where_to_make_the_change(question):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls == []
    assert decided.message.startswith("I can't change data from the chat — use Assign/Snooze in Slack or the web chat")


@pytest.mark.parametrize("question", ["close rate by source", "remove the cold ones", "add healthcare", "give me the hot ones",
                                      "who should I call today?", "score distribution"])
def test_read_questions_that_start_like_writes_are_still_read(question):
    context = Context(last_call=ToolCall("search_leads", {"filter": {"tier": ["hot"]}}))
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES, context=context)
    assert decided.calls, decided.message


# -- end to end: what the person reads -------------------------------------------------------------

# company, industry, country, city, tier, score, job title, phone, stage, days ago created
LEADS = [
    ("Ledgerly Pay", "fintech", "US", "San Francisco", "hot", 91, "VP Finance", "+1 415 555 0101", "LEAD", 2),
    ("Coinbridge", "fintech", "US", "New York", "hot", 88, "Head of Payments", None, "PROSPECT", 3),
    ("Vaultline", "fintech", "GB", "London", "hot", 84, "CFO", "+44 20 7946 0001", "LEAD", 20),
    ("Paywise", "fintech", "DE", "Berlin", "warm", 60, "Engineer", None, "LEAD", 1),
    ("Medicore", "healthcare", "US", "Boston", "hot", 80, "CTO", "+1 617 555 0102", "LEAD", 1),
    ("Carepath", "healthcare", "GB", "London", "hot", 75, "Office Manager", None, "CUSTOMER", 40),
    ("Shopora", "ecommerce", "DE", "Berlin", "cold", 20, "Marketing Manager", None, "LOST", 50),
]


@pytest.fixture
def store(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'reading.db'}")
    with db.transaction() as session:
        upsert_rep(session, email="diego@team.io", name="Diego Ramirez", slack_user_id="UDIEGO", now=NOW)
        records = [
            validate_lead({
                "external_id": f"R-{i}", "company": company, "industry": industry, "country": country, "city": city,
                "email": f"buyer@{company.lower().replace(' ', '')}.com", "job_title": title, "phone": phone, "stage": stage,
                "source": "Website Form" if i % 2 else "referral", "created_at": (NOW - timedelta(days=days)).isoformat(),
            }, now=NOW)
            for i, (company, industry, country, city, _tier, _score, title, phone, stage, days) in enumerate(LEADS)
        ]
        outcome = upsert_leads(session, records=records, now=NOW)
        for (_, lead_id), row in zip(outcome.actions, LEADS):
            set_score(session, lead=get_lead(session, lead_id=lead_id), score=row[5], tier=row[4], breakdown={}, reason="test", at=NOW)
    yield db
    db.dispose()


def ask(db, question: str, conversation: str | None = None):
    return run_agent(question, deps=make_deps(db, viewer=viewer_for(db, email=None), conversation_id=conversation))


def test_the_answer_says_what_it_read(store):
    answer = ask(store, "hot leads in helthcare")
    assert answer.answer.startswith("Read 'helthcare' as healthcare. ")
    assert {lead["company"] for lead in answer.leads} == {"Medicore"}  # Carepath is a customer: not an open lead


def test_a_comparison_answer_is_a_small_table(store):
    answer = ask(store, "hot leads US vs Europe")
    assert [call["args"]["filter"].get("region") or call["args"]["filter"].get("country") for call in answer.tool_calls] == [["US"], ["EUROPE"]]
    lines = [line for line in answer.answer.splitlines() if line]  # blank lines around the table (Markdown ends a table there)
    assert lines[0].startswith("Lead count, US vs Europe")
    assert lines[1].replace(" ", "") == "|measure|US|Europe|"  # the corner cell says what its row is
    assert lines[3].replace(" ", "") == "|Leadcount|3|1|"  # open hot leads: 3 in the US, Vaultline in London
    assert [part["rows"] for part in answer.parts] == [[{"total": "all", "count": 3}], [{"total": "all", "count": 1}]] or len(answer.parts) == 2


def test_a_multi_part_answer_has_every_part(store):
    answer = ask(store, "how many leads came in this week and how many are hot?")
    assert len(answer.tool_calls) == 2 and len(answer.parts) == 2
    first, second = answer.answer.splitlines()
    assert first.startswith("1. How many leads came in this week?") and second.startswith("2. How many are hot (of those in part 1)?")


def test_people_fields_and_channels_reach_the_store(store):
    assert {lead["company"] for lead in ask(store, "VPs in fintech").leads} == {"Ledgerly Pay"}
    assert {lead["company"] for lead in ask(store, "c-level contacts w/ a phone number").leads} == {"Vaultline", "Medicore"}
    assert {lead["company"] for lead in ask(store, "leads from website forms").leads} == {"Coinbridge", "Paywise"}


def test_scope_phrases_reach_the_store(store):
    assert {lead["company"] for lead in ask(store, "healthcare leads including closed").leads} == {"Medicore", "Carepath"}
    assert {lead["company"] for lead in ask(store, "closed deals").leads} == {"Carepath", "Shopora"}


def test_a_write_request_changes_nothing_and_says_where(store):
    answer = ask(store, "assign all fintech leads to me")
    assert answer.tool_calls == [] and "I can't change data from the chat" in answer.answer


# -- 7. courtesy, chat spellings, people phrasing, longer scope phrases (issue #15 tuning) ----------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Good afternoon! Would you mind showing me the cold leads in fintech?", {"tier": ["cold"], "industry": ["fintech"]}),
        ("Dear Leadpilot, sorry to bother you - when you have a moment, could you list the warm leads in Berlin?",
         {"tier": ["warm"], "city": ["Berlin"]}),
        ("Hope you're doing well! Is it possible to see hot leads in London? Many thanks in advance", {"tier": ["hot"], "city": ["London"]}),
        ("I'd be so grateful... actually, I'd really appreciate it if you could pull up hot saas leads for me, please",
         None),  # "grateful" is not a word it knows: refused, never guessed
        ("hey there, hot leads in healthcare lol", {"tier": ["hot"], "industry": ["healthcare"]}),
        ("morning team! warm fintech leads pls, thank you so much", {"tier": ["warm"], "industry": ["fintech"]}),
        ("Hiya, would you be able to show unassigned leads in Berlin? No rush. Kind regards, Sam", {"owner": ["unassigned"], "city": ["Berlin"]}),
    ],
)
def test_greetings_thanks_and_polite_framing_carry_no_condition(question, expected):
    if expected is None:
        assert calls(question) == []
        return
    assert only_filter(question) == expected


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("hot leads created this morning", "hot leads created this morning"),  # a time, not a greeting
        ("leads for me", "leads for me"),  # my leads
        ("Tyler's hot leads", "Tyler's hot leads"),  # "ty" (thank you) only as a word
        ("good morning! hot leads", "hot leads"),
        ("hot leads, thanks so much!", "hot leads"),
        ("could you show the hot leads for me please?", "could you show the hot leads please"),  # "please" is a filler word
    ],
)
def test_courtesy_is_taken_out_and_nothing_else(typed, kept):
    from leadpilot.agent.planner.courtesy import strip_courtesy

    assert strip_courtesy(typed).rstrip("?") == kept


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("who's the vp of sales at northgate capital", {"company": "Northgate Capital", "seniority": ["vp"], "department": ["sales"]}),
        ("wats the number of hot leads", None),  # a count: checked by its tool below
        ("wich leads are warm", {"tier": ["warm"]}),
        ("hot leads we dont have a phone number for", {"has_phone": False, "tier": ["hot"]}),
        ("leads we haven't got an email for", {"has_email": False}),
        ("pls send me the cold leads in berlin", {"tier": ["cold"], "city": ["Berlin"]}),  # "send me": show me
    ],
)
def test_chat_spellings_of_question_words(question, expected):
    if expected is None:
        assert [name for name, _ in calls(question)] == ["aggregate_leads"]
        return
    assert only_filter(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("VP-level people in finance", {"seniority": ["vp"], "department": ["finance"]}),
        ("director level or above at banks", {"seniority": ["c-level", "vp", "director"], "industry": ["banking"]}),
        ("VP and up in healthcare", {"seniority": ["c-level", "vp"], "industry": ["healthcare"]}),
        ("managers+ in ops", {"seniority": ["c-level", "vp", "director", "manager"], "department": ["operations"]}),
        ("at least director level contacts", {"seniority": ["c-level", "vp", "director"]}),
        ("engineering leaders", {"seniority": ["c-level", "vp", "director"], "department": ["engineering"]}),
        ("contacts in product or data roles", {"department": ["product", "data"]}),
        ("heads of revops", {"seniority": ["director"], "department": ["sales"]}),  # revenue operations is sales
        ("warm leads where the main contact is a director in engineering",
         {"seniority": ["director"], "department": ["engineering"], "tier": ["warm"]}),
        ("contacts who are CFOs", {"seniority": ["c-level"], "department": ["finance"]}),
    ],
)
def test_people_phrasing(question, expected):
    assert only_filter(question) == expected


@pytest.mark.parametrize("question", ["market leaders in fintech", "head count in fintech"])
def test_people_words_that_are_not_people_are_not_read_as_them(question):
    assert calls(question) == []


@pytest.mark.parametrize(
    "question",
    ["saas leads including the ones that have closed since", "saas leads, incl. those we've won or lost",
     "saas leads - closed ones too", "saas leads even the ones that already converted"],
)
def test_including_closed_inside_a_longer_phrase(question):
    assert only_filter(question) == {"industry": ["saas"], "scope": "all"}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("warm leads last contacted back in september", {"contacted_since": "2026-09-01", "not_contacted_since": "2026-10-01", "tier": ["warm"]}),
        ("leads whose last contact was in october", {"contacted_since": "2026-10-01", "not_contacted_since": "2026-11-01"}),
        # a last contact more than N days ago: there was one (never-contacted leads have no last contact)
        ("leads we last emailed over 3 weeks ago", {"not_contacted_in_days": 21, "never_contacted": False}),
        ("leads not contacted in 21 days", {"not_contacted_in_days": 21}),  # "not contacted" includes never
    ],
)
def test_when_a_lead_was_last_contacted(question, expected):
    assert only_filter(question) == expected


def test_speed_to_lead_without_a_grouping_is_one_total():
    assert calls("how fast do we get back to new leads?") == [("time_to_first_contact", {"by": "all"})]
    assert calls("whats our average response time") == [("time_to_first_contact", {"by": "all"})]
    assert calls("response time per rep") == [("time_to_first_contact", {"by": "rep"})]
    assert calls("lead volume by channel") == [("lead_volume", {"by": "channel"})]


@pytest.mark.parametrize(
    ("question", "groups"),
    [
        ("hot leads by industry, then warm leads by source", ["industry", "source"]),
        ("open leads by owner; also customers by country", ["owner", "country"]),
    ],
)
def test_a_second_part_of_another_shape_is_its_own_part(question, groups):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert [c.args.get("group_by") for c in decided.calls] == groups and decided.layout["kind"] == "parts"


def test_a_list_then_a_count_of_it():
    decided = plan("show warm leads in saas and then count them by owner", now=NOW, vocabulary=STORE_NAMES)
    assert [(c.name, c.args["filter"]) for c in decided.calls] == [
        ("search_leads", {"tier": ["warm"], "industry": ["saas"]}),
        ("aggregate_leads", {"tier": ["warm"], "industry": ["saas"]}),
    ]
    assert decided.calls[1].args["group_by"] == "owner"


@pytest.mark.parametrize(
    "question",
    ["Berlin vs London?", "berlin vs london, how many leads", "berlin vs london - how many leads do we have",
     "Berlin or London, which has more leads?", "which city has more leads: Berlin or London?"],
)
def test_two_cities_compared(question):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"] for c in decided.calls] == [{"city": ["Berlin"]}, {"city": ["London"]}]
    assert decided.layout == {"kind": "compare", "labels": ["Berlin", "London"]} or [x.lower() for x in decided.layout["labels"]] == ["berlin", "london"]


def test_what_to_count_after_bare_sides_applies_to_each_side():
    decided = plan("fintech vs saas: how many warm leads?", now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"] for c in decided.calls] == [{"tier": ["warm"], "industry": ["fintech"]}, {"tier": ["warm"], "industry": ["saas"]}]


def test_an_or_alternative_with_nothing_else_still_asks_for_leads():
    assert only_filter("any saas leads, or anything at all in London?") == {"any_of": [{"industry": ["saas"]}, {"city": ["London"]}]}


@pytest.mark.parametrize("question", ["can you book me a table for two tonight", "please order lunch for the team",
                                      "schedule my dentist appointment", "update my laptop"])
def test_an_action_on_something_other_than_data_is_out_of_scope(question):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls == [] and decided.message.startswith("I don't understand")


@pytest.mark.parametrize("question", ["book a demo with Northgate Capital", "schedule a call with the hot leads",
                                      "log a meeting for lead 12", "wipe the database"])
def test_an_action_on_leads_is_a_write_request(question):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls == [] and decided.message.startswith("I can't change data from the chat")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("hot leads in Europe", {"tier": ["hot"], "region": ["EUROPE"]}),
        ("european leads", {"region": ["EUROPE"]}),
        ("EU leads in fintech", {"region": ["EUROPE"], "industry": ["fintech"]}),
        ("leads outside europe", {"not_region": ["EUROPE"]}),
        ("EMEA leads", {"region": ["EMEA"]}),  # the sales region: Europe, the Middle East and Africa
        ("leads in the Americas", {"region": ["NA", "LATAM"]}),
        ("inbound leads", {"not_channel": ["outbound"]}),
    ],
)
def test_europe_is_the_european_countries_not_emea(question, expected):
    assert only_filter(question) == expected


def test_the_europe_region_holds_the_european_countries_only():
    from leadpilot.memory.geo import REGION_COUNTRIES, regions_of
    from leadpilot.tools.leads import LeadFilter

    europe = REGION_COUNTRIES["EUROPE"]
    assert {"GB", "IE", "DE", "FR", "ES", "NL", "SE", "CH", "NO", "PL", "IT"} <= europe
    assert not {"AE", "SA", "IL", "ZA", "NG", "EG", "TR", "US"} & europe  # Dubai is EMEA, not Europe
    assert europe < REGION_COUNTRIES["EMEA"]
    assert regions_of("DE") == ("DACH", "EUROPE", "EMEA") and regions_of("AE") == ("EMEA",)
    assert LeadFilter(region=["eu"]).region == ["EUROPE"] and LeadFilter(region=["Europe"]).region == ["EUROPE"]


def test_europe_and_speed_to_lead_reach_the_store(store):
    europe = ask(store, "hot leads in Europe pls, thank you!")
    assert {lead["company"] for lead in europe.leads} == {"Vaultline"}  # Carepath (London) is a customer
    speed = ask(store, "what's our median speed to lead?")
    assert speed.tool_calls == [{"name": "time_to_first_contact", "args": {"by": "all"}}]
    assert len(speed.rows) == 1 and speed.answer.startswith("Median time to first contact:")


# -- session 5: dates said together or as a point, big numbers, "vs" in reports, named values ------


def test_two_contact_windows_said_together_are_one_span_not_a_creation_date():
    lead_filter = only_filter("leads contacted yesterday or today")
    assert lead_filter == {"contacted_since": "2026-11-19"}  # not "created today" for the second window
    assert only_filter("leads we contacted last week or this week") == {"contacted_since": "2026-11-09"}


def test_windows_with_a_gap_between_them_are_refused_with_the_reason():
    decided = plan("leads contacted in october or december", now=NOW, vocabulary=STORE_NAMES)
    assert not decided.calls and "one time period per condition" in decided.message and "october or december" in decided.message


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("leads created last tuesday", {"created_after": "2026-11-17", "created_before": "2026-11-18"}),  # NOW is a Friday
        ("new leads on monday", {"created_after": "2026-11-16", "created_before": "2026-11-17"}),
        ("leads created last friday", {"created_after": "2026-11-13", "created_before": "2026-11-14"}),  # a week ago, not today
        ("leads created since the 1st", {"created_after": "2026-11-01"}),
        ("leads since the 21st", {"created_after": "2026-10-21"}),  # the 21st of this month is still to come
        ("leads created in the past fortnight", {"created_within_days": 14}),
        ("UKI leads from october", {"region": ["UKI"], "created_after": "2026-10-01", "created_before": "2026-11-01"}),
    ],
)
def test_single_days_and_the_first_of_the_month(question, expected):
    assert only_filter(question) == expected


@pytest.mark.parametrize("question", ["leads created 2 weeks ago", "hot leads contacted a month ago", "leads contacted 3 days ago"])
def test_a_moment_ago_is_refused_with_how_to_ask(question):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert not decided.calls and "is a moment, not a period" in decided.message and "in the last" in decided.message


def test_more_than_n_weeks_ago_is_still_a_period():
    assert only_filter("leads created more than 2 weeks ago") == {"created_before": "2026-11-06T12:00:00+00:00"}


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("top 99999999999999999999999 leads", "99999999999999999999999 as a top N"),
        ("leads with more than 99999999999999999999999 employees", "100000000000000000000000 as a company size"),
        ("leads not contacted in 99999999999999999999 days", "99999999999999999999 as a number of days"),
        ("leads with score above 99999999999999", "as a score"),
    ],
)
def test_a_number_out_of_any_range_is_said_not_run(question, said):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert not decided.calls and said in decided.message and "smaller number" in decided.message


def test_vs_inside_a_report_runs_the_report_once_per_side():
    (first, a), (second, b) = calls("volume this month vs last month")
    assert first == second == "lead_volume"
    assert a["filter"] == {"created_after": "2026-11-01"}
    assert b["filter"] == {"created_after": "2026-10-01", "created_before": "2026-11-01"}  # not one filter with both windows
    decided = plan("speed to lead paid vs organic", now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"] for c in decided.calls] == [{"channel": ["paid"]}, {"channel": ["organic"]}]
    assert decided.layout == {"kind": "parts", "labels": ["paid", "organic"]}


def test_vs_in_a_report_that_does_not_split_is_refused():
    decided = plan("volume this month vs blah", now=NOW, vocabulary=STORE_NAMES)
    assert not decided.calls and "two sides to compare" in decided.message


STORE_VALUES = Vocabulary(
    sources={"webinar": "webinar", "website_form": "website_form", "referral": "referral"},
    industries=frozenset({"fintech", "saas"}), departments=frozenset({"finance", "sales"}),
    contacts={"johanna krüger": "Johanna Krüger"}, reps={"diego": "diego@team.io"},
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("leads where source is webinar", {"source": ["webinar"]}),
        ("source: website form", {"source": ["website_form"]}),
        ("hot leads where the source isn't webinar", {"tier": ["hot"], "not_source": ["webinar"]}),
        ("leads with stage opportunity", {"stage": ["OPPORTUNITY"]}),
        ("leads where the contact sits in the finance department", {"department": ["finance"]}),
        ("who's Johanna Krüger?", {"contact": "Johanna Krüger"}),
        ("every lead we've ever had in fintech, won, lost or open", {"scope": "all", "industry": ["fintech"]}),
    ],
)
def test_values_named_with_their_field(question, expected):
    assert only_filter(question, STORE_VALUES) == expected


@pytest.mark.parametrize(
    ("question", "field", "listed"),
    [
        ("leads with source tiktok", "source 'tiktok'", "referral, webinar, website_form"),
        ("leads from tiktok", "source 'tiktok'", "referral, webinar, website_form"),
        ("leads in the negotiation stage", "stage 'negotiation'", "DISCOVERY, LEAD, PROSPECT"),
        ("leads where industry is aerospace", "industry 'aerospace'", "Fintech, SaaS"),
        ("tier platinum leads", "tier 'platinum'", "hot, warm, cold"),
    ],
)
def test_a_value_the_data_does_not_hold_is_said_with_what_it_holds(question, field, listed):
    decided = plan(question, now=NOW, vocabulary=STORE_VALUES)
    assert not decided.calls
    assert f"No lead in your data has the {field}" in decided.message and listed in decided.message


def test_a_known_value_no_lead_has_is_said_before_the_answer():
    decided = plan("hot leads in energy", now=NOW, vocabulary=STORE_VALUES)
    assert decided.calls[0].args["filter"] == {"tier": ["hot"], "industry": ["energy"]}
    assert any("No lead in your data has the industry 'Energy & Utilities'" in line for line in decided.readings)


def test_grouping_by_a_field_is_not_a_value():
    (name, args), = calls("leads by source", STORE_VALUES)
    assert name == "aggregate_leads" and args["group_by"] == "source"


def test_a_follow_up_to_a_comparison_narrows_every_side():
    sides = (ToolCall("aggregate_leads", {"filter": {"country": ["US"]}, "metric": "count"}),
             ToolCall("aggregate_leads", {"filter": {"region": ["EUROPE"]}, "metric": "count"}))
    context = Context(last_call=sides[-1], last_calls=sides, last_layout={"kind": "compare", "labels": ["US", "Europe"]})
    decided = plan("and only hot ones?", now=NOW, vocabulary=STORE_NAMES, context=context)
    assert [c.args for c in decided.calls] == [
        {"filter": {"country": ["US"], "tier": ["hot"]}, "metric": "count"},
        {"filter": {"region": ["EUROPE"], "tier": ["hot"]}, "metric": "count"},
    ]
    assert decided.layout == {"kind": "compare", "labels": ["US", "Europe"]}
    metric = plan("what about the average score?", now=NOW, vocabulary=STORE_NAMES, context=context)
    assert [c.args["metric"] for c in metric.calls] == ["avg_score", "avg_score"]
    # A follow-up about what was compared asks about that instead (not "Europe and Canada").
    (canada,) = plan("what about Canada?", now=NOW, vocabulary=STORE_NAMES, context=context).calls
    assert canada.args["filter"] == {"country": ["CA"]}


def test_then_by_another_field_is_a_second_grouping():
    assert [args.get("group_by") for _, args in calls("count leads by source, then by industry")] == ["source", "industry"]
    rates = calls("conversion rate by source, then by industry")
    assert [(args["metric"], args["group_by"]) for _, args in rates] == [("conversion_rate", "source"), ("conversion_rate", "industry")]


def test_the_first_question_compiles_the_window_grammar_once():
    """Cold start: the time-window grammar is compiled once, not into each phrase that can carry a
    window (a dozen copies cost ~0.1 s of a `leadpilot ask`)."""
    import re

    from leadpilot.agent.dates import WINDOW_PATTERN

    re.purge()
    plan("show hot leads in fintech not contacted in 3 days", now=NOW, vocabulary=STORE_NAMES)
    plan("leads that opened an email this week or visited the pricing page since monday", now=NOW, vocabulary=STORE_NAMES)
    cached = [key for key in re._cache if isinstance(key[1], str) and "(?P<range_a>" in key[1]]  # type: ignore[attr-defined]
    assert len(cached) <= 1, [key[1][:80] for key in cached]
    assert all(key[1] == WINDOW_PATTERN for key in cached)


def test_a_follow_up_to_a_comparison_in_a_conversation_narrows_both_sides(store):
    ask(store, "leads US vs Europe", conversation="compare-then-narrow")
    answer = ask(store, "and only hot ones?", conversation="compare-then-narrow")
    assert [call["args"]["filter"] for call in answer.tool_calls] == [{"country": ["US"], "tier": ["hot"]}, {"region": ["EUROPE"], "tier": ["hot"]}]
    assert answer.answer.startswith("Lead count, US vs Europe (open leads; tier: hot):")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("deals over 50% probability", {"min_probability": 0.5}),
        ("leads with 30%+ probability to close", {"min_probability": 0.3}),
        ("leads with both phone and email", {"has_phone": True, "has_email": True}),
        ("show every won deal from referrals", {"channel": ["referral"], "stage": ["CUSTOMER"]}),
        ("which of my leads went cold", {"owner": ["me"], "tier": ["cold"]}),  # "went" is not a slip of "ent"
        ("what's the status of Northgate Capital?", {"company": "Northgate Capital"}),  # "status" is not "states"
    ],
)
def test_more_ways_people_say_it(question, expected):
    assert only_filter(question) == expected


def test_two_metrics_or_two_groupings_are_two_answers_not_the_last_one():
    both = plan("what's the total number of open leads and the average score?", now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["metric"] for c in both.calls] == ["count", "avg_score"] and both.layout["kind"] == "parts"
    grouped = plan("how many leads by tier and by source", now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["group_by"] for c in grouped.calls] == ["tier", "source"]


def test_top_n_per_group_is_refused_not_read_as_a_count():
    decided = plan("top 3 hot leads per industry", now=NOW, vocabulary=STORE_NAMES)
    assert not decided.calls and "one top N, not one per group" in decided.message


def test_bottom_n_and_n_most_recently_contacted():
    (_, bottom), = calls("bottom 10 leads by score")
    assert (bottom["limit"], bottom["sort_by"], bottom["descending"]) == (10, "score", False)
    (_, recent), = calls("the 5 most recently contacted leads")
    assert (recent["limit"], recent["sort_by"], recent["descending"]) == (5, "last_contacted_at", True)


def test_a_lead_whose_score_is_asked_for_by_name():
    assert calls("what's Northgate Capital's score?") == [("explain_score", {"company": "Northgate Capital"})]
    assert calls("score for lead 42") == [("explain_score", {"lead_id": 42})]
    (name, args), = calls("what's the average score for fintech?")  # a score filter or average, not one lead
    assert name == "aggregate_leads" and args["metric"] == "avg_score"


def test_leads_someone_should_call_with_their_conditions_first():
    (name, args), = calls("any hot leads in london i should ping today?")
    assert name == "follow_ups_due" and args == {"day": "today", "filter": {"tier": ["hot"], "city": ["London"]}}


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("list warm leads in london and hot leads in berlin", [{"tier": ["warm"], "city": ["London"]}, {"tier": ["hot"], "city": ["Berlin"]}]),
        ("top 5 fintech leads and top 5 saas leads", [{"industry": ["fintech"]}, {"industry": ["saas"]}]),
        ("two things: hot leads in fintech, and warm leads in saas", [{"tier": ["hot"], "industry": ["fintech"]}, {"tier": ["warm"], "industry": ["saas"]}]),
        ("1) hot leads in berlin 2) warm leads in london", [{"tier": ["hot"], "city": ["Berlin"]}, {"tier": ["warm"], "city": ["London"]}]),
    ],
)
def test_two_lists_in_one_message_are_two_parts_not_one_list_of_both(question, filters):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"] for c in decided.calls] == filters and decided.layout["kind"] == "parts"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("hot leads and warm leads in berlin", {"tier": ["hot", "warm"], "city": ["Berlin"]}),  # Berlin is said for both
        ("hot leads in london and berlin", {"tier": ["hot"], "city": ["London", "Berlin"]}),
    ],
)
def test_a_condition_said_once_for_both_is_one_list(question, expected):
    assert only_filter(question) == expected


@pytest.mark.parametrize("question, tool, args", [
    ("how are reps doing on SLAs?", "sla_performance", {}),
    ("who missed their first-touch SLA in the last 2 weeks", "sla_performance", {"days": 14}),
    ("are our tiers calibrated?", "tier_calibration", {}),
    ("tier calibration pls", "tier_calibration", {}),
    ("how did tiers move week by week?", "score_drift", {}),
    ("score drift over the last 4 weeks", "score_drift", {"weeks": 4}),
])
def test_questions_about_the_policies_go_to_their_reports(question, tool, args):
    plan_ = plan(question, now=NOW)
    assert [(c.name, c.args) for c in plan_.calls] == [(tool, args)]


@pytest.mark.parametrize("question", ["how are reps performing?", "conversion by tier", "show hot leads in fintech"])
def test_other_reports_are_not_taken_for_policy_reports(question):
    assert all(c.name not in ("sla_performance", "tier_calibration", "score_drift") for c in plan(question, now=NOW).calls)


# -- MQL / SQL, paging, parts that inherit, close dates (planner) ----------------------------------


@pytest.mark.parametrize(
    ("question", "stage", "said"),
    [
        ("how many MQLs this month", "mql", "Read 'MQLs' as marketing-qualified: marketing passed them on"),
        ("show SQLs in fintech", "sql", "Read 'SQLs' as sales-qualified: sales accepted them"),
        ("any marketing qualified leads in london?", "mql", "Read 'marketing qualified leads' as marketing-qualified"),
    ],
)
def test_mql_and_sql_are_a_qualification_filter_and_the_answer_says_so(question, stage, said):
    from leadpilot.memory.vocab import STAGE_ALIASES

    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"]["qualification"] for c in decided.calls] == [[stage]]
    assert all("stage" not in c.args["filter"] for c in decided.calls)
    assert any(line.startswith(said) for line in decided.readings), decided.readings
    assert STAGE_ALIASES["mql"].value == "LEAD" and STAGE_ALIASES["sql"].value == "PROSPECT"  # one mapping, imports too


LIST = ToolCall("search_leads", {"filter": {"tier": ["hot"]}, "sort_by": "created_at"})
TOP_25 = ToolCall("search_leads", {"filter": {"tier": ["hot"]}, "limit": 25})


@pytest.mark.parametrize(
    ("question", "last", "limit", "offset"),
    [
        ("next page", LIST, 10, 10), ("2nd page", LIST, 10, 10), ("show more pls", LIST, 10, 10), ("page 3", LIST, 10, 20),
        ("next page", TOP_25, 25, 25), ("third page", TOP_25, 25, 50), ("next 20", TOP_25, 20, 25),
        ("next page", ToolCall("search_leads", {"filter": {}, "limit": 10, "offset": 10}), 10, 20),
    ],
)
def test_a_page_of_the_last_list_is_the_same_query_further_down(question, last, limit, offset):
    (name, args), = calls(question, context=Context(last_call=last))
    assert name == "search_leads" and args == {**last.args, "limit": limit, "offset": offset}


def test_a_page_without_a_list_before_asks_for_one():
    for context in (None, Context(last_call=ToolCall("aggregate_leads", {"filter": {}, "metric": "count"}))):
        decided = plan("next page", now=NOW, vocabulary=STORE_NAMES, context=context)
        assert decided.calls == [] and decided.message.startswith("There is no list to page through yet")


def test_a_part_that_names_no_leads_of_its_own_counts_the_part_befores():
    decided = plan("how many came in this week and how many are hot?", now=NOW, vocabulary=STORE_NAMES)
    first, second = (c.args["filter"] for c in decided.calls)
    assert first == {"created_after": "2026-11-16", "scope": "all"} and second == {"created_after": "2026-11-16", "tier": ["hot"]}
    assert decided.layout["labels"][1] == "how many are hot (of those in part 1)"
    # A part that says its own population, or a rate (history), does not inherit.
    own = plan("how many came in this week and how many hot leads do we have overall?", now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"] for c in own.calls] == [{"created_after": "2026-11-16", "scope": "all"}, {"tier": ["hot"]}]
    rate = plan("how many opportunities do we have, and what's our win rate?", now=NOW, vocabulary=STORE_NAMES)
    assert rate.calls[1].args["filter"] == {}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("deals won last month", {"stage": ["CUSTOMER"], "closed_after": "2026-10-01", "closed_before": "2026-11-01"}),
        ("lost this quarter", {"stage": ["LOST"], "closed_after": "2026-10-01"}),
        ("closed-won deals in october", {"stage": ["CUSTOMER"], "closed_after": "2026-10-01", "closed_before": "2026-11-01"}),
        ("how many deals did we close last month", {"closed_after": "2026-10-01", "closed_before": "2026-11-01"}),
        ("customers who came in last month", {"stage": ["CUSTOMER"], "created_after": "2026-10-01", "created_before": "2026-11-01"}),
    ],
)
def test_a_window_next_to_won_lost_or_closed_is_when_the_deal_closed(question, expected):
    (_, args), = calls(question)
    assert args["filter"] == expected


# -- a store that is not the demo: its own industries, sources, cities --------------------------------

# company, industry, city, country, source, stage, employees, days ago created, score, closed days ago
OTHER = [
    ("Noordvaart", "Maritime", "Rotterdam", "NL", "G2", "LEAD", 250, 2, 82, None),
    ("Zeelink", "Maritime", "Rotterdam", "NL", "Capterra", "PROSPECT", 40, 5, 75, None),
    ("Groenagro", "Agritech", "Rotterdam", "NL", "G2", "LEAD", 900, 12, 60, None),
    ("Havnbouw", "Construction", "Gothenburg", "SE", "Partner Portal", "OPPORTUNITY", 120, 30, 40, None),
    ("Veloterra", "Agritech", "Porto", "PT", "Podcast", "LEAD", 15, 1, 91, None),
    ("Kraftlaw", "Legal Tech", "Lyon", "FR", "G2", "DISCOVERY", 300, 3, 55, None),
    ("Juralink", "Legal Tech", "Lyon", "FR", "Capterra", "CUSTOMER", 500, 90, 70, 35),  # won in October
    ("Zeevaart", "Maritime", "Antwerp", "BE", "Podcast", "CUSTOMER", 80, 120, 65, 80),  # won in September
    ("Solvind", "Renewable Energy", "Gothenburg", "SE", "G2", "LOST", 60, 70, 30, 20),  # lost this quarter
    ("Havntek", "Maritime", "Rotterdam", "NL", "Podcast", "LOST", 30, 100, 20, None),  # lost, no close date
    ("Harbor Freight Partners", "Construction", "Porto", "PT", "Podcast", "LEAD", 70, 20, 45, None),
    ("Harbor Mutual", "Construction", "Porto", "PT", "Podcast", "PROSPECT", 90, 25, 50, None),
    *[(f"Rotterdam Freight {i}", "Logistics", "Rotterdam", "NL", "Cold Email", "LEAD", 50 + i, 4 + i, 10 + i, None) for i in range(14)],
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def other_store(request, tmp_path_factory):
    from conftest import _drop_postgres_database, _fresh_postgres_database

    url = f"sqlite:///{tmp_path_factory.mktemp('other') / 'other.db'}" if request.param == "sqlite" else _fresh_postgres_database()
    db = open_database(url)
    with db.transaction() as session:
        records = []
        for i, (company, industry, city, country, source, stage, size, days, _score, closed) in enumerate(OTHER):
            raw = {"external_id": f"O-{i}", "company": company, "industry": industry, "city": city, "country": country, "source": source,
                   "stage": stage, "company_size": size, "email": f"buyer{i}@{company.lower().replace(' ', '')}.example",
                   "created_at": (NOW - timedelta(days=days)).isoformat()}
            if closed is not None:
                raw["converted_at"] = (NOW - timedelta(days=closed)).isoformat()  # a lost lead's goes to extra.closed_lost_at
            records.append(validate_lead(raw, now=NOW))
        outcome = upsert_leads(session, records=records, now=NOW)
        for (_, lead_id), row in zip(outcome.actions, OTHER):
            tier = "hot" if row[8] >= 70 else "warm" if row[8] >= 40 else "cold"
            set_score(session, lead=get_lead(session, lead_id=lead_id), score=row[8], tier=tier, breakdown={}, reason="test", at=NOW)
    yield db
    db.dispose()
    if request.param != "sqlite":
        _drop_postgres_database(url)


def _companies(answer) -> set[str]:
    return {lead["company"] for lead in answer.leads}


def _open(row) -> bool:
    return row[5] not in ("CUSTOMER", "LOST")


@pytest.mark.parametrize(
    ("question", "expected", "said"),
    [
        ("agritech leads", lambda r: r[1] == "Agritech", None),
        ("agritch leads pls", lambda r: r[1] == "Agritech", "Read 'agritch' as agritech."),
        ("maritme leads in rotterdam w/ 200+ ppl", lambda r: r[1] == "Maritime" and r[2] == "Rotterdam" and r[6] >= 200,
         "Read 'maritme' as maritime."),
        ("legal tech companies in lyon", lambda r: r[1] == "Legal Tech" and r[2] == "Lyon", None),
        ("leads frm partner portal", lambda r: r[4] == "Partner Portal", None),
        ("hot leads from capterra or g2", lambda r: r[4] in ("Capterra", "G2") and r[8] >= 70, None),
        ("show me the logistics leads in rotterdam", lambda r: r[1] == "Logistics", None),
    ],
)
def test_a_store_with_its_own_vocabulary_is_read_in_its_own_words(other_store, question, expected, said):
    answer = ask(other_store, question)
    assert _companies(answer) == {r[0] for r in OTHER if _open(r) and expected(r)}, answer.answer
    if said:
        assert answer.answer.startswith(said), answer.answer


def test_counts_over_the_stores_own_values(other_store):
    answer = ask(other_store, "how many came from g2 this month")
    truth = sum(1 for r in OTHER if r[4] == "G2" and _open(r) and r[7] <= 19)
    assert [row["count"] for row in answer.rows] == [truth] and truth == 3
    compared = ask(other_store, "how many agritech vs maritime")
    truth = [sum(1 for r in OTHER if r[1] == industry and _open(r)) for industry in ("Agritech", "Maritime")]
    assert [part["rows"][0]["count"] for part in compared.parts] == truth == [2, 2], compared.answer
    assert "Closed leads not shown: agritech 0, maritime 2" in compared.answer


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_mqls_are_the_crms_marketing_qualified_leads_where_kept_else_the_lead_stage(backend, tmp_path):
    """A HubSpot import keeps "Marketing Qualified Lead"; "how many MQLs" counts exactly those, not its
    subscribers and plain leads (all stage LEAD). A store that kept no lifecycle value reads MQL as LEAD."""
    from conftest import _drop_postgres_database, _fresh_postgres_database

    stages = ["Marketing Qualified Lead", "MQL", "Subscriber", "Lead", "Lead", "Sales Qualified Lead", "Opportunity"]
    for kept, expected_mql, expected_sql in ((True, 2, 1), (False, 5, 1)):
        url = f"sqlite:///{tmp_path / f'{kept}.db'}" if backend == "sqlite" else _fresh_postgres_database()
        db = open_database(url)
        with db.transaction() as session:
            records = [validate_lead({"external_id": f"Q-{i}", "company": f"Quality {i}", "email": f"q{i}@quality{i}.example",
                                      "stage": stage if kept else {"Subscriber": "Lead", "MQL": "Lead", "Marketing Qualified Lead": "Lead",
                                                                   "Sales Qualified Lead": "Prospect"}.get(stage, stage),
                                      "created_at": (NOW - timedelta(days=2)).isoformat()}, now=NOW)
                       for i, stage in enumerate(stages)]
            upsert_leads(session, records=records, now=NOW)
        mqls, sqls = ask(db, "how many MQLs?"), ask(db, "# of SQLs")
        assert sum(row["count"] for row in mqls.rows) == expected_mql, mqls.answer
        assert sum(row["count"] for row in sqls.rows) == expected_sql, sqls.answer
        assert "Read 'MQLs' as marketing-qualified" in mqls.answer
        db.dispose()
        if backend != "sqlite":
            _drop_postgres_database(url)


def test_won_and_lost_in_a_period_read_the_close_date_the_store_has(other_store):
    won = ask(other_store, "deals won last month")
    assert _companies(won) == {"Juralink"}, won.answer
    lost = ask(other_store, "what did we lose this quarter")
    assert _companies(lost) == {"Solvind"}
    assert "1 closed lead otherwise matching has no close date" in lost.answer  # Havntek: lost, no date recorded


def test_next_page_continues_the_last_list(other_store):
    first = ask(other_store, "open leads in rotterdam by newest", conversation="pages")
    everyone = [lead["company"] for lead in first.leads]
    assert len(everyone) == 17
    second = ask(other_store, "next page", conversation="pages")
    assert [lead["company"] for lead in second.leads] == everyone[10:17]
    assert "Showing 11–17 of 17 (the last page)." in second.answer
    past = ask(other_store, "page 5", conversation="pages")
    assert past.leads == [] and "past the end of the list: it has 17" in past.answer


def test_a_second_part_without_its_own_leads_counts_among_the_firsts(other_store):
    answer = ask(other_store, "how many came in this week and how many are hot?")
    this_week = [r for r in OTHER if r[7] <= 4]  # Monday 16 Nov to Friday 20 Nov: every arrival, open or closed
    hot = [r for r in this_week if _open(r) and r[8] >= 70]  # the open hot ones of those
    assert [part["rows"][0]["count"] for part in answer.parts] == [len(this_week), len(hot)] == [4, 2]
    assert "2. How many are hot (of those in part 1)?" in answer.answer


# -- inflow (the lead's ruling on #15): a count of the leads that "came in" is every arrival ---------

@pytest.mark.parametrize(
    ("question", "scopes"),
    [
        ("how many leads came in last week?", ["all"]),
        ("how many webinar leads did we get last month?", ["all"]),  # where they came from: still arrivals
        ("how many leads came in this week, by source?", ["all"]),
        ("how many new leads arrived this week?", ["all"]),
        ("new leads this month vs last month", ["all", "all"]),  # each side of a comparison
        ("what came in yesterday?", [None]),  # a list: leads to work, open by default
        ("how many leads were created last week?", [None]),  # no inflow phrase: the open default
        ("how many hot leads came in this week?", [None]),  # a working state: the open hot ones
        ("how many leads came in last week by tier", [None]),
        ("how many leads that came in during Q3 2026 are still open", ["open"]),  # said outright
        ("how many customers came in last month?", [None]),  # a stage named: that stage
    ],
)
def test_a_count_of_the_leads_that_came_in_is_every_lead_created_in_the_window(question, scopes):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert [c.args["filter"].get("scope") for c in decided.calls] == scopes, decided.calls


def test_a_follow_up_to_an_inflow_count_reads_its_own_scope():
    context = Context(last_call=plan("how many leads came in last week?", now=NOW, vocabulary=STORE_NAMES).calls[0])
    hot = plan("how many of them are hot?", now=NOW, vocabulary=STORE_NAMES, context=context).calls[0]
    assert hot.args["filter"] == {"created_after": "2026-11-09", "created_before": "2026-11-16", "tier": ["hot"]}
    webinars = plan("what about from webinars?", now=NOW, vocabulary=STORE_NAMES, context=context).calls[0]
    assert webinars.args["filter"]["scope"] == "all" and webinars.args["filter"]["source"] == ["webinar"]


def test_an_inflow_count_counts_closed_arrivals_and_a_list_of_them_stays_open(other_store):
    arrived = [r for r in OTHER if r[7] <= 95]  # Juralink (won) and Solvind (lost) came in within 95 days too
    closed = [r for r in arrived if not _open(r)]
    assert len(closed) == 2
    count = ask(other_store, "how many leads came in in the last 95 days?")
    assert count.rows[0]["count"] == len(arrived)
    assert count.answer.startswith(f"{len(arrived)} leads came in (created in the last 95 days): all of them, open or closed.")
    assert "not shown" not in count.answer
    listed = ask(other_store, "which leads came in in the last 95 days?")
    assert len(listed.leads) == len(arrived) - len(closed) and "2 closed ones not shown" in listed.answer


def test_a_word_of_the_stores_own_industry_stands_for_it_when_the_usual_reading_is_not_held():
    store = Vocabulary(industries=frozenset({"renewable-energy", "legal-tech", "maritime", "fintech"}))
    assert only_filter("renewables leads", store) == {"industry": ["renewable-energy"]}
    assert only_filter("legal tech leads", store) == {"industry": ["legal-tech"]}
    assert only_filter("fintech leads", store) == {"industry": ["fintech"]}  # held as the planner reads it: unchanged
    assert only_filter("healthcare leads", store) == {"industry": ["healthcare"]}  # not held: said so by the check, not swapped
    decided = plan("maritme leads", now=NOW, vocabulary=store)
    assert decided.calls[0].args["filter"] == {"industry": ["maritime"]} and decided.readings == ["Read 'maritme' as maritime."]



@pytest.mark.parametrize(
    ("question", "expected", "said"),
    [
        ("new leads 2day?", {"created_after": "2026-11-20"}, None),  # "2day" is today, not "2 days"
        ("r there any opps in mfg?", {"industry": ["manufacturing"], "stage": ["OPPORTUNITY"]}, None),
        ("biotek leads not contacted in 2 weeks", {"industry": ["biotech"], "not_contacted_in_days": 14}, "Read 'biotek' as biotech."),
        ("ecomerce leads", {"industry": ["ecommerce"]}, "Read 'ecomerce' as ecommerce."),
        ("lookup Northgate Capital", {"company": "Northgate Capital"}, None),
    ],
)
def test_shorthand_and_spellings_by_ear(question, expected, said):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls[0].args["filter"] == expected
    assert (said in decided.readings) if said else not [r for r in decided.readings if r.startswith("Read ")]


def test_a_word_that_sounds_like_two_known_words_is_not_guessed():
    from leadpilot.agent.planner.typos import sound_key

    assert sound_key("biotek") == sound_key("biotech") and sound_key("fintek") == sound_key("fintech")
    twins = Vocabulary(companies={"kraftek": "Kraftek", "craftech": "Craftech"})
    assert sound_key("kraphtec") == sound_key("kraftek") == sound_key("craftech")
    assert plan("show me kraphtec", now=NOW, vocabulary=twins).calls == []
    assert plan("show me kraphtec", now=NOW, vocabulary=Vocabulary(companies={"kraftek": "Kraftek"})).calls[0].args["filter"] == {
        "company": "Kraftek"}


def test_whos_the_owner_after_one_lead_is_about_that_lead():
    context = Context(last_call=ToolCall("search_leads", {"filter": {"company": "Ledgerly Pay"}}), last_lead_ids=(7,), last_lead_id=7)
    for question in ("who's the owner?", "and the owner?", "who is the rep", "who owns this"):
        assert calls(question, context=context) == [("get_lead", {"lead_id": 7})], question


def test_a_place_the_data_has_no_lead_in_is_said_not_just_refused():
    decided = plan("any leads in Madrid?", now=NOW, vocabulary=STORE_NAMES)
    assert decided.calls == [] and "No lead in your data has the city 'Madrid'. Cities in your data: Berlin, Kant, Kent" in decided.message
    stage = plan("leads in the negotiation stage", now=NOW, vocabulary=STORE_NAMES)
    assert "the stage 'negotiation'" in stage.message and "city" not in stage.message


def test_the_start_of_several_company_names_lists_them_and_asks_which(other_store):
    answer = ask(other_store, "show me Harbor")
    assert _companies(answer) == {"Harbor Freight Partners", "Harbor Mutual"}
    assert "Several companies match 'Harbor': Harbor" in answer.answer and answer.answer.endswith("which one do you mean?")
    one = ask(other_store, "pull up kraftlaw pls")
    assert _companies(one) == {"Kraftlaw"} and "Owner: unassigned." in one.answer  # one lead: who has it


@pytest.mark.parametrize("question", ["how many leads came in this week and show me the hot ones",
                                      "how many leads came in this week and which are hot?"])
def test_a_part_asking_to_see_the_ones_before_lists_them_instead_of_counting(question):
    decided = plan(question, now=NOW, vocabulary=STORE_NAMES)
    (count, listed) = decided.calls
    assert count.name == "aggregate_leads" and listed.name == "search_leads"
    assert listed.args["filter"]["tier"] == ["hot"] and listed.args["filter"]["created_after"] == count.args["filter"]["created_after"]
    assert decided.layout["labels"][1].endswith("(of those in part 1)")


# -- session 7: MQL/SQL read as a qualification, part labels, job titles, city spellings, "who owns X?" ----

# company, city, country, state, job title, stage, owner, days ago created
TEAM = [
    ("Wawel Freight", "Kraków", "PL", None, "Fleet Manager", "Marketing Qualified Lead", "ana@team.io", 2),
    ("Isar Logistik", "München", "DE", None, "Office Manager", "Lead", "ana@team.io", 3),
    ("Tejo Pagamentos", "Lisboa", "PT", None, "CFO", "Marketing Qualified Lead", "ben@team.io", 40),
    ("Rhein Werke", "Köln", "DE", None, "Operations Manager", "Sales Qualified Lead", None, 4),
    ("Gateway Cargo", "Mumbai", "IN", None, "Head of Supply Chain", "Lead", "ben@team.io", 5),
    ("Dnipro Soft", "Kyiv", "UA", None, "Senior Software Engineer", "Opportunity", "ana@team.io", 6),
    ("Lone Star Haulage", "Austin", "US", "TX", "Fleet Manager", "Lead", "ben@team.io", 7),
    ("Lone Star Haulage", "Austin", "US", "TX", "Fleet Operations Lead", "Lead", "ana@team.io", 8),
    ("Lone Star Haulage", "Austin", "US", "TX", "Fleet Manager", "Closed Lost", "ana@team.io", 90),
    ("Quill Labs", "Austin", "US", "TX", "VP of Sales", "Lead", "ben@team.io", 9),
    ("Quill Labs", "Austin", "US", "TX", "VP of Sales", "Customer", "ana@team.io", 120),
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def team_store(request, tmp_path_factory):
    from conftest import _drop_postgres_database, _fresh_postgres_database

    url = f"sqlite:///{tmp_path_factory.mktemp('team') / 'team.db'}" if request.param == "sqlite" else _fresh_postgres_database()
    db = open_database(url)
    with db.transaction() as session:
        for email in ("ana@team.io", "ben@team.io"):
            upsert_rep(session, email=email, name=email.split("@")[0].title(), slack_user_id=None, now=NOW)
        records = [validate_lead({
            "external_id": f"T-{i}", "company": company, "city": city, "country": country, "state": state, "job_title": title,
            "stage": stage, "owner_email": owner, "email": f"p{i}@{company.lower().replace(' ', '')}.example",
            "created_at": (NOW - timedelta(days=days)).isoformat(),
            **({"converted": "false"} if company == "Isar Logistik" else {})}, now=NOW)  # a CRM export says 0 of an open lead
            for i, (company, city, country, state, title, stage, owner, days) in enumerate(TEAM)]
        upsert_leads(session, records=records, now=NOW)
    yield db
    db.dispose()
    if request.param != "sqlite":
        _drop_postgres_database(url)


def _team(question: str) -> dict:
    (name, args), = calls(question)
    return args["filter"]


def test_mqls_are_read_into_the_qualification_field_and_a_count_of_them_is_plain(team_store):
    for question in ("how many MQLs came in this month?", "how many SQLs do we have", "# of marketing qualified leads"):
        (name, args), = calls(question)
        assert name == "aggregate_leads" and "group_by" not in args and "stage" not in args["filter"], (question, args)
    assert _team("leads that are not MQLs") == {"not_stage": ["LEAD"]}  # no not_qualification: the stage an MQL stands for
    assert _team("stage is MQL") == {"qualification": ["mql"]}
    mqls = ask(team_store, "how many MQLs came in this month?")
    assert mqls.rows == [{"total": "all", "count": 1}] or [r["count"] for r in mqls.rows] == [1], mqls.answer  # Wawel; Tejo is older
    assert "Read 'MQLs' as marketing-qualified" in mqls.answer and "by stage" not in mqls.answer
    by_source = ask(team_store, "MQLs by source")
    assert sum(row["count"] for row in by_source.rows) == 2, by_source.answer


def test_part_labels_read_as_the_question_or_request_in_every_renderer(team_store):
    from io import StringIO

    from rich.console import Console

    from leadpilot.interfaces.cli.agent import _render_answer

    answer = ask(team_store, "how many leads came in this week and show me the hot ones")
    first, second = answer.answer.splitlines()[:2]
    assert first.startswith("1. How many leads came in this week? ")
    assert second.startswith("2. Show me the hot ones (of those in part 1): ") and "?:" not in second and "1)?" not in second
    out = StringIO()
    _render_answer(Console(file=out, width=200), answer)
    shown = out.getvalue()
    assert "(part 1)" not in shown and "Part 1 (created after" in shown, shown


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("fleet managers in Texas", {"Lone Star Haulage"}),  # its two open fleet managers (a "Lead" is a manager), not the closed one
        ("any office managers?", {"Isar Logistik"}),
        ("any CFOs?", {"Tejo Pagamentos"}),
        ("VPs of sales", {"Quill Labs"}),
        ("head of supply chain", {"Gateway Cargo"}),
        ("software engineers", {"Dnipro Soft"}),
    ],
)
def test_job_title_words_are_conditions_the_typed_filter_carries(team_store, question, expected):
    answer = ask(team_store, question)
    assert _companies(answer) == expected, answer.answer
    if "fleet" in question:
        assert answer.tool_calls[0]["args"]["filter"]["title"] == ["fleet"] and answer.total == 2
        assert "job title contains 'fleet'" in answer.answer


def test_a_title_condition_is_bound_text_not_sql(team_store):
    from leadpilot.tools.leads import LeadFilter, SearchLeads, Viewer, search_leads

    with team_store.session() as session:
        wild = search_leads(session, query=SearchLeads(filter=LeadFilter(title=["%%"])), viewer=Viewer(role="admin"), now=NOW, row_cap=100)
        quoted = search_leads(session, query=SearchLeads(filter=LeadFilter(title=["' or 1=1 --"])), viewer=Viewer(role="admin"), now=NOW,
                              row_cap=100)
    assert wild.total == 0 and quoted.total == 0


@pytest.mark.parametrize(
    ("question", "company", "said"),
    [
        ("leads in Cracow", "Wawel Freight", "Read 'Cracow' as Kraków"),
        ("leads in krakow", "Wawel Freight", None),
        ("any leads in Munich?", "Isar Logistik", "Read 'Munich' as München"),
        ("leads in Lisbon", "Tejo Pagamentos", "Read 'Lisbon' as Lisboa"),
        ("leads in Cologne", "Rhein Werke", "Read 'Cologne' as Köln"),
        ("leads in Bombay", "Gateway Cargo", "Read 'Bombay' as Mumbai"),
        ("leads in Kiev", "Dnipro Soft", "Read 'Kiev' as Kyiv"),
    ],
)
def test_other_spellings_of_a_city_are_the_stores_spelling_and_the_answer_says_so(team_store, question, company, said):
    answer = ask(team_store, question)
    assert _companies(answer) == {company}, answer.answer
    if said:
        assert answer.answer.startswith(said) and "(the spelling in your data)" in answer.answer, answer.answer


def test_a_city_filter_matches_every_spelling_of_the_city(team_store):
    from leadpilot.tools.leads import LeadFilter, SearchLeads, Viewer, search_leads

    with team_store.session() as session:
        found = {city: {lead["company"] for lead in search_leads(session, query=SearchLeads(filter=LeadFilter(city=[city])),
                                                                  viewer=Viewer(role="admin"), now=NOW, row_cap=100).leads}
                 for city in ("Munich", "Cracow", "Krakow", "Kiev")}
    assert found == {"Munich": {"Isar Logistik"}, "Cracow": {"Wawel Freight"}, "Krakow": {"Wawel Freight"}, "Kiev": {"Dnipro Soft"}}


def test_who_owns_a_company_answers_with_the_owner_of_its_open_lead(team_store):
    one = ask(team_store, "who owns Quill Labs?")
    assert one.answer.startswith("Quill Labs's open lead is owned by Ben: lead "), one.answer  # the rep by name
    assert "Found" not in one.answer and [lead["company"] for lead in one.leads] == ["Quill Labs"]
    assert "ben@team.io" not in one.answer and "owner Ben" not in one.answer, one.answer  # said once
    for question in ("who's the rep for Quill Labs?", "who's working Quill Labs?", "Quill Labs owner?", "which rep has Quill Labs?"):
        rep = ask(team_store, question)
        assert rep.answer.startswith("Quill Labs's open lead is owned by Ben"), (question, rep.answer)
    several = ask(team_store, "who owns Lone Star Haulage?", conversation="owner")
    assert several.answer.startswith("Lone Star Haulage has 2 open leads with different owners, so I have not picked one. Which one"), several.answer
    assert "owner Ben," in several.answer and "owner Ana," in several.answer
    by_rep = ask(team_store, "which rep has the most open leads?")
    assert by_rep.tool_calls[0]["args"].get("group_by") == "owner", by_rep.tool_calls  # no lead named: a count per rep
    picked = ask(team_store, "the first one", conversation="owner")
    assert picked.tool_calls[0]["name"] == "get_lead" and picked.leads[0]["company"] == "Lone Star Haulage"
    unassigned = ask(team_store, "who owns Rhein Werke")
    assert unassigned.answer.startswith("Rhein Werke's open lead is unassigned"), unassigned.answer


def test_a_conversion_rate_is_won_over_closed_even_when_an_import_said_an_open_lead_did_not_convert(team_store):
    rate = ask(team_store, "what's our conversion rate?")
    assert [row["conversion_rate"] for row in rate.rows] == [0.5], rate.answer  # Quill Labs won, Lone Star lost; Isar is open


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how many leads are still sitting in Open - Not Contacted?", {"stage": ["LEAD"]}),
        ("my leads that are still Open - Not Contacted", {"owner": ["me"], "stage": ["LEAD"]}),
        ("Closed - Not Converted leads in fintech", {"stage": ["LOST"], "industry": ["fintech"]}),
        ("open not contacted in 3 days", {"scope": "open", "not_contacted_in_days": 3}),  # a window follows: not the status
        ("how many leads are sitting in the web leads queue", {"owner": ["unassigned"]}),
        ("whats in the queue from referrals", {"owner": ["unassigned"], "channel": ["referral"]}),
        ("referral leads that haven't had any activity in the last 30 days", {"channel": ["referral"], "not_contacted_in_days": 30}),
        ("leads created since Nov 1 with no activity logged yet", {"created_after": "2026-11-01", "never_contacted": True}),
        ("fintech leads <100 employees", {"industry": ["fintech"], "max_employees": 99}),
        ("leads older than 6 months", {"created_before": "2026-05-20"}),
        ("did any of my leads convert this month?", {"owner": ["me"], "converted": True, "closed_after": "2026-11-01"}),
        ("leads from the website form source", {"source": ["website_form"]}),
        ("I'm putting together a territory review for Germany - can you break down our open leads there by industry for me?",
         {"country": ["DE"], "scope": "open"}),
        ("would you mind pulling together the hot leads?", {"tier": ["hot"]}),
    ],
)
def test_how_a_crm_team_says_it(question, expected):
    (_, args), = calls(question)
    assert args["filter"] == expected, args


def test_a_word_said_where_an_industry_goes_that_no_lead_has_is_said_not_in_the_data():
    vocabulary = Vocabulary(cities={"austin": "Austin"}, industries=frozenset({"fintech", "technology"}))
    refused = plan("crypto leads?", now=NOW, vocabulary=vocabulary)
    assert refused.calls == [] and "No lead in your data has the industry 'crypto'" in refused.message
    tech = plan("enterprise leads in tech", now=NOW, vocabulary=vocabulary)
    assert tech.calls[0].args["filter"]["industry"] == ["technology"]


# -- session 8: what people typed on the demo and on new stores --------------------------------------

ZOHO_NAMES = Vocabulary(
    cities={"london": "London", "leeds": "Leeds"},
    reps={"rahul": "rahul@team.io", "ananya": "ananya@team.io"},
    industries=frozenset({"msp-(management-service-provider)", "healthcare"}),
    sources={"x_(twitter)": "x_(twitter)", "trade_show": "trade_show"},
    statuses=frozenset({"Junk Lead", "Pre-Qualified", "Attempted to Contact", "Lost Lead", "Not Contacted", "Contacted"}),
    queues=frozenset({"web leads"}),
)


@pytest.mark.parametrize(
    ("question", "tool", "expected"),
    [
        # The store's own CRM statuses that no other words say; "Lost Lead" stays the LOST stage, "Not Contacted" a contact window.
        ("how many junk leads do we have?", "aggregate_leads", {"status": ["Junk Lead"]}),
        ("show pre-qualified leads in London", "search_leads", {"status": ["Pre-Qualified"], "city": ["London"]}),
        ("list Attempted to Contact leads owned by Rahul", "search_leads", {"status": ["Attempted to Contact"], "owner": ["rahul@team.io"]}),
        ("how many pre-qualifed leads does Rahul have", "aggregate_leads", {"status": ["Pre-Qualified"], "owner": ["rahul@team.io"]}),  # a typo
        ("lost leads from trade shows", "search_leads", {"stage": ["LOST"], "source": ["trade_show"]}),
        ("leads not contacted in 3 days", "search_leads", {"not_contacted_in_days": 3}),
        # A queue the file named as owner, and "not picked up": no rep owns them.
        ("how many leads are sitting with Web Leads (not picked up by anyone)?", "aggregate_leads", {"owner": ["unassigned"]}),
        # A value's short name and its name in brackets.
        ("@Leadpilot MSP leads in leeds pls", "search_leads", {"industry": ["msp-(management-service-provider)"], "city": ["Leeds"]}),
        ("how many leads from twitter", "aggregate_leads", {"source": ["x_(twitter)"]}),
        ("leads who visited our website this week", "search_leads", {"activity": [{"kind": "page_view", "since": "2026-11-16"}]}),
        ("I'd really appreciate a list of the healthcare leads in London, if that's possible", "search_leads",
         {"industry": ["healthcare"], "city": ["London"]}),
        ("Hey there, I'm prepping for a call tomorrow; can you show me the VPs we have in healthcare?", "search_leads",
         {"seniority": ["vp"], "industry": ["healthcare"]}),
        ("what's the avg deal score for paid leads", "aggregate_leads", {"channel": ["paid"]}),
        ("list leads with no source", "search_leads", {"source": ["unknown"]}),
        ("leads rated hot in London", "search_leads", {"tier": ["hot"], "city": ["London"]}),
        ("how many customers did we win last month", "aggregate_leads",
         {"stage": ["CUSTOMER"], "closed_after": "2026-10-01", "closed_before": "2026-11-01"}),
        ("what are the biggest companies among open leads", "search_leads", {"scope": "open"}),
    ],
)
def test_what_people_typed_on_new_stores_is_read(question, tool, expected):
    (name, args), = calls(question, ZOHO_NAMES)
    assert name == tool and args["filter"] == expected, (question, name, args)


def test_a_status_filter_matches_the_kept_status_in_any_spelling_and_lifts_the_open_default(team_store):
    from leadpilot.tools.leads import LeadFilter, SearchLeads, Viewer, search_leads

    with team_store.session() as session:
        found = {lead["company"] for lead in search_leads(session, query=SearchLeads(filter=LeadFilter(status=["marketing-qualified LEAD"])),
                                                          viewer=Viewer(role="admin"), now=NOW, row_cap=100).leads}
        quoted = search_leads(session, query=SearchLeads(filter=LeadFilter(status=["' or 1=1 --"])), viewer=Viewer(role="admin"), now=NOW,
                              row_cap=100)
    assert found == {company for company, *rest in TEAM if rest[4] == "Marketing Qualified Lead"} and found, found
    assert quoted.total == 0


def test_several_ways_of_asking_read_as_people_mean_them():
    assert calls("which leads should i call first today?")[0] == ("follow_ups_due", {"day": "today"})
    (name, args), = calls("who is the best rep by conversion rate")
    assert args["group_by"] == "owner" and args["metric"] == "conversion_rate", args
    sides = calls("how do Rahul and Ananya compare on open leads?", ZOHO_NAMES)
    assert [args["filter"].get("owner") for _, args in sides] == [["rahul@team.io"], ["ananya@team.io"]], sides
    months = calls("how many leads did we get in october vs september")
    assert [args["filter"]["created_after"] for _, args in months] == ["2026-10-01", "2026-09-01"], months
    decided = plan("delete the closed not converted ones", now=NOW, vocabulary=STORE_NAMES)
    assert not decided.calls and decided.message.startswith("I can't change data from the chat"), decided.message


def test_a_value_read_but_not_in_the_data_is_said_so_not_refused_as_unread():
    for question, city in (("any leads in Madrid?", "Madrid"), ("any leads in cracow?", "Cracow")):  # a name said as a city; a known spelling
        said = plan(question, now=NOW, vocabulary=STORE_NAMES).message
        assert said.startswith(f"No lead in your data has the city '{city}'.") and "don't understand" not in said, said
        assert "Try, for example" not in said, said  # the cities in the data are the suggestion
    assert "I don't understand 'xyz'" in plan("hot leads in xyz", now=NOW, vocabulary=STORE_NAMES).message  # a guess: still unread
    guessed = plan("score distribution for purple leads", now=NOW, vocabulary=Vocabulary(industries=frozenset({"fintech"}))).message
    assert guessed.startswith("I don't understand 'purple'"), guessed  # only placed where an industry could go: still unread


def test_why_is_a_lead_a_tier_it_is_not_says_so_first():
    import json

    from leadpilot.agent.answers import compose_answer
    from leadpilot.agent.messages import ToolMessage

    decided = plan("why is Northgate Capital hot?", now=NOW, vocabulary=STORE_NAMES)
    assert decided.layout == {"kind": "why", "tier": "hot"}, decided.layout
    result = {"lead_id": 2366, "company": "Northgate Capital", "score": 37, "tier": "warm", "top_reasons": ["fintech +25"]}
    said = compose_answer([ToolMessage(json.dumps(result), "1", name="explain_score")], layout=decided.layout)
    assert said.startswith("Northgate Capital is warm (37), not hot. Lead 2366 (Northgate Capital): 37, warm"), said
    hot = compose_answer([ToolMessage(json.dumps({**result, "tier": "hot", "score": 80}), "1", name="explain_score")], layout=decided.layout)
    assert hot.startswith("Lead 2366 (Northgate Capital): 80, hot"), hot


def test_no_source_and_reps_are_shown_as_people_read_them():
    import json

    from leadpilot.agent.answers import compose_answer
    from leadpilot.agent.messages import ToolMessage

    by_source = {"rows": [{"source": "web", "count": 5}, {"source": "unknown", "count": 2}], "group_by": "source", "metric": "count",
                 "filters_applied": ["including closed"]}
    assert "web 5, (no source) 2" in compose_answer([ToolMessage(json.dumps(by_source), "1", name="aggregate_leads")])
    by_owner = {"rows": [{"owner": "ana@team.io", "count": 3}, {"owner": "unassigned", "count": 1}], "group_by": "owner",
                "metric": "count", "filters_applied": ["including closed"]}
    decided = plan("how many leads does each rep have", now=NOW, vocabulary=Vocabulary(rep_names={"ana@team.io": "Ana Lima"}))
    said = compose_answer([ToolMessage(json.dumps(by_owner), "1", name="aggregate_leads")], layout=decided.layout)
    assert "Ana Lima 3, unassigned 1" in said, said
