"""Rasa's LogisticRegressionClassifier, stored as plain arrays instead of with skops.

Rasa saves and loads the fitted scikit-learn model with skops, and importing skops builds a table
of every scikit-learn estimator: about 7 s of every server start on this machine, for a model
that is only a weight matrix. The arrays (and the estimator's parameters) are all a logistic
regression needs to predict, and loading them needs neither pickle nor skops."""
from __future__ import annotations

import json
from typing import Any, Dict, Text

import numpy as np
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from scipy.sparse import csr_matrix, hstack, vstack
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from sklearn.linear_model import LogisticRegression

ARRAYS, PARAMS = "weights.npz", "params.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ArrayLogisticRegressionClassifier(LogisticRegressionClassifier):
    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / ARRAYS, coef=self.clf.coef_, intercept=self.clf.intercept_,
                     classes=np.asarray(self.clf.classes_, dtype=str))
            (directory / PARAMS).write_text(json.dumps(self.clf.get_params()), encoding="utf-8")

    def _create_X(self, messages):
        """Rasa's matrix, built with one `hstack` instead of three.

        Rasa first combines every featurizer's sequence and sentence features (deep copies and
        a `hstack` per featurizer, though only the sentence row is used), then stacks that row
        with an empty dense block: ~10% of the server's CPU per message. Stacking the sentence
        features once, then the same empty block, gives the same matrix (tests compare them)."""
        if any(f.attribute == TEXT and not f.is_sparse() for m in messages for f in m.features):
            return super()._create_X(messages)
        rows = []
        for message in messages:
            sentence = [f.features for f in message.features
                        if f.attribute == TEXT and f.is_sparse() and f.type == FEATURE_TYPE_SENTENCE]
            sparse = hstack(sentence) if len(sentence) > 1 else sentence[0] if sentence else []
            rows.append(hstack([csr_matrix(sparse), csr_matrix([])]))
        return vstack(rows)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ArrayLogisticRegressionClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / ARRAYS, allow_pickle=False)
                params = json.loads((directory / PARAMS).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            # nothing was trained (no intents): behave like Rasa's own classifier does
            return cls.create(config, model_storage, resource, execution_context)
        clf = LogisticRegression(**params)
        # Column-major: predicting multiplies the features by `coef_.T`, and scipy makes that
        # operand C-contiguous first, which for a row-major coef_ copied the whole matrix
        # (39 x 12k doubles, ~1 ms) on every message. Same numbers, same arithmetic.
        clf.coef_, clf.intercept_ = np.asfortranarray(arrays["coef"]), arrays["intercept"]
        clf.classes_ = arrays["classes"]
        clf.n_features_in_ = clf.coef_.shape[1]
        component = cls(config, execution_context.node_name, model_storage, resource)
        component.clf = clf
        return component
