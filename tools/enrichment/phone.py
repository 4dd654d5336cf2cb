"""Phone numbers: parsed with phonenumbers into E.164, with country, line type and time zones."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder, timezone as phone_timezone

_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


@dataclass(frozen=True)
class PhoneCheck:
    raw: str
    e164: str
    country: str | None  # ISO 3166-1 alpha-2
    line_type: str
    time_zones: tuple[str, ...]
    place: str | None  # "London", "California", ... when the number says so


def parse_phone(*, phone: str, country: str | None = None) -> PhoneCheck | None:
    """E.164 and facts for a phone number; a national number ("020 7946 0958") needs `country`.

    None when the text is not a valid number (for that country).
    """
    try:
        number = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown")
    return PhoneCheck(
        raw=phone,
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=phonenumbers.region_code_for_number(number),
        line_type=_TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"),
        time_zones=zones,
        place=geocoder.description_for_number(number, "en") or None,
    )
