"""The intent classifier stored as arrays predicts exactly what it predicted before saving."""
from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.intent_classifier import ArrayLogisticRegressionClassifier

EXAMPLES = {
    "ask_band": ["what band is a pso", "which grade is a probation officer", "band of an spo"],
    "ask_pay": ["how much does a pso earn", "what is the salary", "pay for trainees"],
    "greet": ["hello", "hi there", "good morning"],
}


def pipeline(tmp_path):
    (tmp_path / "s").mkdir()
    storage = LocalModelStorage(tmp_path / "s")
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), storage,
                                               Resource("cvf"), context)
    return storage, context, tokenizer, featurizer


def featurised(tokenizer, featurizer, texts):
    messages = [Message(data={"text": t}) for t in texts]
    tokenizer.process(messages)
    featurizer.process(messages)
    return messages


def test_predictions_survive_the_round_trip(tmp_path):
    storage, context, tokenizer, featurizer = pipeline(tmp_path)
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, ts in EXAMPLES.items() for t in ts])
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    resource = Resource("classifier")
    config = ArrayLogisticRegressionClassifier.get_default_config()
    trained = ArrayLogisticRegressionClassifier.create(config, storage, resource, context)
    trained.train(data)
    loaded = ArrayLogisticRegressionClassifier.load(config, storage, resource, context)

    texts = ["what band is a po", "how much do they earn", "hiya", "something else entirely"]
    before = trained.process(featurised(tokenizer, featurizer, texts))
    after = loaded.process(featurised(tokenizer, featurizer, texts))
    for a, b in zip(before, after):
        assert a.get("intent")["name"] == b.get("intent")["name"]
        assert abs(a.get("intent")["confidence"] - b.get("intent")["confidence"]) < 1e-9
    assert [m.get("intent")["name"] for m in after[:3]] == ["ask_band", "ask_pay", "greet"]
    assert not list((tmp_path / "s").rglob("*.skops"))
