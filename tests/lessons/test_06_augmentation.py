"""Lesson 06: the source earns full marks, and plausible wrong answers lose only their points."""

from lessons.patching import lesson_tests

LESSON = "06-augmentation"
POINTS = {"test_random_shift": 3, "test_rotate": 1, "test_random_rotation": 2,
          "test_random_crop": 2, "test_compose": 2, "test_train_on_subset": 2,
          "test_augmentation_helps": 2}
EXERCISE_TESTS = {"random_shift": {"test_random_shift"},
                  "rotation": {"test_rotate", "test_random_rotation"},
                  "random_crop": {"test_random_crop"}, "compose": {"test_compose"},
                  "train_on_subset": {"test_train_on_subset", "test_augmentation_helps"}}

_SHIFT_LOOP = ("    padded = F.pad(images, (p, p, p, p))\n    out = torch.empty_like(images)\n"
               "    for i in range(n):\n        top, left = p - int(dy[i]), p - int(dx[i])\n"
               "        out[i] = padded[i, :, top:top + h, left:left + w]\n")
_TRAIN_AUGMENTED = ("    if transform is not None:\n        train_loader = "
                    "aug.AugmentedLoader(train_loader, transform, seed=seed)\n")
_VAL_LOADER = ("    val_loader = make_loader(TensorDataset(x_val[:500], y_val[:500]), "
               "batch_size=500)\n")

# (solution cell, [(text in the solution, wrong replacement), ...], label, tests lost, words)
WRONG_ANSWERS = [
    ("random_shift", [(_SHIFT_LOOP, "    out = torch.stack([torch.roll(images[i], (int(dy[i]), "
                       "int(dx[i])), dims=(1, 2)) for i in range(n)])\n")],
     "torch.roll wraps pixels around", {"test_random_shift"}, "wrap around"),
    ("random_shift", [("max_shift + 1, (n,)", "max_shift, (n,)")],
     "upper end of the shift range excluded", {"test_random_shift"}, "never occurred"),
    ("random_shift", [("dx = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)",
                       "dx = torch.randint(-max_shift, max_shift + 1, (1,), "
                       "generator=generator).expand(n)")],
     "one horizontal shift for the whole batch", {"test_random_shift"}, "never occurred"),
    ("random_shift", [("(n,), generator=generator)", "(n,))")],
     "ignores the generator", {"test_random_shift"}, "equally seeded generators"),
    ("rotation", [("degrees.to(images.dtype) * math.pi / 180.0", "degrees.to(images.dtype)")],
     "degrees used as radians", {"test_rotate", "test_random_rotation"}, "radians"),
    ("rotation", [("[cos, -sin, zero], dim=1),\n                         torch.stack([sin, cos",
                   "[cos, sin, zero], dim=1),\n                         torch.stack([-sin, cos")],
     "clockwise instead of counter-clockwise", {"test_rotate"}, "counter-clockwise"),
    ("rotation", [("(torch.rand(len(images), generator=generator) * 2 - 1) * max_degrees",
                   "torch.rand(len(images), generator=generator) * max_degrees")],
     "angles only in [0, max_degrees]", {"test_random_rotation"}, "not the whole of"),
    ("rotation", [("torch.rand(len(images), generator=generator)",
                   "torch.rand(1, generator=generator).expand(len(images))")],
     "one angle for the whole batch", {"test_random_rotation"}, "not the whole of"),
    ("random_crop", [("    padded = F.pad(images, (padding, padding, padding, padding))\n",
                      "    padded = images\n"),
                     ("h + 2 * padding - size + 1", "h - size + 1"),
                     ("w + 2 * padding - size + 1", "w - size + 1")],
     "crop without padding", {"test_random_crop"}, "window"),
    ("random_crop", [("h + 2 * padding - size + 1", "h + 2 * padding - size")],
     "last row of window positions never drawn", {"test_random_crop"}, "positions occurred"),
    ("random_crop", [("(padding, padding, padding, padding))",
                      "(padding, padding, padding, padding), mode=\"circular\")")],
     "wrap-around padding instead of zeros", {"test_random_crop"}, "zero-padded"),
    ("compose", [("for transform in self.transforms:",
                  "for transform in reversed(self.transforms):")],
     "applies the transforms in reverse order", {"test_compose"}, "order given"),
    ("compose", [("            images = transform(images, generator)\n        return images",
                  "            return transform(images, generator)\n        return images")],
     "applies only the first transform", {"test_compose"}, "of zeros"),
    ("compose", [("transform(images, generator)", "transform(images, None)")],
     "does not pass the generator on", {"test_compose"}, "generator"),
    ("train_on_subset", [(_VAL_LOADER, _VAL_LOADER + "    if transform is not None:\n"
                          "        val_loader = aug.AugmentedLoader(val_loader, transform, "
                          "seed=seed)\n")],
     "augments the validation split too", {"test_train_on_subset", "test_augmentation_helps"},
     "training split only"),
    ("train_on_subset", [(_TRAIN_AUGMENTED, "    if transform is not None:\n"
                          "        train_loader = [(transform(x, torch.Generator()), y) "
                          "for x, y in train_loader]\n")],
     "augments one copy before training, not every epoch",
     {"test_train_on_subset", "test_augmentation_helps"}, "every epoch"),
    ("train_on_subset", [(_TRAIN_AUGMENTED, "")],
     "never applies the transform", {"test_train_on_subset", "test_augmentation_helps"},
     "times in 3 epochs"),
]


(run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise,
 test_unanswered_exercise_loses_only_its_points) = lesson_tests(LESSON, POINTS, EXERCISE_TESTS,
                                                                WRONG_ANSWERS)
