"""The places pass: cities (from the store), US states, countries and regions, included or
excluded ("not in London or Paris", "outside the US"), and lists of places that cannot be one query.
"""

from __future__ import annotations

import re

from leadpilot.agent.planner.reading import FILLER, Place, Reading
from leadpilot.memory.geo import CITY_SPELLINGS, COUNTRY_ALIASES, city_spellings, fold_name

COUNTRY_PHRASES: dict[str, str] = {
    "united states": "US", "the states": "US", "america": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US",
    "united kingdom": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "u.k.": "GB",
    "germany": "DE", "france": "FR", "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "spain": "ES",
    "ireland": "IE", "sweden": "SE", "italy": "IT", "switzerland": "CH", "poland": "PL", "portugal": "PT",
    "canada": "CA", "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL", "colombia": "CO",
    "australia": "AU", "new zealand": "NZ", "singapore": "SG", "japan": "JP", "india": "IN", "china": "CN",
    "south korea": "KR", "korea": "KR", "hong kong": "HK", "uae": "AE", "united arab emirates": "AE",
    "israel": "IL", "south africa": "ZA", "nigeria": "NG", "kenya": "KE", "denmark": "DK", "norway": "NO",
    "finland": "FI", "belgium": "BE", "austria": "AT", "germany's": "DE",
    # Adjectives: "Australian leads", "German companies".
    "american": "US", "british": "GB", "german": "DE", "french": "FR", "dutch": "NL", "spanish": "ES",
    "irish": "IE", "swedish": "SE", "italian": "IT", "swiss": "CH", "polish": "PL", "portuguese": "PT",
    "canadian": "CA", "mexican": "MX", "brazilian": "BR", "argentinian": "AR", "chilean": "CL", "colombian": "CO",
    "australian": "AU", "aussie": "AU", "singaporean": "SG", "japanese": "JP", "indian": "IN",
    "chinese": "CN", "korean": "KR", "emirati": "AE", "israeli": "IL", "south african": "ZA", "nigerian": "NG",
    "kenyan": "KE", "danish": "DK", "norwegian": "NO", "finnish": "FI", "belgian": "BE", "austrian": "AT",
    **{k: v for k, v in COUNTRY_ALIASES.items() if len(k) > 2},
}
# Upper-case codes people type ("US", "UK"); lower-case "us" is a pronoun, so codes need capitals.
COUNTRY_CODES = {"US": "US", "USA": "US", "UK": "GB", "GB": "GB", "DE": "DE", "FR": "FR", "NL": "NL", "ES": "ES",
                 "IE": "IE", "SE": "SE", "AU": "AU", "SG": "SG", "JP": "JP", "BR": "BR", "MX": "MX", "UAE": "AE",
                 "NZ": "NZ", "CH": "CH"}
REGION_PHRASES: dict[str, str] = {
    # "Europe" is the European countries (EUROPE), not EMEA, which also holds the Middle East and Africa.
    "emea": "EMEA", "europe": "EUROPE",
    # The Middle East and Africa: EMEA outside Europe (the filter's MEA).
    "middle east": "MEA", "mea": "MEA", "middle east and africa": "MEA", "middle east & africa": "MEA", "middle east/africa": "MEA",
    "middle-east": "MEA", "me&a": "MEA", "the middle east": "MEA", "iberia": "IBERIA", "iberian peninsula": "IBERIA",
    "the iberian peninsula": "IBERIA", "gcc": "GCC", "the gulf": "GCC", "gulf": "GCC", "gulf states": "GCC", "iberian": "IBERIA", "european": "EUROPE", "eu": "EUROPE",
    "continental europe": "EUROPE", "the eu": "EUROPE",
    "apac": "APAC", "asia pacific": "APAC", "asia-pacific": "APAC", "asia": "APAC",
    "latam": "LATAM", "latin america": "LATAM", "south america": "LATAM", "latin american": "LATAM",
    "south american": "LATAM", "asian": "APAC",
    "north america": "NA", "north american": "NA",
    "dach": "DACH", "the dach region": "DACH", "d-a-ch": "DACH", "nordics": "NORDICS", "nordic": "NORDICS",
    "the nordics": "NORDICS", "scandinavia": "NORDICS", "scandinavian": "NORDICS", "benelux": "BENELUX",
    "anz": "ANZ", "australia and new zealand": "ANZ", "australia & new zealand": "ANZ", "uki": "UKI", "uk&i": "UKI",
    "uk & ireland": "UKI", "uk and ireland": "UKI", "uk+i": "UKI", "europe, middle east and africa": "EMEA",
    "latin-america": "LATAM", "asia-pac": "APAC", "asiapac": "APAC", "oceania": "APAC",
}
# Codes people type in lower case that are not English words (two-letter codes are: "in", "de", "us").
LOWER_COUNTRY_CODES = {"uk": "GB", "usa": "US", "uae": "AE", "nz": "NZ"}
# Upper-case region codes ("NA" only in capitals: "n/a", "na" are not North America).
REGION_CODES = {"NA": "NA", "NAM": "NA", "NORAM": "NA", "AMER": "NA", "EMEA": "EMEA", "APAC": "APAC", "LATAM": "LATAM",
                "DACH": "DACH", "ANZ": "ANZ", "UKI": "UKI", "EU": "EUROPE", "MEA": "MEA", "GCC": "GCC"}


