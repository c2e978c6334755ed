"""bot.rasa_patches.speedups gives Rasa's answers: the same states, the same matching rules, the same verdicts
on action responses, on every tracker (and every prefix of it) the stories and rules make."""
from __future__ import annotations

import copy

import jsonschema
import numpy as np
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.trackers import DialogueStateTracker

from bot import cli
from bot.rasa_patches import speedups


@pytest.fixture(scope="module", autouse=True)
def _speedups(patched_rasa_for_module):
    speedups.apply()


@pytest.fixture(scope="module")
def data():
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.importers.importer import TrainingDataImporter
    importer = TrainingDataImporter.load_from_config(
        str(cli.ROOT / "config.yml"), str(cli.ROOT / "domain.yml"), [str(cli.ROOT / "data")])
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0,
                                     remove_duplicates=False).generate()
    prefixes = []
    for tracker in trackers:
        events = list(tracker.events)
        for end in range(1, len(events) + 1):
            prefix = DialogueStateTracker(tracker.sender_id, domain.slots,
                                          is_rule_tracker=tracker.is_rule_tracker)
            for event in events[:end]:
                prefix.update(event)
            prefixes.append(prefix)
    return domain, prefixes


ARGS = [dict(), dict(omit_unset_slots=True), dict(ignore_rule_only_turns=True),
        dict(ignore_rule_only_turns=True, rule_only_data={RULE_ONLY_SLOTS: ["requested_slot"],
                                                         RULE_ONLY_LOOPS: ["route_form"]})]


def test_past_states_are_rasas(data):
    domain, trackers = data
    original = speedups.ORIGINALS["states_for_tracker_history"]
    assert len(trackers) > 100
    for tracker in trackers:
        with speedups.graph_run():
            for args in ARGS + ARGS:                 # the second round comes from the cache
                ours = domain.states_for_tracker_history(tracker, **args)
                theirs = original(domain, tracker, **args)
                assert ours == theirs
                # callers edit what they get; that must not reach the next caller
                for state in ours:
                    state.get("user", {}).pop("intent", None)
                    state.get("prev_action", {}).clear()


@pytest.fixture(scope="module")
def full_trackers(data):
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.importers.importer import TrainingDataImporter
    domain, _ = data
    importer = TrainingDataImporter.load_from_config(
        str(cli.ROOT / "config.yml"), str(cli.ROOT / "domain.yml"), [str(cli.ROOT / "data")])
    return TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0,
                                 remove_duplicates=False).generate()


def test_past_states_stay_rasas_as_a_tracker_grows(data, full_trackers):
    """One tracker, one event at a time, a graph run after each: the resumed replay."""
    domain, _ = data
    original = speedups.ORIGINALS["states_for_tracker_history"]
    for source in full_trackers:
        tracker = DialogueStateTracker(source.sender_id, domain.slots,
                                       is_rule_tracker=source.is_rule_tracker)
        for event in source.events:
            tracker.update(event)
            for args in ARGS:
                with speedups.graph_run():
                    ours = domain.states_for_tracker_history(tracker, **args)
                assert ours == original(domain, tracker, **args)


def test_a_replay_is_redone_when_history_is_rewritten(data):
    from rasa.shared.core.events import (ActionExecuted, EntitiesAdded, Restarted, UserUttered,
                                         UserUtteranceReverted)
    domain, _ = data
    original = speedups.ORIGINALS["states_for_tracker_history"]
    tracker = DialogueStateTracker("x", domain.slots)
    steps = [ActionExecuted("action_listen"),
             UserUttered("what band is a PSO?", {"name": "ask_band", "confidence": 1.0},
                         [{"entity": "role", "value": "pso", "start": 15, "end": 18}]),
             ActionExecuted("action_answer"), ActionExecuted("action_listen"),
             UserUttered("and in Scotland?", {"name": "what_about", "confidence": 1.0}),
             EntitiesAdded([{"entity": "jurisdiction", "value": "scotland"}]),
             ActionExecuted("action_answer"), UserUtteranceReverted(),
             ActionExecuted("action_listen"), Restarted(), ActionExecuted("action_listen"),
             UserUttered("hi", {"name": "greet", "confidence": 1.0})]
    # a graph run after each event, and after a rewrite that keeps the history as long
    batches = [[e] for e in steps[:7]] + [[steps[7], ActionExecuted("action_listen"),
                                           UserUttered("hello", {"name": "greet"}),
                                           ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
                                           UserUttered("thanks", {"name": "thank"})]] + \
        [[e] for e in steps[8:]]
    for batch in batches + [[ActionExecuted("utter_greet")]]:
        for event in batch:
            tracker.update(event)
        for args in ARGS:
            with speedups.graph_run():
                assert domain.states_for_tracker_history(tracker, **args) == \
                    original(domain, tracker, **args)
    # a message edited in place after it was replayed (EntitiesAdded does this)
    with speedups.graph_run():
        before = domain.states_for_tracker_history(tracker)
    tracker.latest_message.entities.append({"entity": "role", "value": "pso"})
    with speedups.graph_run():
        after = domain.states_for_tracker_history(tracker)
    assert after == original(domain, tracker) and after != before


