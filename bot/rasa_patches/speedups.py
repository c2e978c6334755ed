"""Measured speed fixes to Rasa 3.6 internals, applied by `bot.server` before Rasa starts.

Each one was found by profiling the REST load of `bot/bench/load.py` (20 conversations at once,
py-spy and cProfile on the Rasa server) and keeps Rasa's behaviour: the same predictions, the
same events, the same errors. CPU per turn figures are for the Rasa server process before the
fix; docs/performance.md has the table.

`apply()` is idempotent."""

from __future__ import annotations

import copy as _copy
import json
import logging
from typing import Any, Dict, List, Optional, Text

import ujson

from bot.rasa_patches import mark, replace

logger = logging.getLogger(__name__)

TOKENS_KEPT = 20_000  # distinct tokens whose count-vector rows each featurizer keeps
ORIGINALS: Dict[str, Any] = {}  # what each fix replaced, for the equivalence tests


def apply() -> None:
    from rasa.shared.core.domain import Domain

    # applied already, and not undone since (bot.rasa_patches.undo): the empty-domain fix,
    # applied last but one, is still in place
    if getattr(Domain.is_empty, "speedups", False):
        return
    _sequential_graph_runner()
    _rule_policy_cached_rule_matching()
    _past_states_once_per_graph_run()
    _no_deepcopy_for_disabled_debug_logs()
    _pooled_action_server_connections()
    _fast_valid_action_responses()
    _event_classes_by_name()
    _empty_domain_built_once()
    _count_vectors_built_directly()
    _applied_events_resumed()


# --- the graph runner ---------------------------------------------------------------------------


