"""Controlled vocabularies for the fact files: the loader refuses anything outside them,
so a typo in a topic or a kind is caught when an editor runs `make kb`, not by a user."""

# The checks a person must pass (knowledge.queries' requirements read them, Welsh aside)
CHECK_TOPICS = (
    "minimum_age",
    "maximum_age",
    "right_to_work",
    "residence",
    "criminal_record",
    "vetting",
    "dbs",
    "driving_licence",
    "drug_test",
    "fitness",
    "welsh_language",
    "registration",
)

TOPICS = frozenset(
    {
        # what a role is
        "overview",
        "band",
        "duties",
        "skills",
        "risk",
        "caseload",
        "specialisms",
        "working_conditions",
        "hours",
        "benefits",
        "pay_context",
        "tools",
        "reports",
        # getting in
        "entry",
        "experience",
        "qualification_levels",
        "overseas_qualifications",
        "application_process",
        "assessment",
        "training",
        "modules",
        "length",
        "part_time",
        "internal_route",
        "apprenticeship",
        "skip_pso",
        *CHECK_TOPICS,
        # the service and the wider picture
        "organisation",
        "staffing",
        "outlook",
        "employment",
        "progression",
        "related_careers",
        "history",
        "parole_vs_probation",
        # where a reader should look for what the knowledge base does not hold
        "where_to_look",
    }
)

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
COMPOSED_ANSWERS = frozenset(
    {
        "overview",
        "band",
        "pay",
        "entry",
        "skip_pso",
        "pqip",
        "modules",
        "time_to_qualify",
        "age",
        "criminal_record",
        "checks",
        "driving_licence",
        "region",
        "outlook",
        "parole_vs_probation",
        "progression",
        "related",
        "skills",
        "day_to_day",
        "caseload",
        "compare",
        "application",
        "history",
        "apprenticeship",
        "registration",
        "welsh",
        "route",
        "plan",
    }
)
# The parameters a composed unit may take; the person's message (or the conversation) fills them.
UNIT_PARAMS = ("role", "place")

# Facts and routes the planner (knowledge/planner.py) cites by id; the loader refuses a knowledge
# base without them. They live here, with the rest of what the data must hold, so that loading
# never imports the planner.
PLANNER_FACTS = (
    "min-age",
    "min-age-dipps",
    "uk-residence",
    "pqip-min-level",
    "pqip-min-level-5",
    "pqip-no-pso-first",
    "pso-first-pqf",
    "pqip-paid-as-pso",
    "pqip-15-rule",
    "pqip-21-rule",
    "pqip-27-rule",
    "pqip-experience",
    "pqip-overseas",
    "pqip-internal-route",
    "pso-entry-quals",
    "pso-in-post-qualification",
    "apprenticeship-l3",
    "scotland-social-work",
    "scotland-sssc-registration",
    "scotland-routes",
    "scotland-pqip-not-valid",
    "ni-social-work",
    "ni-pso",
    "us-education",
    "us-min-age",
    "us-federal-max-age",
    "us-federal-grades",
)
PLANNER_ROUTES = (
    "pso-entry",
    "l3-apprenticeship",
    "pqip-15",
    "pqip-21",
    "pqip-27",
    "pqip-internal",
    "scotland-ba-social-work",
    "scotland-msc-social-work",
    "ni-social-work-route",
    "us-state-po",
    "us-federal-po-route",
)

# The subjects' catch-all in qualifications.yml: a subject with no entry of its own, such as
# sports science, which does not normally cover PQiP's knowledge modules.
OTHER_SUBJECT = "other"