def country_phrases(vocabulary) -> dict[str, str]:
    """The planner's country words, and the name of every country the store's leads are in ("Peru"), kept on
    the vocabulary (built once per store)."""
    cached = vocabulary.__dict__.get("_country_phrases")
    if cached is None:
        from leadpilot.memory.geo import country_name

        cached = dict(COUNTRY_PHRASES)
        for code in sorted(vocabulary.countries):
            name = " ".join(country_name(code).lower().split())
            if len(name) >= 4 and name not in REGION_PHRASES:
                cached.setdefault(name, code)
        vocabulary.__dict__["_country_phrases"] = cached
    return cached


def us_is_country(text: str, start: int, end: int) -> bool:
    """Is the lower-case "us" at text[start:end] the country? "US leads", "in us", "us vs europe" are;
    "show us", "contacted us", "for us" are the pronoun."""
    before, after = text[:start], text[end:]
    if re.search(r"\b(?:show|give|tell|get|send|let|help|for|to|with|brought|bring|brings|email|emailed|contact|contacted|"
                 r"call|called|reached|about|like|of|by|than|heard|hear|from|told|asked|ask|gave|sent|met|meet)\s+$", before):
        return bool(re.match(r"\s*-\s*based\b", after))
    if re.search(r"\b(?:in|across|vs|versus|outside(?:\s+of)?|non|and|or)[\s-]*$", before) or not before.strip():
        return True
    return bool(re.match(r"(?:\s*-\s*|\s+)(?:based|leads?|accounts?|companies|prospects?|customers?|deals|only|vs|versus)\b", after))


US_STATES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york state": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington state": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY", "ontario": "ON", "quebec": "QC", "british columbia": "BC",
}
# Cities that share a name with their state: "California or New York" means the states.
CITY_STATES = {"new york": "NY", "nyc": "NY", "washington": "WA"}
# Two-letter state codes only when typed in capitals and not a common word.
STATE_CODES = frozenset(US_STATES.values()) - {"IN", "OR", "ME", "OK", "HI", "ON", "DE", "LA", "CO", "GA", "PA", "MA", "ID"}
CITY_ALIASES: dict[str, str] = {
    "sf": "San Francisco", "san fran": "San Francisco", "bay area": "San Francisco", "nyc": "New York",
    "new york city": "New York", "la": "Los Angeles", "sao paulo": "São Paulo", "bengaluru": "Bangalore",
    "cdmx": "Mexico City", "blr": "Bangalore", "munchen": "Munich", "münchen": "Munich",
}