def _sequential_graph_runner() -> None:
    """Run the inference graph in a precomputed order instead of through `dask.get`.

    Every turn runs the NLU graph once and the policy graph about twice; dask re-orders and
    schedules the ~6 nodes of each run every time (~1 ms a run, ~9% of the server's CPU under
    load). Rasa's graph runner is synchronous (`dask.get` is dask's single-threaded scheduler), so
    running the nodes one after another in dependency order computes the same values: each node
    gets the `(name, output)` tuples of the nodes it needs, an input gets `(name, value)`, and a
    name that is neither is passed through as the name itself (what dask does with a key it does
    not know, and what `GraphNode` reports as unresolved). Exceptions propagate unchanged, and a
    `RuntimeError` becomes `GraphRunError` as in `DaskGraphRunner.run`."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    original_run = DaskGraphRunner.run
    runner_logger = logging.getLogger("rasa.engine.runner.dask")

    def plan_for(self, run_targets: List[Text]):
        plans = self.__dict__.setdefault("_speedups_plans", {})
        key = tuple(run_targets)
        plan = plans.get(key)
        if plan is None:
            schema = self._graph_schema.minimal_graph_schema(run_targets)
            nodes = schema.nodes
            order: List[Text] = []
            state: Dict[Text, int] = {}

            def visit(name: Text) -> None:  # depth-first, dependencies first
                if state.get(name) == 2 or name not in nodes:
                    return
                if state.get(name) == 1:
                    raise GraphRunError(f"The graph has a cycle through '{name}'.")
                state[name] = 1
                for needed in nodes[name].needs.values():
                    visit(needed)
                state[name] = 2
                order.append(name)

            for target in run_targets:
                visit(target)
            for name in nodes:  # dask runs every node of the minimal schema
                visit(name)
            plan = [
                (name, self._instantiated_nodes[name], tuple(nodes[name].needs.values()))
                for name in order
            ]
            plans[key] = plan
        return plan

    def run(
        self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
    ) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        plan = plan_for(self, run_targets)
        node_names = {name for name, _, _ in plan}
        if inputs and any(name in node_names for name in inputs):
            return original_run(self, inputs, targets)  # an input replacing a node: dask's way
        if any(t not in node_names and not (inputs and t in inputs) for t in run_targets):
            return original_run(self, inputs, targets)
        graph: Dict[Text, Any] = dict.fromkeys(node_names)
        if inputs:
            self._add_inputs_to_graph(inputs, graph)  # raises on an input named like a node
        if runner_logger.isEnabledFor(logging.DEBUG):
            runner_logger.debug(
                f"Running graph with inputs: {inputs}, targets: {targets} "
                f"and {self._execution_context}."
            )
        values: Dict[Text, Any] = {}
        if inputs:
            for name in inputs:
                values[name] = graph[name]
        try:
            for name, node, needs in plan:
                values[name] = node(*[values[n] if n in values else n for n in needs])
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[t] for t in run_targets)

    replace(DaskGraphRunner, "run", run)


# --- RulePolicy ---------------------------------------------------------------------------------


def _rule_policy_cached_rule_matching() -> None:
    """Remember which rules match the last few conversation states.

    `RulePolicy._get_possible_keys` checks every rule (~180 here, because each `or` step is a
    rule of its own) against the conversation's states, one to three times a prediction: ~1 ms
    of each prediction. Its answer depends only on the lookup and on the last N states, where N
    is the length of the longest rule (a rule is applicable at every turn further back than its
    own length: `_is_rule_applicable` returns True there). So the answer is cached on exactly
    those inputs: the lookup's identity and the last N states, frozen. Conversations repeat the
    same few shapes (intent, previous action, slots, active loop), so most predictions hit."""
    from rasa.core.policies.rule_policy import RulePolicy

    original = ORIGINALS["_get_possible_keys"] = RulePolicy._get_possible_keys
    max_lengths: Dict[int, int] = {}

    def freeze(state: Dict[Text, Any]):
        return tuple(
            sorted(
                (kind, tuple(sorted(sub.items())) if isinstance(sub, dict) else sub)
                for kind, sub in state.items()
            )
        )

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]):
        cache = self.__dict__.get("_speedups_rule_cache")
        if cache is None:
            cache = self.__dict__["_speedups_rule_cache"] = _LRU(8192)
        length = max_lengths.get(id(lookup))
        if (
            length is None
            or self.__dict__.get("_speedups_lookups", {}).get(id(lookup)) is not lookup
        ):
            length = max((len(self._rule_key_to_state(k)) for k in lookup), default=0)
            max_lengths[id(lookup)] = length
            self.__dict__.setdefault("_speedups_lookups", {})[id(lookup)] = lookup
        try:
            key = (
                id(lookup),
                len(lookup),
                tuple(freeze(s) for s in states[-length:]) if length else (),
            )
            hash(key)
        except TypeError:  # an unhashable value in a state: no caching
            return original(self, lookup, states)
        found = cache.get(key)
        if found is None:
            found = frozenset(original(self, lookup, states))
            cache.put(key, found)
        return set(found)

    replace(RulePolicy, "_get_possible_keys", _get_possible_keys)


class _LRU:
    def __init__(self, size: int) -> None:
        from collections import OrderedDict

        self._size = size
        self._data: OrderedDict = OrderedDict()

    def get(self, key):
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self._data[key] = value
        if len(self._data) > self._size:
            self._data.popitem(last=False)


# --- past states --------------------------------------------------------------------------------


def _past_states_once_per_graph_run() -> None:
    """Replay a tracker's history once per turn, not once per policy call.

    Each policy turns the whole conversation into states (`Domain.states_for_tracker_history`):
    it replays every event into a fresh tracker and describes the tracker before each action
    (`get_active_state`). RulePolicy does it once for the text and once for the intent of the
    last message, MemoizationPolicy once more with rule-only turns hidden: ~2.5 full replays a
    prediction, the largest single cost of a turn. The tracker does not change during a graph
    run (the runner is synchronous), so the replay and the description of each step are made once
    per run and tracker, and each call then builds its states from them exactly as
    `states_for_tracker_history` does (same hiding of rule-only turns, same substitutions, same
    sharing of a previous-action dict between states). Callers edit the states they get (the
    featurizer drops the text or the intent of the last one), so each call gets fresh dicts; the
    values inside them are strings and tuples.

    Between the predictions of one turn the tracker only gains events, so the replay is kept on
    the tracker object and resumed: the steps already described stay valid while the events they
    came from are the same objects, in the same order, and no user message among them has been
    edited since (EntitiesAdded appends to a message's entities; that is checked). Anything else
    (a rewind, a restart, a new tracker next turn) starts the replay again from the beginning.
    Outside a graph run (training, `rasa test` story generation) Rasa's own function runs."""
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.core.domain import Domain

    original = ORIGINALS["states_for_tracker_history"] = Domain.states_for_tracker_history
    cache = _STATES_CACHE

    from rasa.shared.core.events import ActionExecuted, UserUttered

    def step(domain, tr, hide_rule_turn, omit_unset_slots):
        return (
            hide_rule_turn,
            tr.followup_action,
            tr.latest_action_name,
            tr.active_loop_name,
            domain._get_prev_action_sub_state(tr),
            domain.get_active_state(tr, omit_unset_slots=omit_unset_slots),
        )

    def fingerprint(event):
        # what a state reads from a user message; EntitiesAdded appends to its entity list
        return (len(event.entities), event.intent_name, event.text)

    def describe(domain, tracker, omit_unset_slots: bool):
        """`generate_all_prior_trackers`, resumed where the last call on this tracker stopped
        when the tracker only gained events since (the next prediction of the same turn)."""
        applied = tracker.applied_events()
        held = tracker.__dict__.setdefault("_speedups_history", {})
        entry = held.get(omit_unset_slots)
        if entry is not None:
            consumed = entry["consumed"]
            if (
                entry["domain"] is not domain
                or len(applied) < len(consumed)
                or any(a is not b for a, b in zip(applied, consumed, strict=False))
                or any(fingerprint(e) != f for e, f in entry["users"])
            ):
                entry = None
        if entry is None:
            entry = held[omit_unset_slots] = {
                "domain": domain,
                "replay": tracker.init_copy(),
                "consumed": [],
                "users": [],
                "steps": [],
            }
        replay, consumed, steps = entry["replay"], entry["consumed"], entry["steps"]
        for event in applied[len(consumed) :]:
            if isinstance(event, ActionExecuted):
                steps.append(step(domain, replay, event.hide_rule_turn, omit_unset_slots))
            replay.update(event)
            consumed.append(event)
            if isinstance(event, UserUttered):
                entry["users"].append((event, fingerprint(event)))
        return steps + [step(domain, replay, False, omit_unset_slots)]

    def states_for_tracker_history(
        self,
        tracker,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ):
        if not cache.get("active"):
            return original(
                self,
                tracker,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=ignore_rule_only_turns,
                rule_only_data=rule_only_data,
            )
        events = tracker.events
        key = (
            id(self),
            id(tracker),
            len(events),
            id(events[-1]) if events else None,
            bool(omit_unset_slots),
        )
        hit = cache.get(key)
        if hit is None or hit[0] is not tracker or hit[1] is not self:
            hit = cache[key] = (tracker, self, describe(self, tracker, bool(omit_unset_slots)))
        fresh: Dict[int, Any] = {}  # one copy per original dict: keeps Rasa's sharing

        def own(sub):
            if not isinstance(sub, dict):
                return _copy.deepcopy(sub)
            copied = fresh.get(id(sub))
            if copied is None:
                copied = fresh[id(sub)] = dict(sub)
            return copied

        states: List[Dict[Text, Any]] = []
        last_ml_action_sub_state = None
        turn_was_hidden = False
        for hide_rule_turn, followup, latest_name, loop_name, prev_action, active in hit[2]:
            if ignore_rule_only_turns:
                if not turn_was_hidden:
                    last_ml_action_sub_state = prev_action
                if not followup and not latest_name == loop_name:
                    turn_was_hidden = hide_rule_turn
                if turn_was_hidden:
                    continue
            state = {kind: own(sub) for kind, sub in active.items()}
            if ignore_rule_only_turns:
                self._remove_rule_only_features(state, rule_only_data)
                if states:
                    self._substitute_rule_only_user_input(state, states[-1])
                if last_ml_action_sub_state:
                    state[PREVIOUS_ACTION] = own(last_ml_action_sub_state)
            states.append(self._clean_state(state))
        return states

    replace(Domain, "states_for_tracker_history", states_for_tracker_history)

    inner_run = DaskGraphRunner.run

    def run(self, inputs=None, targets=None):
        with graph_run():
            return inner_run(self, inputs, targets)

    replace(DaskGraphRunner, "run", run)


_STATES_CACHE: Dict[Any, Any] = {}


class graph_run:
    """While a graph runs, past states are described once per tracker (see above)."""

    def __enter__(self):
        _STATES_CACHE.clear()
        _STATES_CACHE["active"] = True

    def __exit__(self, *exc):
        _STATES_CACHE.clear()
        return False


# --- debug logging ------------------------------------------------------------------------------


def _no_deepcopy_for_disabled_debug_logs() -> None:
    """Skip the deep copies Rasa makes only to hand them to a disabled debug log.

    `rasa.core.processor`, `RulePolicy` and `MemoizationPolicy` pass `copy.deepcopy(...)` of the
    states, events and parse data to `structlogger.debug(...)` (~10 a turn). The copy is made
    before structlog drops the call when debug logging is off, which is most of the cost of
    `copy` in a profile. In those three modules `copy.deepcopy` is used for nothing else, so their
    `copy` is swapped for one whose `deepcopy` returns its argument while structlog's debug level
    is off, and copies as before while it is on (`--debug`)."""
    import sys
    import types

    import rasa.core.policies.memoization
    import rasa.core.policies.rule_policy
    import rasa.core.processor
    import structlog

    def debug_enabled() -> bool:
        wrapper = structlog.get_config().get("wrapper_class")
        debug = getattr(wrapper, "debug", None)
        return debug is None or getattr(debug, "__name__", "") != "_nop"

    def deepcopy(x, memo=None, _nil=None):
        return _copy.deepcopy(x, memo) if debug_enabled() else x

    shim = types.ModuleType("copy")
    shim.__dict__.update(
        {k: v for k, v in _copy.__dict__.items() if not k.startswith("__")}, deepcopy=deepcopy
    )
    for module in (
        rasa.core.processor,
        rasa.core.policies.rule_policy,
        rasa.core.policies.memoization,
    ):
        if getattr(module, "copy", None) is _copy:
            replace(module, "copy", shim)
    sys.modules.setdefault("bot.rasa_patches.speedups._copy_for_logs", shim)


# --- action server connections ------------------------------------------------------------------


def _json_body(value: Any) -> str:
    try:
        return ujson.dumps(value, escape_forward_slashes=False)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


def _pooled_action_server_connections() -> None:
    """Keep connections to the action server (and other endpoints) open between requests, and
    encode their JSON bodies with ujson.

    `EndpointConfig.request` opens a new `aiohttp.ClientSession` for every call, so each custom
    action costs a TCP connect and teardown on both servers (~6% of the Rasa server's CPU in a
    profile). Here each endpoint keeps one session per event loop, with the same headers, auth
    and timeout as the per-call session (`EndpointConfig.session`, which `request` and the
    model-server pull enter with `async with`, now lends that session instead of a new one); the
    request itself is built exactly as before. Idle connections are dropped after 2 s, before the
    action server's 5 s keep-alive ends, so a request never lands on a connection the server is
    closing. The sessions are closed with the server (`after_server_stop`).

    Each action call sends the whole conversation so far; the standard library's encoder spent
    ~0.5 ms a call on it, ujson a third of that. Both write the same JSON values; anything ujson
    refuses (integers beyond 64 bits, objects it cannot encode) goes to the standard encoder."""
    import asyncio

    import aiohttp
    import rasa.core.run
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    sessions: List[aiohttp.ClientSession] = []

    def pooled_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        config = (self.headers and dict(self.headers), self.basic_auth and dict(self.basic_auth))
        held = self.__dict__.get("_speedups_session")
        if held is not None:
            session, held_loop, held_config = held
            if held_loop is loop and held_config == config and not session.closed:
                return session
        auth = (
            aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth
            else None
        )
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            json_serialize=_json_body,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=2),
        )
        sessions.append(session)
        self.__dict__["_speedups_session"] = (session, loop, config)
        return session

    class _Borrowed:
        """`async with` that hands out the pooled session and leaves it open."""

        def __init__(self, session):
            self._session = session

        async def __aenter__(self):
            return self._session

        async def __aexit__(self, *exc):
            return False

    def session(self):
        return _Borrowed(pooled_session(self))

    replace(EndpointConfig, "session", session)  # used by `request` and the model-server pull

    original_close = rasa.core.run.close_resources

    async def close_resources(app, loop):
        try:
            await original_close(app, loop)
        finally:
            while sessions:
                session = sessions.pop()
                if not session.closed:
                    await session.close()

    replace(rasa.core.run, "close_resources", close_resources)


