"""bot.speedups gives Rasa's answers: the same states, the same matching rules, the same verdicts
on action responses, on every tracker (and every prefix of it) the stories and rules make."""
from __future__ import annotations

import copy

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.trackers import DialogueStateTracker

from bot import cli, speedups

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
