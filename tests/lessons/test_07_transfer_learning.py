"""Lesson 07: the source earns full marks, and plausible wrong answers lose only their points."""

from lessons.patching import lesson_tests

LESSON = "07-transfer-learning"
POINTS = {"test_replace_head": 2, "test_freeze_backbone": 2, "test_train_head": 2,
          "test_frozen_features_beat_scratch": 1, "test_fine_tune_optimizer": 2,
          "test_fine_tuning_beats_scratch": 1}
EXERCISE_TESTS = {"replace_head": {"test_replace_head"},
                  "freeze_backbone": {"test_freeze_backbone"},
                  "train_head": {"test_train_head", "test_frozen_features_beat_scratch"},
                  "fine_tune_optimizer": {"test_fine_tune_optimizer",
                                          "test_fine_tuning_beats_scratch"}}

_COPY = "    new_model = copy.deepcopy(model)\n"
_NEW_HEAD = "    new_model.head = nn.Linear(model.head.in_features, num_classes)\n"
_HEAD_ON = ("    for parameter in model.head.parameters():\n"
            "        parameter.requires_grad_(True)\n")
_UNFREEZE = ("    for parameter in model.parameters():\n"
             "        parameter.requires_grad_(True)\n")
_GROUPS = ('        {"params": list(model.backbone.parameters()), "lr": backbone_lr},\n'
           '        {"params": list(model.head.parameters()), "lr": head_lr},\n')

# (solution cell, [(text in the solution, wrong replacement)], label, tests lost, words)
WRONG_ANSWERS = [
    ("replace_head", [("nn.Linear(model.head.in_features", "nn.Linear(64")],
     "hard-codes 64 input features", {"test_replace_head"}, "head (in, out) features"),
    ("replace_head", [(_COPY, "    new_model = model\n")],
     "changes the model in place", {"test_replace_head"}, "not a copy"),
    ("replace_head", [(_COPY + _NEW_HEAD, "    new_model = GlyphCNN(num_classes)\n")],
     "a fresh network instead of the pretrained one", {"test_replace_head"},
     "not the pretrained ones"),
    ("freeze_backbone", [(_HEAD_ON, _HEAD_ON.replace("True", "False"))],
     "freezes the new head too", {"test_freeze_backbone"}, "trainable parameters"),
    ("freeze_backbone", [("model.backbone.parameters()", "model.backbone[0].parameters()")],
     "freezes only the first layer", {"test_freeze_backbone"}, "trainable parameters"),
    ("freeze_backbone", [("    for parameter in model.backbone.parameters():\n"
                          "        parameter.requires_grad_(False)\n" + _HEAD_ON,
                          "    model.backbone.eval()\n")],
     "model.backbone.eval() instead of requires_grad", {"test_freeze_backbone"},
     "trainable parameters"),
    ("freeze_backbone", [(_HEAD_ON, "")],
     "leaves a frozen head frozen", {"test_freeze_backbone"}, "head was frozen too"),
    ("train_head", [("[p for p in model.parameters() if p.requires_grad]",
                     "list(unfreeze(model).parameters())")],
     "unfreezes and trains the backbone too", {"test_train_head"}, "backbone's weights changed"),
    ("train_head", [("lr=lr)", "lr=1e-5)")],
     "ignores the learning rate", {"test_train_head", "test_frozen_features_beat_scratch"},
     "learning rate"),
    ("train_head", [("epochs=epochs", "epochs=1")],
     "ignores the number of epochs", {"test_train_head", "test_frozen_features_beat_scratch"},
     "epochs in the history"),
    ("fine_tune_optimizer", [("torch.optim.Adam([\n" + _GROUPS + "    ])",
                              "torch.optim.Adam(model.parameters(), lr=head_lr)")],
     "one group: the backbone at the head's full learning rate",
     {"test_fine_tune_optimizer"}, "wrong"),
    ("fine_tune_optimizer", [(_UNFREEZE, "")],
     "forgets to unfreeze the backbone", {"test_fine_tune_optimizer"}, "requires_grad"),
    ("fine_tune_optimizer", [(_GROUPS, _GROUPS.replace('"lr": backbone_lr', '"lr": HEAD')
                              .replace('"lr": head_lr', '"lr": backbone_lr')
                              .replace('"lr": HEAD', '"lr": head_lr'))],
     "learning rates swapped", {"test_fine_tune_optimizer"}, "small learning rate"),
    ("fine_tune_optimizer", [('        {"params": list(model.head.parameters()), "lr": head_lr},\n',
                              "")],
     "leaves the head out of the optimizer", {"test_fine_tune_optimizer"},
     "does not hold"),
]


(run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise,
 test_unanswered_exercise_loses_only_its_points) = lesson_tests(LESSON, POINTS, EXERCISE_TESTS,
                                                                WRONG_ANSWERS)