# --- action response validation -----------------------------------------------------------------


def _fast_valid_action_responses() -> None:
    """Prove most action-server responses valid without evaluating the events' `oneOf`.

    Rasa checks each response against a schema whose events are a `oneOf` over 23 event kinds;
    jsonschema evaluates all 23 for every event and collects their errors (~2 ms a turn even with
    the cached validator of `bot.server`). Every kind fixes `event` to its own constant, so an
    event that has a string `event` naming one kind can only satisfy that kind: it is valid under
    the `oneOf` exactly when it is valid under the common part and that kind's schema. This check
    validates each event that way and accepts the response only when all of them pass; anything
    else (an unknown kind, a failure, an odd shape) goes to the full validation, which raises
    the same error as before."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    event_schema = spec["properties"]["events"]["items"]
    common = {k: v for k, v in event_schema.items() if k != "oneOf"}
    by_kind = {}
    for kind_schema in event_schema["oneOf"]:
        const = kind_schema.get("properties", {}).get("event", {}).get("const")
        if not isinstance(const, str) or const in by_kind:
            return  # not the schema this proof relies on: no fast path
        schema = {"allOf": [common, kind_schema]}
        cls = validator_for(schema)
        cls.check_schema(schema)
        by_kind[const] = cls(schema)
    responses_schema = spec["properties"]["responses"]
    responses_validator = validator_for(responses_schema)(responses_schema)
    if (
        set(spec) != {"type", "properties"}
        or spec["type"] != "object"
        or set(spec["properties"]) != {"events", "responses"}
    ):
        return

    full = RemoteAction._validate_action_result

    def proven_valid(result) -> bool:
        if not isinstance(result, dict):
            return False
        events = result.get("events", [])
        if not isinstance(events, list):
            return False
        for event in events:
            if not isinstance(event, dict):
                return False
            kind = event.get("event")
            validator = by_kind.get(kind) if isinstance(kind, str) else None
            if validator is None or not validator.is_valid(event):
                return False
        return "responses" not in result or responses_validator.is_valid(result["responses"])

    def _validate_action_result(self, result) -> bool:
        if proven_valid(result):
            return True
        return full(self, result)

    if getattr(full, "validates_once", False):
        mark(_validate_action_result, "validates_once")
    replace(RemoteAction, "_validate_action_result", _validate_action_result)


# --- event deserialisation ----------------------------------------------------------------------


def _event_classes_by_name() -> None:
    """Look up an event's class by its name in a table instead of walking the class tree.

    Rasa finds the class for every stored or returned event (`{"event": "user", ...}`) by listing
    all subclasses of `Event` recursively and testing each for abstractness: about 40 µs an
    event, 2-3 ms a turn spent reading back a conversation of 60 events. The classes never change
    once Rasa is imported, so the first answer for a name is kept; a name not yet seen (a
    custom event defined later, or an unknown one) still goes to Rasa's own search, which keeps
    its default and its error."""
    from rasa.shared.core.events import Event

    search = Event.resolve_by_type
    ORIGINALS["resolve_by_type"] = search
    known: Dict[Text, Any] = {}

    def resolve_by_type(type_name, default=None):
        cls = known.get(type_name)
        if cls is not None:
            return cls
        cls = search(type_name, default)
        if cls is not None and cls is not default and cls.type_name == type_name:
            known[type_name] = cls
        return cls

    replace(Event, "resolve_by_type", staticmethod(resolve_by_type))


# --- the empty domain ---------------------------------------------------------------------------


def _empty_domain_built_once() -> None:
    """Compare with the empty domain built once, not once per message.

    Before every message's intent and entities are checked against the domain, Rasa asks
    whether the domain is empty by building a new empty `Domain` and comparing the two as
    dictionaries (~0.3 ms a message). The empty domain is the same every time."""
    from rasa.shared.core.domain import Domain

    ORIGINALS["is_empty"] = Domain.is_empty
    empty = Domain.empty().as_dict()

    def is_empty(self) -> bool:
        return self.as_dict() == empty

    mark(is_empty, "speedups")
    replace(Domain, "is_empty", is_empty)


# --- count-vector features ----------------------------------------------------------------------


def _count_vectors_built_directly() -> None:
    """Build each message's count-vector features as the sparse matrices Rasa ends with.

    For every message and featurizer, Rasa asks scikit-learn for a CSR matrix of the tokens and
    another of the whole text, sorts each and converts it to COO; each step builds and checks
    a scipy matrix, and `build_analyzer()` is rebuilt for every call: ~1.5 ms a message for
    the two featurizers. Here the same analyzer (built once per vectorizer) counts the same
    vocabulary entries, and the COO matrices are built once, in the sorted order Rasa's
    conversions leave them in. Tests compare the matrices over the training messages.

    A token's counts depend on the token alone, and the same words come back in message after
    message, so each featurizer keeps the counts of the last TOKENS_KEPT distinct tokens; a
    char_wb featurizer's whole-text row is then the sum of its tokens' rows."""
    import weakref

    import numpy as np
    import scipy.sparse
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        DENSE_FEATURIZABLE_ATTRIBUTES,
        CountVectorsFeaturizer,
    )

    rasas = CountVectorsFeaturizer._create_features
    ORIGINALS["count_vectors"] = rasas
    prepared: "weakref.WeakKeyDictionary[Any, Dict[str, Any]]" = weakref.WeakKeyDictionary()

    def counts(vectorizer, analyze, document: Text) -> Dict[int, int]:
        vocabulary = vectorizer.vocabulary_
        found: Dict[int, int] = {}
        for feature in analyze(document):
            column = vocabulary.get(feature)
            if column is not None:
                found[column] = found.get(column, 0) + 1
        return found

    def token_counts(state, vectorizer, token: Text) -> Dict[int, int]:
        known = state["tokens"]
        found = known.get(token)
        if found is None:
            if len(known) >= TOKENS_KEPT:
                known.clear()
            found = known[token] = counts(vectorizer, state["analyze"], token)
        return found

    def as_coo(vectorizer, rows: List[Dict[int, int]]):
        row_of: List[int] = []
        columns: List[int] = []
        values: List[int] = []
        for row, found in enumerate(rows):
            for column in sorted(found):
                row_of.append(row)
                columns.append(column)
                values.append(1 if vectorizer.binary else found[column])
        return scipy.sparse.coo_matrix(
            (
                np.asarray(values, dtype=vectorizer.dtype),
                (np.asarray(row_of, dtype=np.int32), np.asarray(columns, dtype=np.int32)),
            ),
            shape=(len(rows), len(vectorizer.vocabulary_)),
        )

    def sentence_counts(state, vectorizer, tokens: List[Text], token_rows) -> Dict[int, int]:
        # char_wb n-grams never cross whitespace (each word is padded and cut on its own), so
        # the text's counts are its tokens' added up; word n-grams do cross, and are counted.
        if vectorizer.analyzer != "char_wb":
            return counts(vectorizer, state["analyze"], " ".join(tokens))
        total: Dict[int, int] = {}
        for found in token_rows:
            for column, count in found.items():
                total[column] = total.get(column, 0) + count
        return total

    def _create_features(self, attribute, all_tokens):
        vectorizer = self.vectorizers.get(attribute) if self.vectorizers else None
        if vectorizer is None or type(getattr(vectorizer, "vocabulary_", None)) is not dict:
            return rasas(self, attribute, all_tokens)
        state = prepared.get(vectorizer)
        if state is None:
            state = prepared[vectorizer] = {"analyze": vectorizer.build_analyzer(), "tokens": {}}
        sequence: list = []
        sentence: list = []
        for tokens in all_tokens:
            if not tokens:
                sequence.append(None)
                sentence.append(None)
                continue
            token_rows = [token_counts(state, vectorizer, token) for token in tokens]
            sequence.append(as_coo(vectorizer, token_rows))
            sentence.append(
                as_coo(vectorizer, [sentence_counts(state, vectorizer, tokens, token_rows)])
                if attribute in DENSE_FEATURIZABLE_ATTRIBUTES
                else None
            )
        return sequence, sentence

    replace(CountVectorsFeaturizer, "_create_features", _create_features)


# --- applied events -----------------------------------------------------------------------------


def _applied_events_resumed() -> None:
    """Resume `DialogueStateTracker.applied_events` where it last stopped on the same tracker.

    It walks the whole conversation with several isinstance checks an event, and a turn asks
    for it again and again (every history replay, the session-expiry check, each prediction):
    ~5% of a worker's CPU. The walk carries its state from one event to the next, so when the
    tracker has only gained events since the last call (the same event objects, in the same
    order, at the front), the walk is continued from the kept state over the new events. It
    also depends on the names of every form ever activated in the conversation, future ones
    included: a new event activating a form not seen before makes it walk from the start.
    Callers get their own list, as from Rasa's."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    ORIGINALS["applied_events"] = DialogueStateTracker.applied_events

    def walk(tracker, events, loop_names, applied: List[Any]) -> None:
        """Rasa's loop body, over `events`, extending `applied` in place."""
        for event in events:
            if isinstance(event, (Restarted, SessionStarted)):
                applied.clear()
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, applied)
                tracker._undo_till_previous(ActionExecuted, applied)
            elif (
                isinstance(event, ActionExecuted)
                and event.action_name in loop_names
                and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
            ):
                tracker._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)

    def loops_in(events) -> set:
        return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}

    def applied_events(self) -> List[Any]:
        events = list(self.events)
        held = self.__dict__.get("_speedups_applied")
        if held is not None:
            seen, loop_names, applied = held
            new = events[len(seen) :]
            if (
                len(events) >= len(seen)
                and all(a is b for a, b in zip(events, seen, strict=False))
                and loops_in(new) <= loop_names
            ):
                walk(self, new, loop_names, applied)
                held[0] = events
                return list(applied)
        loop_names = loops_in(events)
        applied = []
        walk(self, events, loop_names, applied)
        self.__dict__["_speedups_applied"] = [events, loop_names, applied]
        return list(applied)

    replace(DialogueStateTracker, "applied_events", applied_events)
