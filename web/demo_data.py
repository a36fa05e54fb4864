"""Sample content of `espresso demo`: coworking spaces across Italy and Europe, their events and news.

The spaces are invented (names, e-mail addresses and websites under `.example`), placed at real
streets and coordinates so the map, the distance search and the time zones behave as they would
for real ones. Event dates are relative to the day the demo starts, in each space's own zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["INSTANCES", "MAX_SPACES", "SampleSpace", "events_of", "sample_spaces"]

# The space instances of the demo, by key: (instance name, what it gathers).
INSTANCES: dict[str, str] = {
    "sud": "Espresso Sud",
    "nord": "Espresso Nord",
    "europa": "Espresso Europa",
}

_WEEKDAYS = ["mo", "tu", "we", "th", "fr"]


@dataclass(frozen=True)
class SampleSpace:
    instance: str  # a key of INSTANCES
    timezone: str
    space: dict[str, Any]  # the admin API's Space JSON
    events: list[dict[str, Any]] = field(default_factory=list)  # templates, see events_of
    news: str = ""

    @property
    def username(self) -> str:
        return str(self.space["username"])

    @property
    def name(self) -> str:
        return str(self.space["name"])


def _hours(opens: str, closes: str, *, saturday: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"days": _WEEKDAYS, "opens": opens, "closes": closes}]
    if saturday:
        rules.append({"days": ["sa"], "opens": saturday[0], "closes": saturday[1]})
    return rules


def _prices(currency: str = "EUR", **amounts: str) -> list[dict[str, str]]:
    return [{"kind": kind, "amount": amount, "currency": currency} for kind, amount in amounts.items()]


def _summary(italian: str, english: str) -> str:
    return f"{italian}\n\n*In English:* {english}"


def _event(days: int, start: str, hours: float | None, title: str, description: str, *,
           online: bool = False, cancelled: bool = False, capacity: int | None = None,
           tags: tuple[str, ...] = ()) -> dict[str, Any]:
    """An event template: `days` from today, `start` local time, lasting `hours`."""
    return {"days": days, "start": start, "hours": hours, "title": title, "description": description,
            "online": online, "cancelled": cancelled, "capacity": capacity, "tags": list(tags)}


# Ordered so that the first N spaces are spread over the three instances.
_SAMPLES: list[SampleSpace] = [
    SampleSpace("sud", "Europe/Rome", {
        "username": "racale", "name": "Coworking Racale",
        "summary": _summary(
            "Uno spazio luminoso nel cuore del Salento, a venti minuti dal mare di Gallipoli: "
            "scrivanie, una sala riunioni e un giardino di ulivi dove lavorare all'aperto.",
            "A bright space in the heart of Salento, twenty minutes from the sea at Gallipoli: "
            "desks, a meeting room and an olive garden to work outdoors."),
        "address": {"street": "Via Fiume 12", "locality": "Racale", "region": "Puglia",
                    "postal_code": "73055", "country": "IT"},
        "geo": {"lat": 39.9608, "lon": 18.0937},
        "website": "https://racale.coworking.example", "email": "ciao@racale.coworking.example",
        "phone": "+39 0833 000001",
        "opening_hours": _hours("09:00", "19:00", saturday=("09:00", "13:00")),
        "amenities": ["wifi", "meeting_room", "kitchen", "coffee", "terrace", "bike_parking", "air_conditioning",
                      "step_free_entrance"],
        "prices": _prices(day_pass="15.00", week_pass="60.00", hot_desk_month="150.00", meeting_room_hour="12.00"),
        "seats": 24, "languages": ["it", "en"], "tags": ["rural", "salento", "workation"],
    }, [
        _event(3, "09:00", 2, "Colazione tra coworker",
               "Caffè, pasticciotti e presentazioni: vieni a conoscere chi lavora qui.", tags=("community",)),
        _event(12, "17:30", 2, "Workshop: fatturazione elettronica per freelance",
               "Come emettere fatture elettroniche senza stress. Con una commercialista di Lecce.",
               capacity=20, tags=("workshop",)),
        _event(20, "18:00", 3, "Aperitivo tra gli ulivi",
               "Annullato per maltempo: lo rifaremo presto.", cancelled=True),
    ], "Da lunedì il giardino è aperto anche il pomeriggio: portate il portatile sotto gli ulivi!"),
    SampleSpace("nord", "Europe/Rome", {
        "username": "alessandria", "name": "Cowo Alessandria",
        "summary": _summary(
            "Coworking a due passi dalla stazione, comodo per chi fa la spola tra Milano, Torino e Genova.",
            "A coworking space next to the railway station, handy for commuters between Milan, Turin and Genoa."),
        "address": {"street": "Corso Roma 85", "locality": "Alessandria", "region": "Piemonte",
                    "postal_code": "15121", "country": "IT"},
        "geo": {"lat": 44.9131, "lon": 8.6147},
        "website": "https://alessandria.coworking.example", "email": "info@alessandria.coworking.example",
        "phone": "+39 0131 000002",
        "opening_hours": _hours("08:30", "19:30"),
        "amenities": ["wifi", "wired_internet", "meeting_room", "phone_booth", "printer", "lockers", "coffee",
                      "elevator", "wheelchair_accessible"],
        "prices": _prices(hour_pass="4.00", day_pass="18.00", dedicated_desk_month="220.00"),
        "seats": 30, "languages": ["it", "en", "fr"], "tags": ["station", "commuters"],
    }, [
        _event(5, "13:00", 1, "Pranzo di networking",
               "Porta il tuo pranzo, noi offriamo il caffè. Un giro di presentazioni di un minuto a testa."),
        _event(9, "18:00", 1.5, "Webinar: lavorare da remoto con i clienti esteri",
               "In diretta online, con domande alla fine.", online=True, tags=("remote",)),
    ], "Nuove cabine telefoniche insonorizzate al primo piano: prenotabili dalla reception."),
    SampleSpace("europa", "Europe/Lisbon", {
        "username": "lisboa", "name": "Cais Coworking Lisboa",
        "summary": _summary(
            "Un ex magazzino sul fiume Tago trasformato in coworking, pieno di nomadi digitali.",
            "A former warehouse on the Tagus turned into a coworking space, full of digital nomads."),
        "address": {"street": "Rua da Boavista 72", "locality": "Lisboa", "region": "Lisboa",
                    "postal_code": "1200-066", "country": "PT"},
        "geo": {"lat": 38.7077, "lon": -9.1481},
        "website": "https://lisboa.coworking.example", "email": "ola@lisboa.coworking.example",
        "phone": "+351 210 000003",
        "opening_hours": _hours("08:00", "20:00", saturday=("10:00", "18:00")),
        "amenities": ["wifi", "meeting_room", "event_space", "kitchen", "coffee", "showers", "bike_parking",
                      "24_7_access", "monitors"],
        "prices": _prices(day_pass="20.00", week_pass="85.00", hot_desk_month="190.00", coworking_visa="0.00"),
        "seats": 80, "languages": ["pt", "en", "it"], "tags": ["nomads", "riverside"],
    }, [
        _event(2, "19:00", 2, "Nomad meetup by the river",
               "Drinks on the terrace and lightning talks from people working their way around Europe.",
               tags=("nomads",)),
        _event(15, "10:00", 6, "Pitch day",
               "Ten startups, five minutes each, feedback from local investors.", capacity=120),
    ], "Our new podcast corner is ready: book it by the hour at the front desk."),
    SampleSpace("sud", "Europe/Rome", {
        "username": "lecce", "name": "Officine Barocche Lecce",
        "summary": _summary(
            "Coworking in un palazzo del Seicento nel centro storico di Lecce, tra pietra leccese e volte a stella.",
            "A coworking space in a 17th-century palace in Lecce's old town, under star-vaulted ceilings."),
        "address": {"street": "Via Vittorio Emanuele II 14", "locality": "Lecce", "region": "Puglia",
                    "postal_code": "73100", "country": "IT"},
        "geo": {"lat": 40.3523, "lon": 18.1691},
        "website": "https://lecce.coworking.example", "email": "ciao@lecce.coworking.example",
        "phone": "+39 0832 000004",
        "opening_hours": _hours("09:00", "20:00"),
        "amenities": ["wifi", "meeting_room", "event_space", "coffee", "quiet_zone", "registered_address",
                      "air_conditioning"],
        "prices": _prices(half_day_pass="10.00", day_pass="16.00", ten_day_pass="130.00",
                          virtual_office_month="40.00"),
        "seats": 35, "languages": ["it", "en"], "tags": ["centro_storico", "barocco"],
    }, [
        _event(6, "18:30", 2, "Presentazione libro: il Salento che innova",
               "L'autrice racconta dieci imprese nate nei paesi del Salento.", tags=("book",)),
    ], "Ad agosto siamo aperti tutti i giorni, anche a Ferragosto (mattina)."),
    SampleSpace("nord", "Europe/Rome", {
        "username": "milano", "name": "Navigli Work Milano",
        "summary": _summary(
            "Tre piani in zona Tortona: postazioni flessibili, uffici privati e uno studio podcast.",
            "Three floors in the Tortona district: hot desks, private offices and a podcast studio."),
        "address": {"street": "Via Tortona 31", "locality": "Milano", "region": "Lombardia",
                    "postal_code": "20144", "country": "IT"},
        "geo": {"lat": 45.4522, "lon": 9.1659},
        "website": "https://milano.coworking.example", "email": "hello@milano.coworking.example",
        "phone": "+39 02 0000005",
        "opening_hours": _hours("08:00", "21:00", saturday=("09:00", "18:00")),
        "amenities": ["wifi", "wired_internet", "meeting_room", "phone_booth", "podcast_studio", "monitors",
                      "standing_desks", "reception", "mail_handling", "elevator", "accessible_toilet"],
        "prices": _prices(day_pass="29.00", hot_desk_month="290.00", private_office_month="950.00",
                          meeting_room_day="240.00"),
        "seats": 150, "languages": ["it", "en"], "tags": ["design", "startup"],
    }, [
        _event(4, "18:30", 2.5, "Design Talks: interfacce per tutti",
               "Accessibilità nei prodotti digitali, con tre designer milanesi.", capacity=80,
               tags=("design", "accessibility")),
        _event(18, "09:30", 8, "Hackathon del fediverso",
               "Una giornata per costruire strumenti su ActivityPub. Pranzo offerto."),
    ], "Lo studio podcast ora ha anche una videocamera 4K: chiedete in reception."),
    SampleSpace("europa", "Europe/Berlin", {
        "username": "berlin", "name": "Hinterhof Coworking Berlin",
        "summary": _summary(
            "Un cortile interno a Kreuzberg, con una cucina comune e un giardino pensile.",
            "A Kreuzberg courtyard with a shared kitchen and a roof garden."),
        "address": {"street": "Oranienstraße 25", "locality": "Berlin", "region": "Berlin",
                    "postal_code": "10999", "country": "DE"},
        "geo": {"lat": 52.5012, "lon": 13.4193},
        "website": "https://berlin.coworking.example", "email": "hallo@berlin.coworking.example",
        "phone": "+49 30 0000006",
        "opening_hours": _hours("09:00", "19:00"),
        "amenities": ["wifi", "kitchen", "coffee", "terrace", "childcare", "pet_friendly", "bike_parking",
                      "lockers"],
        "prices": _prices(day_pass="22.00", ten_day_pass="180.00", hot_desk_month="240.00"),
        "seats": 45, "languages": ["de", "en", "it"], "tags": ["family_friendly", "kreuzberg"],
    }, [
        _event(7, "10:00", 3, "Parents who cowork",
               "A morning for working parents: childcare in the next room, coffee on us.", tags=("family",)),
        _event(14, "19:00", 2, "Open-source evening",
               "Bring a laptop and a bug you want to fix; mentors help first-time contributors.", online=True),
    ], "We now open the roof garden from April to October."),
    SampleSpace("nord", "Europe/Rome", {
        "username": "bologna", "name": "Portici Coworking Bologna",
        "summary": _summary(
            "Sotto i portici del Pratello, uno spazio piccolo e accogliente per freelance e ricercatori.",
            "Under the Pratello arcades, a small, friendly space for freelancers and researchers."),
        "address": {"street": "Via del Pratello 40", "locality": "Bologna", "region": "Emilia-Romagna",
                    "postal_code": "40122", "country": "IT"},
        "geo": {"lat": 44.4961, "lon": 11.3352},
        "website": "https://bologna.coworking.example", "email": "ciao@bologna.coworking.example",
        "phone": "+39 051 0000007",
        "opening_hours": _hours("09:00", "19:00"),
        "amenities": ["wifi", "quiet_zone", "coffee", "kitchen", "printer", "bike_parking"],
        "prices": _prices(day_pass="14.00", week_pass="55.00", dedicated_desk_month="180.00"),
        "seats": 18, "languages": ["it", "en", "es"], "tags": ["university", "freelance"],
    }, [
        _event(8, "17:00", 2, "Tortellini e open data",
               "Un pomeriggio sui dati aperti del Comune, con merenda emiliana.", tags=("opendata",)),
    ], "Abbiamo aggiunto sei postazioni nella sala silenziosa."),
    SampleSpace("sud", "Europe/Rome", {
        "username": "napoli", "name": "Spaccanapoli Hub",
        "summary": _summary(
            "Coworking e spazio eventi su via Toledo, con vista sui Quartieri Spagnoli.",
            "A coworking and event space on Via Toledo, overlooking the Spanish Quarter."),
        "address": {"street": "Via Toledo 256", "locality": "Napoli", "region": "Campania",
                    "postal_code": "80132", "country": "IT"},
        "geo": {"lat": 40.8396, "lon": 14.2486},
        "website": "https://napoli.coworking.example", "email": "info@napoli.coworking.example",
        "phone": "+39 081 0000008",
        "opening_hours": _hours("09:00", "20:00", saturday=("10:00", "14:00")),
        "amenities": ["wifi", "event_space", "meeting_room", "coffee", "air_conditioning", "reception"],
        "prices": _prices(day_pass="15.00", hot_desk_month="160.00", event_space_day="400.00"),
        "seats": 60, "languages": ["it", "en"], "tags": ["events", "centro_storico"],
    }, [
        _event(10, "18:00", 2, "Startup Night Napoli",
               "Cinque founder campani raccontano errori e successi.", capacity=90),
    ], "Il nuovo spazio eventi ospita fino a 90 persone."),
    SampleSpace("europa", "Europe/Madrid", {
        "username": "barcelona", "name": "Poblenou Coworking Barcelona",
        "summary": _summary(
            "Un ex stabilimento tessile nel distretto 22@, a dieci minuti dalla spiaggia.",
            "A former textile factory in the 22@ district, ten minutes from the beach."),
        "address": {"street": "Carrer de Pujades 100", "locality": "Barcelona", "region": "Catalunya",
                    "postal_code": "08005", "country": "ES"},
        "geo": {"lat": 41.3983, "lon": 2.1946},
        "website": "https://barcelona.coworking.example", "email": "hola@barcelona.coworking.example",
        "phone": "+34 93 0000009",
        "opening_hours": _hours("08:30", "20:30"),
        "amenities": ["wifi", "meeting_room", "showers", "terrace", "standing_desks", "ev_charging"],
        "prices": _prices(day_pass="18.00", hot_desk_month="200.00"),
        "seats": 70, "languages": ["es", "ca", "en"], "tags": ["beach", "tech"],
    }, [
        _event(11, "19:30", 2, "Beach clean-up and tapas",
               "We clean the Bogatell beach together, then tapas on the terrace."),
    ], "Two new EV chargers in the courtyard."),
    SampleSpace("sud", "Europe/Rome", {
        "username": "palermo", "name": "Coworking Ballarò Palermo",
        "summary": _summary(
            "Accanto al mercato di Ballarò: lavoro, cannoli e una terrazza sui tetti.",
            "Next to the Ballarò market: work, cannoli and a rooftop terrace."),
        "address": {"street": "Via Maqueda 200", "locality": "Palermo", "region": "Sicilia",
                    "postal_code": "90133", "country": "IT"},
        "geo": {"lat": 38.1153, "lon": 13.3615},
        "opening_hours": _hours("09:00", "18:30"),
        "amenities": ["wifi", "terrace", "coffee", "kitchen"],
        "prices": _prices(day_pass="12.00", week_pass="50.00"),
        "seats": 20, "languages": ["it", "en"], "tags": ["market", "rooftop"],
    }, [
        _event(13, "17:00", 2, "Laboratorio di fotografia per i social",
               "Come fotografare il tuo lavoro con lo smartphone.", capacity=15),
    ], "Da giugno la terrazza resta aperta fino al tramonto."),
    SampleSpace("nord", "Europe/Rome", {
        "username": "torino", "name": "Lingotto Lab Torino",
        "summary": _summary(
            "Coworking per maker e ingegneri, con laboratorio di prototipazione.",
            "A coworking space for makers and engineers, with a prototyping lab."),
        "address": {"street": "Via Nizza 262", "locality": "Torino", "region": "Piemonte",
                    "postal_code": "10126", "country": "IT"},
        "geo": {"lat": 45.0318, "lon": 7.6640},
        "opening_hours": _hours("08:00", "20:00"),
        "amenities": ["wifi", "wired_internet", "meeting_room", "parking", "ev_charging", "printer"],
        "prices": _prices(day_pass="17.00", private_office_month="600.00"),
        "seats": 50, "languages": ["it", "en"], "tags": ["makers", "hardware"],
    }, [
        _event(16, "18:00", 3, "Serata stampa 3D",
               "Porta un file, usciamo con un oggetto. Posti limitati.", capacity=12),
    ], "Arrivata una nuova stampante 3D a resina."),
    SampleSpace("europa", "Europe/Amsterdam", {
        "username": "amsterdam", "name": "Jordaan Desks Amsterdam",
        "summary": _summary(
            "Un coworking tranquillo lungo i canali del Jordaan.",
            "A quiet coworking space along the Jordaan canals."),
        "address": {"street": "Westerstraat 100", "locality": "Amsterdam", "region": "Noord-Holland",
                    "postal_code": "1015 MN", "country": "NL"},
        "geo": {"lat": 52.3781, "lon": 4.8830},
        "opening_hours": _hours("08:30", "18:00"),
        "amenities": ["wifi", "quiet_zone", "coffee", "bike_parking"],
        "prices": _prices(day_pass="25.00", hot_desk_month="275.00"),
        "seats": 25, "languages": ["nl", "en"], "tags": ["canals", "quiet"],
    }, [
        _event(9, "08:30", 1.5, "Canal-side breakfast",
               "Meet the members over stroopwafels and coffee."),
    ], "Bike repairs every Friday morning in the courtyard."),
]

MAX_SPACES = len(_SAMPLES)


def sample_spaces(count: int) -> list[SampleSpace]:
    """The first `count` sample spaces (1 to MAX_SPACES)."""
    if not 1 <= count <= MAX_SPACES:
        raise ValueError(f"--spaces: from 1 to {MAX_SPACES}, got {count}")
    return _SAMPLES[:count]


def events_of(sample: SampleSpace, today: date) -> list[tuple[dict[str, Any], bool]]:
    """The admin API's Event JSON of each of the space's events, and whether to cancel it afterwards."""
    zone = ZoneInfo(sample.timezone)
    result = []
    for template in sample.events:
        starts = datetime.combine(today + timedelta(days=template["days"]),
                                  time.fromisoformat(template["start"]), tzinfo=zone)
        event: dict[str, Any] = {
            "title": template["title"],
            "description": template["description"],
            "starts_at": starts.isoformat(),
            "timezone": sample.timezone,
            "location": "online" if template["online"] else "space",
            "tags": template["tags"],
        }
        if template["hours"]:
            event["ends_at"] = (starts + timedelta(hours=template["hours"])).isoformat()
        if template["online"]:
            event["online_url"] = f"https://meet.example/{sample.username}-{template['days']}"
        if template["capacity"]:
            event["capacity"] = template["capacity"]
        result.append((event, bool(template["cancelled"])))
    return result