def city_table(vocabulary) -> dict[str, str]:
    """How people name a city -> the value to filter on: the planner's short names ("sf", "nyc"), the
    store's own cities (its spelling wins: a store that spells "München" is not asked for "Munich"),
    and every other spelling of a city the store holds (memory.geo.CITY_SPELLINGS: "Cracow" is the
    store's "Kraków"). Kept on the vocabulary (built once per store)."""
    cached = vocabulary.__dict__.get("_city_table")
    if cached is not None:
        return cached
    table = {**CITY_ALIASES, **vocabulary.cities}
    if vocabulary.cities:
        for group in CITY_SPELLINGS:
            held = next((vocabulary.cities[fold_name(spelling)] for spelling in group if fold_name(spelling) in vocabulary.cities), None)
            if held is not None:
                table |= {form: held for spelling in group for form in (spelling.lower(), fold_name(spelling))}
    table = {k: v for k, v in table.items() if k not in COUNTRY_PHRASES}  # a city-state ("Singapore") is read as its country
    vocabulary.__dict__["_city_table"] = table
    return table


def state_table(vocabulary) -> dict[str, str]:
    """How people name the store's own states and provinces (named, not coded: "Catalonia", "Balearic Islands") -> the
    value as stored; not one that is also a city or a country of the reader ("Lima", "England": read as those)."""
    cached = vocabulary.__dict__.get("_state_table")
    if cached is None:
        cities = city_table(vocabulary)
        cached = {form: value for key, value in vocabulary.states.items() if len(value) > 3 and not value.isupper()
                  for form in {key, fold_name(key)} if form not in cities and form not in COUNTRY_PHRASES and form not in US_STATES}
        vocabulary.__dict__["_state_table"] = cached
    return cached


def spelling_readings(text: str, filters: list[dict]) -> list[str]:
    """ "Read 'Cracow' as Kraków (the spelling in your data).": a city the filter names that the
    message said another way."""
    said = fold_name(text)
    lines = []
    for lead_filter in filters:
        for alternative in [lead_filter, *(lead_filter.get("any_of") or [])]:
            for city in [*(alternative.get("city") or []), *(alternative.get("not_city") or [])]:
                if re.search(rf"(?<!\w){re.escape(fold_name(city))}(?!\w)", said):
                    continue
                other = next((spelling for spelling in city_spellings(city)[1:]
                              if re.search(rf"(?<!\w){re.escape(fold_name(spelling))}(?!\w)", said)), None)
                line = f"Read {other!r} as {city} (the spelling in your data)." if other else None
                if line and line not in lines:
                    lines.append(line)
    return lines


_WORDLIKE_CITIES = frozenset({"reading", "nice", "split", "mobile", "orange", "bath", "deal", "sale", "best", "hope", "victoria",
                              "florence", "independence", "commerce", "enterprise", "industry", "opportunity", "paradise"})


def looks_like_a_word(city: str) -> bool:
    """A city named like a word of a sales question ("Leeds" ~ leads, "Reading", "Enterprise"): it is
    read as the city only after "in", "from", "at", ..."""
    from rapidfuzz.distance import OSA  # here, not at import: only when a city is named

    return city in _WORDLIKE_CITIES or city in FILLER or OSA.distance(city, "leads") <= 1 or OSA.distance(city, "deals") <= 1


