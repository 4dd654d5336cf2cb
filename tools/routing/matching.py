"""Whether a lead meets a rule's conditions, and the words that say why (pure, no database).

The classic conditions (territory, region, segment...) keep their list semantics; a field test
(policy_conditions.FieldTest) compares any lead field, custom fields included; `any`, `all` and
`not` combine conditions. A lead missing a field meets no test on it except `missing: true`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from leadpilot.memory.geo import country_code
from leadpilot.memory.vocab import channel_of, industry_slug, normalise_source
from leadpilot.tools.routing.facts import LeadFacts
from leadpilot.tools.routing.policy import RoutingPolicy
from leadpilot.tools.routing.policy_conditions import FieldTest, describe_op, describe_test, contains_words, to_moment
from leadpilot.tools.routing.policy_sections import Conditions, Rule


def _listed(values: Iterable[str]) -> str:
    return ", ".join(values)


def _classic(name: str, wanted: Any, lead: LeadFacts, policy: RoutingPolicy) -> tuple[bool | None, str]:
    """A classic condition: True/False, or None when the lead has no value for it."""
    if name == "territory":
        places = lead.places()
        for territory in wanted:
            entries = policy.territories.get(territory, ())
            hit = next((p for p in places if p in entries), None)
            if hit:
                return True, f"{hit} is in territory {territory}"
        if not places:
            return None, "country unknown"
        return False, f"{places[0]} is not in territory {_listed(wanted)}"
    if name == "score":
        if lead.score is None:
            return None, "no score"
        low_ok = wanted.at_least is None or lead.score >= wanted.at_least
        high_ok = wanted.below is None or lead.score < wanted.below
        return low_ok and high_ok, f"score {lead.score} {'is' if low_ok and high_ok else 'is not'} {wanted.describe()}"
    value = _CLASSIC_FIELD[name](lead)
    if value is None:
        return None, f"{name} unknown"
    if name == "region":  # a sub-region (DACH) or the main one (EMEA): the most specific that is wanted
        value = next((region for region in lead.regions if region in wanted), value)
    hit = value in wanted or (name == "segment" and value == "micro" and "smb" in wanted) or (
        name == "source" and channel_of(value).value in wanted)  # a source kept as given ("employee_referral") is in its channel ("referral")
    return hit, f"{name} {value} {'in' if hit else 'not in'} [{_listed(wanted)}]"


# A classic condition's lead value, read only for the condition asked (region and segment are derived).
_CLASSIC_FIELD = {
    "region": lambda lead: lead.region,
    "country": lambda lead: lead.country,
    "state": lambda lead: f"{lead.country}-{lead.state.upper()}" if lead.country and lead.state else None,
    "industry": lambda lead: lead.industry,
    "segment": lambda lead: lead.segment,
    "source": lambda lead: lead.source,
    "tier": lambda lead: lead.tier,
    "language": lambda lead: lead.language,
}
_CLASSIC_VALUE = {"territory": lambda lead: lead.country, "region": lambda lead: lead.region, "segment": lambda lead: lead.segment,
                  "state": lambda lead: lead.state}


def _text(field: str, value: Any) -> Any:
    """A value compared as the lead filter compares it: ISO country, industry slug, source as the team writes it."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    if field == "country":
        return country_code(text) or text.upper()
    if field == "industry":
        return industry_slug(text)
    if field == "source":
        return normalise_source(text)
    return text.casefold()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _op_holds(op: str, wanted: Any, value: Any, test: FieldTest, now: datetime) -> bool | None:
    """One operator on a present value; None when the value cannot be compared (a text where a number is wanted)."""
    if op in ("lt", "lte", "gt", "gte"):
        number = _number(value)
        if number is None:
            return None
        return {"lt": number < wanted, "lte": number <= wanted, "gt": number > wanted, "gte": number >= wanted}[op]
    if op in ("after", "before", "within_days"):
        moment = to_moment(value)
        if moment is None:
            return None
        if op == "within_days":
            return moment >= now - timedelta(days=wanted)
        bound = to_moment(wanted)
        return moment >= bound if op == "after" else moment < bound
    if op == "contains":  # whole words, any case, either number: "student" is in "Graduate students", not in "Studentship"
        words = contains_words(" ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))
        return any(_has_run(words, contains_words(phrase)) for phrase in wanted)
    if test.kind == "bool" or isinstance(value, bool):
        truth = str(wanted).strip().lower() in ("true", "yes", "1") if not isinstance(wanted, bool) else wanted
        return (value == truth) if op == "eq" else None
    number = _number(value)
    if isinstance(wanted, (int, float)) and op == "eq":
        return number == wanted
    values = wanted if op in ("in", "not_in") else (wanted,)
    mine = _text(test.field, value)
    hit = any((_number(w) == number if isinstance(w, (int, float)) and number is not None else _text(test.field, w) == mine) for w in values)
    return not hit if op == "not_in" else hit


def _has_run(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    return any(words[i:i + len(phrase)] == phrase for i in range(len(words) - len(phrase) + 1))


def field_test_holds(test: FieldTest, lead: LeadFacts, policy: RoutingPolicy, now: datetime) -> tuple[bool, str]:
    """Every operator of the test holds; the text names the value and the test (or the one that failed)."""
    if test.kind == "classic":
        return _classic_test(test, lead, policy)
    value = lead.value(test.field)
    present = value is not None and value != "" and value != [] and value != {}
    for op, wanted in test.ops:
        if op == "missing":
            met = (not present) if wanted else present
            shown = f"{test.label} {_shown(value)}" if present else f"{test.label} unknown"
            return met, f"{shown} ({describe_op(op, wanted, test)}{'' if met else ' wanted'})"
        if not present:
            return False, f"{test.label} unknown (wanted {describe_test(test)})"
        held = _op_holds(op, wanted, value, test, now)
        if held is False and op == "contains":
            return False, f"{test.label} {_shown(value)} does not contain " + " or ".join(f'"{p}"' for p in wanted)
        if not held:
            why = "cannot be compared" if held is None else "is not"
            return False, f"{test.label} {_shown(value)} {why} {describe_op(op, wanted, test)}".replace(f"{test.label} {test.label}", test.label)
    return True, f"{test.label} {_shown(value)}: {describe_test(test)}"


def _classic_test(test: FieldTest, lead: LeadFacts, policy: RoutingPolicy) -> tuple[bool, str]:
    """in / not_in / missing on a classic condition (territory, region, segment, industry...)."""
    for op, wanted in test.ops:
        if op == "missing":
            present = (_CLASSIC_VALUE.get(test.field) or (lambda lead: lead.value(test.field)))(lead) is not None
            met = (not present) if wanted else present
            return met, f"{test.label} {'unknown' if not present else 'known'}" + ("" if met else f" (wanted {'unknown' if wanted else 'known'})")
        hit, text = _classic(test.field, wanted, lead, policy)
        if hit is None:
            return False, text
        if op == "not_in":
            if hit:
                return False, text.replace(" in [", " is in excluded [") if " in [" in text else f"{text} (excluded)"
            continue
        if not hit:
            return False, text
    return True, text if test.ops[-1][0] != "not_in" else f"{test.label} not {_listed(test.ops[-1][1])}"


# What a classic condition's outcome (and its words) depends on: the lead's value for it, or for
# territory, state and region the country (and state) they are worked out from.
_CLASSIC_KEY = {**_CLASSIC_FIELD, "territory": lambda lead: (lead.country, lead.state), "state": lambda lead: (lead.country, lead.state),
                "region": lambda lead: lead.country, "score": lambda lead: lead.score}
_SCALARS = (str, int, float, bool, type(None))


def _leaf(name: str, wanted: Any, lead: LeadFacts, policy: RoutingPolicy, now: datetime, memo: dict | None) -> tuple[bool | None, str]:
    """One condition's outcome; with a `memo` (one per policy, kept by the snapshot), leads with the
    same value for it share one evaluation (many leads of a batch share a country, a segment...)."""
    test = wanted if isinstance(wanted, FieldTest) else None
    if memo is None:
        return field_test_holds(test, lead, policy, now) if test is not None else _classic(name, wanted, lead, policy)
    if test is None or test.kind == "classic":
        value = _CLASSIC_KEY[test.field if test is not None else name](lead)
        key: Any = (name, id(wanted), type(value), value)
    else:
        value = lead.value(test.field)
        if type(value) not in _SCALARS:  # dates and lists: rarely shared, computed each time
            return field_test_holds(test, lead, policy, now)
        key = (name, id(wanted), type(value), value, now)
    found = memo.get(key)
    if found is None or found[0] is not wanted:  # the id of a condition no longer in the policy: not ours
        found = (wanted, field_test_holds(test, lead, policy, now) if test is not None else _classic(name, wanted, lead, policy))
        if len(memo) < 100_000:
            memo[key] = found
    return found[1]


def conditions_hold(conditions: Conditions, lead: LeadFacts, policy: RoutingPolicy, now: datetime,
                    memo: dict | None = None) -> tuple[bool, str]:
    """Whether every condition holds; the text names them (or the first that fails). `memo`: a dict
    kept for one policy (RoutingSnapshot.match_memo), to share outcomes across leads with the same values."""
    reasons = []
    for name, wanted in conditions.present():
        if name == "any":
            outcomes = [conditions_hold(option, lead, policy, now, memo) for option in wanted]
            hit = next((text for ok, text in outcomes if ok), None)
            if hit is None:
                return False, "none of the alternatives: " + " / ".join(f"({text})" for _, text in outcomes)
            reasons.append(f"one of the alternatives: {hit}")
            continue
        if name == "all":
            for option in wanted:
                ok, text = conditions_hold(option, lead, policy, now, memo)
                if not ok:
                    return False, text
                reasons.append(text)
            continue
        if name == "not":
            ok, text = conditions_hold(wanted, lead, policy, now, memo)
            if ok:
                return False, f"excluded by `not`: {text}"
            reasons.append(f"not ({text})")
            continue
        hit, text = _leaf(name, wanted, lead, policy, now, memo)
        if not hit:
            return False, text
        reasons.append(text)
    return True, "; ".join(reasons) or "no conditions: every lead"


def match_rule(rule: Rule, lead: LeadFacts, policy: RoutingPolicy, now: datetime, memo: dict | None = None) -> tuple[bool, str]:
    """Whether every condition of the rule holds; the text names them (or the first that fails)."""
    present = rule.when.present()
    if memo is not None and len(present) == 1 and present[0][0] not in ("any", "all", "not"):  # one condition: its outcome
        hit, text = _leaf(present[0][0], present[0][1], lead, policy, now, memo)
        return (True, text or "no conditions: every lead") if hit else (False, text)
    return conditions_hold(rule.when, lead, policy, now, memo)


def fields_tested(policy: RoutingPolicy) -> set[str]:
    """The lead columns beyond LeadFacts' own that the policy's rules test ("created_at", "extra"...)."""
    found: set[str] = set()

    def walk(conditions: Conditions) -> None:
        for name, wanted in conditions.present():
            if name in ("any", "all"):
                for option in wanted:
                    walk(option)
            elif name == "not":
                walk(wanted)
            elif isinstance(wanted, FieldTest):
                found.add("extra" if wanted.field.startswith("extra.") else wanted.field)

    for rule in policy.rules:
        walk(rule.when)
    return found
