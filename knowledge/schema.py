"""Controlled vocabularies for the fact files: the loader refuses anything outside them,
so a typo in a topic or a kind is caught when an editor runs `make kb`, not by a user."""

TOPICS = frozenset({
    # what a role is
    "overview", "band", "duties", "skills", "risk", "caseload", "specialisms",
    "working_conditions", "hours", "benefits", "pay_context", "tools", "reports",
    # getting in
    "entry", "experience", "qualification_levels", "overseas_qualifications",
    "application_process", "assessment", "training", "modules", "length", "part_time",
    "internal_route", "apprenticeship", "skip_pso",
    # checks
    "minimum_age", "maximum_age", "right_to_work", "residence", "criminal_record", "vetting",
    "dbs", "driving_licence", "drug_test", "fitness", "welsh_language", "registration",
    # the service and the wider picture
    "organisation", "staffing", "outlook", "employment", "progression", "related_careers",
    "history", "parole_vs_probation",
    # where a reader should look for what the knowledge base does not hold
    "where_to_look",
})

# Attributes written on a role that become facts with the same topic.
ROLE_FACT_FIELDS = ("band", "summary", "duties", "skills", "risk", "caseload", "entry")
ROLE_FIELD_TOPIC = {"summary": "overview"}

ROLE_KINDS = frozenset({"probation", "management", "adjacent"})
RELIABILITY = frozenset({"official", "secondary", "low"})
STATUSES = frozenset({"current", "superseded"})
PAY_LABELS = frozenset({"trainee", "starting", "qualified", "range", "median", "typical", "top"})
CURRENCIES = {"GBP": "£", "USD": "$", "EUR": "€"}
PAY_PERIODS = frozenset({"year", "hour"})

# What a composed answer unit (`units:` in the fact files) may ask the advisor for: each is built
# from several facts, for the role and place the person asks about.
COMPOSED_ANSWERS = frozenset({
    "overview", "band", "pay", "entry", "skip_pso", "pqip", "modules", "time_to_qualify",
    "age", "criminal_record", "checks", "driving_licence", "region", "outlook",
    "parole_vs_probation", "progression", "related", "skills", "day_to_day", "caseload",
    "compare", "application", "history", "apprenticeship", "registration", "welsh", "route",
    "plan",
})
# The parameters a composed unit may take; the person's message (or the conversation) fills them.
UNIT_PARAMS = ("role", "place")
