"""CSV import and export on both databases: line-numbered rejects, idempotent re-import, CRM header
mapping, delimiters and BOM, extra columns kept, and an export that imports back unchanged."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from leadpilot.memory.db import open_database
from leadpilot.memory.leads import count_leads, find_leads, set_score
from leadpilot.memory.models import Lead
from leadpilot.memory.reps import upsert_rep
from leadpilot.memory.vocab import industry_group
from leadpilot.tools.leads.export import EXPORT_COLUMNS, export_leads
from leadpilot.tools.leads.import_reading import ImportFileError
from leadpilot.tools.leads.importer import import_leads_csv

from conftest import NOW, _drop_postgres_database, _fresh_postgres_database


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _lead(db, external_id: str) -> Lead:
    with db.session() as session:
        (lead,) = find_leads(session, external_id=external_id)
        return lead


def _leads(db) -> list[Lead]:
    with db.session() as session:
        return list(session.scalars(select(Lead).order_by(Lead.id)))


@pytest.fixture
def postgres_databases() -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL databases on demand (skips without a server); drops them afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(_fresh_postgres_database())
        return made[-1]

    yield make
    for url in made:
        _drop_postgres_database(url)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


MIXED = (
    "external_id,company,email,company_size,created_at,notes,source\n"  # line 1
    'E-1,Acme,ann@acme.com,250,2026-03-05,"Met at the fair.\n'  # line 2: a record over three lines
    "Wants a demo,\n"
    'in April ""soon"".",Referral\n'
    "E-2,Globex,not-an-email,50,,,\n"  # line 5: bad email
    "E-3,Initech,bob@initech.com,lots,,,\n"  # line 6: size is not a number
    "E-4,Umbrella,u@umbrella.com,10,31/31/2026,,\n"  # line 7: not a date
    "E-5,,,,,only a note,\n"  # line 8: neither company nor email
    "E-6,Hooli,h@hooli.com,1.2k,2026-01-02,,Carrier pigeon\n"  # line 9: a source of the user's own: kept
    "E-7,Too,few\n"  # line 10: wrong column count
    "\n"  # line 11: blank, skipped
    'E-8,Stark,tony@stark.com,"10,000+",03/05/2026 2:30 PM,,paid search\n'  # line 12
)


def test_bad_rows_are_reported_by_line_and_written_to_rejects_and_the_rest_loads(db, tmp_path):
    path = _write(tmp_path / "leads.csv", MIXED)
    progress: list[tuple[int, int]] = []

    report = import_leads_csv(db, path=path, now=NOW, chunk_size=2, on_progress=lambda done, total: progress.append((done, total)))

    rejected = dict(report.rejected)
    assert sorted(rejected) == [5, 6, 7, 8, 10]
    assert "email: not a valid email address" in rejected[5][0]
    assert rejected[6] == ["company_size: must be a number of employees, e.g. 250 (got 'lots')"]
    assert rejected[7][0].startswith("created_at: not a date")
    assert rejected[8] == ["company: a lead needs a company or an email address"]
    assert "3 columns but the header has 7" in rejected[10][0]
    assert report.warnings == []
    assert (report.rows_read, report.inserted, report.updated, report.blank_rows) == (8, 3, 0, 1)
    assert report.rows_read == report.inserted + report.updated + len(report.rejected)

    assert report.rejects_path == tmp_path / "leads.rejects.csv"
    rejects = _csv_rows(report.rejects_path)
    assert [(row["_line"], row["external_id"]) for row in rejects] == [("5", "E-2"), ("6", "E-3"), ("7", "E-4"), ("8", "E-5"), ("10", "E-7")]
    assert rejects[1]["_errors"] == rejected[6][0] and rejects[0]["email"] == "not-an-email"

    acme, hooli, stark = _lead(db, "E-1"), _lead(db, "E-6"), _lead(db, "E-8")
    assert acme.notes == 'Met at the fair.\nWants a demo,\nin April "soon".'
    assert (acme.source, acme.company_size, acme.created_at.isoformat()) == ("referral", 250, "2026-03-05T00:00:00+00:00")
    assert (hooli.source, hooli.channel, hooli.company_size, hooli.extra) == ("carrier_pigeon", "other", 1200, {"source_raw": "Carrier pigeon"})
    assert (stark.company_size, stark.source, stark.channel, stark.created_at.isoformat()) == (10000, "paid_search", "paid", "2026-03-05T14:30:00+00:00")

    size = path.stat().st_size
    assert progress[-1] == (size, size) and all(total == size for _, total in progress)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    summary = report.summary()
    assert "8 rows read, 3 inserted, 0 updated, 5 rejected" in summary and "line 6: company_size" in summary


def test_a_rejects_file_can_be_fixed_and_imported_as_it_is(db, tmp_path):
    report = import_leads_csv(db, path=_write(tmp_path / "leads.csv", MIXED), now=NOW)
    rejects = report.rejects_path.read_text(encoding="utf-8")
    fixed = rejects.replace("not-an-email", "gil@globex.com").replace("lots", "75")

    again = import_leads_csv(db, path=_write(tmp_path / "fixed.csv", fixed), now=NOW)

    assert again.ignored_columns == ["_line", "_errors"] and not again.extra_columns
    assert again.inserted == 2 and {line for line, _ in again.rejected} == {4, 5, 6}
    assert _lead(db, "E-2").email == "gil@globex.com" and _lead(db, "E-3").company_size == 75
    header = again.rejects_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "_line,_errors,external_id,company,email,company_size,created_at,notes,source"


def test_reimport_updates_instead_of_duplicating_and_empty_cells_never_wipe(db, tmp_path):
    first = _write(tmp_path / "a.csv", "external_id,company,email,phone,stage\nA-1,Acme,ann@acme.com,+1 415 555 0100,Lead\n,Globex,gil@globex.com,,\n")
    assert import_leads_csv(db, path=first, now=NOW).inserted == 2

    report = import_leads_csv(db, path=first, now=NOW)
    assert (report.inserted, report.updated, report.rejected) == (0, 2, [])

    second = _write(tmp_path / "b.csv", "external_id,company,email,phone,stage\nA-1,Acme Corp,,,Opportunity\n,,GIL@globex.com,+44 20 7946 0000,\n")
    report = import_leads_csv(db, path=second, now=NOW)
    assert (report.inserted, report.updated) == (0, 2)
    with db.session() as session:
        assert count_leads(session) == 2
    acme, globex = _leads(db)
    assert (acme.company, acme.email, acme.phone, acme.stage) == ("Acme Corp", "ann@acme.com", "+1 415 555 0100", "OPPORTUNITY")
    assert (globex.company, globex.phone) == ("Globex", "+44 20 7946 0000")


def _seed_for_round_trip(db, tmp_path) -> None:
    with db.transaction() as session:
        upsert_rep(session, email="rita@team.io", name="Rita Moreno", now=NOW)
    source = _write(
        tmp_path / "source.csv",
        "external_id,company,website,contact_name,email,phone,job_title,industry,company_size,country,state,city,"
        "source,stage,owner_email,created_at,last_contacted_at,notes,converted,converted_at,language,Budget,Fiscal year\n"
        'RT-1,Ünïcode GmbH,https://www.unicode.de,Jürgen Groß,j@unicode.de,+49 30 123,CTO,Fintech,1200,Germany,Berlin,Berlin,'
        'referral,customer,rita@team.io,2026-01-15T09:30:00Z,2026-02-01T10:00:00+01:00,"Said: ""call me"", then\nleft",yes,2026-03-01,de,"50,000",2027\n'
        "RT-2,Acme,acme.com,Ann Lee,ann@acme.com,,,Widget Making,51-200,USA,California,San Francisco,"
        "Carrier pigeon,Prospect,nobody@team.io,,,,no,,,,\n"
        ",Nowhere Ltd,,,,,,,,Atlantis,,,,,,,,,,,,,\n",
    )
    report = import_leads_csv(db, path=source, now=NOW)
    assert report.inserted == 3 and not report.rejected
    with db.transaction() as session:
        lead = session.get(Lead, _lead(db, "RT-1").id)
        set_score(session, lead=lead, score=87, tier="hot", breakdown={}, reason="test", at=NOW)


def test_export_then_import_into_a_fresh_database_round_trips_every_field(db, tmp_path):
    _seed_for_round_trip(db, tmp_path)
    exported = tmp_path / "export.csv"
    assert export_leads(db, output=exported, computed=True) == 3
    rows = _csv_rows(exported)
    header = list(rows[0])
    assert header[: len(EXPORT_COLUMNS)] == list(EXPORT_COLUMNS)
    assert set(header[len(EXPORT_COLUMNS):]) == {"Budget", "Fiscal year", "country_raw"}
    first = rows[0]
    assert (first["owner_email"], first["owner"], first["score"], first["tier"]) == ("rita@team.io", "rita@team.io", "87", "hot")
    assert (first["created_at"], first["last_contacted_at"], first["converted"]) == ("2026-01-15T09:30:00Z", "2026-02-01T09:00:00Z", "true")
    assert (first["country"], first["state"], first["company_size"], first["Budget"]) == ("DE", "BE", "1200", "50,000")

    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        with fresh.transaction() as session:
            upsert_rep(session, email="rita@team.io", name="Rita Moreno", now=NOW)
        report = import_leads_csv(fresh, path=exported, now=NOW)
        assert (report.inserted, report.rejected) == (3, [])
        assert report.ignored_columns == ["id", "score", "tier"]
        assert any("computed by Leadpilot" in note for note in report.notes)
        again = tmp_path / "again.csv"
        export_leads(fresh, output=again, computed=True)
    finally:
        fresh.dispose()

    computed = {"id", "score", "tier"}
    strip = lambda row: {k: v for k, v in row.items() if k not in computed}  # noqa: E731
    assert [strip(row) for row in _csv_rows(again)] == [strip(row) for row in rows]


def test_json_export_has_the_same_keys_with_typed_values(db, tmp_path):
    _seed_for_round_trip(db, tmp_path)
    buffer = io.StringIO()
    assert export_leads(db, output=buffer, format="json") == 3
    leads = json.loads(buffer.getvalue())
    assert len({tuple(lead) for lead in leads}) == 1
    first, second, third = leads
    assert (first["company_size"], first["converted"], first["score"], first["Budget"]) == (1200, True, 87, "50,000")
    # "no" on an open stage (Prospect) is no outcome yet; JSON keeps the cell and the source label beside the stored values
    assert (second["converted"], second["owner"], second["owner_email"], second["source"]) == (None, None, "nobody@team.io", "carrier_pigeon")
    assert (second["converted_raw"], second["source_raw"]) == ("no", "Carrier pigeon")
    assert (second["channel"], first["seniority"], first["department"]) == ("other", "c-level", "engineering")
    assert (third["converted"], third["country"], third["country_raw"], third["created_at"]) == (None, None, "Atlantis", "2026-11-20T12:00:00Z")


def test_hubspot_export_maps_onto_the_canonical_fields(db, tmp_path):
    with db.transaction() as session:
        upsert_rep(session, email="rita@team.io", name="Rita Moreno", now=NOW)
    path = _write(
        tmp_path / "hubspot.csv",
        "Record ID,First Name,Last Name,Company Name,Email,Phone Number,Job Title,Industry,Number of Employees,"
        "Country/Region,State/Region,City,Original Source,Lifecycle Stage,Lead Status,Contact owner,Create Date,"
        "Last Contacted,Website URL,Annual Revenue\n"
        "1051,Jane,Doe,Acme Corp,Jane@Acme.com,+1 415 555 0101,VP Sales,Computer Software,51-200,United States,"
        "California,San Francisco,Organic Search,Marketing Qualified Lead,In Progress,rita@team.io,2026-03-05 14:22,"
        "03/07/2026 09:15 AM,https://acme.com,5000000\n"
        "1052,Li,,Globex,li@globex.com,,,,,Canada,Ontario,,Paid Social,Customer,,Rita Moreno,,,,\n"
        "1053,,Solo,,solo@example.org,,,,,,,,,,,Someone Else,,,,\n",
    )

    report = import_leads_csv(db, path=path, now=NOW)

    assert (report.inserted, report.rejected) == (3, [])
    assert report.mapped_columns["First Name"] == "contact_name" and report.mapped_columns["Lead Status"] == "stage"
    assert report.extra_columns == ["Annual Revenue"]
    assert report.warnings == [(4, "1 row names 'Someone Else', which is not a rep — left unassigned (the name kept in extra); "
                                   "add it as a queue in config/routing.yaml or a rep with `leadpilot reps import`")]
    jane, li, solo = (_lead(db, ext) for ext in ("1051", "1052", "1053"))
    assert (jane.contact_name, jane.email, jane.company, jane.job_title) == ("Jane Doe", "jane@acme.com", "Acme Corp", "VP Sales")
    assert (jane.company_size, jane.country, jane.state, jane.city, jane.industry) == (51, "US", "CA", "San Francisco", "computer-software")
    assert industry_group(jane.industry) == "saas"
    assert (jane.source, jane.channel, jane.stage, jane.owner.email, jane.domain) == ("organic_search", "organic", "LEAD", "rita@team.io", "acme.com")
    assert (jane.seniority, jane.department) == ("vp", "sales")
    assert (jane.created_at.isoformat(), jane.last_contacted_at.isoformat()) == ("2026-03-05T14:22:00+00:00", "2026-03-07T09:15:00+00:00")
    assert jane.extra == {"Annual Revenue": "5000000", "Lead Status": "In Progress", "stage_raw": "Marketing Qualified Lead",
                          "industry_raw": "Computer Software", "source_raw": "Organic Search"}  # the team's labels, written back by export
    assert (jane.converted, li.converted, li.converted_at, report.closed_without_date) == (None, True, None, 1)  # Customer: won
    assert (li.contact_name, li.country, li.state, li.source, li.stage, li.owner.email) == ("Li", "CA", "ON", "paid_social", "CUSTOMER", "rita@team.io")
    assert (li.channel, li.seniority, li.department) == ("paid", None, None)
    assert (solo.contact_name, solo.owner, solo.extra) == ("Solo", None, {"Contact owner": "Someone Else"})


@pytest.mark.parametrize(
    "header",
    [
        "Lead ID,First Name,Last Name,Company,Email,Phone,Title,Industry,No. of Employees,Country,State/Province,City,"
        "Lead Source,Lead Status,Lead Owner,Created Date,Last Activity,Website,Description,Converted,Converted Date,Rating",
        "Id,FirstName,LastName,Company,Email,Phone,Title,Industry,NumberOfEmployees,Country,State,City,"
        "LeadSource,Status,Owner Email,CreatedDate,LastActivityDate,Website,Description,IsConverted,ConvertedDate,Rating",
    ],
    ids=["report", "api"],
)
def test_salesforce_export_maps_onto_the_canonical_fields(db, tmp_path, header):
    with db.transaction() as session:
        upsert_rep(session, email="rita@team.io", name="Rita Moreno", now=NOW)
    path = _write(
        tmp_path / "salesforce.csv",
        header + "\n"
        '00Q5g00000AbCdE,John,Smith,Initech,john@initech.com,(212) 555-0199,CFO,Banking,"1,200",USA,New York,New York,'
        'Web,Closed - Converted,rita@team.io,3/5/2026,3/9/2026,initech.com,"Asked for pricing, twice",true,3/20/2026,Hot\n'
        "00Q5g00000XyZ,Mary,Major,Umbrella,mary@umbrella.com,,,Hospital & Health Care,10000+,UK,,London,"
        "Purchased List,Working - Contacted,,1/2/2026,,,,false,,Cold\n",
    )

    report = import_leads_csv(db, path=path, now=NOW)

    assert (report.inserted, report.rejected, report.warnings) == (2, [], [])
    assert report.extra_columns == ["Rating"]
    john, mary = _lead(db, "00Q5g00000AbCdE"), _lead(db, "00Q5g00000XyZ")
    assert (john.contact_name, john.company, john.job_title, john.industry, john.company_size) == ("John Smith", "Initech", "CFO", "banking", 1200)
    assert (john.country, john.state, john.city, john.source, john.channel, john.stage) == ("US", "NY", "New York", "web", "organic", "CUSTOMER")
    assert (john.converted, john.converted_at.isoformat(), john.created_at.isoformat()) == (True, "2026-03-20T00:00:00+00:00", "2026-03-05T00:00:00+00:00")
    assert (john.owner.email, john.notes, john.website) == ("rita@team.io", "Asked for pricing, twice", "initech.com")
    assert john.extra == {"Rating": "Hot", "stage_raw": "Closed - Converted", "industry_raw": "Banking", "source_raw": "Web"}
    assert (mary.company_size, mary.country, mary.industry, mary.source, mary.stage, mary.converted) == (
        10000, "GB", "hospital-and-health-care", "purchased_list", "PROSPECT", None)  # false on an open stage: not decided
    assert (industry_group(mary.industry), mary.extra["stage_raw"]) == ("healthcare", "Working - Contacted")
    assert mary.channel == "outbound"


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), ("\t", False)], ids=["semicolon-bom", "tab"])
def test_semicolon_or_tab_delimited_with_or_without_bom(db, tmp_path, delimiter, bom):
    rows = [
        ["company", "email", "company_size", "notes", "country"],
        ["Müller GmbH", "m@mueller.de", "1200", "a; b, c\r\nsecond line", "Deutschland"],
        ["Bäckerei", "b@baeckerei.de", "many", "", "DE"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = _write(tmp_path / "eu.csv", buffer.getvalue(), bom=bom)

    report = import_leads_csv(db, path=path, now=NOW)

    assert report.delimiter == delimiter
    assert report.mapped_columns == {"company": "company", "email": "email", "company_size": "company_size", "notes": "notes", "country": "country"}
    assert (report.inserted, [line for line, _ in report.rejected]) == (1, [4])
    assert report.warnings == [(2, "country: unknown country; kept in extra.country_raw (got 'Deutschland')")]
    (lead,) = _leads(db)
    assert (lead.company, lead.company_size, lead.notes) == ("Müller GmbH", 1200, "a; b, c\r\nsecond line")
    rejects = report.rejects_path.read_bytes()
    assert rejects.startswith(b"\xef\xbb\xbf_line" if bom else b"_line") and delimiter.encode() in rejects.splitlines()[0]


def test_unknown_columns_are_kept_in_extra_and_computed_ones_ignored(db, tmp_path):
    path = _write(
        tmp_path / "leads.csv",
        "external_id,Company,E-mail,Favourite Colour,Budget,id,score,tier,Budget\n"
        "A-1,Acme,ann@acme.com,Teal,\"10,000\",99,12,cold,20000\n"
        ",Globex,gil@globex.com,,,,,,\n",
    )

    report = import_leads_csv(db, path=path, now=NOW)

    assert report.extra_columns == ["Favourite Colour", "Budget", "Budget (2)"]
    assert report.ignored_columns == ["id", "score", "tier"]
    assert report.mapped_columns == {"external_id": "external_id", "Company": "company", "E-mail": "email"}
    acme, globex = _leads(db)
    assert acme.extra == {"Favourite Colour": "Teal", "Budget": "10,000", "Budget (2)": "20000"}
    assert (acme.id, acme.score, acme.tier) != (99, 12, "cold") and acme.score is None
    assert globex.extra is None


def test_a_file_without_identifying_columns_is_refused_up_front(db, tmp_path):
    path = _write(tmp_path / "odd.csv", "Colour,Size,Mood\nteal,3,happy\n")

    with pytest.raises(ImportFileError) as refused:
        import_leads_csv(db, path=path, now=NOW)

    message = str(refused.value)
    assert "odd.csv has no column that identifies a lead" in message
    assert "'Colour', 'Size', 'Mood'" in message and "company" in message and "email" in message
    assert not (tmp_path / "odd.rejects.csv").exists()
    assert _leads(db) == []
    with pytest.raises(ImportFileError, match="empty"):
        import_leads_csv(db, path=_write(tmp_path / "empty.csv", "\n\n"), now=NOW)


@pytest.mark.parametrize("pipelined", [False, True], ids=["in-process", "pipelined"])
def test_a_row_the_database_refuses_is_rejected_alone(db, tmp_path, monkeypatch, pipelined):
    # A host longer than the domain column: SQLite stores it, PostgreSQL refuses it. Its cells are
    # read again from the file for the rejects file (good rows' cells are not kept): by the line
    # where its record starts, here after a record spanning two lines.
    from leadpilot.tools.common import worker_process as import_pipeline

    monkeypatch.setattr(import_pipeline, "pipeline_available", lambda: True)
    website = "https://" + "a" * 300 + ".example"
    path = _write(
        tmp_path / "leads.csv",
        f'company,website,notes\nGood One,good.example,"two\nlines"\nLong Host,{website},"x, y"\nGood Two,two.example,\n',
    )

    report = import_leads_csv(db, path=path, now=NOW, pipeline_min_bytes=0 if pipelined else None)

    if db.dialect == "postgresql":
        assert (report.inserted, [line for line, _ in report.rejected]) == (2, [4])
        assert report.rejected[0][1][0].startswith("the database refused the row:")
        assert _csv_rows(report.rejects_path) == [
            {"_line": "4", "_errors": report.rejected[0][1][0], "company": "Long Host", "website": website, "notes": "x, y"}
        ]
        assert [lead.company for lead in _leads(db)] == ["Good One", "Good Two"]
    else:
        assert (report.inserted, report.rejected, report.rejects_path) == (3, [], None)
    assert report.rows_read == report.inserted + len(report.rejected) == 3


def test_a_latin1_file_is_refused_and_a_stray_non_utf8_byte_rejects_only_its_row(sqlite_db, tmp_path):
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("company,email\nCafé Crème,c@cafe.fr\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match=r"latin1.csv is not UTF-8 \(byte 0xe9 at offset 17\)"):
        import_leads_csv(sqlite_db, path=latin1, now=NOW)

    good = "".join(f"Company {i},c{i}@example.com\n" for i in range(3000))  # past the 64 KiB sniffing sample
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"company,email\n" + good.encode() + "Café,x@cafe.fr\n".encode("latin-1") + b"Last,l@last.io\n")

    report = import_leads_csv(sqlite_db, path=mixed, now=NOW, chunk_size=1000)

    assert (report.inserted, report.rejected) == (3001, [(3002, ["not UTF-8 (byte 0xe9); save the file as UTF-8 and import this row again"])])
    assert report.rejects_path.read_bytes().splitlines()[1] == b'3002,not UTF-8 (byte 0xe9); save the file as UTF-8 and import this row again,Caf\xe9,x@cafe.fr'


@pytest.mark.parametrize(
    ("encoding", "line_end"), [("utf-16", "\r\n"), ("utf-8", "\r")], ids=["utf16-crlf", "utf8-classic-mac"]
)
def test_excel_sep_hint_utf16_and_classic_mac_line_ends(sqlite_db, tmp_path, encoding, line_end):
    path = tmp_path / "excel.csv"
    text = line_end.join(["sep=;", "company;email;notes", 'Acme;ann@acme.com;"two', 'lines"', "Globex;bad@;", ""])
    path.write_bytes(text.encode(encoding))

    report = import_leads_csv(sqlite_db, path=path, now=NOW)

    assert (report.delimiter, report.inserted) == (";", 1)
    assert report.rejected == [(5, ["email: not a valid email address (got 'bad@')"])]
    (lead,) = _leads(sqlite_db)
    assert lead.notes == f"two{line_end}lines"


@pytest.mark.parametrize(
    ("backend", "method"),
    [("sqlite", "fork"), ("sqlite", "spawn"), pytest.param("postgresql", "fork", marks=pytest.mark.postgres)],
)
def test_a_pipelined_import_gives_exactly_the_in_process_result(tmp_path, monkeypatch, postgres_databases, backend, method):
    """Above pipeline_min_bytes the file is read, validated and encoded for the database in a second
    process: same report, rejects file, progress calls and stored rows as reading it in-process."""
    from leadpilot.tools.common import worker_process as import_pipeline

    if method not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    monkeypatch.setattr(import_pipeline, "start_method", lambda: method)
    monkeypatch.setattr(import_pipeline, "pipeline_available", lambda: True)
    body = MIXED.split("\n", 1)[1]
    again = "E-1,Acme Corp,ann@acme.com,300,,,\nE-6,Hooli,h@hooli.com,5,,,Carrier pigeon\n"  # updates
    path = _write(tmp_path / "leads.csv", MIXED + body.replace("E-", "F-") + again + body.replace("E-", "G-"))

    results = []
    for name, threshold in (("in-process", None), ("pipelined", 0)):
        db = open_database(f"sqlite:///{tmp_path / name}.db" if backend == "sqlite" else postgres_databases())
        progress: list[tuple[int, int]] = []
        report = import_leads_csv(
            db, path=path, now=NOW, chunk_size=3, rejects_path=tmp_path / f"{name}.rejects.csv",
            on_progress=lambda done, total: progress.append((done, total)), pipeline_min_bytes=threshold,
        )
        stored = [{column.key: getattr(lead, column.key) for column in Lead.__table__.columns} for lead in _leads(db)]
        db.dispose()
        results.append((report, (tmp_path / f"{name}.rejects.csv").read_text(encoding="utf-8"), progress, stored))

    (expected, expected_rejects, expected_progress, expected_rows), (report, rejects, progress, rows) = results
    for name in ("rows_read", "inserted", "updated", "rejected", "warnings", "blank_rows", "extra_columns", "mapped_columns",
                 "likely_duplicates", "duplicate_leads"):
        assert getattr(report, name) == getattr(expected, name), name
    # F- and G- rows share the E- rows' emails under other external ids: leads of their own, flagged
    assert (report.inserted, report.updated, len(report.rejected)) == (9, 2, 15)
    assert (len(report.likely_duplicates), len(report.duplicate_leads)) == (6, 9)
    assert rejects == expected_rejects
    assert progress == expected_progress and len(progress) > 2
    assert rows == expected_rows


def test_an_sqlite_import_writes_on_one_connection_tuned_for_it_and_sets_it_back(sqlite_db, tmp_path):
    """The import's connection gets a bigger page cache and rarer WAL checkpoints while it runs;
    afterwards the pooled connection has SQLite's settings again, and every chunk was committed."""
    from leadpilot.tools.leads.import_loading import SQLITE_IMPORT_PRAGMAS, _chunk_transactions

    def settings(dbapi_connection) -> dict[str, int]:
        return {name: dbapi_connection.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_IMPORT_PRAGMAS}

    with sqlite_db.engine.connect() as connection:
        defaults = settings(connection.connection.dbapi_connection)
    seen = []
    with _chunk_transactions(sqlite_db) as transaction:
        for name in ("One", "Two"):
            with transaction() as session:
                dbapi_connection = session.connection().connection.dbapi_connection
                seen.append((dbapi_connection, settings(dbapi_connection)))
                session.add(Lead(company=name, source="other", stage="LEAD", created_at=NOW, updated_at=NOW))
    (first, during), (second, _) = seen
    assert first is second and during == SQLITE_IMPORT_PRAGMAS != defaults
    assert settings(first) == defaults
    assert [lead.company for lead in _leads(sqlite_db)] == ["One", "Two"]
