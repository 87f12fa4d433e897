"""Writes the made-up vendor export test files under tests/ingest/exports/ (run once; the
files are committed). The real sample files (salesforce/dataloader_*) are copied unchanged
from forcedotcom/dataloader and are not written here. People, e-mails (example.com/.org) and
phone numbers (555-01xx, +44 20 7946 0xxx, 138 0013 8xxx) are fictional.

    python tests/ingest/exports/make_files.py
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False,
              newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for r in rows:
        assert len(r) == len(header), (path, r)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator=newline)
        w.writerow(header)
        w.writerows(rows)


def write_xlsx(path: Path, sheet: str, header: list[str], rows: list[list[str]]) -> None:
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        assert len(r) == len(header), (path, r)
        ws.append(r)
    wb.save(path)


# --- Salesforce (Data Loader: API names, all values quoted, UTC date-times) -------------------

SF_CONTACT_ALL = ["Id", "IsDeleted", "MasterRecordId", "AccountId", "LastName", "FirstName",
                  "Salutation", "Name", "MailingStreet", "MailingCity", "MailingState",
                  "MailingPostalCode", "MailingCountry", "Phone", "Fax", "MobilePhone",
                  "HomePhone", "ReportsToId", "Email", "Title", "Department", "LeadSource",
                  "Birthdate", "Description", "OwnerId", "CreatedDate", "CreatedById",
                  "LastModifiedDate", "LastModifiedById", "SystemModstamp", "LastActivityDate"]
OWNER = "0055e000001AbCdAAK"
A_SUMMIT, A_DESERT, A_THAMES, A_LAKE, A_HARBOR, A_SPREE, A_SOUND = (
    "0015e00000XyZaAAAV", "0015e00000XyZbAAAV", "0015e00000XyZcAAAV", "0015e00000XyZdAAAV",
    "0015e00000XyZeAAAV", "0015e00000XyZfAAAV", "0015e00000XyZgAAAV")


def sf_contact(id_, acct, last, first, sal, street, city, state, zip_, country, phone, mobile,
               email, title, source, birth, created):
    mod = created
    return [id_, "false", "", acct, last, first, sal, f"{first} {last}", street, city, state,
            zip_, country, phone, "", mobile, "", "", email, title, "", source, birth, "",
            OWNER, created, OWNER, mod, OWNER, mod, ""]


SF_CONTACTS = [
    sf_contact("0035e00000AbCdEAAV", A_SUMMIT, "Reyes", "Ana", "Ms.", "212 Linden St",
               "Fort Collins", "CO", "80524", "United States", "(970) 555-0101", "",
               "ana.reyes@example.com", "Purchasing Manager", "Partner Referral", "1986-04-12",
               "2024-03-05T14:02:11.000Z"),
    sf_contact("0035e00000AbCdFAAV", A_SUMMIT, "Lee", "Marcus", "Mr.", "212 Linden St",
               "Fort Collins", "CO", "80524", "United States", "(720) 555-0186", "",
               "marcus.lee@example.com", "Store Manager", "Web", "", "2024-03-06T09:15:42.000Z"),
    sf_contact("0035e00000AbCdGAAV", A_DESERT, "Natarajan", "Priya", "Dr.", "40 E Camelback Rd",
               "Phoenix", "AZ", "85012", "USA", "(602) 555-0105", "", "priya.natarajan@example.com",
               "CFO", "Phone Inquiry", "1979-09-30", "2024-03-07T16:45:00.000Z"),
    sf_contact("0035e00000AbCdHAAV", A_THAMES, "Bennett", "Oliver", "Mr.", "8 Long Acre",
               "London", "", "WC2E 9LH", "United Kingdom", "020 7946 0123", "",
               "oliver.bennett@example.co.uk", "Operations Director", "Purchased List", "",
               "2024-03-08T10:30:05.000Z"),
    sf_contact("0035e00000AbCdIAAV", A_LAKE, "Rossi", "Sofia", "Ms.", "77 W Wacker Dr",
               "Chicago", "IL", "60601", "US", "(312) 555-0178", "", "sofia.rossi@example.com",
               "Buyer", "Other", "1992-01-17", "2024-03-11T13:20:00.000Z"),
    sf_contact("0035e00000AbCdJAAV", A_HARBOR, "O'Connor", "James", "Mr.", "1 Seaport Ln",
               "Boston", "MA", "02210", "United States", "(617) 555-0132", "(617) 555-0133",
               "james.oconnor@example.com", "IT Manager", "Trade Show", "",
               "2024-03-12T08:05:59.000Z"),
    sf_contact("0035e00000AbCdKAAV", A_DESERT, "Zhang", "Emily", "Ms.", "40 E Camelback Rd",
               "Phoenix", "AZ", "85012", "USA", "(415) 555-0123", "", "emily.zhang@example.com",
               "Controller", "Partner Referral", "", "2024-03-13T17:40:12.000Z"),
    sf_contact("0035e00000AbCdLAAV", A_SPREE, "Schmidt", "Hannah", "Ms.", "Unter den Linden 5",
               "Berlin", "", "10117", "Germany", "+49 30 901820", "", "hannah.schmidt@example.org",
               "Einkauf", "", "", "2024-03-14T07:00:00.000Z"),
    sf_contact("0035e00000AbCdMAAV", A_SOUND, "Williams", "Noah", "Mr.", "1201 3rd Ave",
               "Seattle", "WA", "98101", "US", "(206) 555-0119", "", "noah.williams@example.com",
               "Owner", "Web", "1990-06-05", "2024-03-15T21:59:30.000Z"),
    sf_contact("0035e00000AbCdNAAV", A_THAMES, "Thompson", "Grace", "Ms.", "8 Long Acre",
               "London", "", "WC2E 9LH", "United Kingdom", "020 7946 0958", "",
               "grace.thompson@example.co.uk", "Finance Manager", "Employee Referral",
               "1988-11-02", "2024-03-18T11:11:11.000Z"),
]

# the folder case: a Contact query without Name (FirstName + LastName make the name)
SF_F_CONTACT = ["Id", "AccountId", "FirstName", "LastName", "Email", "Phone", "MobilePhone",
                "MailingCity", "MailingCountry", "LeadSource", "Birthdate", "Title",
                "CreatedDate"]
SF_F_CONTACTS = [
    ["0035e00000QrStAAAV", A_SUMMIT, "Daniel", "Kim", "daniel.kim@example.com", "(970) 555-0101",
     "", "Fort Collins", "United States", "Web", "1985-02-14", "Owner", "2024-01-08T15:00:00.000Z"],
    ["0035e00000QrStBAAV", A_SUMMIT, "Laura", "Kim", "laura.kim@example.com", "(720) 555-0186",
     "", "Fort Collins", "United States", "Partner Referral", "", "Manager",
     "2024-01-09T10:12:30.000Z"],
    ["0035e00000QrStCAAV", A_DESERT, "Carlos", "Mendoza", "carlos.mendoza@example.com",
     "(602) 555-0105", "", "Phoenix", "USA", "Phone Inquiry", "", "Buyer",
     "2024-01-10T18:30:00.000Z"],
    ["0035e00000QrStDAAV", A_THAMES, "Amelia", "Hughes", "amelia.hughes@example.co.uk",
     "020 7946 0123", "", "London", "United Kingdom", "Purchased List", "1991-07-23", "Director",
     "2024-01-11T09:00:00.000Z"],
    ["0035e00000QrStEAAV", A_LAKE, "Ben", "Fischer", "ben.fischer@example.com", "(312) 555-0178",
     "", "Chicago", "US", "Other", "", "Analyst", "2024-01-12T12:45:10.000Z"],
    ["0035e00000QrStFAAV", A_HARBOR, "Nora", "Walsh", "nora.walsh@example.com", "(617) 555-0132",
     "", "Boston", "United States", "Web", "", "Head of IT", "2024-01-15T14:20:00.000Z"],
    ["0035e00000QrStGAAV", A_SOUND, "Ryan", "Patel", "ryan.patel@example.com", "(206) 555-0119",
     "", "Seattle", "US", "Partner Referral", "", "Founder", "2024-01-16T16:00:00.000Z"],
    ["0035e00000QrStHAAV", A_THAMES, "Chloe", "Evans", "chloe.evans@example.co.uk",
     "020 7946 0958", "", "London", "United Kingdom", "Web", "", "Buyer",
     "2024-01-17T08:30:00.000Z"],
]
SF_F_CASE = ["Id", "CaseNumber", "ContactId", "AccountId", "Origin", "Reason", "Type", "Status",
             "Priority", "Subject", "IsClosed", "CreatedDate", "ClosedDate"]
SF_F_CASES = [
    ["5005e00000CsAaAAAV", "00001001", "0035e00000QrStAAAV", A_SUMMIT, "Phone", "Installation",
     "Problem", "Closed", "High", "Unit will not power on", "true", "2024-02-01T09:00:00.000Z",
     "2024-02-01T15:30:00.000Z"],
    ["5005e00000CsAbAAAV", "00001002", "0035e00000QrStBAAV", A_SUMMIT, "Email",
     "Equipment Complexity", "Question", "Closed", "Medium", "How to reset the controller",
     "true", "2024-02-02T10:15:00.000Z", "2024-02-03T11:00:00.000Z"],
    ["5005e00000CsAcAAAV", "00001003", "0035e00000QrStCAAV", A_DESERT, "Web", "Performance",
     "Problem", "Working", "High", "Slow response after update", "false",
     "2024-02-05T14:00:00.000Z", ""],
    ["5005e00000CsAdAAAV", "00001004", "0035e00000QrStDAAV", A_THAMES, "Phone",
     "Breakdown", "Problem", "Closed", "High", "Fan noise", "true", "2024-02-06T08:45:00.000Z",
     "2024-02-08T16:00:00.000Z"],
    ["5005e00000CsAeAAAV", "00001005", "0035e00000QrStEAAV", A_LAKE, "Email",
     "Feedback", "Feature Request", "New", "Low", "Please add a CSV export", "false",
     "2024-02-07T13:30:00.000Z", ""],
    ["5005e00000CsAfAAAV", "00001006", "0035e00000QrStFAAV", A_HARBOR, "Web",
     "Installation", "Problem", "Closed", "Medium", "Mounting bracket missing", "true",
     "2024-02-09T09:10:00.000Z", "2024-02-12T10:00:00.000Z"],
    ["5005e00000CsAgAAAV", "00001007", "0035e00000QrStAAAV", A_SUMMIT, "Phone",
     "Performance", "Problem", "Escalated", "High", "Unit restarts at night", "false",
     "2024-02-14T19:20:00.000Z", ""],
    ["5005e00000CsAhAAAV", "00001008", "0035e00000QrStHAAV", A_THAMES, "Email",
     "User didn't attend training", "Question", "Closed", "Low", "Training dates",
     "true", "2024-02-15T11:00:00.000Z", "2024-02-15T12:05:00.000Z"],
]
SF_F_OPP = ["Id", "AccountId", "ContactId", "Name", "StageName", "Amount", "CloseDate", "IsWon",
            "IsClosed", "LeadSource", "Type", "CreatedDate"]
SF_F_OPPS = [
    ["0065e00000OpAaAAAV", A_SUMMIT, "0035e00000QrStAAAV", "Summit - 10 controllers",
     "Closed Won", "4500.0", "2024-01-25", "true", "true", "Web", "New Customer",
     "2024-01-09T10:00:00.000Z"],
    ["0065e00000OpAbAAAV", A_SUMMIT, "0035e00000QrStBAAV", "Summit - service plan", "Closed Won",
     "1200.0", "2024-02-20", "true", "true", "Partner Referral", "Existing Customer - Upgrade",
     "2024-02-01T10:00:00.000Z"],
    ["0065e00000OpAcAAAV", A_DESERT, "0035e00000QrStCAAV", "Desert Supply - pilot",
     "Closed Won", "800.0", "2024-01-30", "true", "true", "Phone Inquiry", "New Customer",
     "2024-01-11T10:00:00.000Z"],
    ["0065e00000OpAdAAAV", A_THAMES, "0035e00000QrStDAAV", "Thames Retail - 25 units",
     "Closed Won", "11250.0", "2024-02-28", "true", "true", "Purchased List", "New Customer",
     "2024-01-12T10:00:00.000Z"],
    ["0065e00000OpAeAAAV", A_LAKE, "0035e00000QrStEAAV", "Lakeside - 5 units", "Closed Lost",
     "2250.0", "2024-02-10", "false", "true", "Other", "New Customer",
     "2024-01-13T10:00:00.000Z"],
    ["0065e00000OpAfAAAV", A_HARBOR, "0035e00000QrStFAAV", "Harbor IT - rollout",
     "Negotiation/Review", "30000.0", "2024-04-30", "false", "false", "Web", "New Customer",
     "2024-01-16T10:00:00.000Z"],
    ["0065e00000OpAgAAAV", A_SOUND, "0035e00000QrStGAAV", "Sound Co - starter kit",
     "Closed Won", "650.5", "2024-03-01", "true", "true", "Partner Referral", "New Customer",
     "2024-01-17T10:00:00.000Z"],
    ["0065e00000OpAhAAAV", A_THAMES, "0035e00000QrStHAAV", "Thames Retail - spares",
     "Closed Won", "420.0", "2024-03-04", "true", "true", "Web", "Existing Customer - Replacement",
     "2024-02-16T10:00:00.000Z"],
    ["0065e00000OpAiAAAV", A_DESERT, "0035e00000QrStCAAV", "Desert Supply - phase 2",
     "Prospecting", "9600.0", "2024-06-30", "false", "false", "Phone Inquiry",
     "Existing Customer - Upgrade", "2024-02-20T10:00:00.000Z"],
]
SF_F_TASK = ["Id", "WhoId", "WhatId", "Subject", "ActivityDate", "Status", "Priority", "Type",
             "TaskSubtype", "CallType", "CallDisposition", "CompletedDateTime", "CreatedDate"]
SF_F_TASKS = [
    ["00T5e00000TkAaAAAV", "0035e00000QrStAAAV", "0065e00000OpAaAAAV", "Call", "2024-01-10",
     "Completed", "Normal", "Call", "Call", "Outbound", "Interested",
     "2024-01-10T16:00:00.000Z", "2024-01-10T15:55:00.000Z"],
    ["00T5e00000TkAbAAAV", "0035e00000QrStAAAV", "0065e00000OpAaAAAV", "Email: Quote attached",
     "2024-01-12", "Completed", "Normal", "Email", "Email", "", "", "2024-01-12T09:30:00.000Z",
     "2024-01-12T09:30:00.000Z"],
    ["00T5e00000TkAcAAAV", "0035e00000QrStBAAV", "", "Follow-up call", "2024-02-02", "Completed",
     "High", "Call", "Call", "Inbound", "Left voicemail", "2024-02-02T11:00:00.000Z",
     "2024-02-02T10:58:00.000Z"],
    ["00T5e00000TkAdAAAV", "0035e00000QrStCAAV", "0065e00000OpAcAAAV", "Send price list",
     "2024-01-15", "Completed", "Normal", "Other", "Task", "", "", "2024-01-15T17:00:00.000Z",
     "2024-01-14T08:00:00.000Z"],
    ["00T5e00000TkAeAAAV", "0035e00000QrStDAAV", "0065e00000OpAdAAAV", "Email: Contract",
     "2024-02-26", "Completed", "Normal", "Email", "Email", "", "", "2024-02-26T10:20:00.000Z",
     "2024-02-26T10:20:00.000Z"],
    ["00T5e00000TkAfAAAV", "0035e00000QrStEAAV", "0065e00000OpAeAAAV", "Call", "2024-02-09",
     "Completed", "Normal", "Call", "Call", "Outbound", "Not interested",
     "2024-02-09T14:00:00.000Z", "2024-02-09T13:50:00.000Z"],
    ["00T5e00000TkAgAAAV", "0035e00000QrStFAAV", "0065e00000OpAfAAAV", "Demo meeting",
     "2024-03-05", "Completed", "High", "Meeting", "Task", "", "", "2024-03-05T18:00:00.000Z",
     "2024-03-01T09:00:00.000Z"],
    ["00T5e00000TkAhAAAV", "0035e00000QrStHAAV", "", "Newsletter", "2024-02-20", "Completed",
     "Normal", "Email", "ListEmail", "", "", "2024-02-20T07:00:00.000Z",
     "2024-02-20T07:00:00.000Z"],
]


# --- HubSpot (Contacts/Deals/Tickets index page > Export; labels, "yyyy-mm-dd hh:mm") -----------

HS_CONTACT = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Contact owner",
              "Primary Associated Company ID", "Last Activity Date", "Lead Status",
              "Marketing contact status", "Create Date", "Associated Company", "City",
              "Country/Region", "Original Source", "Job Title", "Date of birth"]
HS_OWNER = "Sam Seller"


def hs_contact(id_, first, last, email, phone, comp_id, comp, created, city, country, source,
               title="", birth=""):
    return [id_, first, last, email, phone, HS_OWNER, comp_id, "", "New",
            "Marketing contact", created, comp, city, country, source, title, birth]


HS_CONTACTS = [
    hs_contact("51234567801", "Liam", "Carter", "liam.carter@example.com", "(970) 555-0101",
               "18800000001", "Carter Outdoor Supply", "2024-03-05 14:02", "Fort Collins",
               "United States", "Organic Search", "Owner", "1984-05-20"),
    hs_contact("51234567802", "Mia", "Johnson", "mia.johnson@example.com", "(720) 555-0186",
               "18800000001", "Carter Outdoor Supply", "2024-03-05 15:30", "Fort Collins",
               "United States", "Paid Search", "Buyer"),
    hs_contact("51234567803", "Ethan", "Brooks", "ethan.brooks@example.com", "(602) 555-0105",
               "18800000002", "Sonoran Tools", "2024-03-06 09:12", "Phoenix", "USA",
               "Email Marketing"),
    hs_contact("51234567804", "Charlotte", "Evans", "charlotte.evans@example.co.uk",
               "020 7946 0123", "18800000003", "Evans & Co", "2024-03-06 11:45", "London",
               "United Kingdom", "Referrals", "Director"),
    hs_contact("51234567805", "Lucas", "Martin", "lucas.martin@example.com", "(212) 555-0110",
               "18800000004", "Hudson Goods", "2024-03-07 08:00", "New York", "US",
               "Organic Social"),
    hs_contact("51234567806", "Amelia", "Clarke", "amelia.clarke@example.com", "(303) 555-0147",
               "", "", "2024-03-07 17:25", "Denver", "United States", "Social Media"),
    hs_contact("51234567807", "Benjamin", "Hall", "ben.hall@example.com", "(415) 555-0123",
               "18800000005", "Bayside Cafe", "2024-03-08 10:10", "San Francisco",
               "United States", "Direct Traffic"),
    hs_contact("51234567808", "Isla", "Murray", "isla.murray@example.co.uk", "0161 496 0754",
               "18800000006", "Murray Print", "2024-03-08 13:00", "Manchester",
               "United Kingdom", "Offline Sources"),
    hs_contact("51234567809", "Henry", "Scott", "henry.scott@example.com", "(512) 555-0164",
               "18800000007", "Lone Star Bikes", "2024-03-11 09:45", "Austin", "USA",
               "Paid Social"),
    hs_contact("51234567810", "Zoe", "Turner", "zoe.turner@example.com", "(206) 555-0119",
               "", "", "2024-03-11 16:20", "Seattle", "US", "AI Referrals"),
    hs_contact("51234567811", "Chloe", "Adams", "chloe.adams@example.org", "(416) 555-0142",
               "18800000008", "Maple Design", "2024-03-12 12:00", "Toronto", "Canada",
               "Other Campaigns"),
]

HS_DEAL = ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Deal owner", "Amount",
           "Create Date", "Pipeline", "Associated Contact", "Associated Contact IDs",
           "Associated Company", "Associated Company IDs"]
HS_DEALS = [
    ["81000000001", "Carter Outdoor - spring order", "Closed Won", "2024-03-20 10:00", HS_OWNER,
     "1800", "2024-03-06 09:00", "Sales Pipeline", "Liam Carter (liam.carter@example.com)",
     "51234567801", "Carter Outdoor Supply", "18800000001"],
    ["81000000002", "Carter Outdoor - tents", "Closed Won", "2024-04-02 15:00", HS_OWNER, "950.5",
     "2024-03-21 09:00", "Sales Pipeline",
     "Mia Johnson (mia.johnson@example.com);Liam Carter (liam.carter@example.com)",
     "51234567802;51234567801", "Carter Outdoor Supply", "18800000001"],
    ["81000000003", "Sonoran Tools - trial", "Closed Lost", "2024-03-28 12:00", HS_OWNER, "400",
     "2024-03-07 09:00", "Sales Pipeline", "Ethan Brooks (ethan.brooks@example.com)",
     "51234567803", "Sonoran Tools", "18800000002"],
    ["81000000004", "Evans & Co - annual licence", "Closed Won", "2024-03-29 17:30", HS_OWNER,
     "5200", "2024-03-07 09:00", "Sales Pipeline",
     "Charlotte Evans (charlotte.evans@example.co.uk)", "51234567804", "Evans & Co",
     "18800000003"],
    ["81000000005", "Hudson Goods - pilot", "Contract Sent", "2024-05-15 12:00", HS_OWNER,
     "2500", "2024-03-08 09:00", "Sales Pipeline", "Lucas Martin (lucas.martin@example.com)",
     "51234567805", "Hudson Goods", "18800000004"],
    ["81000000006", "Bayside Cafe - espresso kit", "Closed Won", "2024-03-15 11:00", HS_OWNER,
     "640", "2024-03-08 10:30", "Sales Pipeline", "Benjamin Hall (ben.hall@example.com)",
     "51234567807", "Bayside Cafe", "18800000005"],
    ["81000000007", "Murray Print - toner", "Closed Won", "2024-03-22 09:30", HS_OWNER, "310",
     "2024-03-09 10:30", "Sales Pipeline", "Isla Murray (isla.murray@example.co.uk)",
     "51234567808", "Murray Print", "18800000006"],
    ["81000000008", "Lone Star Bikes - fleet", "Closed Lost", "2024-04-10 09:30", HS_OWNER,
     "12000", "2024-03-12 10:30", "Sales Pipeline", "Henry Scott (henry.scott@example.com)",
     "51234567809", "Lone Star Bikes", "18800000007"],
    ["81000000009", "Maple Design - studio pack", "Closed Won", "2024-04-05 14:00", HS_OWNER,
     "1499.99", "2024-03-13 10:30", "Sales Pipeline", "Chloe Adams (chloe.adams@example.org)",
     "51234567811", "Maple Design", "18800000008"],
]

HS_TICKET = ["Ticket ID", "Ticket name", "Pipeline", "Ticket status", "Create date",
             "Close date", "Ticket owner", "Source", "Priority", "Category",
             "Ticket description", "Associated Contact", "Associated Contact IDs"]
HS_TICKETS = [
    ["3100000001", "Order arrived damaged", "Support Pipeline", "Closed", "2024-03-21 09:05",
     "2024-03-22 14:30", HS_OWNER, "Email", "High", "Product issue",
     "Two tent poles broken", "Liam Carter (liam.carter@example.com)", "51234567801"],
    ["3100000002", "Invoice shows wrong VAT", "Support Pipeline", "Closed", "2024-03-30 10:00",
     "2024-04-01 09:00", HS_OWNER, "Phone", "Medium", "Billing issue", "VAT at 0%",
     "Charlotte Evans (charlotte.evans@example.co.uk)", "51234567804"],
    ["3100000003", "Grinder too loud", "Support Pipeline", "Waiting on contact",
     "2024-03-18 16:40", "", HS_OWNER, "Chat", "Low", "Product issue", "Noise at startup",
     "Benjamin Hall (ben.hall@example.com)", "51234567807"],
    ["3100000004", "Add dark mode", "Support Pipeline", "New", "2024-03-25 08:15", "", HS_OWNER,
     "Form", "Low", "Feature request", "Dark mode for the app",
     "Chloe Adams (chloe.adams@example.org)", "51234567811"],
    ["3100000005", "Where is my order?", "Support Pipeline", "Closed", "2024-03-23 12:00",
     "2024-03-23 12:45", HS_OWNER, "Chat", "Medium", "General inquiry", "Tracking number",
     "Mia Johnson (mia.johnson@example.com)", "51234567802"],
    ["3100000006", "Toner leaking", "Support Pipeline", "Waiting on us", "2024-03-26 10:30", "",
     HS_OWNER, "Email", "High", "Product issue", "Cartridge leaks",
     "Isla Murray (isla.murray@example.co.uk)", "51234567808"],
    ["3100000007", "Refund for lost deal deposit", "Support Pipeline", "Closed",
     "2024-04-11 09:00", "2024-04-15 17:00", HS_OWNER, "Phone", "Medium", "Billing issue",
     "Deposit refund", "Henry Scott (henry.scott@example.com)", "51234567809"],
    ["3100000008", "Password reset", "Support Pipeline", "Closed", "2024-03-12 07:50",
     "2024-03-12 08:05", HS_OWNER, "Email", "Low", "General inquiry", "Cannot log in",
     "Lucas Martin (lucas.martin@example.com)", "51234567805"],
]


# --- Zoho CRM (Setup > Data Administration > Export, or module Actions > Export) -------------

ZO_CONTACT = ["Record Id", "Contact Owner", "Lead Source", "First Name", "Last Name",
              "Account Name", "Account Name.id", "Email", "Title", "Department", "Phone",
              "Mobile", "Date of Birth", "Created Time", "Modified Time", "Mailing Street",
              "Mailing City", "Mailing State", "Mailing Zip", "Mailing Country", "Description"]
ZO_OWNER = "Pat Example"
ZA1, ZA2, ZA3, ZA4, ZA5, ZA6, ZA7 = ("5725767000000411001", "5725767000000411002",
                                     "5725767000000411003", "5725767000000411004",
                                     "5725767000000411005", "5725767000000411006",
                                     "5725767000000411007")


def zo_contact(id_, source, first, last, acct, acct_id, email, title, phone, mobile, birth,
               created, street, city, state, zip_, country):
    return [id_, ZO_OWNER, source, first, last, acct, acct_id, email, title, "", phone, mobile,
            birth, created, created, street, city, state, zip_, country, ""]


ZO_CONTACTS = [
    zo_contact("5725767000000412001", "Advertisement", "Ava", "Morgan", "Rocky Ridge Gear", ZA1,
               "ava.morgan@example.com", "Owner", "(970) 555-0101", "", "1983-08-09",
               "2024-03-05 14:02:11", "9 Mountain Ave", "Fort Collins", "CO", "80521",
               "United States"),
    zo_contact("5725767000000412002", "Cold Call", "Leo", "Morgan", "Rocky Ridge Gear", ZA1,
               "leo.morgan@example.com", "Buyer", "(720) 555-0186", "", "",
               "2024-03-05 16:20:00", "9 Mountain Ave", "Fort Collins", "CO", "80521",
               "United States"),
    zo_contact("5725767000000412003", "Employee Referral", "Maya", "Singh", "Cactus Logistics",
               ZA2, "maya.singh@example.com", "COO", "(602) 555-0105", "", "",
               "2024-03-06 09:00:00", "300 N Central Ave", "Phoenix", "AZ", "85004", "USA"),
    zo_contact("5725767000000412004", "External Referral", "Harry", "Wilson", "Wilson & Reed Ltd",
               ZA3, "harry.wilson@example.co.uk", "Managing Director", "020 7946 0123", "",
               "1975-12-01", "2024-03-06 10:45:30", "14 Fleet St", "London", "", "EC4Y 1AA",
               "United Kingdom"),
    zo_contact("5725767000000412005", "Online Store", "Ella", "Garcia", "Garcia Home", ZA4,
               "ella.garcia@example.com", "", "(212) 555-0110", "", "", "2024-03-07 12:00:00",
               "5 Broad St", "New York", "NY", "10004", "US"),
    zo_contact("5725767000000412006", "Partner", "Jack", "Nguyen", "Bay Area Print", ZA5,
               "jack.nguyen@example.com", "Owner", "(415) 555-0123", "", "",
               "2024-03-07 15:10:00", "1 Market St", "San Francisco", "CA", "94105",
               "United States"),
    zo_contact("5725767000000412007", "Trade Show", "Ruby", "Cooper", "Cooper Events", ZA6,
               "ruby.cooper@example.com", "Event Manager", "(303) 555-0147", "", "",
               "2024-03-08 08:30:00", "1600 Champa St", "Denver", "CO", "80202", "US"),
    zo_contact("5725767000000412008", "Web Download", "Oscar", "Lewis", "Wilson & Reed Ltd", ZA3,
               "oscar.lewis@example.co.uk", "Analyst", "020 7946 0958", "", "",
               "2024-03-08 11:00:00", "14 Fleet St", "London", "", "EC4Y 1AA",
               "United Kingdom"),
    zo_contact("5725767000000412009", "Seminar Partner", "Lily", "Baker", "Baker Street Books",
               ZA7, "lily.baker@example.com", "", "(312) 555-0178", "", "1995-03-15",
               "2024-03-11 13:30:00", "20 N Michigan Ave", "Chicago", "IL", "60602",
               "United States"),
    zo_contact("5725767000000412010", "", "Noah", "Fischer", "", "", "noah.fischer@example.org",
               "", "(206) 555-0119", "", "", "2024-03-12 17:45:00", "", "Seattle", "WA", "",
               "USA"),
]

ZO_CASE = ["Record Id", "Case Owner", "Case Number", "Status", "Priority", "Case Origin", "Type",
           "Case Reason", "Subject", "Account Name", "Account Name.id", "Contact Name",
           "Contact Name.id", "Email", "Phone", "Created Time", "Modified Time", "Description",
           "Solution"]
ZO_CASES = [
    ["5725767000000513001", ZO_OWNER, "101", "Closed", "High", "Phone", "Problem",
     "Complex functionality", "Zip broken on jacket", "Rocky Ridge Gear", ZA1, "Ava Morgan",
     "5725767000000412001", "ava.morgan@example.com", "(970) 555-0101", "2024-03-15 09:00:00",
     "2024-03-16 10:00:00", "Zip broke on first use", "Replacement sent"],
    ["5725767000000513002", ZO_OWNER, "102", "Closed", "Medium", "Email", "Question",
     "Instructions not clear", "Sizing chart", "Rocky Ridge Gear", ZA1, "Leo Morgan",
     "5725767000000412002", "leo.morgan@example.com", "(720) 555-0186", "2024-03-15 11:30:00",
     "2024-03-15 12:00:00", "Which size to order", "Sent chart"],
    ["5725767000000513003", ZO_OWNER, "103", "New", "High", "Web", "Problem",
     "Existing problem", "Tracking not updating", "Cactus Logistics", ZA2, "Maya Singh",
     "5725767000000412003", "maya.singh@example.com", "(602) 555-0105", "2024-03-18 14:00:00",
     "2024-03-18 14:00:00", "", ""],
    ["5725767000000513004", ZO_OWNER, "104", "Escalated", "High", "Phone", "Problem",
     "Complex functionality", "Invoice export fails", "Wilson & Reed Ltd", ZA3, "Harry Wilson",
     "5725767000000412004", "harry.wilson@example.co.uk", "020 7946 0123",
     "2024-03-19 08:15:00", "2024-03-20 09:00:00", "Error 500 on export", ""],
    ["5725767000000513005", ZO_OWNER, "105", "On Hold", "Low", "Email", "Feature Request",
     "New problem", "Gift wrapping option", "Garcia Home", ZA4, "Ella Garcia",
     "5725767000000412005", "ella.garcia@example.com", "(212) 555-0110", "2024-03-20 10:00:00",
     "2024-03-21 10:00:00", "", ""],
    ["5725767000000513006", ZO_OWNER, "106", "Closed", "Medium", "Web", "Question",
     "Instructions not clear", "Printer setup", "Bay Area Print", ZA5, "Jack Nguyen",
     "5725767000000412006", "jack.nguyen@example.com", "(415) 555-0123", "2024-03-21 13:45:00",
     "2024-03-22 08:00:00", "", "Call walkthrough"],
    ["5725767000000513007", ZO_OWNER, "107", "Closed", "Low", "Phone", "Problem",
     "Existing problem", "Badge printer jam", "Cooper Events", ZA6, "Ruby Cooper",
     "5725767000000412007", "ruby.cooper@example.com", "(303) 555-0147", "2024-03-22 09:20:00",
     "2024-03-25 09:00:00", "", "Technician visit"],
    ["5725767000000513008", ZO_OWNER, "108", "New", "Medium", "Email", "Question",
     "Instructions not clear", "Report filters", "Wilson & Reed Ltd", ZA3, "Oscar Lewis",
     "5725767000000412008", "oscar.lewis@example.co.uk", "020 7946 0958",
     "2024-03-25 16:00:00", "2024-03-25 16:00:00", "", ""],
]

ZO_DEAL = ["Record Id", "Deal Owner", "Deal Name", "Amount", "Closing Date", "Account Name",
           "Account Name.id", "Stage", "Type", "Probability (%)", "Next Step",
           "Expected Revenue", "Lead Source", "Contact Name", "Contact Name.id", "Created Time",
           "Modified Time", "Description"]
ZO_DEALS = [
    ["5725767000000614001", ZO_OWNER, "Rocky Ridge - winter range", "7200", "2024-03-28",
     "Rocky Ridge Gear", ZA1, "Closed Won", "New Business", "100", "", "7200", "Advertisement",
     "Ava Morgan", "5725767000000412001", "2024-03-06 09:00:00", "2024-03-28 17:00:00", ""],
    ["5725767000000614002", ZO_OWNER, "Rocky Ridge - boots", "1350.75", "2024-04-03",
     "Rocky Ridge Gear", ZA1, "Closed Won", "Existing Business", "100", "", "1350.75",
     "Cold Call", "Leo Morgan", "5725767000000412002", "2024-03-20 09:00:00",
     "2024-04-03 10:00:00", ""],
    ["5725767000000614003", ZO_OWNER, "Cactus - route software", "15000", "2024-04-30",
     "Cactus Logistics", ZA2, "Negotiation/Review", "New Business", "90", "Send contract",
     "13500", "Employee Referral", "Maya Singh", "5725767000000412003", "2024-03-07 09:00:00",
     "2024-03-25 09:00:00", ""],
    ["5725767000000614004", ZO_OWNER, "Wilson & Reed - licences", "4800", "2024-03-29",
     "Wilson & Reed Ltd", ZA3, "Closed Won", "New Business", "100", "", "4800",
     "External Referral", "Harry Wilson", "5725767000000412004", "2024-03-07 10:00:00",
     "2024-03-29 16:00:00", ""],
    ["5725767000000614005", ZO_OWNER, "Garcia Home - catalogue", "900", "2024-03-25",
     "Garcia Home", ZA4, "Closed Lost", "New Business", "0", "", "0", "Online Store",
     "Ella Garcia", "5725767000000412005", "2024-03-08 10:00:00", "2024-03-25 10:00:00", ""],
    ["5725767000000614006", ZO_OWNER, "Bay Area Print - press", "22000", "2024-04-12",
     "Bay Area Print", ZA5, "Closed Lost to Competition", "New Business", "0", "", "0",
     "Partner", "Jack Nguyen", "5725767000000412006", "2024-03-08 11:00:00",
     "2024-04-12 11:00:00", ""],
    ["5725767000000614007", ZO_OWNER, "Cooper Events - badges", "560", "2024-03-27",
     "Cooper Events", ZA6, "Closed Won", "New Business", "100", "", "560", "Trade Show",
     "Ruby Cooper", "5725767000000412007", "2024-03-09 08:00:00", "2024-03-27 08:00:00", ""],
    ["5725767000000614008", ZO_OWNER, "Baker Street - shelving", "2100", "2024-04-08",
     "Baker Street Books", ZA7, "Closed Won", "New Business", "100", "", "2100",
     "Seminar Partner", "Lily Baker", "5725767000000412009", "2024-03-12 08:00:00",
     "2024-04-08 08:00:00", ""],
]


SF_LEAD = ["Id", "IsDeleted", "LastName", "FirstName", "Salutation", "Name", "Title", "Company",
           "Street", "City", "State", "PostalCode", "Country", "Phone", "MobilePhone", "Email",
           "LeadSource", "Status", "Industry", "IsConverted", "ConvertedDate",
           "ConvertedAccountId", "ConvertedContactId", "ConvertedOpportunityId", "OwnerId",
           "CreatedDate"]


def sf_lead(id_, last, first, sal, title, company, city, state, country, phone, email, source,
            status, converted, created, conv=("", "", "", "")):
    return [id_, "false", last, first, sal, f"{first} {last}", title, company, "", city, state,
            "", country, phone, "", email, source, status, "", converted, *conv, OWNER, created]


SF_LEADS = [
    sf_lead("00Q5e00000LdAaAAAV", "Park", "Jenna", "Ms.", "Owner", "Park Florist", "Denver", "CO",
            "United States", "(303) 555-0147", "jenna.park@example.com", "Web",
            "Open - Not Contacted", "false", "2024-02-01T10:00:00.000Z"),
    sf_lead("00Q5e00000LdAbAAAV", "Alvarez", "Diego", "Mr.", "Manager", "Alvarez Auto", "Phoenix",
            "AZ", "USA", "(602) 555-0105", "diego.alvarez@example.com", "Phone Inquiry",
            "Working - Contacted", "false", "2024-02-02T11:30:00.000Z"),
    sf_lead("00Q5e00000LdAcAAAV", "Reyes", "Ana", "Ms.", "Purchasing Manager",
            "Summit Outdoor Supply", "Fort Collins", "CO", "United States", "(970) 555-0101",
            "ana.reyes@example.com", "Partner Referral", "Closed - Converted", "true",
            "2024-02-03T09:00:00.000Z",
            ("2024-03-05", "0015e00000XyZaAAAV", "0035e00000AbCdEAAV", "0065e00000OpAaAAAV")),
    sf_lead("00Q5e00000LdAdAAAV", "Khan", "Samir", "Mr.", "Director", "Khan Imports", "London", "",
            "United Kingdom", "020 7946 0123", "samir.khan@example.co.uk", "Purchased List",
            "Open - Not Contacted", "false", "2024-02-05T14:15:00.000Z"),
    sf_lead("00Q5e00000LdAeAAAV", "Brown", "Olivia", "Ms.", "", "Brown Bakery", "Chicago", "IL",
            "US", "(312) 555-0178", "olivia.brown@example.com", "Other", "Closed - Not Converted",
            "false", "2024-02-06T08:00:00.000Z"),
    sf_lead("00Q5e00000LdAfAAAV", "Lee", "Marcus", "Mr.", "Store Manager", "Summit Outdoor Supply",
            "Fort Collins", "CO", "United States", "(720) 555-0186", "marcus.lee@example.com",
            "Web", "Closed - Converted", "true", "2024-02-07T16:45:00.000Z",
            ("2024-03-06", "0015e00000XyZaAAAV", "0035e00000AbCdFAAV", "")),
    sf_lead("00Q5e00000LdAgAAAV", "Novak", "Eva", "Ms.", "CTO", "Novak Labs", "Seattle", "WA", "US",
            "(206) 555-0119", "eva.novak@example.org", "Partner Referral",
            "Working - Contacted", "false", "2024-02-08T12:00:00.000Z"),
    sf_lead("00Q5e00000LdAhAAAV", "Hughes", "Tom", "Mr.", "Owner", "Hughes Hardware", "Boston",
            "MA", "United States", "(617) 555-0132", "tom.hughes@example.com", "Web",
            "Open - Not Contacted", "false", "2024-02-09T09:30:00.000Z"),
    sf_lead("00Q5e00000LdAiAAAV", "Wright", "Ella", "Ms.", "Buyer", "Wright Interiors",
            "Manchester", "", "United Kingdom", "0161 496 0754", "ella.wright@example.co.uk",
            "Phone Inquiry", "Working - Contacted", "false", "2024-02-12T15:00:00.000Z"),
]

HS_COMPANY = ["Record ID", "Company name", "Company owner", "Create Date", "Phone Number",
              "Last Activity Date", "City", "Country/Region", "Industry", "Company Domain Name",
              "Number of Employees", "Original Source Type"]
HS_COMPANIES = [
    ["18800000001", "Carter Outdoor Supply", HS_OWNER, "2024-03-05 14:00", "(970) 555-0101", "",
     "Fort Collins", "United States", "Retail", "carter-outdoor.example.com", "25",
     "Organic Search"],
    ["18800000002", "Sonoran Tools", HS_OWNER, "2024-03-06 09:10", "(602) 555-0105", "",
     "Phoenix", "USA", "Machinery", "sonoran-tools.example.com", "60", "Email Marketing"],
    ["18800000003", "Evans & Co", HS_OWNER, "2024-03-06 11:40", "020 7946 0123", "", "London",
     "United Kingdom", "Consulting", "evans.example.co.uk", "12", "Referrals"],
    ["18800000004", "Hudson Goods", HS_OWNER, "2024-03-07 07:55", "(212) 555-0110", "",
     "New York", "US", "Wholesale", "hudson-goods.example.com", "140", "Organic Social"],
    ["18800000005", "Bayside Cafe", HS_OWNER, "2024-03-08 10:05", "(415) 555-0123", "",
     "San Francisco", "United States", "Restaurants", "bayside-cafe.example.com", "8",
     "Direct Traffic"],
    ["18800000006", "Murray Print", HS_OWNER, "2024-03-08 12:55", "0161 496 0754", "",
     "Manchester", "United Kingdom", "Printing", "murray-print.example.co.uk", "30",
     "Offline Sources"],
    ["18800000007", "Lone Star Bikes", HS_OWNER, "2024-03-11 09:40", "(512) 555-0164", "",
     "Austin", "USA", "Sporting Goods", "lonestar-bikes.example.com", "18", "Paid Social"],
    ["18800000008", "Maple Design", HS_OWNER, "2024-03-12 11:55", "(416) 555-0142", "",
     "Toronto", "Canada", "Design", "maple-design.example.org", "6", "Other Campaigns"],
]

ZO_ACCOUNT = ["Record Id", "Account Owner", "Account Name", "Account Site", "Parent Account",
              "Account Number", "Account Type", "Industry", "Annual Revenue", "Rating", "Phone",
              "Fax", "Website", "Employees", "Billing Street", "Billing City", "Billing State",
              "Billing Code", "Billing Country", "Description", "Created Time", "Modified Time"]


def zo_account(id_, name, num, typ, industry, phone, street, city, state, code, country,
               created):
    return [id_, ZO_OWNER, name, "", "", num, typ, industry, "", "", phone, "", "", "", street,
            city, state, code, country, "", created, created]


ZO_ACCOUNTS = [
    zo_account(ZA1, "Rocky Ridge Gear", "A-1001", "Customer", "Retail", "(970) 555-0101",
               "9 Mountain Ave", "Fort Collins", "CO", "80521", "United States",
               "2024-03-05 13:55:00"),
    zo_account(ZA2, "Cactus Logistics", "A-1002", "Prospect", "Transportation", "(602) 555-0105",
               "300 N Central Ave", "Phoenix", "AZ", "85004", "USA", "2024-03-06 08:50:00"),
    zo_account(ZA3, "Wilson & Reed Ltd", "A-1003", "Customer", "Consulting", "020 7946 0123",
               "14 Fleet St", "London", "", "EC4Y 1AA", "United Kingdom",
               "2024-03-06 10:40:00"),
    zo_account(ZA4, "Garcia Home", "A-1004", "Prospect", "Retail", "(212) 555-0110", "5 Broad St",
               "New York", "NY", "10004", "US", "2024-03-07 11:55:00"),
    zo_account(ZA5, "Bay Area Print", "A-1005", "Competitor", "Printing", "(415) 555-0123",
               "1 Market St", "San Francisco", "CA", "94105", "United States",
               "2024-03-07 15:00:00"),
    zo_account(ZA6, "Cooper Events", "A-1006", "Customer", "Hospitality", "(303) 555-0147",
               "1600 Champa St", "Denver", "CO", "80202", "US", "2024-03-08 08:20:00"),
    zo_account(ZA7, "Baker Street Books", "A-1007", "Customer", "Retail", "(312) 555-0178",
               "20 N Michigan Ave", "Chicago", "IL", "60602", "United States",
               "2024-03-11 13:20:00"),
    zo_account("5725767000000411008", "Thames Valley Foods", "A-1008", "Prospect", "Food",
               "0161 496 0754", "2 Deansgate", "Manchester", "", "M3 1AA", "United Kingdom",
               "2024-03-12 09:00:00"),
]


# --- 纷享销客 (Fxiaoke / ShareCRM): 客户 list > 导出, an .xlsx with field labels --------------
# Modelled from the standard 客户 (AccountObj) field labels; not checked against a real export.

FX_ACCOUNT = ["客户名称", "客户编号", "负责人", "客户级别", "来源", "电话", "邮件", "国家", "省",
              "市", "区", "详细地址", "成交状态", "创建时间", "最后修改时间"]
FX_ACCOUNTS = [
    ["上海示例贸易有限公司", "KH20240305001", "王示例", "重要客户", "官网", "13800138001",
     "info@example.com", "中国", "上海", "上海市", "浦东新区", "世纪大道100号", "已成交",
     "2024-03-05 14:02", "2024-03-05 14:02"],
    ["北京示范科技有限公司", "KH20240305002", "王示例", "普通客户", "展会", "010 5555 0101",
     "contact@example.com", "中国", "北京", "北京市", "海淀区", "中关村大街1号", "未成交",
     "2024-03-05 15:30", "2024-03-06 09:00"],
    ["广州样本餐饮管理有限公司", "KH20240306003", "李演示", "重要客户", "转介绍", "13800138002",
     "service@example.com", "中国", "广东", "广州市", "天河区", "天河路1号", "已成交",
     "2024-03-06 10:15", "2024-03-06 10:15"],
    ["深圳测试电子有限公司", "KH20240306004", "李演示", "普通客户", "广告", "13900139003",
     "sales@example.org", "中国", "广东", "深圳市", "南山区", "科技园1栋", "未成交",
     "2024-03-06 16:40", "2024-03-07 08:00"],
    ["杭州示例网络科技有限公司", "KH20240307005", "王示例", "普通客户", "电话咨询",
     "13800138005", "hello@example.com", "中国", "浙江", "杭州市", "西湖区", "文三路1号",
     "已成交", "2024-03-07 09:20", "2024-03-07 09:20"],
    ["成都样例文化传播有限公司", "KH20240307006", "赵测试", "非优先客户", "搜索引擎",
     "13800138006", "", "中国", "四川", "成都市", "武侯区", "人民南路1号", "未成交",
     "2024-03-07 11:00", "2024-03-07 11:00"],
    ["上海演示咨询有限公司", "KH20240308007", "赵测试", "重要客户", "研讨会", "021 6555 0188",
     "office@example.com", "中国", "上海", "上海市", "静安区", "南京西路1号", "已成交",
     "2024-03-08 13:45", "2024-03-08 13:45"],
    ["武汉示例物流有限公司", "KH20240308008", "李演示", "普通客户", "其他", "13800138008",
     "wuliu@example.com", "中国", "湖北", "武汉市", "江汉区", "解放大道1号", "未成交",
     "2024-03-08 17:10", "2024-03-08 17:10"],
    ["南京样本医疗器械有限公司", "KH20240311009", "王示例", "普通客户", "微信", "13800138009",
     "", "中国", "江苏", "南京市", "鼓楼区", "中山北路1号", "已成交", "2024-03-11 08:30",
     "2024-03-11 08:30"],
    ["西安演示教育科技有限公司", "KH20240311010", "赵测试", "非优先客户", "线下活动",
     "13800138010", "edu@example.com", "中国", "陕西", "西安市", "雁塔区", "小寨东路1号",
     "未成交", "2024-03-11 14:00", "2024-03-11 14:00"],
]


def main() -> None:
    sf = HERE / "salesforce"
    write_csv(sf / "contacts" / "Contact.csv", SF_CONTACT_ALL, SF_CONTACTS)
    write_csv(sf / "folder" / "Contact.csv", SF_F_CONTACT, SF_F_CONTACTS)
    write_csv(sf / "folder" / "Case.csv", SF_F_CASE, SF_F_CASES)
    write_csv(sf / "folder" / "Opportunity.csv", SF_F_OPP, SF_F_OPPS)
    write_csv(sf / "folder" / "Task.csv", SF_F_TASK, SF_F_TASKS)
    write_csv(sf / "leads" / "extract.csv", SF_LEAD, SF_LEADS)
    hs = HERE / "hubspot"
    write_csv(hs / "contacts" / "hubspot-crm-exports-all-contacts-2024-03-05.csv", HS_CONTACT,
              HS_CONTACTS)
    write_csv(hs / "deals" / "hubspot-crm-exports-all-deals-2024-04-15.csv", HS_DEAL, HS_DEALS)
    write_csv(hs / "companies" / "hubspot-crm-exports-all-companies-2024-03-13.csv", HS_COMPANY,
              HS_COMPANIES)
    write_csv(hs / "tickets" / "hubspot-crm-exports-all-tickets-2024-04-15.csv", HS_TICKET,
              HS_TICKETS)
    zo = HERE / "zoho"
    write_csv(zo / "contacts" / "Contacts_2024_03_13.csv", ZO_CONTACT, ZO_CONTACTS)
    write_csv(zo / "cases" / "Cases_2024_03_26.csv", ZO_CASE, ZO_CASES)
    write_csv(zo / "accounts" / "Accounts_2024_03_13.csv", ZO_ACCOUNT, ZO_ACCOUNTS)
    write_csv(zo / "deals" / "Deals_2024_04_15.csv", ZO_DEAL, ZO_DEALS)
    write_xlsx(HERE / "fxiaoke" / "customers" / "客户.xlsx", "客户", FX_ACCOUNT, FX_ACCOUNTS)


if __name__ == "__main__":
    main()