def test_past_states_share_dicts_as_rasa_does(data):
    """Rasa hands the same previous-action dict to consecutive states when it hides rule turns;
    whoever edits one sees it in the others, with or without the cache."""
    domain, trackers = data
    original = speedups.ORIGINALS["states_for_tracker_history"]
    args = ARGS[3]

    def sharing(states):
        ids = [id(s.get(kind)) for s in states for kind in ("user", "prev_action", "slots")]
        return [ids.index(i) for i in ids]

    for tracker in trackers:
        with speedups.graph_run():
            domain.states_for_tracker_history(tracker, **args)
            assert sharing(domain.states_for_tracker_history(tracker, **args)) == \
                sharing(original(domain, tracker, **args))


@pytest.fixture(scope="module")
def rule_policy(data, tmp_path_factory):
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.importers.importer import TrainingDataImporter
    domain, _ = data
    importer = TrainingDataImporter.load_from_config(
        str(cli.ROOT / "config.yml"), str(cli.ROOT / "domain.yml"), [str(cli.ROOT / "data")])
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()
    storage = LocalModelStorage(tmp_path_factory.mktemp("rules"))
    policy = RulePolicy.create({**RulePolicy.get_default_config(), "restrict_rules": False},
                               storage, Resource("rules"), ExecutionContext(GraphSchema({}), "t"))
    policy.train(trackers, domain)
    return policy


def test_matching_rules_are_rasas(data, rule_policy):
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH
    domain, trackers = data
    original = speedups.ORIGINALS["_get_possible_keys"]
    checked = 0
    for _ in range(2):                              # second pass: answers from the cache
        for tracker in trackers:
            for text in (True, False):
                states = rule_policy._prediction_states(tracker, domain, text)
                for lookup in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
                    table = rule_policy.lookup[lookup]
                    assert rule_policy._get_possible_keys(table, copy.deepcopy(states)) == \
                        original(rule_policy, table, states)
                    checked += 1
    assert checked > 400


def test_rule_predictions_are_unchanged(data, rule_policy, monkeypatch):
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain
    domain, trackers = data
    ours = []
    for tracker in trackers:
        with speedups.graph_run():
            ours.append(rule_policy.predict_action_probabilities(tracker, domain))
    monkeypatch.setattr(RulePolicy, "_get_possible_keys", speedups.ORIGINALS["_get_possible_keys"])
    monkeypatch.setattr(Domain, "states_for_tracker_history",
                        speedups.ORIGINALS["states_for_tracker_history"])
    for tracker, mine in zip(trackers, ours):
        theirs = rule_policy.predict_action_probabilities(tracker, domain)
        assert (mine.probabilities, mine.events, mine.optional_events, mine.policy_name) == \
            (theirs.probabilities, theirs.events, theirs.optional_events, theirs.policy_name)


ACTION = RemoteAction("action_answer", None)
VALID = [
    {"events": [{"event": "slot", "name": "role", "value": "pso"},
                {"event": "active_loop", "name": "route_form"},
                {"event": "slot", "name": "requested_slot", "value": None, "timestamp": None}],
     "responses": [{"text": "A PSO is Band 3.", "buttons": []}]},
    {"events": [], "responses": []},
    {},
]
INVALID = [{"events": "not a list"}, {"responses": [{"text": 3}], "events": [{"no-event": 1}]},
           {"events": [{"event": 42}]}, {"events": [{"event": "slot", "value": 1}]},
           {"events": [{"event": "no-such-kind"}]}, {"events": [{"event": ["slot"]}]},
           {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "noon"}]},
           {"responses": ["text"]}, []]


