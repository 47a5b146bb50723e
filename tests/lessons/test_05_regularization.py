"""Lesson 05: the source earns full marks, and plausible wrong answers lose only their points."""

from lessons.patching import lesson_tests, one_test_per_exercise, single_edits

LESSON = "05-regularization"
POINTS = {"test_l1_penalty": 2, "test_l2_penalty": 2, "test_dropout": 3,
          "test_early_stopping": 3, "test_make_regularized": 3}
EXERCISE_TESTS = one_test_per_exercise(POINTS)

# (solution cell, text in the solution, wrong replacement, label, words the failure must contain)
WRONG_ANSWERS = [
    ("l1_penalty", "return [lam * np.sign(w) for w in weights]",
     "return [lam * w for w in weights]", "L1 gradient without the sign", "lam * sign(w)"),
    ("l1_penalty", "return [lam * np.sign(w) for w in weights]",
     "return [lam * np.ones_like(w) for w in weights]", "L1 gradient ignores the sign of w",
     "central differences"),
    ("l1_penalty", "np.abs(w).sum()", "w.sum()", "L1 penalty without the absolute value",
     "value"),
    ("l1_penalty", "return [lam * np.sign(w) for w in weights]",
     "return lam * np.sign(weights[0])", "gradient of the first array only, not a list",
     "list of"),
    ("l2_penalty", "return [2.0 * lam * w for w in weights]", "return [lam * w for w in weights]",
     "L2 gradient missing the factor 2", "2 * lam * w"),
    ("l2_penalty", "(w**2).sum()", "np.sqrt((w**2).sum())", "L2 norm instead of its square",
     "value"),
    ("l2_penalty", "sum((w**2).sum() for w in weights)", "(weights[0] ** 2).sum()",
     "penalizes only the first array", "value"),
    ("dropout", "self.mask = (self.rng.random(x.shape) < keep) / keep",
     "self.mask = (self.rng.random(x.shape) < keep) * 1.0", "forgets the 1/q scaling",
     "1 / q"),
    ("dropout", "self.mask = (self.rng.random(x.shape) < keep) / keep",
     "self.mask = (self.rng.random(x.shape) < keep) * keep", "scales by q instead of 1/q",
     "1 / q"),
    ("dropout", "if not self.training or self.p == 0.0:", "if self.p == 0.0:",
     "drops in eval mode", "eval mode"),
    ("dropout", "keep = 1.0 - self.p", "keep = self.p", "p is the keep probability",
     "probability of DROPPING"),
    ("dropout", "        return grad_output * self.mask", "        return grad_output",
     "backward ignores the mask", "central differences"),
    ("dropout", "        if self.p == 1.0:\n            self.mask = np.zeros_like(x)\n"
     "            return np.zeros_like(x)\n", "", "divides by q = 0 when p = 1", "nan or inf"),
    ("dropout", "        return x * self.mask\n", "        x *= self.mask\n        return x\n",
     "drops in place", "in place"),
    ("early_stopping", "            self.best_state = copy.deepcopy(model.state_dict())\n",
     "            self.best_state = model.state_dict()\n",
     "keeps a view of the weights, not a copy", "weights after restore()"),
    ("early_stopping", "            self.best_state = copy.deepcopy(model.state_dict())\n"
     "            self.bad_epochs = 0\n        else:\n            self.bad_epochs += 1\n",
     "            self.bad_epochs = 0\n        else:\n            self.bad_epochs += 1\n"
     "        self.best_state = copy.deepcopy(model.state_dict())\n",
     "restores the last weights, not the best", "weights after restore()"),
    ("early_stopping", "return self.bad_epochs >= self.patience",
     "return self.bad_epochs > self.patience", "patience off by one", "should stop at epoch"),
    ("early_stopping", "            self.bad_epochs = 0\n", "",
     "never resets the count after an improvement", "should stop at epoch"),
    ("early_stopping", "if val_loss < self.best_loss - self.min_delta:",
     "if val_loss <= self.best_loss:", "an equal loss counts as an improvement",
     "should stop at epoch"),
    ("make_regularized", "model = regularized_mlp(dropout=0.5, seed=seed)\n"
     "    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-2)",
     "model = regularized_mlp(dropout=0.0, seed=seed)\n"
     "    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)",
     "no regularization at all", "beat the unregularized"),
    ("make_regularized", "model = regularized_mlp(dropout=0.5, seed=seed)",
     "model = regularized_mlp(dropout=0.95, seed=seed)", "dropout p = 0.95",
     "beat the unregularized"),
    ("make_regularized", "weight_decay=1e-2", "weight_decay=0.3", "far too much weight decay",
     "beat the unregularized"),
    ("make_regularized", "lr=0.05", "lr=0.2", "changes the learning rate", "lr=0.05"),
]


(run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise,
 test_unanswered_exercise_loses_only_its_points) = lesson_tests(LESSON, POINTS, EXERCISE_TESTS,
                                                                single_edits(WRONG_ANSWERS))
