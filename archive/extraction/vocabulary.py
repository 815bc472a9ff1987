"""Small English word lists the extractors reason with: titles, function words, months, cue words.

General language, not data about any article: they say which capitalised
words introduce a person, an organisation or a place.
"""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PERSON_TITLES = _words(
    """
    mr mr. mrs mrs. ms ms. dr dr. sir dame lord lady president vice prime premier minister ministers secretary
    chancellor governor gov. senator sen. rep. representative congressman congresswoman ambassador envoy
    general gen. lieutenant lt. col. colonel major maj. capt. captain admiral adm. sgt. sergeant commander
    brigadier marshal king queen prince princess sheikh sultan emir crown pope cardinal archbishop bishop
    rabbi imam ayatollah mayor judge justice chairman chairwoman chairperson chief director spokesman
    spokeswoman spokesperson leader deputy foreign defence defense finance interior economy trade treasury
    agriculture energy oil justice health labour labor industry commerce economics petroleum state
    undersecretary under assistant acting executive managing governing central bank speaker commissioner
    herr frau monsieur madame mme mme. senor señor senora señora signor signora
    """
)
HONORIFICS = _words("mr mr. mrs mrs. ms ms. dr dr. sir dame lord lady")
# Written either way in a name: 'Barend du Plessis', 'Du Plessis said'.
NAME_PARTICLES = _words("al al- bin ibn de del da di du van von der la le")

STOPWORDS = _words(
    """
    a an the and or but if of in on at to for from by with without into onto over under after before since
    during until about against between among through across near as is are was were be been being has have
    had do does did will would shall should can could may might must it its it's this that these those there
    here he she they we you i me him her them us our your their his my who whom whose which what when where
    why how all any both each few more most other some such no nor not only own same so than too very just
    also however meanwhile yesterday today tomorrow monday tuesday wednesday thursday friday saturday sunday
    last next earlier later new one two three four five six seven eight nine ten first second third
    according despite while although because though unless whether then thus still yet even once
    """
)

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}

ORGANISATION_HEADS = _words(
    """
    ministry bank council organisation organization party front corp corp. corporation inc inc. ltd ltd. co
    co. plc group union agency committee association federation institute university army brigade brigades
    movement court commission authority company fund board department office service forces exchange reserve
    alliance league coalition network trust foundation airlines airways industries holdings bureau senate
    parliament assembly congress club community brothers
    """
)
# After a name and a hyphen, these (and any word ending in 'ed': 'Isis-controlled', 'Tokyo-based') make an
# adjective of it: 'State-run', 'French-made', 'BBB-minus'.
ADJECTIVE_TAILS = _words("run made held born built style minus plus wide like type speaking level class size scale")
# After a capitalised word, these show it describes a group or a role rather than naming a person
# ('Militant group', 'Kremlin officials').
GENERIC_ROLE_NOUNS = ORGANISATION_HEADS | _words(
    """
    administration government officials official spokesman spokeswoman aide aides militants fighters rebels
    supporters members troops
    """
)
ORGANISATION_LEADS = _words("ministry bank council department office commission university institute")

LOCATIVE = _words("in at near outside inside from across around towards toward via")
PLACE_HEADS = (
    "naval air station",
    "air station",
    "air base",
    "airbase",
    "naval base",
    "military base",
    "base",
    "airport",
    "province",
    "region",
    "island",
    "islands",
    "district",
    "governorate",
    "valley",
    "peninsula",
)
PERSON_FOLLOWERS = _words("said says told added stated announced warned declared")
APPOSITION_WORDS = _words("a an the who whose")

# Acronym-like names that are also English words: in an all-capitals headline they prove nothing.
COMMON_SHORT_WORDS = _words("us it is am an as at be by do go he if in me my no of oh on or so to up we")