class Places(Reading):
    """Reads where: city, state, country and region conditions."""

    def read_places(self) -> None:
        negated_ends: list[int] = []  # "not in London or Paris", "outside the US or Canada"
        found: list[Place] = []

        def city(key: str, start: int, end: int) -> None:
            if looks_like_a_word(key) and not re.search(r"\b(?:in|from|at|near|around|of|outside|based|and|or|vs|versus)\s+$", self.text[:start]):
                return  # "hot leeds": a slip of "leads", not the city of Leeds (that is "in Leeds")
            negated, negator_start = self.negated_in_list(start, negated_ends)
            self.add("not_city" if negated else "city", cities[key])
            self.blank(negator_start if negated else start, end)
            if negated:
                negated_ends.append(end)
            else:
                found.append(Place(start, end, "city", cities[key], key))

        # A city-state ("Singapore") is read as its country, which also lets it join a list of countries.
        cities = city_table(self.vocabulary)
        self.ngrams(cities, city, max_words=3)
        def americas(m: re.Match[str]) -> None:  # "the Americas": North and Latin America together
            self.add("region", "NA")
            self.add("region", "LATAM")

        self.take(r"\b(?:the\s+)?americas\b", americas)
        self.categorical(REGION_PHRASES, "region", "not_region", negated_ends=negated_ends, found=found)
        self.categorical(US_STATES, "state", None, found=found)
        if self.vocabulary.states:  # the store's own states and provinces by name: "deals in catalonia", "Lombardy"
            self.categorical(state_table(self.vocabulary), "state", None, found=found)
        # Upper-case codes in the original text: "US", "UK", "CA", "NY", "NA".
        for match in re.finditer(r"\b(?:the\s+)?([A-Z]{2,5})\b", self.original):
            code = match.group(1)
            if not self.text[match.start(1) : match.end(1)].strip():
                continue
            if code in REGION_CODES:
                negated, negator_start = self.negated_in_list(match.start(), negated_ends)
                self.add("not_region" if negated else "region", REGION_CODES[code])
                self.blank(negator_start if negated else match.start(), match.end())
                if negated:
                    negated_ends.append(match.end())
                else:
                    found.append(Place(match.start(1), match.end(1), "region", REGION_CODES[code], code))
            elif code in COUNTRY_CODES:
                negated, negator_start = self.negated_in_list(match.start(), negated_ends)
                self.add("not_country" if negated else "country", COUNTRY_CODES[code])
                self.blank(negator_start if negated else match.start(), match.end())
                if negated:
                    negated_ends.append(match.end())
                else:
                    found.append(Place(match.start(1), match.end(1), "country", COUNTRY_CODES[code], code))
            elif code in STATE_CODES or code in {"CA", "NY", "TX", "WA", "MA", "IL", "FL", "CO", "GA"}:
                self.add("state", code)
                self.blank(match.start(), match.end())
                found.append(Place(match.start(1), match.end(1), "state", code, code))
        self.categorical(country_phrases(self.vocabulary), "country", "not_country", negated_ends=negated_ends, found=found)
        self.categorical(LOWER_COUNTRY_CODES, "country", "not_country", negated_ends=negated_ends, found=found)

        def us(m: re.Match[str]) -> bool:
            if not us_is_country(self.text, m.start(), m.end()) or re.search(r"\bthe\s+$", self.text[: m.start()]):
                return False
            negated, negator_start = self.negated_in_list(m.start(), negated_ends)
            self.add("not_country" if negated else "country", "US")
            if negated:
                self.blank(negator_start, m.start())
                negated_ends.append(m.end())
            else:
                found.append(Place(m.start(), m.end(), "country", "US", "us"))
            return True

        self.take(r"(?<![\w.'-])us(?![\w'-]|\.\w)", us)
        # Lower-case "na" is North America only after a place word ("in na"): alone it is "n/a".
        self.take(r"(?:(?<=\bin\s)|(?<=\bfrom\s)|(?<=\bacross\s))na\b(?![/'-])", lambda m: self.add("region", "NA"))
        self.check_place_lists(found)
        self.take(r"\b(?:non|outside(?:\s+of)?\s+the|outside|international|foreign)[\s-]*(?:us|u\.s\.|usa|american)\b", lambda m: self.add("not_country", "US"))
        self.take(r"\b(?:in\s+)?the\s+us\b", lambda m: self.add("country", "US"))
        self.take(r"\b(?:outside\s+(?:the\s+)?(?:uk|britain))\b", lambda m: self.add("not_country", "GB"))

    def check_place_lists(self, found: list[Place]) -> None:
        """Cities, states, countries and regions are separate conditions that all must hold, so "London
        or Germany" cannot be asked in one query: say so rather than answer "London and Germany"."""
        found.sort(key=lambda place: place.start)
        for first, second in zip(found, found[1:]):
            if first.key == second.key or not re.fullmatch(r"[\s,]*(?:or|and|/|&)\s+(?:in\s+|from\s+)?(?:the\s+)?", self.text[first.end : second.start]):
                continue
            pair = {first.key: first, second.key: second}
            if set(pair) == {"city", "state"} and pair["city"].said in CITY_STATES:  # "California or New York"
                self.filter["city"].remove(pair["city"].value)
                if not self.filter["city"]:
                    del self.filter["city"]
                self.add("state", CITY_STATES[pair["city"].said])
                continue
            self.unsupported = (
                f"I don't understand {first.said!r} ({first.key}) or {second.said!r} ({second.key}) as one question: "
                "cities, states, countries and regions are separate conditions that must all hold. Ask for one, "
                f"then e.g. 'what about {second.said}?'"
            )