@pytest.mark.parametrize("response", VALID)
def test_valid_action_responses_pass(response):
    assert ACTION._validate_action_result(response) is True
    jsonschema.validate(response, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("response", INVALID)
def test_invalid_action_responses_fail_with_rasas_error(response):
    with pytest.raises(jsonschema.ValidationError) as ours:
        ACTION._validate_action_result(response)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(theirs.value.message)


def _event_classes():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses
    return all_subclasses(Event)


@pytest.mark.parametrize("name", sorted({cls.type_name for cls in _event_classes()}))
def test_every_event_name_resolves_to_rasas_class(name):
    from rasa.shared.core.events import Event
    search = speedups.ORIGINALS["resolve_by_type"]
    assert Event.resolve_by_type(name) is search(name)
    assert Event.resolve_by_type(name) is search(name)    # the kept answer, the second time


def test_unknown_event_names_keep_rasas_default_and_error():
    from rasa.shared.core.events import Event, UserUttered
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    # a default given once is not kept as the answer for that name
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def test_a_stored_conversation_reads_back_as_rasa_reads_it(data):
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import EventVerbosity
    domain, prefixes = data
    longest = max(prefixes, key=lambda t: len(t.events))
    dumped = longest.current_state(EventVerbosity.ALL)["events"]
    ours = DialogueStateTracker.from_dict("x", dumped, domain.slots)
    Event.resolve_by_type, saved = staticmethod(speedups.ORIGINALS["resolve_by_type"]), Event.resolve_by_type
    try:
        rasas = DialogueStateTracker.from_dict("x", dumped, domain.slots)
    finally:
        Event.resolve_by_type = staticmethod(saved)
    assert [type(e) for e in ours.events] == [type(e) for e in rasas.events]
    assert list(ours.events) == list(rasas.events)
    assert ours.current_slot_values() == rasas.current_slot_values()


def test_the_empty_domain_test_is_rasas(data):
    from rasa.shared.core.domain import Domain
    domain, _ = data
    rasas = speedups.ORIGINALS["is_empty"]
    for candidate in (domain, Domain.empty(), Domain.from_dict({}), Domain.from_dict({"intents": ["greet"]})):
        assert candidate.is_empty() is rasas(candidate)
    assert Domain.empty().is_empty() and not domain.is_empty()


@pytest.fixture(scope="module")
def count_vectors(tmp_path_factory):
    """The two count-vector featurizers of config.yml, trained on the NLU data, and tokenized
    messages: the training examples and some odd ones."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.message import Message
    storage = LocalModelStorage(tmp_path_factory.mktemp("cv"))
    context = ExecutionContext(GraphSchema({}), "t")
    data = load_data(str(cli.ROOT / "data" / "nlu"))
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(data)
    featurizers = []
    for i, cfg in enumerate([{"min_ngram": 1, "max_ngram": 2},
                             {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
                             {}]):
        featurizer = CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **cfg}, storage, Resource(f"cv{i}"), context)
        featurizer.train(data)
        featurizers.append(featurizer)
    for vectorizer in featurizers[-1].vectorizers.values():
        vectorizer.binary = True            # scikit-learn's option: ones instead of counts
    texts = [m.get("text") for m in data.intent_examples] + [
        "", "   ", "PSO PSO pso Pso", "İstanbul ﬁnance café", "what's a PO?? 🙂", "x" * 3000,
        "zzzz qqqq never seen", "Probation\u200bOfficer", "a\tb\nc"]
    messages = [Message.build(text=t) for t in texts]
    tokenizer.process(messages)
    return featurizers, messages


def _same_matrix(one, other):
    if one is None or other is None:
        return one is None and other is None
    return (type(one) is type(other) and one.shape == other.shape and one.dtype == other.dtype
            and one.row.dtype == other.row.dtype and one.col.dtype == other.col.dtype
            and np.array_equal(one.row, other.row) and np.array_equal(one.col, other.col)
            and np.array_equal(one.data, other.data))


def test_count_vector_features_are_rasas(count_vectors):
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    featurizers, messages = count_vectors
    rasas = speedups.ORIGINALS["count_vectors"]
    compared = 0
    odd_tokens = [["probation officer", "pso"], ["pso", "pso", "PSO"], ["a\tb", ""], [""]]
    for featurizer in featurizers:
        for attribute in ("text", "intent", "action_name"):
            tokens = [featurizer._get_processed_message_tokens_by_attribute(m, attribute)
                      for m in messages] + (odd_tokens if attribute == "text" else [])
            for _ in range(2):               # the second time from the kept token counts
                ours = CountVectorsFeaturizer._create_features(featurizer, attribute, tokens)
                theirs = rasas(featurizer, attribute, tokens)
                for kind in (0, 1):
                    assert len(ours[kind]) == len(theirs[kind])
                    for one, other in zip(ours[kind], theirs[kind]):
                        assert _same_matrix(one, other)
                        compared += one is not None
    assert compared > 4 * len(messages)


def test_action_calls_send_the_json_rasa_sends(data):
    import json
    from rasa.shared.core.trackers import EventVerbosity
    domain, prefixes = data
    tracker = max(prefixes, key=lambda t: len(t.events))
    body = {"next_action": "action_answer", "sender_id": "x", "version": "3.6.21",
            "tracker": tracker.current_state(EventVerbosity.ALL), "domain": domain.as_dict()}
    odd = {"text": "café / 😀 \u2028 </script>", "nan": float("nan"), "big": 2 ** 70, "tuple": (1, 2.5)}
    for value in (body, odd):
        ours = speedups._json_body(value)
        assert json.dumps(json.loads(ours), sort_keys=True) == json.dumps(
            json.loads(json.dumps(value)), sort_keys=True)


def _rasas_applied(tracker):
    return speedups.ORIGINALS["applied_events"](tracker)


def test_applied_events_are_rasas_as_each_story_grows(data):
    domain, prefixes = data
    # the prefixes of each story come one after another, from one event to all of them
    stories = [prefixes[i - 1] for i in range(1, len(prefixes)) if len(prefixes[i].events) == 1]
    stories.append(prefixes[-1])
    checked = 0
    for full in stories:
        growing = DialogueStateTracker(full.sender_id, domain.slots, is_rule_tracker=full.is_rule_tracker)
        for event in full.events:
            growing.update(event)
            ours = growing.applied_events()
            assert [id(e) for e in ours] == [id(e) for e in _rasas_applied(growing)]
            checked += 1
    assert checked > 100     # every prefix of every training story and rule: over a hundred events


def test_applied_events_follow_reverts_restarts_and_forms_found_late(data):
    from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Restarted,
                                         SessionStarted, SlotSet, UserUttered,
                                         UserUtteranceReverted)
    domain, _ = data
    tracker = DialogueStateTracker("odd", domain.slots)
    script = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
              ActionExecuted("route_form"), ActiveLoop("route_form"), SlotSet("requested_slot", "qualification"),
              ActionExecuted("action_listen"), UserUttered("a levels", {"name": "inform"}),
              ActionExecuted("route_form"), ActionExecuted("action_listen"),
              UserUttered("oops", {"name": "deny"}), UserUtteranceReverted(),
              ActionExecuted("utter_x"), ActionReverted(), ActionExecuted("route_form"),
              ActiveLoop(None), ActionExecuted("other_form"), ActiveLoop("other_form"),
              ActionExecuted("other_form"), Restarted(), ActionExecuted("action_listen"),
              SessionStarted(), ActionExecuted("action_listen"), UserUttered("again", {"name": "greet"})]
    for event in script:
        tracker.update(event)
        before = tracker.applied_events()
        before.append("a caller's own change")          # must not leak into the next answer
        assert [id(e) for e in tracker.applied_events()] == [id(e) for e in _rasas_applied(tracker)]
    rewound = DialogueStateTracker("odd", domain.slots)  # a tracker whose events are replaced
    for event in script[:5]:
        rewound.update(event)
    rewound.applied_events()
    rewound.events.clear()
    for event in script[8:12]:
        rewound.update(event)
    assert [id(e) for e in rewound.applied_events()] == [id(e) for e in _rasas_applied(rewound)]
