"""Synthetic demo patients: believable, varied, and reproducible from a seed.

Phone numbers use the 555-0100..0199 range that is reserved for fiction; no SSNs are made up.
Names include hyphens, apostrophes and accents on purpose, because real front desks meet them.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta

from django.db import transaction

from clinicdesk.core.demo import DemoOptions, register, step_progress

from .models import Patient
from .services import PatientInput, patient_register

FEMALE = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Margaret",
    "Sandra",
    "Ashley",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Sharon",
    "Laura",
    "Cynthia",
    "Amy",
    "Angela",
    "Anna",
    "Brenda",
    "Emma",
    "Olivia",
    "Sofía",
    "María",
    "Guadalupe",
    "Mei",
    "Aaliyah",
    "Fatima",
    "Priya",
    "Chloé",
    "Zoë",
    "Siobhan",
]
MALE = [
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Christopher",
    "Charles",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Jason",
    "Edward",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "José",
    "Luis",
    "Carlos",
    "Wei",
    "Mohammed",
    "Omar",
    "Raj",
    "Liam",
    "Noah",
    "Seán",
    "Björn",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "O'Brien",
    "O'Connor",
    "McDonald",
    "Núñez",
    "García-López",
    "Smith-Jones",
    # Surnames of several words stay whole: a particle alone ("der", "Van") is not a surname.
    "van der Berg",
    "Van Buren",
    "de la Cruz",
    "Berg",
    "Kowalski",
    "Øster",
    "Patel",
    "Khan",
    "Chen",
    "Kim",
    "Okafor",
    "Abiodun",
    "Haddad",
]
PLACES = (
    ("Albany", "12207"),
    ("Albany", "12203"),
    ("Troy", "12180"),
    ("Schenectady", "12305"),
    ("Saratoga Springs", "12866"),
    ("Cohoes", "12047"),
    ("Rensselaer", "12144"),
    ("Latham", "12110"),
    ("Delmar", "12054"),
    ("Clifton Park", "12065"),
    ("Watervliet", "12189"),
    ("Ballston Spa", "12020"),
)
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "State St",
    "Western Ave",
    "Madison Ave",
    "Lark St",
    "Elm St",
    "River Rd",
    "Delaware Ave",
    "Central Ave",
    "Washington Ave",
    "Hudson Ave",
    "Broadway",
    "Pine St",
)
AREA_CODES = (
    "518",
    "212",
    "315",
    "607",
    "716",
    "845",
    "914",
    "917",
    "646",
    "347",
    "585",
    "631",
    "516",
    "718",
    "929",
    "680",
    "838",
    "332",
    "934",
    "363",
)
LANGUAGES = ("English",) * 17 + ("Spanish", "Spanish", "Chinese", "Bengali", "Russian", "Arabic", "Haitian Creole")
ALERTS = (
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "Needs interpreter",
    "Hard of hearing — speak clearly",
    "Prefers afternoon appointments",
    "Wheelchair user",
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def demo_patient_inputs(count: int, seed: int):
    """`count` PatientInputs, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311  (demo data must be reproducible, not secret)
    phones = [f"({area}) 555-{line:04d}" for area in AREA_CODES for line in range(100, 200)]
    rng.shuffle(phones)
    today = date(2026, 1, 1)  # fixed, so the same seed gives the same ages every year
    for i in range(count):
        sex = rng.choice("FFFFMMMMU")
        first = rng.choice(FEMALE if sex == "F" else MALE if sex == "M" else FEMALE + MALE)
        age_days = int(rng.triangular(0, 95, 45) * 365.25)
        city, zip_code = rng.choice(PLACES)
        values = {
            "first_name": first,
            "middle_name": rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else "",
            "last_name": rng.choice(LAST),
            "date_of_birth": today - timedelta(days=age_days),
            "sex_at_birth": sex,
            "preferred_language": rng.choice(LANGUAGES),
            "address_line1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            "city": city,
            "state": "NY",
            "zip_code": zip_code,
            "email": f"{_ascii(first).lower()}.{i}@example.com" if rng.random() < 0.6 else "",
            "alerts": rng.choice(ALERTS),
        }
        kind = "mobile" if rng.random() < 0.8 else "home"
        yield PatientInput(values=values, phones={kind: phones[i % len(phones)]})


@register(name="patients", order=20)
def demo_patients(options: DemoOptions) -> str:
    """Load the synthetic patients once: nothing happens when the practice already has patients."""
    if options.patients == 0 or Patient.objects.exists():
        return "patients already present" if options.patients else "no patients asked for"
    with transaction.atomic(), step_progress(options, "Demo patients", options.patients) as advance:
        for data in demo_patient_inputs(options.patients, options.seed):
            patient_register(actor=None, system="system:demo", data=data)
            advance()
    return f"{options.patients} synthetic patients created"
